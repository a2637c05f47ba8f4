"""Which term endings routing has already announced: one AdvisorTermEnding per (advisor, term end)."""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncConnection

from services.routing.adapters.tables import term_notices
from shared.db import insert_ignoring_duplicates


async def first_term_notice(conn: AsyncConnection, advisor_id: str, term_end: date) -> bool:
    """Record that the advisor's term ending on `term_end` is announced; False if it already was."""
    fresh = await conn.execute(
        insert_ignoring_duplicates(conn, term_notices, ["advisor_id", "term_end"]).values(
            advisor_id=advisor_id, term_end=term_end.isoformat()
        )
    )
    return bool(fresh.rowcount)
