"""Reporting's protected views, asked on the signed-in person's behalf with their access token.

Reporting verifies the token itself (its role and subject come from the same provider); the
workbench only passes it on and shows what comes back: aggregates with small cells already
suppressed, never a case.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from services.workbench.adapters.http_client import default_client


class ViewUnavailable(Exception):
    """Reporting did not answer with the view; `reason` is a code for the page."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class ReportingViews:
    base_url: str
    client: Callable[[], httpx.AsyncClient] = field(default=default_client)

    async def management(self, access_token: str, organisation_id: str, year: int) -> dict[str, Any]:
        return await self.view("/v1/views/management", access_token, {"org": organisation_id, "year": year})

    async def view(self, path: str, access_token: str, params: dict[str, str | int]) -> dict[str, Any]:
        """One of reporting's views, asked with the person's own token; ViewUnavailable otherwise."""
        if not self.base_url:
            raise ViewUnavailable("reporting_not_configured")
        try:
            async with self.client() as client:
                answer = await client.get(
                    f"{self.base_url.rstrip('/')}{path}",
                    params=params,
                    headers={"Authorization": f"Bearer {access_token}"},
                )
        except httpx.HTTPError as exc:
            raise ViewUnavailable("reporting_unavailable") from exc
        if answer.status_code in (401, 403):
            raise ViewUnavailable("reporting_refused")
        if answer.status_code != 200:
            raise ViewUnavailable("reporting_unavailable")
        doc: dict[str, Any] = answer.json()
        return doc
