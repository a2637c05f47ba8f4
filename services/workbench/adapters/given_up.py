"""The cases an advisor gave up by declaring a conflict of interest (tables.given_up_cases)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.workbench.adapters.tables import given_up_cases


async def record(conn: AsyncConnection, advisor_id: str, case_id: str, reason: str, now: datetime) -> None:
    exists = await conn.scalar(
        select(given_up_cases.c.case_id).where(
            given_up_cases.c.advisor_id == advisor_id, given_up_cases.c.case_id == case_id
        )
    )
    if exists is None:
        await conn.execute(
            insert(given_up_cases).values(
                advisor_id=advisor_id, case_id=case_id, reason=reason, given_up_at=now
            )
        )


async def cases_given_up_by(conn: AsyncConnection, advisor_id: str) -> set[str]:
    rows = await conn.execute(
        select(given_up_cases.c.case_id).where(given_up_cases.c.advisor_id == advisor_id)
    )
    return {row.case_id for row in rows}


async def gave_up(conn: AsyncConnection, advisor_id: str, case_id: str) -> bool:
    return case_id in await cases_given_up_by(conn, advisor_id)
