"""Time logged, folded from intake's TimeLogged (coded: activity, minutes, ids, time)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.workbench.adapters.tables import time_logged
from shared.db import insert_ignoring_duplicates


async def record(
    conn: AsyncConnection,
    event_id: str,
    advisor_id: str,
    case_id: str | None,
    activity: str,
    minutes: int,
    logged_at: datetime,
) -> None:
    insert = insert_ignoring_duplicates(conn, time_logged, ["event_id"])
    await conn.execute(
        insert.values(
            event_id=event_id,
            advisor_id=advisor_id,
            case_id=case_id,
            activity=activity,
            minutes=minutes,
            logged_at=logged_at,
        )
    )


async def minutes_per_activity(conn: AsyncConnection, case_id: str) -> dict[str, int]:
    """The minutes logged on a case, per activity code."""
    t = time_logged
    rows = await conn.execute(
        select(t.c.activity, func.sum(t.c.minutes)).where(t.c.case_id == case_id).group_by(t.c.activity)
    )
    return {activity: int(total) for activity, total in rows}
