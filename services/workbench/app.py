"""Composition root of the workbench. `caseflow serve workbench` runs it; nothing connects at import."""

from __future__ import annotations

from prometheus_client import CollectorRegistry

import shared.contracts  # noqa: F401  (registers the event types)
from services.workbench.adapters.oidc import OidcProvider
from services.workbench.adapters.tables import messaging, metadata
from services.workbench.entrypoints.http_api import workbench_routes
from services.workbench.entrypoints.kafka_handlers import CONSUMED_TOPICS
from services.workbench.entrypoints.kafka_handlers import workbench_routes as consumer_routes
from services.workbench.metrics import WorkbenchMetrics
from services.workbench.settings import WorkbenchSettings
from shared.pipeline import Clock, utc_now
from shared.runtime import ServiceContext, ServiceParts, ServiceRuntime

SERVICE = "workbench"


def create_runtime(settings: WorkbenchSettings | None = None, *, clock: Clock = utc_now) -> ServiceRuntime:
    settings = settings or WorkbenchSettings()
    provider = OidcProvider(
        settings.oidc_issuer, settings.oidc_client_id, settings.oidc_client_secret.get_secret_value()
    )

    registry = CollectorRegistry()
    metrics = WorkbenchMetrics.create(registry)

    async def build(_ctx: ServiceContext) -> ServiceParts:
        return ServiceParts(routes=consumer_routes())

    return ServiceRuntime(
        service=SERVICE,
        settings=settings,
        metadata=metadata,
        tables=messaging,
        consumes=list(CONSUMED_TOPICS),
        build=build,
        http_routes=workbench_routes(settings, provider, metrics),
        registry=registry,
        clock=clock,
    )
