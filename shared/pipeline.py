"""The consume pipeline every service runs: decode -> dedupe -> handle in one transaction -> publish -> ack.

Delivery semantics (ARCHITECTURE.md): a consumed batch is decoded record by record; records that
cannot be decoded become dead-letter records. The rest are handled in ONE database transaction, a
unit of work (shared/unit_of_work.py, the same one HTTP handlers, jobs and the CLI use):
each record whose id is in the inbox is skipped, the others are applied and their emitted events
appended to the outbox, and the inbox entry recorded. Dead-letter records go through the same
outbox, so nothing is published that was not committed, and nothing committed is lost. After the
commit the relay publishes, then the caller commits the Kafka offsets.

Failures: a transient failure (database or broker unreachable, timeouts) retries the whole batch
with exponential backoff, never in a tight loop and never skipping ahead. Any other exception is a
defect or a poison message: the batch is retried record by record, and a record that still fails
after `max_attempts` goes to the dead-letter topic with its error class, so the partition moves on.
While a record is applied so, alone in its transaction, `applying_alone()` is true: a handler that
isolates a failure of its own in a savepoint may leave the savepoint out of a batch and let the
failure send the batch this way (scheduling's planning does, D64).

A dead letter that cannot be written (the unit of work that stores it fails, transiently or not)
parks the batch instead: the pipeline retries that write in place with exponential backoff (up to
`park_backoff_max`) and does not return, so no offset is committed past the record and nothing
after it is handled until the dead letter is stored. Meanwhile `parked` names the partitions
(readiness says so), `caseflow_dlq_parked_partitions` is 1 for them and every failed attempt counts
in `caseflow_dlq_write_failures_total`; logs carry topic, partition, offset, reason code and error
class, never the record.

`process()` never raises for a message's sake; with MANUAL acknowledgement, a raised exception
would let the consumer move past an unprocessed batch.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import groupby
from typing import Any, Protocol

import structlog
from sqlalchemy import exc as sa_exc
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from shared.envelope import EnvelopeDecodeError, decode_envelope, derive_event_id
from shared.metrics import PipelineMetrics
from shared.outbox import EventStore, OutboxRelay, Outgoing, RawOutgoing
from shared.topics import dlq_of
from shared.unit_of_work import Decision, UnitOfWork

log = structlog.get_logger(__name__)

Clock = Callable[[], datetime]

_ALONE: ContextVar[bool] = ContextVar("caseflow_applying_alone", default=False)


def applying_alone() -> bool:
    """True while the pipeline applies one record in a transaction of its own, after its batch
    failed (the module's docstring)."""
    return _ALONE.get()


def utc_now() -> datetime:
    return datetime.now(UTC)


class PoisonMessage(Exception):
    """A record that can never be processed. `reason` is a stable code; `detail` has no personal data."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True, slots=True)
class Inbound:
    topic: str  # logical topic name (without the deployment's prefix)
    partition: int
    offset: int
    key: bytes | None
    value: bytes
    # The record's Kafka timestamp (the broker's, on topics with LogAppendTime): when it was
    # published. Advisor tokens are judged at this moment, not when the record is processed.
    published_at: datetime | None = None
    # Set by `caseflow dlq redrive` (caseflow/commands/dlq_cmd.py) in the record's headers: the
    # dead letter it re-drives ("<dlq topic>:<partition>:<offset>") and the one service meant to
    # process it again (the others that read the topic settle it unread).
    redrive_of: str | None = None
    redrive_for: str | None = None

    @property
    def position(self) -> str:
        return f"{self.topic}:{self.partition}:{self.offset}"


@dataclass(frozen=True, slots=True)
class Decoded:
    message_id: str  # what the inbox remembers: event_id, or the frontend's idempotency key
    inbound: Inbound
    body: Any  # an Envelope for event topics; what a raw decoder returns otherwise


Decoder = Callable[[Inbound], Decoded]


class Handle(Protocol):
    async def __call__(
        self, conn: AsyncConnection, message: Decoded, now: datetime
    ) -> Sequence[Outgoing]: ...


class HandleBatch(Protocol):
    """Handles several messages of one topic at once; returns one result per message, in order."""

    async def __call__(
        self, conn: AsyncConnection, messages: Sequence[Decoded], now: datetime
    ) -> list[Sequence[Outgoing]]: ...


@dataclass(frozen=True, slots=True)
class Route:
    decode: Decoder
    handle: Handle | None = None
    # A route may handle a whole batch at once, to read and write its tables in a few statements
    # instead of a few per message (intake does: it is the service that takes the full input rate).
    handle_batch: HandleBatch | None = None

    async def run(
        self, conn: AsyncConnection, messages: Sequence[Decoded], now: datetime
    ) -> list[Sequence[Outgoing]]:
        if self.handle_batch is not None:
            return await self.handle_batch(conn, messages, now)
        assert self.handle is not None, "a route needs handle or handle_batch"
        return [await self.handle(conn, m, now) for m in messages]


def envelope_decoder(inbound: Inbound) -> Decoded:
    """Decoder for topics that carry envelopes: the inbox key is the event id."""
    try:
        env = decode_envelope(inbound.value)
    except EnvelopeDecodeError as exc:
        raise PoisonMessage(exc.reason, exc.detail) from None
    return Decoded(message_id=env.event_id, inbound=inbound, body=env)


# The body of a message whose event type this service does not know (see below): handled by doing nothing.
IGNORED = "ignored"


def tolerant_envelope_decoder(inbound: Inbound) -> Decoded:
    """For topics another service owns: an event type added there after this code was written is
    not a poison message, it is skipped (decisions.md, D13). Anything else undecodable still is."""
    try:
        return envelope_decoder(inbound)
    except PoisonMessage as exc:
        if exc.reason != "unknown_event_type":
            raise
        return Decoded(f"ignored:{inbound.position}", inbound, IGNORED)


TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    sa_exc.OperationalError,
    sa_exc.InterfaceError,
    sa_exc.DisconnectionError,
    TimeoutError,
    ConnectionError,
    OSError,
)


# PostgreSQL's deadlock_detected and serialization_failure: the server gave up one of two
# transactions that met; run again, it succeeds (asyncpg's errors reach SQLAlchemy as a generic
# DBAPIError that carries the SQLSTATE).
TRANSIENT_SQLSTATES = frozenset({"40P01", "40001"})


def is_transient(exc: BaseException) -> bool:
    if isinstance(exc, sa_exc.DBAPIError):
        if exc.connection_invalidated:
            return True
        if getattr(exc.orig, "sqlstate", None) in TRANSIENT_SQLSTATES:
            return True
    return isinstance(exc, TRANSIENT_ERRORS)


Quarantine = Callable[[str, bytes], Awaitable[dict[str, Any]]]


REDRIVE_OF_HEADER = "x-caseflow-redrive-of"
REDRIVE_FOR_HEADER = "x-caseflow-redrive-for"


def record_header(record: Any, name: str) -> str | None:
    """A ConsumerRecord's header `name`, decoded (the last one if repeated); None when absent."""
    found: str | None = None
    for key, value in getattr(record, "headers", None) or ():
        if key == name and value is not None:
            found = bytes(value).decode("utf-8", errors="replace")
    return found


@dataclass(frozen=True, slots=True)
class Parked:
    """A partition held at `offset` because the dead letter of that record could not be written."""

    topic: str
    partition: int
    offset: int
    reason: str
    since: float  # monotonic
    attempts: int


def record_time(record: Any) -> datetime | None:
    """A ConsumerRecord's timestamp (epoch milliseconds; -1 or absent: none) as an aware datetime."""
    millis = getattr(record, "timestamp", None)
    if not isinstance(millis, int) or millis < 0:
        return None
    return datetime.fromtimestamp(millis / 1000, UTC)


@dataclass
class EventPipeline:
    """One service's consume pipeline over its routes (logical topic -> decoder + handler)."""

    service: str
    engine: AsyncEngine
    store: EventStore
    relay: OutboxRelay
    routes: Mapping[str, Route]
    metrics: PipelineMetrics
    topic_prefix: str = ""
    clock: Clock = utc_now
    max_attempts: int = 3
    backoff_initial: float = 0.2
    backoff_max: float = 30.0
    # Seals the original bytes of a dead-lettered record (they may hold personal data in clear).
    quarantine: Quarantine | None = None
    on_progress: Callable[[str], None] | None = None
    # Called with the events a transaction stored, after it committed (domain metrics count here,
    # so a rolled-back or retried transaction is never counted twice).
    on_committed: Callable[[list[Any]], None] | None = None
    # Called when a transaction did not commit: in-memory caches built while handling are stale.
    on_rolled_back: Callable[[], None] | None = None
    # Topics whose records a batch applies before the others' (each topic's order kept): state the
    # other topics are judged against, such as the directory intake checks submissions with.
    first_topics: tuple[str, ...] = ()
    # The longest wait between two attempts to write a dead letter that failed (the batch is parked).
    park_backoff_max: float = 30.0
    # (logical topic, partition) -> where it is held while its dead letter cannot be written.
    parked: dict[tuple[str, int], Parked] = field(default_factory=dict)
    _sleep: Callable[[float], Awaitable[None]] = field(default=asyncio.sleep)

    @property
    def _unit(self) -> UnitOfWork:
        """The unit of work a batch runs in; the relay is flushed once per batch, after the retries."""
        return UnitOfWork(
            self.engine,
            self.store,
            self.topic_prefix,
            relay=None,
            on_committed=self.on_committed,
            on_rolled_back=self.on_rolled_back,
            clock=self.clock,
        )

    def logical_topic(self, physical: str) -> str:
        if self.topic_prefix and physical.startswith(self.topic_prefix):
            return physical[len(self.topic_prefix) :]
        return physical

    def physical_topic(self, logical: str) -> str:
        return f"{self.topic_prefix}{logical}"

    async def process_records(self, records: Sequence[Any]) -> None:
        """Entry point for a batch of aiokafka ConsumerRecords."""
        inbound = [
            Inbound(
                self.logical_topic(r.topic),
                r.partition,
                r.offset,
                r.key,
                r.value if r.value is not None else b"",
                record_time(r),
                record_header(r, REDRIVE_OF_HEADER),
                record_header(r, REDRIVE_FOR_HEADER),
            )
            for r in records
        ]
        await self.process(inbound)

    async def process(self, batch: Sequence[Inbound]) -> None:
        if not batch:
            return
        started = time.perf_counter()
        decoded: list[Decoded] = []
        dead: list[tuple[Inbound, str, str]] = []
        for item in batch:
            if item.redrive_for is not None and item.redrive_for != self.service:
                # Re-driven for another service that reads this topic too: not ours to redo.
                self.metrics.messages.labels(self.service, item.topic, "redrive_for_another").inc()
                continue
            route = self.routes.get(item.topic)
            if route is None:
                dead.append((item, "no_route", "topic not handled by this service"))
                continue
            try:
                decoded.append(route.decode(item))
            except PoisonMessage as exc:
                dead.append((item, exc.reason, exc.detail))
        if self.first_topics:  # a stable sort: the order within each topic stays the log's
            decoded.sort(key=lambda m: m.inbound.topic not in self.first_topics)
        await self._with_transient_retry(batch[0].topic, lambda: self._apply(decoded, dead))
        try:
            await asyncio.wait_for(self.relay.flush(), timeout=30)
        except Exception as exc:  # noqa: BLE001  # committed rows stay in the outbox; the relay loop publishes them later
            log.warning("publish_deferred", error_type=type(exc).__name__)
        topics = {b.topic for b in batch}
        for topic in topics:
            self.metrics.batch_seconds.labels(self.service, topic).observe(time.perf_counter() - started)
            self.metrics.last_progress.labels(self.service, topic).set(time.time())
            if self.on_progress:
                self.on_progress(topic)

    async def _with_transient_retry(self, topic: str, work: Callable[[], Awaitable[None]]) -> None:
        delay = self.backoff_initial
        while True:
            try:
                await work()
                return
            except Exception as exc:
                if not is_transient(exc):
                    raise
                self.metrics.retries.labels(self.service, topic).inc()
                log.warning(
                    "transient_failure_retrying", topic=topic, error_type=type(exc).__name__, delay=delay
                )
                await self._sleep(delay)
                delay = min(delay * 2, self.backoff_max)

    async def _apply(self, decoded: list[Decoded], dead: list[tuple[Inbound, str, str]]) -> None:
        try:
            await self._apply_in_one_transaction(decoded, dead)
        except Exception as exc:
            if is_transient(exc):
                raise
            log.error("batch_failed_retrying_one_by_one", error_type=type(exc).__name__, size=len(decoded))
            await self._apply_one_by_one(decoded, dead)

    async def _apply_in_one_transaction(
        self, decoded: list[Decoded], dead: list[tuple[Inbound, str, str]]
    ) -> None:
        now = self.clock()

        async def work(conn: AsyncConnection) -> Decision[list[tuple[str, str]]]:
            records = [await self._dead_letter(*item, now=now) for item in dead]
            outcomes, outgoing, settled = await self._apply_messages(conn, decoded, now)
            return Decision(
                outcomes, [*(r for r, _ in records), *outgoing], [*(e for _, e in records), *settled]
            )

        outcomes = await self._unit.run(work, publish=False)
        self._count(outcomes, dead)

    async def _apply_messages(
        self, conn: AsyncConnection, decoded: Sequence[Decoded], now: datetime
    ) -> tuple[list[tuple[str, str]], list[Outgoing | RawOutgoing], list[tuple[str, str]]]:
        """Inbox check and handlers for messages inside `conn`'s transaction: (outcomes, the events
        to emit, the inbox entries to record)."""
        redriven = [redrive_id(m) for m in decoded if m.inbound.redrive_of is not None]
        seen = await self.store.processed_among(conn, [m.message_id for m in decoded] + redriven)
        outcomes: list[tuple[str, str]] = []
        fresh: list[Decoded] = []
        for message in decoded:
            again = redrive_id(message) if message.inbound.redrive_of is not None else None
            if message.message_id in seen or again in seen:  # processed before, or twice in this batch
                outcomes.append((message.inbound.topic, "duplicate"))
                continue
            seen.add(message.message_id)
            if again is not None:
                seen.add(again)
            fresh.append(message)
            outcomes.append((message.inbound.topic, "processed"))
        outgoing: list[Outgoing | RawOutgoing] = []
        # Consecutive messages of one topic go to their route together; order is kept.
        for topic, group in groupby(fresh, key=lambda m: m.inbound.topic):
            messages = list(group)
            for result in await self.routes[topic].run(conn, messages, now):
                outgoing.extend(result)
        settled = [(m.message_id, m.inbound.topic) for m in fresh]
        # A re-driven record is remembered by the dead letter it re-drives as well: a second
        # re-drive of it is a duplicate whatever its decoder calls its id.
        settled += [(redrive_id(m), m.inbound.topic) for m in fresh if m.inbound.redrive_of is not None]
        return outcomes, outgoing, settled

    async def _apply_one_by_one(self, decoded: list[Decoded], dead: list[tuple[Inbound, str, str]]) -> None:
        await self._dead_letter_alone(dead)
        alone = _ALONE.set(True)
        try:
            await self._apply_each(decoded)
        finally:
            _ALONE.reset(alone)

    async def _apply_each(self, decoded: list[Decoded]) -> None:
        for message in decoded:
            for attempt in range(1, self.max_attempts + 1):
                try:

                    async def work(
                        conn: AsyncConnection, message: Decoded = message
                    ) -> Decision[list[tuple[str, str]]]:
                        outcomes, outgoing, settled = await self._apply_messages(
                            conn, [message], self.clock()
                        )
                        return Decision(outcomes, outgoing, settled)

                    self._count(await self._unit.run(work, publish=False), [])
                    break
                except Exception as exc:
                    if is_transient(exc):
                        raise
                    if attempt < self.max_attempts:
                        await self._sleep(min(self.backoff_initial * 2**attempt, self.backoff_max))
                        continue
                    await self._dead_letter_alone([(message.inbound, "handler_error", type(exc).__name__)])

    async def _dead_letter_alone(self, dead: list[tuple[Inbound, str, str]]) -> None:
        """Dead-letter records in a unit of work of their own; until that works, the batch is parked.

        Whatever the failure, the write is retried here with backoff and this does not return
        before it succeeded: moving on would commit offsets past records that are neither
        processed nor dead-lettered (the module's docstring)."""
        if not dead:
            return
        delay = self.backoff_initial
        attempts = 0
        try:
            while True:
                try:
                    await self._write_dead_letters(dead)
                    break
                except Exception as exc:  # noqa: BLE001 - any failure parks; the loop is the retry
                    attempts += 1
                    self._park(dead, attempts)
                    for inbound, reason, _ in dead:
                        self.metrics.dlq_write_failures.labels(self.service, inbound.topic).inc()
                        log.error(
                            "dead_letter_write_failed_partition_parked",
                            topic=inbound.topic,
                            partition=inbound.partition,
                            offset=inbound.offset,
                            reason=reason,
                            error_type=type(exc).__name__,
                            transient=is_transient(exc),
                            attempt=attempts,
                            retry_in=round(delay, 3),
                        )
                    await self._sleep(delay)
                    delay = min(delay * 2, self.park_backoff_max)
        finally:
            self._unpark(dead)
        if attempts:
            log.warning("dead_letter_written_partition_resumed", attempts=attempts + 1, records=len(dead))
        self._count([], dead)

    async def _write_dead_letters(self, dead: list[tuple[Inbound, str, str]]) -> None:
        now = self.clock()

        async def work(conn: AsyncConnection) -> Decision[None]:
            records = [await self._dead_letter(*item, now=now) for item in dead]
            return Decision(None, [r for r, _ in records], [e for _, e in records])

        await self._unit.run(work, publish=False)

    def _park(self, dead: list[tuple[Inbound, str, str]], attempts: int) -> None:
        for inbound, reason, _ in dead:
            where = (inbound.topic, inbound.partition)
            held = self.parked.get(where)
            if held is None or inbound.offset < held.offset:
                since = held.since if held is not None else time.monotonic()
                self.parked[where] = Parked(
                    inbound.topic, inbound.partition, inbound.offset, reason, since, attempts
                )
            else:
                self.parked[where] = Parked(
                    held.topic, held.partition, held.offset, held.reason, held.since, attempts
                )
        self._set_parked_gauge({inbound.topic for inbound, _, _ in dead})

    def _unpark(self, dead: list[tuple[Inbound, str, str]]) -> None:
        for inbound, _, _ in dead:
            self.parked.pop((inbound.topic, inbound.partition), None)
        self._set_parked_gauge({inbound.topic for inbound, _, _ in dead})

    def _set_parked_gauge(self, topics: set[str]) -> None:
        for topic in topics:
            held = sum(1 for t, _ in self.parked if t == topic)
            self.metrics.dlq_parked.labels(self.service, topic).set(held)

    def _count(self, outcomes: list[tuple[str, str]], dead: list[tuple[Inbound, str, str]]) -> None:
        # One labelled increment per (topic, outcome) and batch, not per message: a child lookup
        # per message was a measurable share of a large batch's cost.
        for (topic, outcome), n in Counter(outcomes).items():
            self.metrics.messages.labels(self.service, topic, outcome).inc(n)
            if outcome == "duplicate":
                self.metrics.duplicates.labels(self.service, topic).inc(n)
        for inbound, reason, _ in dead:
            self.metrics.messages.labels(self.service, inbound.topic, "dead_lettered").inc()
            self.metrics.dlq_records.labels(self.service, inbound.topic, reason).inc()

    async def _dead_letter(
        self, inbound: Inbound, reason: str, detail: str, *, now: datetime
    ) -> tuple[RawOutgoing, tuple[str, str]]:
        """The dead-letter record of `inbound` and its inbox entry (settled: a redelivery does not
        dead-letter it twice)."""
        record_id = derive_event_id(inbound.position, "DeadLetter", f"dlq:{self.service}")
        record: dict[str, Any] = {
            "dlq_record_id": record_id,
            "service": self.service,
            "source_topic": inbound.topic,
            "partition": inbound.partition,
            "offset": inbound.offset,
            "reason": reason,
            "error": detail[:500],
            "received_at": now.isoformat(),
            "size_bytes": len(inbound.value),
            "sha256": hashlib.sha256(inbound.value).hexdigest(),
        }
        # The original key is caller input like the value (a case id, a pseudonym, a frontend's
        # choice): sealed as the value is, never in clear; the record's own Kafka key is its id.
        if inbound.key is not None:
            record["key_size_bytes"] = len(inbound.key)
        if self.quarantine is not None:
            record["original_sealed"] = await self.quarantine(record_id, inbound.value)
            if inbound.key is not None:
                record["key_sealed"] = await self.quarantine(f"{record_id}:key", inbound.key)
        log.warning(
            "dead_lettered",
            topic=inbound.topic,
            partition=inbound.partition,
            offset=inbound.offset,
            reason=reason,
        )
        raw = RawOutgoing(dlq_of(inbound.topic), record_id.encode(), json.dumps(record).encode(), record_id)
        return raw, (f"dlq:{inbound.position}", inbound.topic)


def redrive_id(message: Decoded) -> str:
    """The inbox entry of a re-driven record: the dead letter it re-drives."""
    return f"redrive:{message.inbound.redrive_of}"
