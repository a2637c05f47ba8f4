"""Notices waiting to be sent and the advisors' notification addresses, in the workbench's database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.workbench.adapters.tables import notification_addresses, notifications
from services.workbench.domain.notifications import Notice
from shared.db import insert_ignoring_duplicates


async def add_notice(conn: AsyncConnection, notice: Notice, now: datetime) -> None:
    """Record `notice` once: its id derives from its cause, so a second add is a no-op."""
    insert = insert_ignoring_duplicates(conn, notifications, ["notice_id"])
    await conn.execute(
        insert.values(
            notice_id=notice.notice_id,
            advisor_id=notice.advisor_id,
            reason=notice.reason.value,
            created_at=now,
            attempts=0,
        )
    )


@dataclass(frozen=True, slots=True)
class DueNotice:
    notice_id: str
    advisor_id: str
    email: str | None  # None: the advisor has not signed in yet, so no address is known
    lang: str
    opted_out: bool


async def due_notices(conn: AsyncConnection, limit: int, now: datetime) -> list[DueNotice]:
    n, a = notifications, notification_addresses
    query = (
        select(n.c.notice_id, n.c.advisor_id, a.c.email, a.c.lang, a.c.opted_out)
        .select_from(n.outerjoin(a, a.c.advisor_id == n.c.advisor_id))
        # A notice for an advisor whose address is not known yet (they never signed in) waits
        # outside the batch, so it can never hold back the others.
        .where(n.c.sent_at.is_(None), a.c.email.is_not(None) | a.c.opted_out.is_(True))
        .where(n.c.claimed_until.is_(None) | (n.c.claimed_until < now))
        .order_by(n.c.created_at, n.c.notice_id)
        .limit(limit)
    )
    return [
        DueNotice(r.notice_id, r.advisor_id, r.email, r.lang or "nl", bool(r.opted_out))
        for r in await conn.execute(query)
    ]


async def claim(conn: AsyncConnection, notice_id: str, now: datetime, until: datetime) -> bool:
    """Take `notice_id` for this sender until `until`; False when it was sent or another sender
    holds a live claim. One conditional UPDATE: atomic on SQLite and PostgreSQL alike."""
    n = notifications
    result = await conn.execute(
        n.update()
        .where(
            n.c.notice_id == notice_id,
            n.c.sent_at.is_(None),
            n.c.claimed_until.is_(None) | (n.c.claimed_until < now),
        )
        .values(claimed_until=until)
    )
    return result.rowcount == 1


async def mark_done(conn: AsyncConnection, notice_id: str, outcome: str, now: datetime) -> None:
    await conn.execute(
        notifications.update()
        .where(notifications.c.notice_id == notice_id)
        .values(sent_at=now, outcome=outcome)
    )


async def count_attempt(conn: AsyncConnection, notice_id: str) -> None:
    n = notifications
    # The claim goes with the failed attempt: the next run (of any pod) may try again at once.
    await conn.execute(
        n.update().where(n.c.notice_id == notice_id).values(attempts=n.c.attempts + 1, claimed_until=None)
    )


async def remember_address(
    conn: AsyncConnection, advisor_id: str, email: str | None, lang: str, now: datetime
) -> None:
    """The address an advisor signed in with (kept unless they switched the e-mails off)."""
    a = notification_addresses
    row = (await conn.execute(select(a.c.opted_out).where(a.c.advisor_id == advisor_id))).first()
    if row is None:
        insert = insert_ignoring_duplicates(conn, a, ["advisor_id"])
        values = {"email": email, "lang": lang, "opted_out": False, "updated_at": now}
        await conn.execute(insert.values(advisor_id=advisor_id, **values))
    elif not row.opted_out:
        await conn.execute(
            a.update().where(a.c.advisor_id == advisor_id).values(email=email, lang=lang, updated_at=now)
        )


async def set_opted_out(conn: AsyncConnection, advisor_id: str, opted_out: bool, now: datetime) -> None:
    """Switching off forgets the address at once; switching on keeps what is known (an address
    forgotten earlier comes back with the next sign-in)."""
    a = notification_addresses
    values: dict[str, object] = {"opted_out": opted_out, "updated_at": now}
    if opted_out:
        values["email"] = None
    exists = (await conn.execute(select(a.c.advisor_id).where(a.c.advisor_id == advisor_id))).first()
    if exists is None:
        insert = insert_ignoring_duplicates(conn, a, ["advisor_id"])
        await conn.execute(insert.values(advisor_id=advisor_id, lang="nl", email=None, **values))
    else:
        await conn.execute(a.update().where(a.c.advisor_id == advisor_id).values(**values))


async def is_opted_out(conn: AsyncConnection, advisor_id: str) -> bool:
    a = notification_addresses
    return bool((await conn.execute(select(a.c.opted_out).where(a.c.advisor_id == advisor_id))).scalar())
