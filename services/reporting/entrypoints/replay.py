"""Rebuild the reporting projection from offset 0 into a fresh database (`caseflow replay`).

The replay reads every partition of reporting's input topics from its beginning up to the end
offsets captured when it starts (events that arrive later belong to the next replay), and feeds them
through the same pipeline and handlers as the live service: the same decoder, the same inbox dedupe,
the same batched writes. Nothing is published and no consumer group offset is committed: a poison
record is recorded as dead-lettered in the replay database (the live service already published it).

Because the projection is a function of the SET of events (adapters/tables.py), the rebuilt database renders
byte-identical reports to the live one, whatever order the partitions are read in.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaError
from sqlalchemy import event, func, inspect, select
from sqlalchemy.ext.asyncio import AsyncEngine

from services.reporting.adapters.bulk import FastEventStore
from services.reporting.adapters.projection import CONSUMED_TOPICS, ensure_meta_row
from services.reporting.adapters.queries import source_position
from services.reporting.adapters.tables import messaging, metadata, rp_cases
from services.reporting.entrypoints.kafka_handlers import projection_routes
from shared.broker import MAX_REQUEST_BYTES
from shared.db import create_all
from shared.metrics import PipelineMetrics
from shared.outbox import OutboxRelay
from shared.pipeline import EventPipeline


class DatabaseNotFresh(RuntimeError):
    """The target database already holds a projection: a replay builds a new one, never merges."""


@dataclass(frozen=True)
class ReplayProgress:
    records: int  # records read so far
    total: int  # records between the start and the captured end offsets
    elapsed: float

    @property
    def rate(self) -> float:
        return self.records / self.elapsed if self.elapsed > 0 else 0.0


@dataclass(frozen=True)
class ReplayResult:
    records: int
    events_in_projection: int
    fingerprint: str
    duplicates: int
    dead_lettered: int
    ignored_types: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.records / self.seconds if self.seconds > 0 else 0.0


async def _published_nowhere(_topic: str, _key: bytes, _body: bytes) -> asyncio.Future[None]:
    done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    done.set_result(None)
    return done


async def prepare_fresh_database(engine: AsyncEngine) -> None:
    """Create the schema; refuse a database that already holds a projection or an inbox."""

    def existing_tables(sync_conn: Any) -> set[str]:
        return set(inspect(sync_conn).get_table_names())

    async with engine.connect() as conn:
        tables = await conn.run_sync(existing_tables)
        for table in (rp_cases, messaging.inbox):
            if (
                table.name in tables
                and (await conn.execute(select(func.count()).select_from(table))).scalar()
            ):
                raise DatabaseNotFresh(f"table {table.name} is not empty: replay into a new database")
    await create_all(engine, metadata)
    async with engine.begin() as conn:
        await ensure_meta_row(conn)


@contextlib.contextmanager
def batch_friendly_gc() -> Iterator[None]:
    """Fewer full garbage collections while replaying.

    A replay holds a few batches of short-lived objects at a time; with the default thresholds the
    collector walks every long-lived object (modules, models, the driver) many times per batch,
    which measured as more than a third of the replay's CPU. Long-lived objects are frozen out of
    collection and the young generation may grow to a batch before it is collected.
    """
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(50_000, 20, 50)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


class Tally:
    """A stand-in for a Prometheus metric: the replay has no /metrics, and labelling a Prometheus
    child per message costs more than the fold itself at replay rates."""

    def __init__(self) -> None:
        self.totals: dict[tuple[str, ...], float] = {}

    def labels(self, *values: str) -> _TallyChild:
        return _TallyChild(self, values)

    def total(self) -> int:
        return int(sum(self.totals.values()))


class _TallyChild:
    def __init__(self, tally: Tally, key: tuple[str, ...]) -> None:
        self.tally, self.key = tally, key

    def inc(self, amount: float = 1) -> None:
        self.tally.totals[self.key] = self.tally.totals.get(self.key, 0) + amount

    def observe(self, _value: float) -> None:
        pass

    def set(self, _value: float) -> None:
        pass


def _total(metric: Any) -> int:
    return metric.total() if isinstance(metric, Tally) else 0


def replay_metrics() -> PipelineMetrics:
    tallies: dict[str, Any] = {name: Tally() for name in PipelineMetrics.__dataclass_fields__}
    return PipelineMetrics(**tallies)


def replay_pipeline(
    engine: AsyncEngine, topic_prefix: str, metrics: PipelineMetrics | None = None
) -> EventPipeline:
    """The live service's pipeline and routes, with a relay that publishes nothing."""
    return EventPipeline(
        service="reporting",
        engine=engine,
        store=FastEventStore(messaging),
        relay=OutboxRelay(engine, messaging, _published_nowhere),
        routes=projection_routes(),
        metrics=metrics or replay_metrics(),
        topic_prefix=topic_prefix,
    )


def tune_for_bulk_load(engine: AsyncEngine, cache_mib: int = 64) -> None:
    """SQLite settings for a rebuild into a fresh file: a larger page cache (the inbox and projection
    indexes take random inserts, which thrash the default 2 MiB cache) and no fsync per commit (a
    rebuild cut short by a power loss is simply run again into a new file). `make_durable` syncs
    everything once at the end."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine.sync_engine, "connect")
    def _bulk_load(dbapi_conn: Any, _record: Any) -> None:
        cursor = dbapi_conn.cursor()
        cursor.execute(f"PRAGMA cache_size=-{cache_mib * 1024}")
        cursor.execute("PRAGMA synchronous=OFF")
        cursor.close()


async def make_durable(engine: AsyncEngine) -> None:
    """After a bulk load: copy the write-ahead log into the database file and sync it."""
    if engine.dialect.name != "sqlite":
        return
    async with engine.connect() as conn:
        await conn.exec_driver_sql("PRAGMA synchronous=FULL")
        await conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


async def _cluster_metadata(consumer: AIOKafkaConsumer, attempts: int = 6) -> Any:
    """All topics' partitions (the consumer's own cache knows none yet); a busy broker may fail once."""
    for attempt in range(attempts):
        try:
            return await consumer._client.fetch_all_metadata()
        except KafkaError:
            if attempt == attempts - 1:
                raise
            await asyncio.sleep(0.5 * 2**attempt)
    raise AssertionError("unreachable")


async def read_to_end(
    kafka_bootstrap: str,
    physical_topics: Sequence[str],
    *,
    max_records: int = 5000,
    consumer_options: dict[str, Any] | None = None,
) -> AsyncIterator[tuple[list[Any], int]]:
    """Batches of records of every partition of `physical_topics`, from the beginning to the end
    offsets captured at the start, with the total number of records in that range. No consumer
    group: nothing is committed, and running twice reads the same records."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=kafka_bootstrap,
        group_id=None,
        enable_auto_commit=False,
        max_partition_fetch_bytes=MAX_REQUEST_BYTES,
        fetch_max_bytes=4 * MAX_REQUEST_BYTES,
        **(consumer_options or {}),
    )
    await consumer.start()
    try:
        cluster = await _cluster_metadata(consumer)
        partitions = [
            TopicPartition(topic, p)
            for topic in physical_topics
            for p in sorted(cluster.partitions_for_topic(topic) or ())
        ]
        if not partitions:
            return
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        beginnings = await consumer.beginning_offsets(partitions)
        ends = await consumer.end_offsets(partitions)
        remaining = {tp for tp in partitions if ends[tp] > beginnings[tp]}
        total = sum(ends[tp] - beginnings[tp] for tp in partitions)
        while remaining:
            # getmany hands over what the prefetch buffer holds (often one partition's worth): gather
            # up to `max_records`, so each transaction carries a full batch.
            by_partition: dict[Any, list[Any]] = {}
            gathered = 0
            while remaining and gathered < max_records:
                fetched = await consumer.getmany(
                    *remaining, timeout_ms=50 if gathered else 500, max_records=max_records - gathered
                )
                for tp, records in fetched.items():
                    wanted = [r for r in records if r.offset < ends[tp]]
                    by_partition.setdefault(tp, []).extend(wanted)
                    gathered += len(wanted)
                for tp in list(
                    remaining
                ):  # compaction and transaction markers may leave gaps: ask the position
                    if await consumer.position(tp) >= ends[tp]:
                        remaining.discard(tp)
                if not fetched:
                    break
            batch = [
                r
                for tp in sorted(by_partition, key=lambda t: (t.topic, t.partition))
                for r in by_partition[tp]
            ]
            yield batch, total
    finally:
        await consumer.stop()


async def replay(
    engine: AsyncEngine,
    kafka_bootstrap: str,
    topic_prefix: str = "",
    *,
    topics: Sequence[str] = CONSUMED_TOPICS,
    max_records: int = 5000,
    on_progress: Callable[[ReplayProgress], None] | None = None,
    consumer_options: dict[str, Any] | None = None,
) -> ReplayResult:
    """Read `topics` from offset 0 to the end offsets of now into `engine` (which must be fresh)."""
    tune_for_bulk_load(engine)
    await prepare_fresh_database(engine)
    metrics = replay_metrics()
    pipeline = replay_pipeline(engine, topic_prefix, metrics)
    started = time.perf_counter()
    records_read = 0
    physical = [f"{topic_prefix}{topic}" for topic in topics]
    with batch_friendly_gc():
        async for batch, total in read_to_end(
            kafka_bootstrap, physical, max_records=max_records, consumer_options=consumer_options
        ):
            if batch:
                await pipeline.process_records(batch)
                records_read += len(batch)
            if on_progress is not None:
                on_progress(ReplayProgress(records_read, total, time.perf_counter() - started))
    await make_durable(engine)
    seconds = time.perf_counter() - started
    async with engine.connect() as conn:
        position = await source_position(conn)
        ignored = (
            await conn.execute(
                select(func.count())
                .select_from(messaging.inbox)
                .where(messaging.inbox.c.message_id.like("ignored:%"))
            )
        ).scalar()
    return ReplayResult(
        records=records_read,
        events_in_projection=position.event_count,
        fingerprint=position.fingerprint,
        duplicates=_total(metrics.duplicates),
        dead_lettered=_total(metrics.dlq_records),
        ignored_types=int(ignored or 0),
        seconds=seconds,
    )
