"""The runtime every service process shares: one composition root per service feeds it.

A service declares what it consumes and its tables, and builds its routes (logical topic ->
decoder + handler) once its resources exist. The runtime owns the rest: broker with safe
defaults, the database, the key store (for key holders), the consume pipeline, the outbox relay
loop, the consumer watchdog, and the HTTP surface (/metrics, /health, /ready plus the service's
own routes) as a Starlette app run by uvicorn. Nothing connects at import or construction time.
/health is liveness (shared/health.py: a stuck consumer), /ready readiness (shared/readiness.py:
broker, databases, outbox); a broker outage makes an instance unready, never unhealthy.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import structlog
from faststream.kafka import KafkaBroker
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute
from starlette.routing import Route as HttpRoute

from shared import migrations
from shared.broker import RelayProducer, attach_pipeline, make_broker
from shared.crypto import CaseCipher, KeyStore, master_keys_from_settings
from shared.db import make_engine, ping
from shared.health import ConsumerWatchdog
from shared.http_limits import BodyLimitMiddleware, BodyLimits
from shared.metrics import PipelineMetrics
from shared.migrations import Schema, SchemaOutOfDate
from shared.openapi import ServiceApi, openapi_document, openapi_route
from shared.outbox import EventStore, MessagingTables, OutboxRelay
from shared.periodic import every
from shared.pipeline import Clock, EventPipeline, Route, utc_now
from shared.readiness import Check, Readiness, ReadinessMonitor, judge
from shared.restore_fold import (
    FoldSummary,
    PublishedEvent,
    RestoreFold,
    SkippedInputs,
    apply_published,
    apply_skipped_inputs,
)
from shared.settings import KeyHolderSettings, ServiceSettings

log = structlog.get_logger(__name__)


class HeldRelay(OutboxRelay):
    """The relay of a restore's catching up: it publishes nothing (the service's own relay does,
    once it starts), so a restore never depends on the broker accepting writes."""

    @staticmethod
    async def refuse(_topic: str, _key: bytes, _body: bytes) -> asyncio.Future[Any]:
        raise RuntimeError("a restore publishes nothing")

    async def flush(self) -> int:
        return 0


def in_happened_order(records: Sequence[Any], run: int = 500) -> list[list[Any]]:
    """Records of several topics and partitions in the order they happened, as consumed batches.

    After a restore the inputs a service missed come back from several topics at once; consumed
    as the broker hands them over, an advisor's command could come before the case it is about,
    which the live service could never see (the advisor acted on what the service had already
    done). Merged by record timestamp, each partition in its own order (heapq.merge keeps it even
    where timestamps step back), they come in the order they were published; a batch holds one
    topic only, so the pipeline's first_topics cannot reorder them. Decisions that depend on
    nothing causal (a load count) are taken over from the published ones, not from this order."""
    by_partition: dict[tuple[str, int], list[Any]] = {}
    for r in records:
        by_partition.setdefault((r.topic, r.partition), []).append(r)
    merged = heapq.merge(*by_partition.values(), key=lambda r: (r.timestamp, r.topic, r.partition))
    batches: list[list[Any]] = []
    for r in merged:
        if batches and batches[-1][0].topic == r.topic and len(batches[-1]) < run:
            batches[-1].append(r)
        else:
            batches.append([r])
    return batches


@dataclass
class ServiceContext:
    """What a service's builder gets once resources exist."""

    service: str
    settings: ServiceSettings
    engine: AsyncEngine
    store: EventStore
    registry: CollectorRegistry
    clock: Clock
    keystore: KeyStore | None = None
    cipher: CaseCipher | None = None
    relay: OutboxRelay | None = None
    pipeline: EventPipeline | None = None
    on_committed: Callable[[list[Any]], None] | None = None

    def topic(self, logical: str) -> str:
        return f"{self.settings.topic_prefix}{logical}"


@dataclass
class ServiceParts:
    routes: dict[str, Route]
    http_routes: list[BaseRoute] = field(default_factory=list)
    background: list[Callable[[asyncio.Event], Coroutine[Any, Any, None]]] = field(default_factory=list)
    # Sees every event the service stored, after commit: where domain metrics are counted.
    on_committed: Callable[[list[Any]], None] | None = None
    on_rolled_back: Callable[[], None] | None = None
    # Applied first within a consumed batch (EventPipeline.first_topics).
    first_topics: tuple[str, ...] = ()
    # How `caseflow restore` gives a restored database the service's own published events back
    # (shared/restore_fold.py); None: a projection, which consuming again rebuilds.
    restore_fold: RestoreFold | None = None
    restore_skipped: SkippedInputs | None = None  # what the fold's skipped inputs still give


Builder = Callable[[ServiceContext], Awaitable[ServiceParts]]
HttpRoutesBuilder = Callable[[Callable[[], ServiceContext]], list[BaseRoute]]


def ensure_sqlite_dir(url: str) -> None:
    if url.startswith("sqlite") and ":///" in url:
        path = url.split(":///", 1)[1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)


class ServiceRuntime:
    def __init__(
        self,
        *,
        service: str,
        settings: ServiceSettings,
        schema: Schema,
        tables: MessagingTables,
        consumes: Sequence[str],
        build: Builder,
        http_routes: HttpRoutesBuilder | None = None,
        clock: Clock = utc_now,
        registry: CollectorRegistry | None = None,
        openapi: ServiceApi | None = None,
    ) -> None:
        self.service = service
        self.settings = settings
        self.schema = schema
        self.metadata = schema.metadata
        self.tables = tables
        self.registry = registry or CollectorRegistry()
        self.metrics = PipelineMetrics.create(self.registry, service)
        self.clock = clock
        self._build = build
        self._http_routes = http_routes
        # What the service's routes mean (shared/openapi.py); None: only the runtime's own routes.
        self.openapi = openapi or ServiceApi(service, f"caseflow {service}", "", ())
        self.broker: KafkaBroker = make_broker(settings, service=service, registry=self.registry)
        self._ctx: ServiceContext | None = None
        self.consumes = list(consumes)  # logical topic names
        # A topic prefix is a separate deployment on a shared broker: its own consumer groups too.
        self.group_id = settings.consumer_group or f"{settings.topic_prefix}caseflow-{service}"
        self.subscriber = attach_pipeline(
            self.broker,
            self._pipeline,
            topics=[f"{settings.topic_prefix}{t}" for t in consumes],
            group_id=self.group_id,
            max_records=settings.max_batch,
            batch_wait_ms=settings.batch_wait_ms,
            title=f"{service}:consume",
        )
        self.producer = RelayProducer(settings, client_id=f"caseflow-{service}-relay")
        self.watchdog = ConsumerWatchdog(
            service,
            [self.subscriber],
            self.metrics,
            stuck_after=settings.stuck_after_seconds,
            broker_reachable=lambda: self.monitor.answered_within("broker", settings.broker_grace_seconds),
        )
        self.monitor = ReadinessMonitor({})
        self.ready = False  # started and not stopping; readiness() says whether it can work

    def _pipeline(self) -> EventPipeline:
        assert self._ctx is not None and self._ctx.pipeline is not None, "service not started"
        return self._ctx.pipeline

    @property
    def context(self) -> ServiceContext:
        assert self._ctx is not None, "service not started"
        return self._ctx

    async def _open(self) -> ServiceContext:
        """The database (its schema checked) and, for a key holder, the key store."""
        s = self.settings
        ensure_sqlite_dir(s.database_url)
        engine = make_engine(s.database_url)
        await migrations.prepare(engine, self.schema)  # refuses an out-of-date schema
        ctx = ServiceContext(self.service, s, engine, EventStore(self.tables), self.registry, self.clock)
        if isinstance(s, KeyHolderSettings):
            ensure_sqlite_dir(s.keystore_url)
            ctx.keystore = KeyStore(
                make_engine(s.keystore_url),
                master_keys_from_settings(
                    s.master_key.get_secret_value(), s.previous_master_keys.get_secret_value()
                ),
                cache_seconds=s.key_cache_seconds,
            )
            await ctx.keystore.create_schema()
            ctx.cipher = CaseCipher(ctx.keystore)
        return ctx

    async def restore_offline(
        self, events: Sequence[PublishedEvent], missed: Sequence[Any], now: datetime
    ) -> FoldSummary:
        """`caseflow restore`, the service stopped, its database just put back: fold its own
        published `events` back (shared/restore_fold.py), then apply the consumed records it
        `missed` (aiokafka ConsumerRecords after the backup's group offsets) in the order they
        happened, through its own pipeline. Nothing is published here: what the catching up
        emits anew stays in the outbox, and the relay publishes it when the service starts."""
        ctx = await self._open()
        ctx.relay = HeldRelay(ctx.engine, self.tables, HeldRelay.refuse)
        self._ctx = ctx
        try:
            parts = await self._build(ctx)
            summary = await apply_published(ctx.engine, ctx.store, events, parts.restore_fold, now)
            prefix = self.settings.topic_prefix
            if parts.restore_skipped is not None:
                wanted = {prefix + t for t in parts.restore_skipped.topics}
                summary.skipped_inputs = await apply_skipped_inputs(
                    ctx.engine,
                    ctx.store,
                    parts.restore_skipped,
                    [r.value for r in missed if r.topic in wanted],
                    now,
                )
            pipeline = self._pipeline_of(ctx, parts)
            for run in in_happened_order(missed):
                await pipeline.process_records(run)
            summary.caught_up = len(missed)
            return summary
        finally:
            self._ctx = None
            await self._close(ctx)

    def _pipeline_of(
        self, ctx: ServiceContext, parts: ServiceParts, on_progress: Callable[[str], None] | None = None
    ) -> EventPipeline:
        """The consume pipeline over the service's routes (the process's, or a restore's)."""
        assert ctx.relay is not None
        return EventPipeline(
            service=self.service,
            engine=ctx.engine,
            store=ctx.store,
            relay=ctx.relay,
            routes=parts.routes,
            metrics=self.metrics,
            topic_prefix=self.settings.topic_prefix,
            clock=self.clock,
            quarantine=self._quarantine if ctx.keystore else None,
            on_progress=on_progress,
            on_committed=parts.on_committed,
            on_rolled_back=parts.on_rolled_back,
            first_topics=parts.first_topics,
        )

    @staticmethod
    async def _close(ctx: ServiceContext) -> None:
        await ctx.engine.dispose()
        if ctx.keystore is not None:
            await ctx.keystore._engine.dispose()

    async def start(self, stop: asyncio.Event) -> list[asyncio.Task[None]]:
        s = self.settings
        ctx = await self._open()
        engine = ctx.engine
        await self.producer.start()
        ctx.relay = OutboxRelay(
            engine,
            self.tables,
            self.producer.publish,
            on_published=lambda n: self.metrics.published.labels(self.service).inc(n),
            on_failure=self.producer.recreate,
        )
        self._ctx = ctx
        parts = await self._build(ctx)
        ctx.pipeline = self._pipeline_of(ctx, parts, on_progress=self.watchdog.progressed)
        ctx.on_committed = parts.on_committed
        self.monitor = ReadinessMonitor(self._dependencies(ctx), timeout=min(2.0, s.broker_grace_seconds))
        await self.broker.start()
        tasks = [
            asyncio.create_task(
                every(s.readiness_interval_seconds, self._observe, name="readiness", cap=5.0)(stop)
            ),
            asyncio.create_task(ctx.relay.run(stop=stop)),
            asyncio.create_task(self.watchdog.run(stop)),
            asyncio.create_task(
                every(5.0, self._set_backlog_gauge, name="outbox_backlog_gauge", cap=60.0)(stop)
            ),
        ]
        tasks += [asyncio.create_task(job(stop)) for job in parts.background]
        self.ready = True
        log.info("service_started", kafka=s.kafka_bootstrap, topics_prefix=s.topic_prefix)
        if ctx.keystore is not None:  # key ids only (docs/operations.md, "Rotating the master key")
            ids = ctx.keystore.master_keys.key_ids
            log.info("master_keys_held", wraps_under=ids[0], also_opens=list(ids[1:]))
        return tasks

    async def _quarantine(self, record_id: str, original: bytes) -> dict[str, Any]:
        """Seal a dead-lettered record's bytes under a key of its own, erasable like a case key."""
        ctx = self.context
        assert ctx.keystore is not None and ctx.cipher is not None
        kid = f"dlq:{record_id}"
        key = await ctx.keystore.create_key(kid)
        import base64

        return CaseCipher.seal_with_key(
            key, kid, "dlq_original", base64.b64encode(original).decode()
        ).model_dump()

    def _dependencies(self, ctx: ServiceContext) -> dict[str, Check]:
        checks: dict[str, Check] = {"broker": self.producer.ping, "database": lambda: ping(ctx.engine)}
        if ctx.keystore is not None:
            keystore = ctx.keystore.engine
            checks["keystore"] = lambda: ping(keystore)
        return checks

    def readiness(self) -> Readiness:
        relay = self._ctx.relay if self._ctx is not None else None
        pipeline = self._ctx.pipeline if self._ctx is not None else None
        now = time.monotonic()
        parked = [
            f"{p.topic} partition {p.partition} at offset {p.offset} ({p.reason}) for {now - p.since:.0f}s"
            for p in (pipeline.parked.values() if pipeline is not None else ())
        ]
        return judge(
            started=self.ready,
            now=now,
            since=self.monitor.since,
            answered=self.monitor.answered,
            grace=self.settings.broker_grace_seconds,
            drained=relay.last_progress if relay is not None else None,
            outbox_grace=self.settings.outbox_grace_seconds,
            parked=parked,
        )

    async def _observe(self) -> None:
        """Ask the dependencies, set the gauges; a broker that is back gets the backlog at once."""
        reachable_before = self.monitor.answered_within("broker", self.settings.broker_grace_seconds)
        await self.monitor.sample()
        verdict = self.readiness()
        self.metrics.ready.labels(self.service).set(1 if verdict.ready else 0)
        for name, silent in verdict.silent_for.items():
            up = silent <= self.settings.broker_grace_seconds
            self.metrics.reachable.labels(self.service, name).set(1 if up else 0)
        relay = self._ctx.relay if self._ctx is not None else None
        if relay is not None and not reachable_before and verdict.silent_for.get("broker", 0) <= 1.0:
            relay.flush_soon()

    async def _set_backlog_gauge(self) -> None:
        assert self._ctx is not None and self._ctx.relay is not None
        self.metrics.outbox_backlog.labels(self.service).set(await self._ctx.relay.backlog())

    async def stop(self, tasks: list[asyncio.Task[None]]) -> None:
        self.ready = False
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.broker.stop(), timeout=15)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._ctx is not None and self._ctx.relay is not None:
            await self._ctx.relay.stop()
        await self.producer.stop()
        if self._ctx is not None:
            await self._close(self._ctx)

    def asgi_app(self, after_start: Callable[[], None] | None = None) -> Starlette:
        """The service's HTTP app; its lifespan starts and stops the service, and calls
        `after_start` once it has started (`caseflow serve` settles the garbage collector there)."""
        stop = asyncio.Event()

        @contextlib.asynccontextmanager
        async def lifespan(_app: Starlette) -> AsyncIterator[None]:
            try:
                tasks = await self.start(stop)
                if after_start is not None:
                    after_start()
            except SchemaOutOfDate as exc:  # our own words, naming the command that mends it
                log.error("service_start_failed", reason=str(exc))
                raise
            except Exception as exc:
                # uvicorn logs the traceback, which the log scrubber redacts as free text: the
                # operator still learns what kind of failure stopped the start.
                log.error("service_start_failed", error=type(exc).__name__)
                raise
            try:
                yield
            finally:
                stop.set()
                await self.stop(tasks)

        routes = self.http_routes()
        limits = BodyLimits(self.settings.http_max_body_bytes, self.settings.http_max_body_bytes_by_path)
        return Starlette(
            routes=routes, lifespan=lifespan, middleware=[Middleware(BodyLimitMiddleware, limits=limits)]
        )

    def openapi_document(self) -> dict[str, Any]:
        """The OpenAPI document of the routes this runtime serves (raises when one is undocumented)."""
        return openapi_document(self.openapi, self.http_routes())

    def http_routes(self, context: Callable[[], ServiceContext] | None = None) -> list[BaseRoute]:
        """/health, /ready, /metrics, /openapi.json and the service's own routes (given `context`,
        or the started runtime's). The document is made here, from this very table: a route
        without its description fails at once."""

        async def health(_request: Request) -> JSONResponse:
            status = self.watchdog.status
            body = {
                "service": self.service,
                "healthy": status.healthy,
                "reasons": status.reasons,
                "lag": status.lag,
                "member": status.member,
            }
            return JSONResponse(body, status_code=200 if status.healthy else 503)

        async def ready(_request: Request) -> JSONResponse:
            verdict = self.readiness()
            body = {
                "service": self.service,
                "ready": verdict.ready,
                "reasons": list(verdict.reasons),
                "silent_for_seconds": {name: round(secs, 1) for name, secs in verdict.silent_for.items()},
            }
            return JSONResponse(body, status_code=200 if verdict.ready else 503)

        async def metrics(_request: Request) -> Response:
            return Response(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST)

        routes: list[BaseRoute] = [
            HttpRoute("/health", health),
            HttpRoute("/ready", ready),
            HttpRoute("/metrics", metrics),
        ]
        if self._http_routes is not None:
            routes += self._http_routes(context or (lambda: self.context))
        document: dict[str, Any] = {}
        routes.append(openapi_route(lambda: document))
        document.update(openapi_document(self.openapi, routes))
        return routes
