"""Folding a service's own published events back into a restored database (D55, issue 16).

A database restored from a backup is older than the log. The inputs it missed are consumed again
from the backup's group offsets, but a deciding service must not decide them again: it already
published its decisions (receipt codes, case keys, advisors, rooms), everyone else acted on them,
and a second decision for the same cause carries the same event id, so every consumer's inbox
would drop it and the restored service would disagree with the rest of the system from then on.

So before the restored service consumes, `caseflow restore` reads the service's own output topics
from the end offsets the backup recorded and hands what the restored database does not hold to
`apply_published`, in one transaction:

1. events whose id the `events` table already holds are skipped (the snapshot was taken after
   the offsets were read, so it may hold some of them);
2. the rest are appended to `events` as published (the audit trail is whole again, and each
   stream's next sequence follows the last published one);
3. the service's `RestoreFold` applies them to its state: intake its cases, messages and
   deadlines as published, routing the published assignment as the decision for its cause,
   scheduling each published booking;
4. the causes the fold names go into the inbox, so that consuming them again is a no-op.

The fold of a service that only projects what it reads (reporting) is None: consuming again
rebuilds the same state, and nothing it publishes needs to come back.

Catching up: the restore then reads what the service's group would consume again (its topics
from the backup's offsets to the ends of now) and applies it through the service's own pipeline
in the order it happened (record timestamps, each partition in its order: shared/runtime.py
`in_happened_order`), and only then sets the group after it. Consumed as a broker hands a backlog
of several topics over, an advisor's command could come before the case it is about, which the
live service never saw; in timestamp order each input finds the state it found the first time.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from shared.db import insert_ignoring_duplicates
from shared.envelope import Envelope
from shared.outbox import EventStore


@dataclass(frozen=True, slots=True)
class PublishedEvent:
    """One of the service's own events, as it was read back from its output topic."""

    topic: str  # logical topic name (no deployment prefix): intake.cases.v1
    partition: int
    offset: int
    envelope: Envelope[Any]  # decoded and upcast as consumers decode it
    body: str  # the record's value as published (the JSON envelope)


@dataclass(frozen=True, slots=True)
class Cause:
    """An input whose whole effect the folded events carry: recorded in the inbox (message id,
    the logical topic it is consumed from)."""

    message_id: str
    topic: str


class RestoreFold(Protocol):
    def __call__(
        self, conn: AsyncConnection, events: Sequence[PublishedEvent], now: datetime
    ) -> Awaitable[Sequence[Cause]]:
        """Apply `events` (missing from the restored database, in log order per partition) to the
        service's state in `conn`'s transaction; return the causes not to process again."""
        ...


@dataclass(frozen=True, slots=True)
class SkippedInputs:
    """What a service must still take from inputs its fold named as causes, which will not be
    consumed again: intake claims the token ids of the advisor commands it skips (no published
    event carries a token's jti, and an unclaimed one could be replayed within its lifetime).
    `apply` gets the envelopes of `topics` between the backup's group offsets and now whose ids
    the inbox now holds."""

    topics: tuple[str, ...]  # logical names
    apply: Callable[[AsyncConnection, Sequence[Envelope[Any]], datetime], Awaitable[None]]


@dataclass
class FoldSummary:
    read: int = 0
    already_held: int = 0
    folded: int = 0
    causes_recorded: int = 0
    skipped_inputs: int = 0
    caught_up: int = 0
    by_type: dict[str, int] = field(default_factory=dict)


async def apply_published(
    engine: AsyncEngine,
    store: EventStore,
    events: Sequence[PublishedEvent],
    fold: RestoreFold | None,
    now: datetime,
) -> FoldSummary:
    """Steps 1-4 of the module's docstring, in one transaction: a crash half-way leaves the
    restored database as it was, and running the restore's fold again gives the same result."""
    summary = FoldSummary(read=len(events))
    table = store.tables.events
    async with engine.begin() as conn:
        held: set[str] = set()
        ids = [e.envelope.event_id for e in events]
        for i in range(0, len(ids), 500):
            rows = await conn.execute(select(table.c.event_id).where(table.c.event_id.in_(ids[i : i + 500])))
            held.update(r.event_id for r in rows)
        missing = list({e.envelope.event_id: e for e in events if e.envelope.event_id not in held}.values())
        summary.already_held = len(events) - len(missing)
        if missing:
            await conn.execute(
                insert_ignoring_duplicates(conn, table, ["event_id"]),
                [_event_row(e, now) for e in missing],
            )
        causes: Sequence[Cause] = await fold(conn, missing, now) if fold is not None and missing else ()
        await store.record_processed_many(conn, [(c.message_id, c.topic) for c in causes], now)
        summary.folded = len(missing)
        summary.causes_recorded = len({c.message_id for c in causes})
        for e in missing:
            summary.by_type[e.envelope.event_type] = summary.by_type.get(e.envelope.event_type, 0) + 1
    return summary


async def apply_skipped_inputs(
    engine: AsyncEngine, store: EventStore, skipped: SkippedInputs, records: Sequence[bytes], now: datetime
) -> int:
    """Hand `skipped.apply` the records (values) that the inbox now holds; how many."""
    from shared.envelope import EnvelopeDecodeError, decode_envelope

    envelopes = []
    for value in records:
        try:
            envelopes.append(decode_envelope(value))
        except EnvelopeDecodeError:
            continue  # a poison record: not a cause of anything folded
    async with engine.begin() as conn:
        held = await store.processed_among(conn, [e.event_id for e in envelopes])
        chosen = [e for e in envelopes if e.event_id in held]
        if chosen:
            await skipped.apply(conn, chosen, now)
    return len(chosen)


def _event_row(event: PublishedEvent, now: datetime) -> dict[str, Any]:
    env = event.envelope
    return {
        "event_id": env.event_id,
        "topic": event.topic,
        "stream_id": env.stream_id,
        "sequence": env.sequence,
        "event_type": env.event_type,
        "occurred_at": env.occurred_at,
        "body": event.body,
        "published_at": now,
    }


def published_event(topic: str, body: str, partition: int = 0, offset: int = 0) -> PublishedEvent:
    """A PublishedEvent from a record's value (or an `events` row's body, in tests)."""
    from shared.envelope import decode_envelope

    return PublishedEvent(topic, partition, offset, decode_envelope(body.encode()), body)
