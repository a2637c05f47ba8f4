"""Intake's table of the client-safe meeting facts (tables.client_meetings), folded by
domain/meetings.py from scheduling.meetings.v1 and read by the follow-up."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.intake.adapters.tables import cases, client_meetings
from services.intake.domain.meetings import PlannedMeeting, after_cancelled, after_scheduled


def _aware(at: datetime) -> datetime:
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at


def _meeting(row: Any) -> PlannedMeeting:
    return PlannedMeeting(
        row.meeting_id,
        row.case_id,
        _aware(row.start),
        _aware(row.end),
        row.mode,
        int(row.calendar_sequence),
        bool(row.cancelled),
    )


async def _known(conn: AsyncConnection, meeting_id: str) -> PlannedMeeting | None:
    row = (
        await conn.execute(select(client_meetings).where(client_meetings.c.meeting_id == meeting_id))
    ).first()
    return None if row is None else _meeting(row)


async def _store(conn: AsyncConnection, known: PlannedMeeting | None, new: PlannedMeeting) -> None:
    t = client_meetings
    values = {
        "case_id": new.case_id,
        "start": new.start,
        "end": new.end,
        "mode": new.mode,
        "calendar_sequence": new.calendar_sequence,
        "cancelled": new.cancelled,
    }
    if known is None:
        await conn.execute(t.insert().values(meeting_id=new.meeting_id, **values))
    else:
        await conn.execute(t.update().where(t.c.meeting_id == new.meeting_id).values(**values))


async def _erased(conn: AsyncConnection, case_id: str) -> bool:
    query = select(cases.c.erased_at).where(cases.c.case_id == case_id)
    return (await conn.execute(query)).scalar() is not None


async def record_scheduled(conn: AsyncConnection, scheduled: PlannedMeeting) -> None:
    """Fold a MeetingScheduled; nothing is kept for a case whose personal data was erased."""
    if await _erased(conn, scheduled.case_id):
        return
    known = await _known(conn, scheduled.meeting_id)
    if (new := after_scheduled(known, scheduled)) is not None:
        await _store(conn, known, new)


async def record_cancelled(conn: AsyncConnection, meeting_id: str) -> None:
    known = await _known(conn, meeting_id)
    if (new := after_cancelled(known)) is not None:
        await _store(conn, known, new)


async def of_case(conn: AsyncConnection, case_id: str) -> list[PlannedMeeting]:
    """All the case's meetings, cancelled ones included."""
    rows = await conn.execute(select(client_meetings).where(client_meetings.c.case_id == case_id))
    return [_meeting(r) for r in rows]


async def forget_case(conn: AsyncConnection, case_id: str) -> int:
    """Delete the case's meeting rows (erasure); how many there were."""
    removed = await conn.execute(client_meetings.delete().where(client_meetings.c.case_id == case_id))
    return int(removed.rowcount or 0)
