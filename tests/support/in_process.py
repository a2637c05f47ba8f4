"""A service's real routes and consume pipeline on SQLite, with an in-memory bus instead of Kafka.

For properties that push many generated inputs through every service: each service is built by its
own composition root (`create_runtime(...)`), gets its own database and the same pipeline the
process runs; what its outbox publishes lands on the `Bus`, and `feed` hands records to another
service as the broker would (decode, dedupe, handle, store, publish). Real Kafka is exercised by
the integration tests; this is the same code path minus the network.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from shared import migrations
from shared.crypto import CaseCipher, KeyStore, parse_master_key
from shared.db import make_engine
from shared.outbox import EventStore, OutboxRelay
from shared.pipeline import EventPipeline, Inbound
from shared.runtime import ServiceContext, ServiceParts, ServiceRuntime
from shared.settings import KeyHolderSettings


@dataclass
class Bus:
    """What the services published, per logical topic, in order: (key, value)."""

    prefix: str = ""
    topics: dict[str, list[tuple[bytes, bytes]]] = field(default_factory=lambda: defaultdict(list))

    async def publish(self, topic: str, key: bytes, body: bytes) -> asyncio.Future[Any]:
        self.topics[topic.removeprefix(self.prefix)].append((key, body))
        done: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        done.set_result(None)
        return done

    def dead_letters(self) -> dict[str, int]:
        return {t: len(r) for t, r in self.topics.items() if t.endswith(".dlq") and r}


@dataclass
class InProcess:
    runtime: ServiceRuntime
    bus: Bus
    context: ServiceContext | None = None
    pipeline: EventPipeline | None = None
    engines: list[AsyncEngine] = field(default_factory=list)
    parts: ServiceParts | None = None  # what the composition root built (its restore fold, ...)
    offsets: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    async def start(self) -> InProcess:
        runtime, s = self.runtime, self.runtime.settings
        engine = make_engine(s.database_url)
        self.engines.append(engine)
        await migrations.prepare(engine, runtime.schema)  # as the service's own start does
        ctx = ServiceContext(
            runtime.service, s, engine, EventStore(runtime.tables), runtime.registry, runtime.clock
        )
        if isinstance(s, KeyHolderSettings):
            keys = make_engine(s.keystore_url)
            self.engines.append(keys)
            ctx.keystore = KeyStore(keys, parse_master_key(s.master_key.get_secret_value()), cache_seconds=0)
            await ctx.keystore.create_schema()
            ctx.cipher = CaseCipher(ctx.keystore)
        ctx.relay = OutboxRelay(engine, runtime.tables, self.bus.publish)
        parts = self.parts = await runtime._build(ctx)  # the service's own composition
        self.pipeline = ctx.pipeline = EventPipeline(
            service=runtime.service,
            engine=engine,
            store=ctx.store,
            relay=ctx.relay,
            routes=parts.routes,
            metrics=runtime.metrics,
            topic_prefix=s.topic_prefix,
            clock=runtime.clock,
            on_committed=parts.on_committed,
            on_rolled_back=parts.on_rolled_back,
            first_topics=parts.first_topics,
        )
        ctx.on_committed = parts.on_committed
        self.context = ctx
        return self

    async def feed(self, topic: str, records: list[tuple[bytes, bytes]]) -> None:
        """Hand `records` of a logical topic to the pipeline, as one consumed batch."""
        await self.feed_batch([(topic, key, value) for key, value in records])

    async def feed_batch(self, records: list[tuple[str, bytes, bytes]]) -> None:
        """One consumed batch of (topic, key, value) records of several topics, in this order."""
        assert self.pipeline is not None
        batch = []
        for topic, key, value in records:
            batch.append(Inbound(topic, 0, self.offsets[topic], key, value))
            self.offsets[topic] += 1
        await self.pipeline.process(batch)

    @property
    def consumes(self) -> list[str]:
        assert self.pipeline is not None
        return list(self.pipeline.routes)

    async def stop(self) -> None:
        for engine in self.engines:
            await engine.dispose()
