"""Composition root of the intake service. `caseflow` runs it; nothing connects at import."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from starlette.routing import BaseRoute

import shared.contracts  # noqa: F401  (registers the event types)
from services.intake.adapters.directory import DirectoryLoaded
from services.intake.adapters.message_bell import MessageBell
from services.intake.adapters.migrations import SCHEMA
from services.intake.adapters.submission_keys import SubmissionKeyRing, submission_key_routes
from services.intake.adapters.tables import messaging
from services.intake.application.legal_deadlines import LegalDeadlineJob, with_legal_deadlines
from services.intake.application.open_case import CaseIntake
from services.intake.application.restore_fold import SKIPPED_COMMANDS, IntakeRestoreFold
from services.intake.application.retention import RetentionJob
from services.intake.entrypoints.advisor_actions import actions_route
from services.intake.entrypoints.decoding import SubmissionUnsealer
from services.intake.entrypoints.directory_feed import directory_route
from services.intake.entrypoints.http_api import intake_routes
from services.intake.entrypoints.meetings_feed import meetings_route
from services.intake.entrypoints.openapi import INTAKE_API
from services.intake.entrypoints.routing_feed import routing_route
from services.intake.entrypoints.submission_consumer import submissions_route
from services.intake.metrics import IntakeMetrics
from services.intake.settings import IntakeSettings
from shared.pipeline import Clock, utc_now
from shared.runtime import ServiceContext, ServiceParts, ServiceRuntime
from shared.topics import (
    ADVISOR_ACTIONS,
    DIRECTORY_ADVISORS,
    DIRECTORY_UNITS,
    INTAKE_SUBMISSIONS,
    ROUTING_ASSIGNMENTS,
    SCHEDULING_MEETINGS,
)
from shared.unit_of_work import UnitOfWork

SERVICE = "intake"
# Not directory.v1 (person pseudonyms): advisors' keys and the units come on their own topics.
CONSUMES = [
    INTAKE_SUBMISSIONS.name,
    ROUTING_ASSIGNMENTS.name,
    DIRECTORY_ADVISORS.name,
    DIRECTORY_UNITS.name,
    ADVISOR_ACTIONS.name,
    SCHEDULING_MEETINGS.name,  # the client-safe facts of planned meetings, for the follow-up page
]


class IntakeService:
    """The runtime plus the parts tests reach for: metrics and the two background jobs."""

    def __init__(self, settings: IntakeSettings, clock: Clock) -> None:
        self.settings = settings
        self.metrics: IntakeMetrics | None = None
        self.deadline_job: LegalDeadlineJob | None = None
        self.retention_job: RetentionJob | None = None
        self.submission_keys: SubmissionKeyRing | None = None
        self.message_bell = MessageBell()  # wakes clients waiting for a message (long-poll)
        self.runtime = ServiceRuntime(
            service=SERVICE,
            settings=settings,
            schema=SCHEMA,
            tables=messaging,
            consumes=CONSUMES,
            build=self.build,
            http_routes=self.http_routes,
            openapi=INTAKE_API,
            clock=clock,
        )

    async def build(self, ctx: ServiceContext) -> ServiceParts:
        assert ctx.keystore is not None
        s = self.settings
        metrics = self.metrics = IntakeMetrics(ctx.registry)
        uow = UnitOfWork.of(ctx, on_committed=self.committed)
        self.deadline_job = LegalDeadlineJob(
            uow,
            ctx.clock,
            warning_days=s.legal_warning_days,
            interval=s.background_interval_seconds,
            gauges=metrics.set_deadline_gauges,
        )
        self.retention_job = RetentionJob(
            uow,
            ctx.keystore,
            ctx.clock,
            retention_days=s.retention_days_after_closure,
            interval=s.background_interval_seconds,
        )
        keys = self.submission_keys = SubmissionKeyRing(
            ctx.keystore.engine,
            ctx.keystore.master_keys,  # the same current and previous master keys
            rotation=timedelta(days=s.submission_key_rotation_days),
            grace=timedelta(days=s.submission_key_grace_days),
        )
        await keys.create_schema()
        await keys.current(ctx.clock())
        unsealer = SubmissionUnsealer(keys, require_sealed=s.require_sealed_submissions)
        loaded = await DirectoryLoaded().read(ctx.engine)
        return ServiceParts(
            routes={
                INTAKE_SUBMISSIONS.name: with_legal_deadlines(
                    submissions_route(CaseIntake(ctx.keystore), unsealer, loaded)
                ),
                ROUTING_ASSIGNMENTS.name: routing_route(),
                DIRECTORY_ADVISORS.name: directory_route(loaded),
                DIRECTORY_UNITS.name: directory_route(loaded),
                ADVISOR_ACTIONS.name: actions_route(),
                SCHEDULING_MEETINGS.name: meetings_route(),
            },
            # Units arriving with submissions in one batch are known before those are judged.
            first_topics=(DIRECTORY_UNITS.name,),
            background=[
                self.deadline_job.run,
                self.retention_job.run,
                lambda stop: keys.run(stop, ctx.clock, s.background_interval_seconds),
            ],
            on_committed=self.committed,
            restore_fold=IntakeRestoreFold(ctx.keystore),  # D55: a restored database gets its cases back
            restore_skipped=SKIPPED_COMMANDS,
        )

    def committed(self, stored: list[Any]) -> None:
        """After every commit: count the events, wake the clients waiting for a new message."""
        if self.metrics is not None:
            self.metrics.count(stored)
        self.message_bell.ring_for(stored)

    def http_routes(self, context: Callable[[], ServiceContext]) -> list[BaseRoute]:
        return [
            *intake_routes(
                context,
                lambda: self.metrics,
                self.message_bell,
                self.settings.master_key.get_secret_value(),
                self.settings.retention_days_after_closure,
                self.settings.previous_master_keys.get_secret_value(),
            ),
            *submission_key_routes(lambda: self.submission_keys, lambda: context().clock()),
        ]


def create_service(settings: IntakeSettings | None = None, *, clock: Clock = utc_now) -> IntakeService:
    return IntakeService(settings or IntakeSettings(), clock)


def create_runtime(settings: IntakeSettings | None = None, *, clock: Clock = utc_now) -> ServiceRuntime:
    return create_service(settings, clock=clock).runtime
