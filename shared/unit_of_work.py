"""One unit of work for every way in: a consumed batch, an HTTP request, a background job, a CLI
command.

Inside one transaction the work decides: it reads and changes state and returns a `Decision`, its
result with the events to emit and the inbox entries it settles. The unit appends the events to the
outbox and records the inbox entries in the same transaction, so a state change, its events and the
"done" mark of its input commit together or not at all (ARCHITECTURE.md, "Delivery"). After the
commit it counts (`on_committed`, so a rolled-back or retried transaction is never counted) and
publishes (`relay.flush`; committed rows stay in the outbox if the broker is slow and the relay
loop retries). A transaction that does not commit calls `on_rolled_back`: caches built while
deciding are stale.

The consume pipeline (shared/pipeline.py) runs each batch through `run`, and so do intake's HTTP
handlers, routing's term check and the CLI's erasure; none of them opens a transaction of its own
for events.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Generic, NamedTuple, TypeVar

import structlog
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from shared.outbox import EventStore, OutboxRelay, Outgoing, RawOutgoing

if TYPE_CHECKING:  # the runtime builds the pipeline, which runs through this module
    from shared.runtime import ServiceContext

log = structlog.get_logger(__name__)
T = TypeVar("T")


class Decision(NamedTuple, Generic[T]):
    """What a unit of work's decision returns: its result, the events to emit (logical topics), and
    the inputs it settles as (message id, source) for the inbox. A plain `(result, events)` pair is
    a decision that settles no input."""

    result: T
    outgoing: Sequence[Outgoing | RawOutgoing] = ()
    settled: Sequence[tuple[str, str]] = ()


Work = Callable[[AsyncConnection], Awaitable[Decision[T] | tuple[T, Sequence[Outgoing | RawOutgoing]]]]


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class UnitOfWork:
    engine: AsyncEngine
    store: EventStore
    topic_prefix: str = ""
    relay: OutboxRelay | None = None
    on_committed: Callable[[list[Any]], None] | None = None
    on_rolled_back: Callable[[], None] | None = None
    publish_timeout: float = 10.0
    clock: Callable[[], datetime] = _utc_now

    @classmethod
    def of(
        cls,
        ctx: ServiceContext,
        on_committed: Callable[[list[Any]], None] | None = None,
        on_rolled_back: Callable[[], None] | None = None,
    ) -> UnitOfWork:
        return cls(
            ctx.engine,
            ctx.store,
            ctx.settings.topic_prefix,
            ctx.relay,
            on_committed or ctx.on_committed,
            on_rolled_back,
            clock=ctx.clock,
        )

    def physical(self, item: Outgoing | RawOutgoing) -> Outgoing | RawOutgoing:
        """`item` addressed to its topic under this deployment's prefix."""
        if isinstance(item, RawOutgoing):
            return RawOutgoing(f"{self.topic_prefix}{item.topic}", item.key, item.body, item.record_id)
        return Outgoing(f"{self.topic_prefix}{item.topic}", item.envelope)

    async def run(self, work: Work[T], *, publish: bool = True) -> T:
        """Decide, store the events and the inbox entries, commit, count, publish (unless `publish`
        is False: the caller flushes once for several units, as the pipeline does per batch)."""
        try:
            async with self.engine.begin() as conn:
                returned = await work(conn)
                decision = returned if isinstance(returned, Decision) else Decision(returned[0], returned[1])
                stored = await self.store.append(conn, [self.physical(o) for o in decision.outgoing])
                await self.store.record_processed_many(conn, decision.settled, self.clock())
        except BaseException:
            if self.on_rolled_back is not None:
                self.on_rolled_back()
            raise
        if self.on_committed is not None and stored:
            try:
                self.on_committed(stored)
            except Exception as exc:  # noqa: BLE001 - metrics must never undo the work
                log.error("on_committed_failed", error_type=type(exc).__name__)
        if publish and self.relay is not None and stored:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.relay.flush(), timeout=self.publish_timeout)
        return decision.result
