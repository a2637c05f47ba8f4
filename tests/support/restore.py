"""Test support for restore folds: what a service published after a point, as a restore reads it.

A handler-level fold test runs a service's handlers on a SQLite database, copies the file at some
point (the backup), goes on, and then gives the copy the events the service wrote after that point
(`published_after`) through `shared.restore_fold.apply_published`, as `caseflow restore` gives it
the events read back from the service's output topics.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from caseflow.backup import copy_sqlite  # noqa: F401  (as `caseflow backup` copies: re-exported for tests)
from shared.outbox import MessagingTables
from shared.restore_fold import PublishedEvent, published_event


async def last_position(engine: AsyncEngine, tables: MessagingTables) -> int:
    events = tables.events
    async with engine.connect() as conn:
        rows = await conn.execute(select(events.c.position).order_by(events.c.position.desc()).limit(1))
        row = rows.first()
    return int(row.position) if row is not None else 0


async def published_after(
    engine: AsyncEngine, tables: MessagingTables, position: int
) -> list[PublishedEvent]:
    """The service's events after `position` (its outbox order), dead letters left out."""
    events = tables.events
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(events.c.position, events.c.topic, events.c.body)
            .where(events.c.position > position, events.c.event_type != "DeadLetter")
            .order_by(events.c.position)
        )
        return [published_event(r.topic, r.body, offset=int(r.position)) for r in rows]
