"""Sessions and sign-ins in progress, in the workbench's database.

The cookie value and the `state` of a sign-in are random and never stored: rows are keyed by their
sha256, so reading the database (a backup, an operator) opens no session and completes no sign-in.
A sign-in is taken once (deleted as it is read), only within `SIGN_IN_WINDOW`, and only by the
browser that started it (its sign-in cookie).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.workbench.adapters.tables import session_tokens, sessions, sign_ins
from services.workbench.domain.sessions import Role, Session

SIGN_IN_WINDOW = timedelta(minutes=10)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class PendingSignIn:
    code_verifier: str
    nonce: str
    lang: str
    browser: str = ""  # the random value of the starting browser's sign-in cookie


async def remember_sign_in(conn: AsyncConnection, state: str, pending: PendingSignIn, now: datetime) -> None:
    await conn.execute(delete(sign_ins).where(sign_ins.c.started_at < now - SIGN_IN_WINDOW))
    await conn.execute(
        sign_ins.insert().values(
            state_hash=digest(state),
            code_verifier=pending.code_verifier,
            nonce=pending.nonce,
            lang=pending.lang,
            started_at=now,
            browser_hash=digest(pending.browser),
        )
    )


async def take_sign_in(
    conn: AsyncConnection, state: str, browser: str, now: datetime
) -> PendingSignIn | None:
    """The sign-in `state` belongs to, once, for the browser that started it; None for an unknown,
    used or stale state, or one started in another browser (the sign-in is spent all the same)."""
    key = digest(state)
    row = (await conn.execute(select(sign_ins).where(sign_ins.c.state_hash == key))).first()
    if row is None:
        return None
    await conn.execute(delete(sign_ins).where(sign_ins.c.state_hash == key))
    if _aware(row.started_at) < now - SIGN_IN_WINDOW:
        return None
    if not browser or not hmac.compare_digest(row.browser_hash, digest(browser)):
        return None
    return PendingSignIn(row.code_verifier, row.nonce, row.lang, browser)


async def store_session(conn: AsyncConnection, cookie: str, session: Session) -> None:
    await conn.execute(
        sessions.insert().values(
            session_hash=digest(cookie),
            subject=session.subject,
            role=session.role.value,
            advisor_id=session.advisor_id,
            csrf_token=session.csrf_token,
            started_at=session.started_at,
            last_seen_at=session.last_seen_at,
            organisation_id=session.organisation_id,
        )
    )


async def load_session(conn: AsyncConnection, cookie: str) -> Session | None:
    row = (await conn.execute(select(sessions).where(sessions.c.session_hash == digest(cookie)))).first()
    if row is None:
        return None
    return Session(
        subject=row.subject,
        role=Role(row.role),
        advisor_id=row.advisor_id,
        csrf_token=row.csrf_token,
        started_at=_aware(row.started_at),
        last_seen_at=_aware(row.last_seen_at),
        organisation_id=row.organisation_id,
    )


async def touch_session(conn: AsyncConnection, cookie: str, now: datetime) -> None:
    await conn.execute(
        sessions.update().where(sessions.c.session_hash == digest(cookie)).values(last_seen_at=now)
    )


async def end_session(conn: AsyncConnection, cookie: str) -> None:
    await conn.execute(delete(session_tokens).where(session_tokens.c.session_hash == digest(cookie)))
    await conn.execute(delete(sessions).where(sessions.c.session_hash == digest(cookie)))


@dataclass(frozen=True, slots=True)
class ProviderTokens:
    access_token: str
    refresh_token: str | None
    expires_at: datetime
    id_token: str | None = None  # kept from the sign-in when a refresh brings none


async def store_tokens(conn: AsyncConnection, cookie: str, tokens: ProviderTokens) -> None:
    key = digest(cookie)
    id_token = tokens.id_token
    if id_token is None:
        t = session_tokens
        id_token = (await conn.execute(select(t.c.id_token).where(t.c.session_hash == key))).scalar()
    await conn.execute(delete(session_tokens).where(session_tokens.c.session_hash == key))
    await conn.execute(
        session_tokens.insert().values(
            session_hash=key,
            access_token=tokens.access_token,
            refresh_token=tokens.refresh_token,
            expires_at=tokens.expires_at,
            id_token=id_token,
        )
    )


async def load_tokens(conn: AsyncConnection, cookie: str) -> ProviderTokens | None:
    t = session_tokens
    row = (await conn.execute(select(t).where(t.c.session_hash == digest(cookie)))).first()
    if row is None:
        return None
    return ProviderTokens(row.access_token, row.refresh_token, _aware(row.expires_at), row.id_token)


async def forget_ended_sessions(
    conn: AsyncConnection, idle_before: datetime, started_before: datetime
) -> int:
    ended = (sessions.c.last_seen_at < idle_before) | (sessions.c.started_at < started_before)
    await conn.execute(
        delete(session_tokens).where(
            session_tokens.c.session_hash.in_(select(sessions.c.session_hash).where(ended))
        )
    )
    result = await conn.execute(delete(sessions).where(ended))
    return int(result.rowcount or 0)


def _aware(moment: datetime) -> datetime:
    """SQLite returns naive datetimes; every stored moment is UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
