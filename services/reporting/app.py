"""Composition root of the reporting service. `caseflow serve reporting` runs it; nothing connects at import.

Reporting holds no key (ServiceSettings, not KeyHolderSettings): it never decrypts anything.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.routing import BaseRoute

import shared.contracts  # noqa: F401  (registers the event types)
from services.reporting.adapters.credentials import verifier_from_settings
from services.reporting.adapters.ledger_migrations import LEDGER_SCHEMA
from services.reporting.adapters.migrations import SCHEMA
from services.reporting.adapters.organisation import load_organisation
from services.reporting.adapters.projection import CONSUMED_TOPICS, ensure_meta_row
from services.reporting.adapters.tables import messaging
from services.reporting.application.report_use_cases import Reports
from services.reporting.domain.release_problem import Requirement
from services.reporting.entrypoints.http_api import reporting_routes
from services.reporting.entrypoints.kafka_handlers import projection_routes
from services.reporting.entrypoints.openapi import REPORTING_API
from services.reporting.metrics import ReportingMetrics
from services.reporting.settings import ReportingSettings
from shared import migrations
from shared.db import make_engine
from shared.pipeline import Clock, utc_now
from shared.runtime import ServiceContext, ServiceParts, ServiceRuntime, ensure_sqlite_dir

SERVICE = "reporting"


class ReportingService:
    """The runtime plus what the HTTP routes and tests reach for: the reports and the metrics."""

    def __init__(self, settings: ReportingSettings, clock: Clock) -> None:
        self.settings = settings
        self.clock = clock
        self.organisation = load_organisation(settings.organisation_file)
        self.credentials = verifier_from_settings(settings)  # the views' role credentials (credentials.py)
        self.reports: Reports | None = None
        self.metrics: ReportingMetrics | None = None
        self.runtime = ServiceRuntime(
            service=SERVICE,
            settings=settings,
            schema=SCHEMA,
            tables=messaging,
            consumes=list(CONSUMED_TOPICS),
            build=self.build,
            http_routes=self.http_routes,
            openapi=REPORTING_API,
            clock=clock,
        )

    async def build(self, ctx: ServiceContext) -> ServiceParts:
        async with ctx.engine.begin() as conn:
            await ensure_meta_row(conn)
        s = self.settings
        # The release ledger has a database of its own: a replay rebuilds the projection, never it.
        ensure_sqlite_dir(s.ledger_database_url())
        ledger = make_engine(s.ledger_database_url())
        await migrations.prepare(ledger, LEDGER_SCHEMA)
        self.reports = Reports(
            ctx.engine, self.organisation, s.policy(), s.baseline(), s.min_unit_size, ledger=ledger,
            requirement=Requirement(s.k, s.protection_interval), settle_days=s.release_settle_days,
            publication=s.publication(), release_key=s.release_key(),
            clock=self.clock if s.release_as_of is None else (lambda: s.release_as_of),  # type: ignore[arg-type,return-value]
        )  # fmt: skip
        metrics = self.metrics = ReportingMetrics(ctx.registry)
        return ServiceParts(
            routes=projection_routes(),
            background=[
                metrics.refresher(ctx.engine),
                self.reports.releaser(first_after=s.release_job_first_after_seconds),
            ],
        )

    def http_routes(self, _context: Callable[[], ServiceContext]) -> list[BaseRoute]:
        def reports() -> Reports:
            assert self.reports is not None, "service not started"
            return self.reports

        return reporting_routes(reports, lambda: self.metrics, self.credentials)


def create_service(settings: ReportingSettings | None = None, *, clock: Clock = utc_now) -> ReportingService:
    return ReportingService(settings or ReportingSettings(), clock)


def create_runtime(settings: ReportingSettings | None = None, *, clock: Clock = utc_now) -> ServiceRuntime:
    return create_service(settings, clock=clock).runtime
