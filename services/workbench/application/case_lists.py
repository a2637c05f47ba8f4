"""What a signed-in person may list: an advisor their own cases, a coordinator the escalated ones.

Both lists are coded facts only (domain/case_list.py). Management lists no cases: its page points
to the protected statistics, which reporting serves.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from services.workbench.adapters import meeting_store
from services.workbench.adapters.case_summaries import ASSIGNEES, lines_of
from services.workbench.domain.case_list import CaseLine, newest_first


async def my_cases(engine: AsyncEngine, advisor_id: str, now: datetime | None = None) -> list[CaseLine]:
    """The advisor's cases; given `now`, each open one with the start of its next meeting."""
    async with engine.connect() as conn:
        lines = await lines_of(conn, await ASSIGNEES.cases_of(conn, advisor_id))
        open_ids = [line.case_id for line in lines if line.status == "open"]
        upcoming = await meeting_store.next_of(conn, open_ids, now) if now is not None and open_ids else {}
    lines = [replace(line, next_meeting=upcoming.get(line.case_id)) for line in lines]
    return newest_first([line for line in lines if line.status != "erased"])


async def escalated_cases(engine: AsyncEngine) -> list[CaseLine]:
    async with engine.connect() as conn:
        lines = await lines_of(conn, await ASSIGNEES.escalated(conn))
    return newest_first([line for line in lines if line.status == "open"])
