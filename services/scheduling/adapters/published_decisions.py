"""Scheduling's decisions that a restore folded back, looked up by the input that caused them (D55).

After a restore the inputs the backup missed are consumed again. Their decisions were published and
are already folded into the bookings (application/restore_fold.py); what the handler of such an
input still has to do is what only the input carries (the case's facts, the assignee, the command's
token and the mode it asked for). It asks here whether its decision was published, and adopts it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.scheduling.adapters import tables
from shared.db import insert_ignoring_duplicates


@dataclass(frozen=True, slots=True)
class PublishedDecision:
    cause_id: str
    case_id: str | None
    new_meeting: bool  # a new meeting was decided for the case (booked, or no slot found)
    meeting_id: str | None  # the new meeting booked, if one was
    rejected: bool  # the answer refused an advisor's command


async def record(conn: AsyncConnection, decision: PublishedDecision, now: datetime) -> None:
    """One row per cause; a cause seen again (several events, a second fold) changes nothing, except
    that a booked meeting's id is kept once known."""
    d = tables.published_decisions
    known = await of_cause(conn, decision.cause_id)
    if known is None:
        await conn.execute(
            insert_ignoring_duplicates(conn, d, ["cause_id"]),
            {
                "cause_id": decision.cause_id,
                "case_id": decision.case_id,
                "new_meeting": decision.new_meeting,
                "meeting_id": decision.meeting_id,
                "rejected": decision.rejected,
                "folded_at": now,
            },
        )
        return
    await conn.execute(
        d.update()
        .where(d.c.cause_id == decision.cause_id)
        .values(
            case_id=known.case_id or decision.case_id,
            new_meeting=known.new_meeting or decision.new_meeting,
            meeting_id=known.meeting_id or decision.meeting_id,
            rejected=known.rejected or decision.rejected,
        )
    )


_d = tables.published_decisions
_OF_CAUSE = select(_d).where(_d.c.cause_id == bindparam("of_cause"))
_NEW_MEETING_OF_CASE = (
    select(_d.c.cause_id).where(_d.c.case_id == bindparam("of_case"), _d.c.new_meeting).limit(1)
)


async def of_cause(conn: AsyncConnection, cause_id: str) -> PublishedDecision | None:
    row = (await conn.execute(_OF_CAUSE, {"of_cause": cause_id})).first()
    if row is None:
        return None
    return PublishedDecision(
        row.cause_id, row.case_id, bool(row.new_meeting), row.meeting_id, bool(row.rejected)
    )


async def new_meeting_published(conn: AsyncConnection, case_id: str) -> bool:
    """Whether a new meeting for the case was decided after the backup, under any cause.

    The meeting a client asked for at intake is planned by whichever of CaseOpened and the assignment
    arrives last, and consumed again they may arrive the other way round: so it is found by case.
    An advisor's RequestMeeting answered after the backup counts too: it is admitted only once the
    case is opened and assigned, when that meeting has been requested already."""
    return (await conn.execute(_NEW_MEETING_OF_CASE, {"of_case": case_id})).first() is not None


_ANY = select(_d.c.cause_id).limit(1)


class FoldedDecisions:
    """The look-ups above for the hot path, skipped while the table is empty, as it is unless a
    restore folded decisions back: one look per process instead of one or two per event. Only a
    restore writes the table, and a restore runs with the service stopped, so a service (or the
    restore's own catching up, whose handlers are built before the fold and look first after it)
    that once found it empty finds it empty until it stops."""

    def __init__(self) -> None:
        self._any: bool | None = None

    async def _present(self, conn: AsyncConnection) -> bool:
        if self._any is None:
            self._any = (await conn.execute(_ANY)).first() is not None
        return self._any

    async def of_cause(self, conn: AsyncConnection, cause_id: str) -> PublishedDecision | None:
        return await of_cause(conn, cause_id) if await self._present(conn) else None

    async def new_meeting_published(self, conn: AsyncConnection, case_id: str) -> bool:
        return await self._present(conn) and await new_meeting_published(conn, case_id)
