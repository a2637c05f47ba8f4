"""One unit of work for every way in: a consumed batch, an HTTP request, a background job, a CLI
command.

Inside one transaction the work decides: it reads and changes state and returns a `Decision`, its
result with the events to emit and the inbox entries it settles. The unit appends the events to the
outbox and records the inbox entries in the same transaction, so a state change, its events and the
"done" mark of its input commit together or not at all (ARCHITECTURE.md, "Delivery"). After the
commit it counts (`on_committed`, so a rolled-back or retried transaction is never counted) and
asks the relay to publish (`relay.flush_soon`). It waits for that at most `publish_timeout`
seconds and never cancels it: committed rows stay in the outbox if the broker is slow or away,
and the relay publishes them later. `commit` also says whether the events reached the broker
within the wait (`Committed.passed_on`): an HTTP answer waits a second or two at most and tells
the person which of the two it is (docs/operations.md, "Health and readiness"). A transaction
that does not commit calls `on_rolled_back`: caches built while deciding are stale.

The consume pipeline (shared/pipeline.py) runs each batch through `run`, and so do intake's HTTP
handlers, routing's term check and the CLI's erasure; none of them opens a transaction of its own
for events.
"""

from __future__ import annotations

import asyncio
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


@dataclass(frozen=True, slots=True)
class Committed(Generic[T]):
    """A committed unit of work's result, and whether its events reached the broker before the
    wait ended (True when it stored none: nothing is waiting)."""

    result: T
    passed_on: bool


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
        *,
        publish_timeout: float = 10.0,
    ) -> UnitOfWork:
        return cls(
            ctx.engine,
            ctx.store,
            ctx.settings.topic_prefix,
            ctx.relay,
            on_committed or ctx.on_committed,
            on_rolled_back,
            publish_timeout,
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
        return (await self.commit(work, publish=publish)).result

    async def commit(self, work: Work[T], *, publish: bool = True) -> Committed[T]:
        """`run`, saying whether the stored events were published within `publish_timeout`."""
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
        passed_on = not stored
        if publish and self.relay is not None and stored:
            passed_on = await self._published(self.relay, [e.event_id for e in stored])
        return Committed(decision.result, passed_on)

    async def _published(self, relay: OutboxRelay, event_ids: list[str]) -> bool:
        flush = relay.flush_soon()
        done, _ = await asyncio.wait({flush}, timeout=self.publish_timeout)  # never cancels the flush
        if flush not in done or flush.exception() is not None:
            return False
        try:  # another instance may hold some of the rows (PostgreSQL, SKIP LOCKED): ask the table
            return not await asyncio.wait_for(
                relay.unpublished_among(event_ids), timeout=self.publish_timeout
            )
        except Exception:  # noqa: BLE001 - the answer says "not yet"; the rows are committed either way
            return False
