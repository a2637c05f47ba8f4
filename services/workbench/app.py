"""Composition root of the workbench. `caseflow serve workbench` runs it; nothing connects at import."""

from __future__ import annotations

from prometheus_client import CollectorRegistry

import shared.contracts  # noqa: F401  (registers the event types)
from services.workbench.adapters.command_signer import CommandSigner
from services.workbench.adapters.intake_case_files import IntakeCaseFiles
from services.workbench.adapters.mailer import SmtpMailer
from services.workbench.adapters.migrations import SCHEMA
from services.workbench.adapters.oidc import OidcProvider
from services.workbench.adapters.reporting_views import ReportingViews
from services.workbench.adapters.tables import messaging
from services.workbench.application.notifying import NoticeSender
from services.workbench.application.sign_in import SignIn
from services.workbench.entrypoints.http_api import workbench_routes
from services.workbench.entrypoints.kafka_handlers import CONSUMED_TOPICS
from services.workbench.entrypoints.kafka_handlers import workbench_routes as consumer_routes
from services.workbench.entrypoints.openapi import WORKBENCH_API
from services.workbench.metrics import WorkbenchMetrics
from services.workbench.settings import WorkbenchSettings
from shared.periodic import Loop, every
from shared.pipeline import Clock, utc_now
from shared.runtime import ServiceContext, ServiceParts, ServiceRuntime

SERVICE = "workbench"


def notice_sender(settings: WorkbenchSettings, ctx: ServiceContext, metrics: WorkbenchMetrics) -> list[Loop]:
    """The periodic sender of notification e-mails; none without a mail server."""
    if not settings.smtp_host:
        return []
    mailer = SmtpMailer(
        settings.smtp_host,
        settings.smtp_port,
        settings.smtp_from,
        settings.smtp_starttls,
        settings.smtp_username,
        settings.smtp_password.get_secret_value(),
    )
    url = settings.public_url or f"http://{settings.http_host}:{settings.http_port}"
    sender = NoticeSender(ctx.engine, mailer, url, ctx.clock, on_outcome=metrics.count_notice)
    return [every(settings.notify_every_seconds, sender.run_once, name="workbench_notify", cap=600.0)]


def create_runtime(
    settings: WorkbenchSettings | None = None,
    *,
    clock: Clock = utc_now,
    views: ReportingViews | None = None,
    files: IntakeCaseFiles | None = None,
) -> ServiceRuntime:
    settings = settings or WorkbenchSettings()
    provider = OidcProvider(
        settings.oidc_issuer, settings.oidc_client_id, settings.oidc_client_secret.get_secret_value()
    )

    signer = CommandSigner.from_file(settings.signer_id, settings.signer_key_file)
    files = files or IntakeCaseFiles(settings.intake_url, signer)
    registry = CollectorRegistry()
    metrics = WorkbenchMetrics.create(registry)

    async def build(ctx: ServiceContext) -> ServiceParts:
        sessions = SignIn(ctx.engine, provider, settings.session_policy())
        # Sessions nobody came back to (and their provider tokens) go once they have ended.
        forget = every(300.0, lambda: sessions.forget_ended(ctx.clock()), name="workbench_forget_sessions")
        return ServiceParts(
            routes=consumer_routes(), background=[forget, *notice_sender(settings, ctx, metrics)]
        )

    return ServiceRuntime(
        service=SERVICE,
        settings=settings,
        schema=SCHEMA,
        tables=messaging,
        consumes=list(CONSUMED_TOPICS),
        build=build,
        http_routes=workbench_routes(
            settings, provider, metrics, views or ReportingViews(settings.reporting_url), files
        ),
        registry=registry,
        openapi=WORKBENCH_API,
        clock=clock,
    )
