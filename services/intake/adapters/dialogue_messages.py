"""The dialogue's messages: stored sealed under the case key, read back opened (deleted on erasure)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.intake.adapters.tables import messages
from shared.crypto import CaseCipher, Sealed


@dataclass(frozen=True, slots=True)
class ThreadMessage:
    message_id: str
    author: str  # client | advisor
    advisor_id: str | None
    posted_at: datetime
    counts_as_feedback: bool
    text: str


async def add_message(
    conn: AsyncConnection,
    case_id: str,
    sealed: Sealed,
    *,
    message_id: str,
    author: str,
    advisor_id: str | None,
    posted_at: datetime,
    counts_as_feedback: bool = False,
) -> None:
    await conn.execute(
        messages.insert().values(
            message_id=message_id,
            case_id=case_id,
            author=author,
            advisor_id=advisor_id,
            posted_at=posted_at,
            content_sealed=sealed.model_dump_json(),
            counts_as_feedback=counts_as_feedback,
        )
    )


async def message_exists(conn: AsyncConnection, case_id: str, message_id: str) -> bool:
    query = select(messages.c.message_id).where(
        (messages.c.message_id == message_id) & (messages.c.case_id == case_id)
    )
    return (await conn.execute(query)).first() is not None


async def read_thread(conn: AsyncConnection, key: bytes, case_id: str) -> list[ThreadMessage]:
    """The case's messages in the order they were posted, opened with the case key."""
    rows = await conn.execute(
        select(messages).where(messages.c.case_id == case_id).order_by(messages.c.posted_at)
    )
    return [
        ThreadMessage(
            r.message_id,
            r.author,
            r.advisor_id,
            r.posted_at,
            r.counts_as_feedback,
            CaseCipher.open_with_key(key, case_id, "dialogue", Sealed.model_validate_json(r.content_sealed))[
                "text"
            ],
        )
        for r in rows
    ]
