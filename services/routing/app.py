"""Composition root of the routing service."""

from __future__ import annotations

import shared.contracts  # noqa: F401  (registers the event types)
from services.routing.adapters.directory_projection import DirectoryCache
from services.routing.adapters.facts import code_stored_locations
from services.routing.adapters.migrations import SCHEMA
from services.routing.adapters.tables import messaging
from services.routing.application.restore import adopt_when_decided
from services.routing.application.router import Router
from services.routing.domain.policy import PolicySettings
from services.routing.entrypoints.jobs import check_terms, forget_used_tokens, refresh_gauges
from services.routing.entrypoints.kafka_handlers import RoutingHandlers, routes
from services.routing.entrypoints.openapi import ROUTING_API
from services.routing.metrics import RoutingMetrics
from services.routing.settings import RoutingSettings
from shared.periodic import every
from shared.runtime import ServiceContext, ServiceParts, ServiceRuntime
from shared.topics import ADVISOR_ACTIONS, DIRECTORY, INTAKE_CASES

CONSUMES = [DIRECTORY.name, INTAKE_CASES.name, ADVISOR_ACTIONS.name]

SERVICE = "routing"


def create_runtime(settings: RoutingSettings | None = None, **runtime_args: object) -> ServiceRuntime:
    settings = settings or RoutingSettings()

    async def build(ctx: ServiceContext) -> ServiceParts:
        assert ctx.cipher is not None
        async with ctx.engine.begin() as conn:
            await code_stored_locations(conn)
        cache = DirectoryCache(ctx.engine)
        router = Router(ctx.cipher, cache, PolicySettings(small_unit_threshold=settings.small_unit_threshold))
        metrics = RoutingMetrics(ctx.registry)

        def committed(stored: list[object]) -> None:
            metrics.count(stored)

        def rolled_back() -> None:
            cache.stale = True

        return ServiceParts(
            routes=routes(RoutingHandlers(router)),
            on_committed=committed,
            on_rolled_back=rolled_back,
            restore_fold=adopt_when_decided,
            background=[
                every(
                    settings.term_check_interval_seconds,
                    lambda: check_terms(ctx, router, metrics, settings.term_warning_days),
                    name="routing_term_check",
                ),
                every(5.0, lambda: refresh_gauges(ctx, metrics), name="routing_gauges", cap=60.0),
                every(3600.0, lambda: forget_used_tokens(ctx), name="routing_forget_used_tokens"),
            ],
        )

    return ServiceRuntime(
        service=SERVICE,
        settings=settings,
        schema=SCHEMA,
        tables=messaging,
        consumes=CONSUMES,
        build=build,
        openapi=ROUTING_API,
        **runtime_args,  # type: ignore[arg-type]
    )
