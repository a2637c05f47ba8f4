"""Management's page: reporting's protected view of their organisation, asked with their own token.

The access token is the one the provider gave at sign-in, refreshed when it is about to run out;
when the provider's session has ended the person is asked to sign in again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from services.workbench.adapters import session_store
from services.workbench.adapters.oidc import OidcProvider, SignInFailed
from services.workbench.adapters.reporting_views import ReportingViews, ViewUnavailable
from services.workbench.adapters.session_store import ProviderTokens
from services.workbench.domain.sessions import Session

EARLY = timedelta(seconds=20)  # refresh a token that would expire during the call


@dataclass
class ProtectedFigures:
    engine: AsyncEngine
    provider: OidcProvider
    views: ReportingViews
    clock: Callable[[], datetime]

    async def management_view(self, cookie: str, session: Session) -> dict[str, Any]:
        """The view, or ViewUnavailable with a reason code."""
        if session.organisation_id is None:
            raise ViewUnavailable("no_organisation")
        token = await self._access_token(cookie)
        return await self.views.management(token, session.organisation_id, self.clock().year)

    async def _access_token(self, cookie: str) -> str:
        now = self.clock()
        async with self.engine.connect() as conn:
            tokens = await session_store.load_tokens(conn, cookie)
        if tokens is None:
            raise ViewUnavailable("sign_in_again")
        if tokens.expires_at > now + EARLY:
            return tokens.access_token
        if tokens.refresh_token is None:
            raise ViewUnavailable("sign_in_again")
        try:
            fresh = await self.provider.refresh(tokens.refresh_token)
        except SignInFailed as exc:
            raise ViewUnavailable("sign_in_again") from exc
        renewed = ProviderTokens(
            fresh.access_token, fresh.refresh_token, now + timedelta(seconds=fresh.expires_in), fresh.id_token
        )
        async with self.engine.begin() as conn:
            await session_store.store_tokens(conn, cookie, renewed)
        return renewed.access_token
