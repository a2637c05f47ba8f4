"""The cases an advisor gave up by declaring a conflict of interest (tables.given_up_cases), and
the declarations routing refused (tables.conflict_refusals).

A given-up record applies from the declaration until routing answers: a refusal (`refused`) deletes
it, so the case is the advisor's again, with the refusal's code to show; a move of the case to
anyone else (`case_moved`: CaseReassigned, an escalation, a coordinator's choice) deletes it too, so
a case routed back to the same advisor later is theirs like any other."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.workbench.adapters.tables import conflict_refusals, given_up_cases


async def record(
    conn: AsyncConnection,
    advisor_id: str,
    case_id: str,
    reason: str,
    now: datetime,
    unproven_cause: str | None = None,
) -> None:
    exists = await conn.scalar(
        select(given_up_cases.c.case_id).where(
            given_up_cases.c.advisor_id == advisor_id, given_up_cases.c.case_id == case_id
        )
    )
    await conn.execute(
        delete(conflict_refusals).where(
            conflict_refusals.c.advisor_id == advisor_id, conflict_refusals.c.case_id == case_id
        )
    )
    if exists is None:
        await conn.execute(
            insert(given_up_cases).values(
                advisor_id=advisor_id,
                case_id=case_id,
                reason=reason,
                given_up_at=now,
                unproven_cause=unproven_cause,
            )
        )


async def cases_given_up_by(conn: AsyncConnection, advisor_id: str) -> set[str]:
    rows = await conn.execute(
        select(given_up_cases.c.case_id).where(given_up_cases.c.advisor_id == advisor_id)
    )
    return {row.case_id for row in rows}


async def gave_up(conn: AsyncConnection, advisor_id: str, case_id: str) -> bool:
    return case_id in await cases_given_up_by(conn, advisor_id)


async def refused(
    conn: AsyncConnection, advisor_id: str, case_id: str, reason_code: str, now: datetime
) -> None:
    """Routing refused the advisor's DeclareConflict: the case is theirs again, with the reason."""
    mine = (given_up_cases.c.advisor_id == advisor_id, given_up_cases.c.case_id == case_id)
    if await conn.scalar(select(given_up_cases.c.case_id).where(*mine)) is None:
        return  # not (or no longer) given up: a redelivery, or the case has moved since
    await conn.execute(delete(given_up_cases).where(*mine))
    await conn.execute(
        insert(conflict_refusals).values(
            advisor_id=advisor_id, case_id=case_id, reason_code=reason_code, refused_at=now
        )
    )


async def refused_unproven(conn: AsyncConnection, cause: str, reason_code: str, now: datetime) -> None:
    """Routing refused a declaration without proving who sent it (its answer names nobody): found
    by the answer's causation id, the case is the advisor's again, with the reason."""
    row = (
        await conn.execute(
            select(given_up_cases.c.advisor_id, given_up_cases.c.case_id).where(
                given_up_cases.c.unproven_cause == cause
            )
        )
    ).first()
    if row is not None:
        await refused(conn, row.advisor_id, row.case_id, reason_code, now)


async def case_moved(conn: AsyncConnection, case_id: str, to_advisor: str | None) -> None:
    """Routing gave the case to `to_advisor` (None: nobody, escalated): what others gave up or had
    refused for it no longer applies."""
    for table in (given_up_cases, conflict_refusals):
        query = delete(table).where(table.c.case_id == case_id)
        if to_advisor is not None:
            query = query.where(table.c.advisor_id != to_advisor)
        await conn.execute(query)


async def refusals_of(conn: AsyncConnection, advisor_id: str) -> dict[str, str]:
    """case id -> the reason code of the advisor's refused conflict declaration for it."""
    rows = await conn.execute(
        select(conflict_refusals.c.case_id, conflict_refusals.c.reason_code).where(
            conflict_refusals.c.advisor_id == advisor_id
        )
    )
    return {row.case_id: row.reason_code for row in rows}
