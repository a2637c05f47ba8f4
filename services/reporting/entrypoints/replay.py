"""Rebuild the reporting projection from offset 0 into a fresh database (`caseflow replay`).

The replay reads every partition of reporting's input topics (the HR feed's directory.advisors.v1
included, so the rebuilt database knows the same home organisations) from its beginning up to the end
offsets captured when it starts (events that arrive later belong to the next replay), and feeds them
through the same pipeline and handlers as the live service: the same decoder, the same inbox dedupe,
the same batched writes. Nothing is published and no consumer group offset is committed: a poison
record is recorded as dead-lettered in the replay database (the live service already published it).

Because the projection is a function of the SET of events (adapters/tables.py), the rebuilt database renders
byte-identical reports to the live one, whatever order the partitions are read in. `records` counts the
directory records read too; `events_in_projection` and the fingerprint do not (projection.py).

Reading the topics to the end is adapters/topic_log.py (the export reads them too); the fresh target
database, its bulk-load tuning and its final sync are adapters/fresh_database.py. `caseflow replay`
(caseflow/commands/replay_cmd.py) is the command line.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from services.reporting.adapters.bulk import FastEventStore
from services.reporting.adapters.fresh_database import (
    ignored_type_count,
    make_durable,
    prepare_fresh_database,
    tune_for_bulk_load,
)
from services.reporting.adapters.projection import CONSUMED_TOPICS
from services.reporting.adapters.queries import source_position
from services.reporting.adapters.tables import messaging
from services.reporting.adapters.topic_log import read_to_end
from services.reporting.entrypoints.kafka_handlers import projection_routes
from shared.gc_tuning import batch_friendly_gc
from shared.metrics import PipelineMetrics
from shared.outbox import OutboxRelay
from shared.pipeline import EventPipeline


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
    physical = [f"{topic_prefix}{topic}" for topic in topics]
    with batch_friendly_gc():
        log = read_to_end(
            kafka_bootstrap, physical, max_records=max_records, consumer_options=consumer_options
        )
        records_read = await _feed(pipeline, log, started, on_progress)
    await make_durable(engine)
    return await _result(engine, metrics, records_read, time.perf_counter() - started)


async def _feed(
    pipeline: EventPipeline,
    log: AsyncIterator[tuple[list[Any], int]],
    started: float,
    on_progress: Callable[[ReplayProgress], None] | None,
) -> int:
    """Every batch of the log through the pipeline; the number of records read."""
    records_read = 0
    async for batch, total in log:
        if batch:
            await pipeline.process_records(batch)
            records_read += len(batch)
        if on_progress is not None:
            on_progress(ReplayProgress(records_read, total, time.perf_counter() - started))
    return records_read


async def _result(
    engine: AsyncEngine, metrics: PipelineMetrics, records_read: int, seconds: float
) -> ReplayResult:
    async with engine.connect() as conn:
        position = await source_position(conn)
        ignored = await ignored_type_count(conn)
    return ReplayResult(
        records=records_read,
        events_in_projection=position.event_count,
        fingerprint=position.fingerprint,
        duplicates=_total(metrics.duplicates),
        dead_lettered=_total(metrics.dlq_records),
        ignored_types=ignored,
        seconds=seconds,
    )
