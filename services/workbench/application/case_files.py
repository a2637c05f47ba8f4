"""An advisor opens one of their cases: only a case the shared projection says they hold now, and
intake checks again before it opens anything. Any other case answers exactly like an unknown one."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from services.workbench.adapters import given_up
from services.workbench.adapters.case_summaries import ASSIGNEES
from services.workbench.adapters.intake_case_files import CaseFileRefused, IntakeCaseFiles

NOT_YOURS = "not_assignee"  # the same answer for someone else's case, an unknown one, an erased one


async def open_case(
    engine: AsyncEngine, files: IntakeCaseFiles, advisor_id: str, case_id: str, now: datetime
) -> dict[str, Any]:
    """The case file, or CaseFileRefused."""
    async with engine.connect() as conn:
        holder = await ASSIGNEES.assignee_of(conn, case_id)
        gave_it_up = await given_up.gave_up(conn, advisor_id, case_id)
    if holder != advisor_id or gave_it_up:
        raise CaseFileRefused(NOT_YOURS)
    return await files.read(advisor_id, case_id, now)
