"""What the case page shows beside the case file, read from the workbench's own coded folds."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from services.workbench.adapters import meeting_store, time_store
from services.workbench.adapters.meeting_store import MeetingRow


@dataclass(frozen=True, slots=True)
class CaseActivity:
    """What the case page shows beside the file: minutes per activity code, the next meeting."""

    minutes: dict[str, int]
    meeting: MeetingRow | None


async def activity_of(engine: AsyncEngine, case_id: str) -> CaseActivity:
    async with engine.connect() as conn:
        minutes = await time_store.minutes_per_activity(conn, case_id)
        meetings = await meeting_store.of_case(conn, case_id)
    return CaseActivity(minutes, meetings[0] if meetings else None)
