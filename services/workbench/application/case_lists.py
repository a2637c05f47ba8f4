"""What a signed-in person may list: an advisor their own cases, a coordinator the escalated ones.

Both lists are coded facts only (domain/case_list.py). Management lists no cases: its page points
to the protected statistics, which reporting serves.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from services.workbench.adapters import given_up
from services.workbench.adapters.case_summaries import ASSIGNEES, lines_of
from services.workbench.domain.case_list import CaseLine, newest_first


async def my_cases(engine: AsyncEngine, advisor_id: str) -> list[CaseLine]:
    async with engine.connect() as conn:
        mine = await ASSIGNEES.cases_of(conn, advisor_id)
        gone = await given_up.cases_given_up_by(conn, advisor_id)
        lines = await lines_of(conn, [case_id for case_id in mine if case_id not in gone])
    return newest_first([line for line in lines if line.status != "erased"])


async def refused_conflicts(engine: AsyncEngine, advisor_id: str) -> dict[str, str]:
    """case id -> reason code, for the advisor's cases whose conflict declaration routing refused."""
    async with engine.connect() as conn:
        mine = set(await ASSIGNEES.cases_of(conn, advisor_id))
        refusals = await given_up.refusals_of(conn, advisor_id)
    return {case_id: code for case_id, code in sorted(refusals.items()) if case_id in mine}


async def escalated_cases(engine: AsyncEngine) -> list[CaseLine]:
    async with engine.connect() as conn:
        lines = await lines_of(conn, await ASSIGNEES.escalated(conn))
    return newest_first([line for line in lines if line.status == "open"])
