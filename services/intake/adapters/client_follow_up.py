"""What the client's follow-up reads and writes besides the messages: the case a receipt code opens,
whether its advisor accepted it, and the client's one rating."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.intake.adapters.tables import assignments, cases, client_feedback
from shared.db import insert_ignoring_duplicates


async def case_by_receipt_hash(conn: AsyncConnection, code_hash: str) -> Any | None:
    """The case row whose receipt code hashes to `code_hash`, or None."""
    return (await conn.execute(select(cases).where(cases.c.receipt_hash == code_hash))).first()


async def accepted_at(conn: AsyncConnection, case_id: str) -> datetime | None:
    query = select(assignments.c.accepted_at).where(assignments.c.case_id == case_id)
    return (await conn.execute(query)).scalar()


async def feedback_given(conn: AsyncConnection, case_id: str) -> bool:
    query = select(client_feedback.c.case_id).where(client_feedback.c.case_id == case_id)
    return (await conn.execute(query)).first() is not None


async def record_feedback(conn: AsyncConnection, case_id: str, given_at: datetime) -> bool:
    """Record that the client rated the case; False when a rating was already recorded."""
    statement = insert_ignoring_duplicates(conn, client_feedback, ["case_id"])
    inserted = await conn.execute(statement.values(case_id=case_id, given_at=given_at))
    return bool(inserted.rowcount)
