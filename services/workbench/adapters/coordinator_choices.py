"""What a coordinator chose for an escalated case from the workbench, and routing's answer when it
refused (AdvisorCommandRejected for AssignEscalatedCase, on routing.assignments.v1). Ids and reason
codes only. A choice that routing carried out needs no row: its AdvisorAssigned takes the case out of
the queue (the shared assignee projection)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Column, DateTime, String, Table, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.workbench.adapters.tables import metadata
from shared.contracts.advisor_commands import AdvisorCommandRejected
from shared.db import insert_ignoring_duplicates

COMMAND = "AssignEscalatedCase"

coordinator_choices = Table(
    "coordinator_choices",
    metadata,
    Column("coordinator_id", String(64), primary_key=True),
    Column("case_id", String(64), primary_key=True),
    Column("chosen_advisor_id", String(64), nullable=True),
    Column("sent_at", DateTime(timezone=True), nullable=True),
    Column("reason_code", String(64), nullable=True),  # routing's CoordinatorRefusal code
    Column("rejected_at", DateTime(timezone=True), nullable=True),
)


@dataclass(frozen=True, slots=True)
class Choice:
    case_id: str
    chosen_advisor_id: str | None
    reason_code: str | None  # None: sent, routing has not answered (or assigned it)


def _aware(instant: datetime | None) -> datetime | None:
    return instant.replace(tzinfo=UTC) if instant is not None and instant.tzinfo is None else instant


async def _upsert(
    conn: AsyncConnection, coordinator_id: str, case_id: str, values: dict[str, object]
) -> None:
    t = coordinator_choices
    where = (t.c.coordinator_id == coordinator_id) & (t.c.case_id == case_id)
    if (await conn.execute(select(t.c.case_id).where(where))).first() is None:
        insert = insert_ignoring_duplicates(conn, t, ["coordinator_id", "case_id"])
        await conn.execute(insert.values(coordinator_id=coordinator_id, case_id=case_id, **values))
    else:
        await conn.execute(t.update().where(where).values(**values))


async def record_sent(
    conn: AsyncConnection, coordinator_id: str, case_id: str, chosen_advisor_id: str, now: datetime
) -> None:
    values: dict[str, object] = {
        "chosen_advisor_id": chosen_advisor_id,
        "sent_at": now,
        "reason_code": None,
        "rejected_at": None,
    }
    await _upsert(conn, coordinator_id, case_id, values)


async def record_rejection(conn: AsyncConnection, rejected: AdvisorCommandRejected) -> None:
    """Routing's refusal of a coordinator's choice; one for an older choice than the last sent is
    not shown against the new one. An answer without proven ids (a token that did not prove its
    signer) names nobody and is not kept."""
    if rejected.command != COMMAND or rejected.advisor_id is None or rejected.case_id is None:
        return
    t = coordinator_choices
    where = (t.c.coordinator_id == rejected.advisor_id) & (t.c.case_id == rejected.case_id)
    sent = (await conn.execute(select(t.c.sent_at).where(where))).scalar_one_or_none()
    sent_at, rejected_at = _aware(sent), _aware(rejected.rejected_at)
    if sent_at is not None and rejected_at is not None and rejected_at < sent_at:
        return
    values: dict[str, object] = {"reason_code": rejected.reason_code, "rejected_at": rejected.rejected_at}
    await _upsert(conn, rejected.advisor_id, rejected.case_id, values)


async def choices_of(conn: AsyncConnection, coordinator_id: str) -> dict[str, Choice]:
    t = coordinator_choices
    rows = await conn.execute(select(t).where(t.c.coordinator_id == coordinator_id))
    return {r.case_id: Choice(r.case_id, r.chosen_advisor_id, r.reason_code) for r in rows}
