"""Routing's scheduled work: appointments ending soon, assignments whose term has ended, and used
token ids that no command can be judged valid with any more."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.routing.adapters.tables import routing_cases, term_notices, used_tokens
from services.routing.application.router import Router, emitter_for
from services.routing.domain.policy import term_endings_within
from services.routing.metrics import RoutingMetrics
from shared.auth import TOKEN_POLICY, forget_expired_tokens
from shared.contracts.routing import AdvisorTermEnding
from shared.db import insert_ignoring_duplicates
from shared.outbox import Outgoing
from shared.runtime import ServiceContext
from shared.topics import ROUTING_ALERTS
from shared.unit_of_work import Decision, UnitOfWork


async def check_terms(ctx: ServiceContext, router: Router, metrics: RoutingMetrics, warning_days: int) -> int:
    """Emit AdvisorTermEnding once per (advisor, term end); re-route cases of ended terms."""
    now = ctx.clock()

    async def work(conn: AsyncConnection) -> Decision[int]:
        await router.cache.refresh_if_stale(await router.loads(conn))
        endings = term_endings_within(router.cache.directory, now, warning_days)
        metrics.terms_ending.set(len(endings))
        run = emitter_for(f"term-check:{now.date().isoformat()}", now)  # one chain per daily run
        outgoing: list[Outgoing] = []
        for advisor_id, term_end in endings:
            fresh = await conn.execute(
                insert_ignoring_duplicates(conn, term_notices, ["advisor_id", "term_end"]).values(
                    advisor_id=advisor_id, term_end=term_end.isoformat()
                )
            )
            if fresh.rowcount:
                event = AdvisorTermEnding(
                    advisor_id=advisor_id,
                    term_end=term_end,
                    days_left=(term_end - now.date()).days,
                    noticed_at=now,
                )
                notice = run.to(ROUTING_ALERTS.name).caused_by(f"term:{advisor_id}:{term_end.isoformat()}")
                outgoing.append(notice(event, advisor_id))
        rows = (await conn.execute(select(routing_cases).where(routing_cases.c.status == "assigned"))).all()
        outgoing += await router.recheck(conn, rows, now, emit=run, reason="term_ended")
        return Decision(len(outgoing), outgoing)

    def stale() -> None:
        router.cache.stale = True  # loads changed in memory by a transaction that did not commit

    # The relay loop publishes what the check stored, as before: the job does not wait on the broker.
    return await UnitOfWork.of(ctx, on_rolled_back=stale).run(work, publish=False)


async def forget_used_tokens(ctx: ServiceContext) -> int:
    """Drop the jtis of tokens expired longer than the policy's replay window ago: a command with
    such a token is judged at its publication, at most max_queue_delay back, and is expired then."""
    async with ctx.engine.begin() as conn:
        return await forget_expired_tokens(conn, used_tokens, ctx.clock(), keep=TOKEN_POLICY.replay_window)


async def refresh_gauges(ctx: ServiceContext, metrics: RoutingMetrics) -> None:
    async with ctx.engine.connect() as conn:
        waiting = (
            await conn.execute(
                select(func.count()).select_from(routing_cases).where(routing_cases.c.status == "escalated")
            )
        ).scalar()
    metrics.escalations_waiting.set(int(waiting or 0))
