"""Reporting's consumers: one batch handler for its three statistics topics, feeding the projection,
and one for the HR feed's directory.advisors.v1 (advisors' home organisations, not counted).

Event types reporting does not know are other services' business (a topic's owner may add types at
any time): they are skipped and remembered in the inbox, never dead-lettered. Undecodable bytes and
invalid events are poison and go to the dead-letter topic like everywhere else (decoding.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from services.reporting.adapters.projection import (
    DIRECTORY_TOPICS,
    STATISTICS_TOPICS,
    ProjectionBatch,
    write_batch,
)
from services.reporting.entrypoints.decoding import SlimDecoder
from shared.outbox import Outgoing
from shared.pipeline import Decoded, Route


def fold_messages(messages: Sequence[Decoded]) -> ProjectionBatch:
    batch = ProjectionBatch()
    for message in messages:
        env = message.body
        if not isinstance(env, str):  # "ignored": an event type reporting does not know
            batch.add(env.event_id, env.event_type, env.payload)
    return batch


def fold_directory(messages: Sequence[Decoded]) -> ProjectionBatch:
    batch = ProjectionBatch()
    for message in messages:
        env = message.body
        if not isinstance(env, str):
            batch.add_directory_record(env.event_type, env.payload)
    return batch


async def handle_directory_batch(
    conn: AsyncConnection, messages: Sequence[Decoded], now: datetime
) -> list[Sequence[Outgoing]]:
    """Advisors' home organisations from the directory copy; no event count, nothing emitted."""
    await write_batch(conn, fold_directory(messages))
    return [() for _ in messages]


async def handle_batch(
    conn: AsyncConnection, messages: Sequence[Decoded], now: datetime
) -> list[Sequence[Outgoing]]:
    """Fold the batch in memory, store it in a few statements; reporting emits nothing."""
    await write_batch(conn, fold_messages(messages))
    return [() for _ in messages]


def projection_routes(decoder: SlimDecoder | None = None) -> dict[str, Route]:
    decode = (decoder or SlimDecoder()).decode
    routes = {topic: Route(decode=decode, handle_batch=handle_batch) for topic in STATISTICS_TOPICS}
    routes.update({t: Route(decode=decode, handle_batch=handle_directory_batch) for t in DIRECTORY_TOPICS})
    return routes
