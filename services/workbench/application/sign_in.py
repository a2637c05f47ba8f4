"""Signing in, staying signed in, and signing out: the use cases behind the workbench's pages.

- `start`: a fresh authorization request (PKCE verifier, nonce, state) is remembered server-side
  and the browser is sent to the provider.
- `finish`: the provider's answer is matched to its sign-in by `state` (once, within ten minutes,
  and only in the browser that started it: its sign-in cookie),
  the code is redeemed with the verifier, the ID token verified, and a session begins. Any failure
  is one reason code; nothing the provider or the browser sent is repeated. An advisor's e-mail
  address (the `email` claim) is kept for their notifications unless they switched them off.
- `current`: the session of a cookie while it is alive (idle and absolute limits); each request
  moves its idle limit on.
- `end`: the session is deleted here (its ID token with it, handed back as the logout's hint); the
  caller sends the browser on to the provider's logout.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from services.workbench.adapters import notification_store, session_store
from services.workbench.adapters.oidc import OidcProvider, SignInFailed
from services.workbench.adapters.session_store import PendingSignIn, ProviderTokens
from services.workbench.domain.sessions import NotAllowed, Role, Session, SessionPolicy, identity_of


@dataclass(frozen=True, slots=True)
class Started:
    provider_url: str
    browser_cookie: str


@dataclass(frozen=True, slots=True)
class SignedIn:
    cookie: str
    session: Session
    lang: str


@dataclass
class SignIn:
    engine: AsyncEngine
    provider: OidcProvider
    policy: SessionPolicy

    async def start(self, redirect_uri: str, lang: str, now: datetime) -> Started:
        """Where to send the browser, and the value of the sign-in cookie it must carry back."""
        request = await self.provider.authorization_request(redirect_uri, lang)
        browser = secrets.token_urlsafe(32)
        async with self.engine.begin() as conn:
            pending = PendingSignIn(request.code_verifier, request.nonce, lang, browser)
            await session_store.remember_sign_in(conn, request.state, pending, now)
        return Started(request.url, browser)

    async def finish(self, redirect_uri: str, state: str, code: str, browser: str, now: datetime) -> SignedIn:
        async with self.engine.begin() as conn:
            pending = await session_store.take_sign_in(conn, state, browser, now)
        if pending is None:
            raise SignInFailed("sign_in_unknown_or_expired")
        redeemed = await self.provider.redeem(redirect_uri, code, pending.code_verifier, pending.nonce)
        claims = redeemed.claims
        try:
            identity = identity_of(claims)
        except NotAllowed as exc:
            raise SignInFailed(exc.reason) from exc
        email = claims.get("email")
        cookie = secrets.token_urlsafe(32)
        session = Session(
            identity.subject,
            identity.role,
            identity.advisor_id,
            secrets.token_urlsafe(32),
            now,
            now,
            identity.organisation_id,
        )
        tokens = redeemed.tokens
        expires = now + timedelta(seconds=tokens.expires_in)
        async with self.engine.begin() as conn:
            await session_store.store_session(conn, cookie, session)
            provider_tokens = ProviderTokens(
                tokens.access_token, tokens.refresh_token, expires, tokens.id_token
            )
            await session_store.store_tokens(conn, cookie, provider_tokens)
            if (
                identity.role is Role.ADVISOR
                and identity.advisor_id
                and isinstance(email, str)
                and "@" in email
            ):
                await notification_store.remember_address(conn, identity.advisor_id, email, pending.lang, now)
        return SignedIn(cookie, session, pending.lang)

    async def current(self, cookie: str | None, now: datetime) -> Session | None:
        if not cookie:
            return None
        async with self.engine.begin() as conn:
            session = await session_store.load_session(conn, cookie)
            if session is None:
                return None
            if not self.policy.alive(session, now):
                await session_store.end_session(conn, cookie)
                return None
            await session_store.touch_session(conn, cookie, now)
        return session

    async def end(self, cookie: str) -> str | None:
        """End the session here; the sign-in's ID token, the hint for the logout at the provider."""
        async with self.engine.begin() as conn:
            tokens = await session_store.load_tokens(conn, cookie)
            await session_store.end_session(conn, cookie)
        return tokens.id_token if tokens else None

    async def forget_ended(self, now: datetime) -> int:
        async with self.engine.begin() as conn:
            return await session_store.forget_ended_sessions(
                conn, now - self.policy.idle, now - self.policy.absolute
            )
