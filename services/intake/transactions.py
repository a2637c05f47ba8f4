"""One unit of work outside the consume pipeline (HTTP requests, background jobs, the CLI):
change state and append the emitted events in one transaction, count them after commit, then
publish. Mirrors what the pipeline does for consumed messages."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import structlog
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from shared.outbox import EventStore, OutboxRelay, Outgoing
from shared.runtime import ServiceContext

log = structlog.get_logger(__name__)
T = TypeVar("T")
Work = Callable[[AsyncConnection], Awaitable[tuple[T, Sequence[Outgoing]]]]


@dataclass
class UnitOfWork:
    engine: AsyncEngine
    store: EventStore
    topic_prefix: str
    relay: OutboxRelay | None = None
    on_committed: Callable[[list[Any]], None] | None = None
    publish_timeout: float = 10.0

    @classmethod
    def of(cls, ctx: ServiceContext, on_committed: Callable[[list[Any]], None] | None = None) -> UnitOfWork:
        return cls(
            ctx.engine, ctx.store, ctx.settings.topic_prefix, ctx.relay, on_committed or ctx.on_committed
        )

    async def run(self, work: Work[T]) -> T:
        async with self.engine.begin() as conn:
            result, outgoing = await work(conn)
            physical = [Outgoing(f"{self.topic_prefix}{o.topic}", o.envelope) for o in outgoing]
            stored = await self.store.append(conn, physical)
        if self.on_committed is not None and stored:
            try:
                self.on_committed(stored)
            except Exception as exc:  # noqa: BLE001 - metrics must never undo the work
                log.error("on_committed_failed", error_type=type(exc).__name__)
        if self.relay is not None and stored:
            # Committed rows stay in the outbox if the broker is slow; the relay loop retries.
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.relay.flush(), timeout=self.publish_timeout)
        return result
