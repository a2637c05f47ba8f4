"""Routing's scheduled work: appointments ending soon, assignments whose term has ended, and used
token ids that no command can be judged valid with any more."""

from __future__ import annotations

from services.routing.adapters.case_rows import count_with_status
from services.routing.adapters.tables import used_tokens
from services.routing.application.router import Router
from services.routing.application.term_check import TermCheck
from services.routing.metrics import RoutingMetrics
from shared.auth import TOKEN_POLICY, forget_expired_tokens
from shared.runtime import ServiceContext
from shared.unit_of_work import UnitOfWork


async def check_terms(ctx: ServiceContext, router: Router, metrics: RoutingMetrics, warning_days: int) -> int:
    """Emit AdvisorTermEnding once per (advisor, term end); re-route cases of ended terms."""
    now = ctx.clock()
    check = TermCheck(router, warning_days, on_endings=metrics.terms_ending.set)

    def stale() -> None:
        router.cache.stale = True  # loads changed in memory by a transaction that did not commit

    # The relay loop publishes what the check stored, as before: the job does not wait on the broker.
    return await UnitOfWork.of(ctx, on_rolled_back=stale).run(
        lambda conn: check.decide(conn, now), publish=False
    )


async def forget_used_tokens(ctx: ServiceContext) -> int:
    """Drop the jtis of tokens expired longer than the policy's replay window ago: a command with
    such a token is judged at its publication, at most max_queue_delay back, and is expired then."""
    async with ctx.engine.begin() as conn:
        return await forget_expired_tokens(conn, used_tokens, ctx.clock(), keep=TOKEN_POLICY.replay_window)


async def refresh_gauges(ctx: ServiceContext, metrics: RoutingMetrics) -> None:
    async with ctx.engine.connect() as conn:
        waiting = await count_with_status(conn, "escalated")
    metrics.escalations_waiting.set(waiting)
