"""The meetings scheduling proposed, folded from scheduling.meetings.v1 (coded fields only)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.workbench.adapters.tables import meetings
from shared.contracts.scheduling import MeetingScheduled
from shared.db import insert_ignoring_duplicates


@dataclass(frozen=True, slots=True)
class MeetingRow:
    meeting_id: str
    case_id: str
    advisor_id: str
    start: datetime
    end: datetime
    mode: str
    calendar_sequence: int
    status: str

    @classmethod
    def scheduled(cls, meeting: MeetingScheduled) -> MeetingRow:
        """The coded row of a (re)scheduled meeting; its neutral title stays out."""
        return cls(
            meeting.meeting_id,
            meeting.case_id,
            meeting.advisor_id,
            meeting.start,
            meeting.end,
            meeting.mode.value,
            meeting.calendar_sequence,
            "scheduled",
        )


def _aware(at: datetime) -> datetime:
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at


async def record_scheduled(
    conn: AsyncConnection, row: MeetingRow, room_id: str | None, venue_id: str | None
) -> str | None:
    """Insert or move a meeting; an older sequence arriving late changes nothing. The advisor the
    meeting was for before (None for a meeting not seen yet)."""
    t = meetings
    found = (
        await conn.execute(
            select(t.c.calendar_sequence, t.c.advisor_id).where(t.c.meeting_id == row.meeting_id)
        )
    ).first()
    values = {
        "case_id": row.case_id,
        "advisor_id": row.advisor_id,
        "start": row.start,
        "end": row.end,
        "mode": row.mode,
        "room_id": room_id,
        "venue_id": venue_id,
        "calendar_sequence": row.calendar_sequence,
        "status": "scheduled",
    }
    if found is None:
        await conn.execute(
            insert_ignoring_duplicates(conn, t, ["meeting_id"]).values(meeting_id=row.meeting_id, **values)
        )
    elif found.calendar_sequence <= row.calendar_sequence:
        await conn.execute(t.update().where(t.c.meeting_id == row.meeting_id).values(**values))
    return None if found is None else str(found.advisor_id)


async def record_cancelled(conn: AsyncConnection, meeting_id: str) -> None:
    t = meetings
    await conn.execute(t.update().where(t.c.meeting_id == meeting_id).values(status="cancelled"))


async def next_of(conn: AsyncConnection, case_ids: list[str], now: datetime) -> dict[str, datetime]:
    """Per case, the start of its next meeting still scheduled that has not ended by `now`."""
    t = meetings
    rows = await conn.execute(
        select(t.c.case_id, t.c.start, t.c.end).where(t.c.case_id.in_(case_ids), t.c.status == "scheduled")
    )
    found: dict[str, datetime] = {}
    for case_id, start, end in rows:
        start = _aware(start)
        if _aware(end) >= now and (case_id not in found or start < found[case_id]):
            found[case_id] = start
    return found


async def of_case(conn: AsyncConnection, case_id: str) -> list[MeetingRow]:
    """The case's meetings still scheduled, soonest first."""
    t = meetings
    rows = await conn.execute(
        select(t).where(t.c.case_id == case_id, t.c.status == "scheduled").order_by(t.c.start)
    )
    return [
        MeetingRow(
            r.meeting_id,
            r.case_id,
            r.advisor_id,
            _aware(r.start),
            _aware(r.end),
            r.mode,
            r.calendar_sequence,
            r.status,
        )
        for r in rows
    ]
