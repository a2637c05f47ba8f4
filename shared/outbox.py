"""Inbox, events (outbox + audit trail at once) and the relay that publishes them.

Per consumed message a service does, in ONE database transaction: skip if the message id is in
its inbox, apply the change to its state, append the events it emits to its `events` table, and
record the inbox entry. Publishing happens after the commit, by the relay, in `position` order;
rows a crash left unpublished are published on the next flush. A re-published event carries the
same deterministic `event_id`, so consumers recognise it as a duplicate.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import structlog
from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    func,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from shared.db import insert_ignoring_duplicates, is_postgres
from shared.envelope import Envelope, EventPayload
from shared.periodic import every

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class MessagingTables:
    inbox: Table
    events: Table


class EventIdCollision(RuntimeError):
    """Two different events of one unit of work carry one id: the outbox would keep only the first.

    This is a programming error (an id derived without the stream or position that tells the
    events apart), never bad input: the unit of work is rolled back and fails loudly rather than
    losing an event silently.
    """


def refuse_colliding_ids(rows: Sequence[dict[str, Any]]) -> None:
    """Raise EventIdCollision when two rows share an event id but are different events.

    Identical rows are allowed (the same event emitted twice is deduplicated as before); the
    sequence is left out of the comparison because it is given at append time.
    """
    first: dict[str, dict[str, Any]] = {}
    for row in rows:
        earlier = first.setdefault(row["event_id"], row)
        if earlier is row:
            continue
        if _identity(earlier) != _identity(row):
            raise EventIdCollision(
                f"event id {row['event_id']} given to two different {row['event_type']} events "
                f"(streams {earlier['stream_id']} and {row['stream_id']}): derive ids from the "
                "stream and position"
            )


def _identity(row: dict[str, Any]) -> tuple[Any, ...]:
    return (row["topic"], row["stream_id"], row["event_type"], _body_without_sequence(row["body"]))


def _body_without_sequence(body: str) -> str:
    try:
        doc = json.loads(body)
    except ValueError:
        return body
    if isinstance(doc, dict):
        doc.pop("sequence", None)
    return json.dumps(doc, sort_keys=True)


def define_messaging_tables(metadata: MetaData) -> MessagingTables:
    inbox = Table(
        "inbox",
        metadata,
        Column("message_id", String(200), primary_key=True),
        Column("topic", String(200), nullable=False),
        Column("processed_at", DateTime(timezone=True), nullable=False),
    )
    events = Table(
        "events",
        metadata,
        Column(
            "position", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
        ),
        Column("event_id", String(64), nullable=False, unique=True),
        Column("topic", String(200), nullable=False),
        Column("stream_id", String(200), nullable=False),
        Column("sequence", Integer, nullable=False),
        Column("event_type", String(100), nullable=False),
        Column("occurred_at", DateTime(timezone=True), nullable=False),
        Column("body", Text, nullable=False),
        Column("published_at", DateTime(timezone=True), nullable=True),
        Index("ix_events_stream", "stream_id", "sequence"),
        Index("ix_events_unpublished", "published_at", "position"),
    )
    return MessagingTables(inbox=inbox, events=events)


@dataclass(frozen=True, slots=True)
class Outgoing:
    """An event to emit, with the topic it goes to."""

    topic: str
    envelope: Envelope[Any]

    @property
    def key(self) -> bytes:
        return self.envelope.stream_id.encode()


@dataclass(frozen=True, slots=True)
class RawOutgoing:
    """A non-envelope record to emit through the outbox (dead-letter records)."""

    topic: str
    key: bytes
    body: bytes
    record_id: str


class EventStore:
    """The service's inbox and events tables, used inside the caller's transaction."""

    def __init__(self, tables: MessagingTables) -> None:
        self.tables = tables

    async def already_processed(self, conn: AsyncConnection, message_id: str) -> bool:
        return bool(await self.processed_among(conn, [message_id]))

    async def processed_among(self, conn: AsyncConnection, message_ids: Sequence[str]) -> set[str]:
        """Which of these message ids the inbox already holds (one query per 500 ids)."""
        inbox = self.tables.inbox
        found: set[str] = set()
        ids = list(dict.fromkeys(message_ids))
        for i in range(0, len(ids), 500):
            rows = await conn.execute(
                select(inbox.c.message_id).where(inbox.c.message_id.in_(ids[i : i + 500]))
            )
            found.update(r.message_id for r in rows)
        return found

    async def record_processed(
        self, conn: AsyncConnection, message_id: str, topic: str, now: datetime
    ) -> None:
        await self.record_processed_many(conn, [(message_id, topic)], now)

    async def record_processed_many(
        self, conn: AsyncConnection, entries: Sequence[tuple[str, str]], now: datetime
    ) -> None:
        if entries:
            stmt = insert_ignoring_duplicates(conn, self.tables.inbox, ["message_id"])
            await conn.execute(stmt, [{"message_id": m, "topic": t, "processed_at": now} for m, t in entries])

    async def next_sequences(self, conn: AsyncConnection, stream_ids: Sequence[str]) -> dict[str, int]:
        """The next sequence number of each stream (1 for a new stream), in one query per 500 streams."""
        events = self.tables.events
        result = {sid: 1 for sid in stream_ids}
        ids = list(result)
        for i in range(0, len(ids), 500):
            rows = await conn.execute(
                select(events.c.stream_id, func.max(events.c.sequence).label("last"))
                .where(events.c.stream_id.in_(ids[i : i + 500]))
                .group_by(events.c.stream_id)
            )
            for r in rows:
                result[r.stream_id] = int(r.last) + 1
        return result

    async def append(
        self, conn: AsyncConnection, outgoing: Sequence[Outgoing | RawOutgoing]
    ) -> list[Envelope[Any]]:
        """Append emitted events, giving each its sequence within its stream. Returns the envelopes.

        One query for the streams' sequences and one multi-row insert, whatever the batch size:
        per-row round trips dominate the cost of a consumed batch otherwise.
        """
        stored: list[Envelope[Any]] = []
        rows: list[dict[str, Any]] = []
        envelopes = [o for o in outgoing if isinstance(o, Outgoing)]
        next_seq = (
            await self.next_sequences(conn, [o.envelope.stream_id for o in envelopes]) if envelopes else {}
        )
        for item in outgoing:
            if isinstance(item, RawOutgoing):
                rows.append(
                    {
                        "event_id": item.record_id,
                        "topic": item.topic,
                        "stream_id": item.key.decode(),
                        "sequence": 0,
                        "event_type": "DeadLetter",
                        "occurred_at": datetime.now(UTC),
                        "body": item.body.decode(),
                    }
                )
                continue
            env = item.envelope.model_copy(update={"sequence": next_seq[item.envelope.stream_id]})
            next_seq[env.stream_id] += 1
            rows.append(
                {
                    "event_id": env.event_id,
                    "topic": item.topic,
                    "stream_id": env.stream_id,
                    "sequence": env.sequence,
                    "event_type": env.event_type,
                    "occurred_at": env.occurred_at,
                    "body": env.model_dump_json(),
                }
            )
            stored.append(env)
        refuse_colliding_ids(rows)
        if rows:
            await conn.execute(insert_ignoring_duplicates(conn, self.tables.events, ["event_id"]), rows)
        return stored

    async def stream(self, conn: AsyncConnection, stream_id: str) -> list[dict[str, Any]]:
        """The audit trail of one stream, in order (decoded JSON envelopes)."""
        events = self.tables.events
        rows = await conn.execute(
            select(events.c.body).where(events.c.stream_id == stream_id).order_by(events.c.position)
        )
        return [json.loads(r.body) for r in rows]


Publish = Callable[[str, bytes, bytes], Awaitable["asyncio.Future[Any]"]]


class OutboxRelay:
    """Publishes unpublished outbox rows in position order, then marks them published.

    `publish(topic, key, body)` must return a future that resolves once the broker acknowledged
    (acks=all). A failed send leaves the row unpublished; the next flush tries again.

    `flush_soon()` is how a commit asks for publication without depending on the broker: it starts
    (or joins) a flush in a task of its own, which the caller may wait for as long as it likes and
    never cancels, so an answer to a person is never held up by a paused broker. Requests that
    arrive while a flush waits for its turn share it: at most one flush runs and one waits.
    `last_progress` (monotonic seconds) is when the relay last published a batch or found nothing
    left to publish; readiness reads it (shared/readiness.py): a relay that keeps publishing under
    load is making progress, one stuck on a send is not.
    """

    def __init__(
        self,
        engine: AsyncEngine,
        tables: MessagingTables,
        publish: Publish,
        *,
        batch_size: int = 500,
        send_timeout: float = 30.0,
        on_published: Callable[[int], None] | None = None,
        on_failure: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self._engine = engine
        self._events = tables.events
        self._publish = publish
        self._batch_size = batch_size
        self._send_timeout = send_timeout
        self._lock = asyncio.Lock()
        self._on_published = on_published
        self._on_failure = on_failure  # e.g. recreate the producer
        self._waiting: asyncio.Task[int] | None = None
        self._tasks: set[asyncio.Task[int]] = set()
        self.last_progress: float | None = None

    async def backlog(self) -> int:
        async with self._engine.connect() as conn:
            count = (
                await conn.execute(
                    select(func.count())
                    .select_from(self._events)
                    .where(self._events.c.published_at.is_(None))
                )
            ).scalar()
        return int(count or 0)

    async def unpublished_among(self, event_ids: Sequence[str]) -> set[str]:
        """Which of these event ids are still waiting in the outbox."""
        ev = self._events
        async with self._engine.connect() as conn:
            rows = await conn.execute(
                select(ev.c.event_id).where(ev.c.event_id.in_(list(event_ids)), ev.c.published_at.is_(None))
            )
            return {r.event_id for r in rows}

    async def flush(self) -> int:
        """Publish everything unpublished; returns how many rows were published."""
        async with self._lock:
            return await self._flush_locked()

    async def _flush_locked(self) -> int:
        total = 0
        while True:
            published = await self._flush_one_batch()
            total += published
            self.last_progress = time.monotonic()
            if published < self._batch_size:
                return total

    def flush_soon(self) -> asyncio.Task[int]:
        """A flush that covers every row committed before this call, in a task of its own."""
        if self._waiting is None or self._waiting.done():
            task = asyncio.create_task(self._queued_flush())
            self._waiting = task
            self._tasks.add(task)
            task.add_done_callback(self._finished)
        return self._waiting

    async def _queued_flush(self) -> int:
        async with self._lock:
            self._waiting = None  # rows committed from now on need the next flush
            return await self._flush_locked()

    async def stop(self) -> None:
        """Cancel the flushes still asked for (at shutdown): their rows stay for the next start."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def _finished(self, task: asyncio.Task[int]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.warning("publish_deferred", error_type=type(task.exception()).__name__)

    async def _flush_one_batch(self) -> int:
        ev = self._events
        async with self._engine.begin() as conn:
            query = (
                select(ev.c.position, ev.c.topic, ev.c.stream_id, ev.c.body)
                .where(ev.c.published_at.is_(None))
                .order_by(ev.c.position)
                .limit(self._batch_size)
            )
            if is_postgres(conn):
                # Several instances of a service may relay at once: each takes rows nobody holds.
                query = query.with_for_update(skip_locked=True)
            rows = (await conn.execute(query)).all()
            if not rows:
                return 0
            futures = [await self._publish(r.topic, r.stream_id.encode(), r.body.encode()) for r in rows]
            await asyncio.wait_for(asyncio.gather(*futures), timeout=self._send_timeout)
            await conn.execute(
                update(ev)
                .where(ev.c.position.in_([r.position for r in rows]))
                .values(published_at=datetime.now(UTC))
            )
        if self._on_published:
            self._on_published(len(rows))
        return len(rows)

    async def run(self, interval: float = 1.0, stop: asyncio.Event | None = None) -> None:
        """Background loop: flush; broker or database down: back off (never a tight loop)."""

        async def recover(_exc: Exception) -> None:
            if self._on_failure is not None:
                await self._on_failure()

        flush = every(interval, self.flush, name="outbox_relay", cap=30.0, on_failure=recover)
        await flush(stop or asyncio.Event())


def payload_of(env: Envelope[Any]) -> EventPayload:
    payload: EventPayload = env.payload
    return payload
