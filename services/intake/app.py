"""Composition root of the intake service. `caseflow` runs it; nothing connects at import."""

from __future__ import annotations

import shared.contracts  # noqa: F401  (registers the event types)
from shared.runtime import ServiceContext, ServiceParts, ServiceRuntime
from shared.topics import INTAKE_SUBMISSIONS
from services.intake.handlers import submissions_route
from services.intake.metrics import IntakeMetrics
from services.intake.http_api import intake_routes
from services.intake.open_case import CaseIntake
from services.intake.settings import IntakeSettings
from services.intake.store import messaging, metadata

SERVICE = "intake"


async def build(ctx: ServiceContext) -> ServiceParts:
    assert ctx.keystore is not None
    metrics = IntakeMetrics(ctx.registry)
    return ServiceParts(
        routes={INTAKE_SUBMISSIONS.name: submissions_route(CaseIntake(ctx.keystore))},
        on_committed=metrics.count,
    )


def create_runtime(settings: IntakeSettings | None = None) -> ServiceRuntime:
    settings = settings or IntakeSettings()
    return ServiceRuntime(
        service=SERVICE, settings=settings, metadata=metadata, tables=messaging,
        consumes=[INTAKE_SUBMISSIONS.name], build=build, http_routes=intake_routes,
    )
