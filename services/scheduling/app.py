"""Composition root of the scheduling service. `caseflow serve scheduling` runs it; nothing connects at import."""

from __future__ import annotations

import shared.contracts  # noqa: F401  (registers the event types)
from services.scheduling.adapters.booking_ledger import BookingLedger, ensure_clock
from services.scheduling.adapters.migrations import SCHEMA
from services.scheduling.adapters.projection import code_stored_locations
from services.scheduling.adapters.tables import messaging
from services.scheduling.application.meetings import MeetingScheduler
from services.scheduling.application.restore_fold import SchedulingRestoreFold
from services.scheduling.entrypoints.http_api import scheduling_routes
from services.scheduling.entrypoints.kafka_handlers import CONSUMED_TOPICS, SchedulingHandlers
from services.scheduling.entrypoints.openapi import SCHEDULING_API
from services.scheduling.metrics import SchedulingMetrics
from services.scheduling.settings import SchedulingSettings
from shared.pipeline import Clock, utc_now
from shared.runtime import ServiceContext, ServiceParts, ServiceRuntime

SERVICE = "scheduling"


def create_runtime(settings: SchedulingSettings | None = None, *, clock: Clock = utc_now) -> ServiceRuntime:
    settings = settings or SchedulingSettings()

    async def build(ctx: ServiceContext) -> ServiceParts:
        async with ctx.engine.begin() as conn:
            await ensure_clock(conn, clock())
            await code_stored_locations(conn)
        slot_settings = settings.slot_settings()
        metrics = SchedulingMetrics(ctx.registry)
        ledger = BookingLedger(
            slot_settings.privacy_buffer,
            slot_settings.habit_lookback,
            on_refused=metrics.booking_refusals.inc,
            on_index_loaded=metrics.index_loads.inc,
            lock_per_case=settings.booking_lock == "case",
        )
        scheduler = MeetingScheduler(ledger, slot_settings, settings.booking_attempts)
        return ServiceParts(
            routes=SchedulingHandlers(scheduler).routes(),
            on_committed=metrics.count,
            restore_fold=SchedulingRestoreFold(ledger),
        )

    return ServiceRuntime(
        service=SERVICE,
        settings=settings,
        schema=SCHEMA,
        tables=messaging,
        consumes=list(CONSUMED_TOPICS),
        build=build,
        http_routes=scheduling_routes,
        openapi=SCHEDULING_API,
        clock=clock,
    )
