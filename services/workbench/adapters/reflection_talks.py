"""The yearly reflection talks a coordinator registered (ReflectionTalkRegistered on
routing.alerts.v1: an advisor id, the coordinator's id and a date), and the last registration each
coordinator sent from here with routing's answer when it refused (AdvisorCommandRejected for
RegisterReflectionTalk, on routing.assignments.v1). Dates, ids and reason codes only: nothing said in
the talk is kept anywhere."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import Column, Date, DateTime, String, Table, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.workbench.adapters.tables import metadata
from shared.contracts.advisor_commands import AdvisorCommandRejected
from shared.contracts.routing import ReflectionTalkRegistered
from shared.db import insert_ignoring_duplicates

COMMAND = "RegisterReflectionTalk"

# The latest talk per advisor (a talk registered late for an earlier day does not hide a later one).
reflection_talks = Table(
    "reflection_talks",
    metadata,
    Column("advisor_id", String(64), primary_key=True),
    Column("held_on", Date, nullable=False),
    Column("coordinator_id", String(64), nullable=False),
)

# What a coordinator last sent; routing's refusal names the coordinator but no advisor (the command
# has no case), so a refusal is matched to the coordinator's last registration sent before it.
reflection_requests = Table(
    "reflection_requests",
    metadata,
    Column("coordinator_id", String(64), primary_key=True),
    Column("talk_with_advisor_id", String(64), nullable=False),
    Column("held_on", Date, nullable=False),
    Column("sent_at", DateTime(timezone=True), nullable=False),
    Column("reason_code", String(64), nullable=True),
)


@dataclass(frozen=True, slots=True)
class Request:
    talk_with_advisor_id: str
    held_on: date
    reason_code: str | None  # None: sent; routing registered it or has not answered yet


def _aware(instant: datetime) -> datetime:
    return instant.replace(tzinfo=UTC) if instant.tzinfo is None else instant


async def record_talk(conn: AsyncConnection, registered: ReflectionTalkRegistered) -> None:
    t = reflection_talks
    where = t.c.advisor_id == registered.advisor_id
    held = (await conn.execute(select(t.c.held_on).where(where))).scalar_one_or_none()
    values = {"held_on": registered.held_on, "coordinator_id": registered.coordinator_id}
    if held is None:
        insert = insert_ignoring_duplicates(conn, t, ["advisor_id"])
        await conn.execute(insert.values(advisor_id=registered.advisor_id, **values))
    elif registered.held_on > held:
        await conn.execute(t.update().where(where).values(**values))


async def last_talks(conn: AsyncConnection, advisor_ids: list[str]) -> dict[str, date]:
    t = reflection_talks
    rows = await conn.execute(select(t.c.advisor_id, t.c.held_on).where(t.c.advisor_id.in_(advisor_ids)))
    return {r.advisor_id: r.held_on for r in rows}


async def record_sent(
    conn: AsyncConnection, coordinator_id: str, advisor_id: str, held_on: date, now: datetime
) -> None:
    t = reflection_requests
    values = {"talk_with_advisor_id": advisor_id, "held_on": held_on, "sent_at": now, "reason_code": None}
    await conn.execute(t.delete().where(t.c.coordinator_id == coordinator_id))
    await conn.execute(t.insert().values(coordinator_id=coordinator_id, **values))


async def record_refused(conn: AsyncConnection, coordinator_id: str, reason_code: str) -> None:
    """The coordinator's last registration was not carried out, for `reason_code`."""
    t = reflection_requests
    await conn.execute(t.update().where(t.c.coordinator_id == coordinator_id).values(reason_code=reason_code))


async def record_rejection(conn: AsyncConnection, rejected: AdvisorCommandRejected) -> None:
    """Routing's refusal of the coordinator's last registration; one older than it, or one without
    a proven coordinator, is not kept."""
    if rejected.command != COMMAND or rejected.advisor_id is None:
        return
    t = reflection_requests
    where = t.c.coordinator_id == rejected.advisor_id
    sent = (await conn.execute(select(t.c.sent_at).where(where))).scalar_one_or_none()
    if sent is None or _aware(rejected.rejected_at) < _aware(sent):
        return
    await record_refused(conn, rejected.advisor_id, rejected.reason_code)


async def last_request(conn: AsyncConnection, coordinator_id: str) -> Request | None:
    t = reflection_requests
    row = (await conn.execute(select(t).where(t.c.coordinator_id == coordinator_id))).first()
    return None if row is None else Request(row.talk_with_advisor_id, row.held_on, row.reason_code)
