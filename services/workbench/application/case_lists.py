"""What a signed-in person may list: an advisor their own cases, a coordinator the escalated ones.

Both lists are coded facts only (domain/case_list.py). Management lists no cases: its page points
to the protected statistics, which reporting serves.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from services.workbench.adapters import case_summaries, given_up, meeting_store
from services.workbench.adapters.case_summaries import ASSIGNEES, lines_of
from services.workbench.domain.case_list import CaseLine, newest_first


async def my_cases(engine: AsyncEngine, advisor_id: str, now: datetime | None = None) -> list[CaseLine]:
    """The advisor's cases; given `now`, each open one with the start of its next meeting."""
    async with engine.connect() as conn:
        mine = await ASSIGNEES.cases_of(conn, advisor_id)
        gone = await given_up.cases_given_up_by(conn, advisor_id)
        lines = await lines_of(conn, [case_id for case_id in mine if case_id not in gone])
        open_ids = [line.case_id for line in lines if line.status == "open"]
        upcoming = await meeting_store.next_of(conn, open_ids, now) if now is not None and open_ids else {}
    lines = [replace(line, next_meeting=upcoming.get(line.case_id)) for line in lines]
    return newest_first([line for line in lines if line.status != "erased"])


async def refused_conflicts(engine: AsyncEngine, advisor_id: str) -> dict[str, str]:
    """case id -> reason code, for the advisor's cases whose conflict declaration routing refused."""
    async with engine.connect() as conn:
        mine = set(await ASSIGNEES.cases_of(conn, advisor_id))
        refusals = await given_up.refusals_of(conn, advisor_id)
    return {case_id: code for case_id, code in sorted(refusals.items()) if case_id in mine}


async def escalated_cases(engine: AsyncEngine, organisation_ids: list[str]) -> list[CaseLine]:
    """The open escalated cases of these organisations (a coordinator's); a case whose
    organisation is not known here is not listed."""
    async with engine.connect() as conn:
        waiting = await ASSIGNEES.escalated(conn)
        organisations = await case_summaries.organisations_of_cases(conn, waiting)
        theirs = [c for c in waiting if organisations.get(c) in organisation_ids]
        lines = await lines_of(conn, theirs)
    return newest_first([line for line in lines if line.status == "open"])
