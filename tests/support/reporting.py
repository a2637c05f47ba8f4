"""The reporting service under test: its settings, events onto its topics, its progress, a role's
headers, and its HTTP views served in process on a folded simulated year."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette

from services.reporting.adapters.fresh_database import prepare_fresh_database
from services.reporting.adapters.projection import CONSUMED_TOPICS
from services.reporting.adapters.queries import source_position
from services.reporting.app import ReportingService, create_service
from services.reporting.application.report_use_cases import Reports
from services.reporting.entrypoints.replay import replay_pipeline
from services.reporting.settings import ReportingSettings
from shared.codes import AdvisorKind, AdvisorScope, AdvisorStatus
from shared.contracts.directory import AdvisorStatusChanged, AdvisorUpserted
from shared.db import make_engine
from shared.directory_copies import directory_records
from shared.envelope import new_envelope
from shared.pipeline import Inbound
from shared.topics import DIRECTORY_ADVISORS
from tests.support.kafka_io import create_topics, produce
from tests.support.role_tokens import TOKENS
from tools.reporting.simulated_events import SimulatedEvent, simulated_year

AFTER_THE_YEAR = "2027-01-20T00:00:00+00:00"


def settings_for(kafka: str, prefix: str, db_url: str, **overrides: Any) -> ReportingSettings:
    # The views verify role tokens against a locally generated key (role_tokens.py).
    # The reader comes after the year has closed and settled: every quarter of 2026 is released.
    # A fixed priority key: these tests compare a release with expectations written for it.
    overrides = {
        **TOKENS.settings(),
        "release_as_of": AFTER_THE_YEAR,
        "release_key_hex": "5eed" * 8,
        **overrides,
    }
    return ReportingSettings(kafka_bootstrap=kafka, topic_prefix=prefix, database_url=db_url, **overrides)


async def publish(kafka: str, prefix: str, events: Iterable[SimulatedEvent]) -> int:
    by_topic: dict[str, list[tuple[bytes | None, bytes]]] = {}
    for event in events:
        by_topic.setdefault(event.topic, []).append((event.key, event.value))
    for topic, messages in by_topic.items():
        await produce(kafka, prefix + topic, messages)
    return sum(len(m) for m in by_topic.values())


def directory_copy(
    homes: Iterable[tuple[str, str | None]], at: datetime | None = None
) -> list[tuple[bytes, bytes]]:
    """(key, value) records of directory.advisors.v1 as the HR feed publishes them: per (advisor,
    organisation) an AdvisorUpserted (its person pseudonym null in the copy) and a status change,
    which reporting skips. A later pair for the same advisor is the advisor's newer record."""
    moment = at or datetime(2026, 1, 5, 9, tzinfo=UTC)
    envelopes = []
    for advisor, organisation in homes:
        record = AdvisorUpserted(
            advisor_id=advisor, person_id=f"person-of-{advisor}", kind=AdvisorKind.VPIO,
            scope=AdvisorScope.INTERNAL if organisation else AdvisorScope.EXTERNAL,
            organisation_id=organisation, term_start=date(2025, 1, 1), term_end=None,
        )  # fmt: skip
        status = AdvisorStatusChanged(advisor_id=advisor, status=AdvisorStatus.ACTIVE)
        for payload in (record, status):
            envelopes.append(
                new_envelope(
                    payload, stream_id=advisor, producer="hr-feed", occurred_at=moment, causation_id=None
                )
            )
    return [
        (key, value)
        for env in envelopes
        for topic, key, value in directory_records(env)
        if topic == DIRECTORY_ADVISORS.name
    ]


async def events_in_projection(service: ReportingService) -> int:
    async with service.runtime.context.engine.connect() as conn:
        return (await source_position(conn)).event_count


async def create_reporting_topics(kafka: str, prefix: str) -> None:
    await create_topics(
        kafka, [prefix + t for t in CONSUMED_TOPICS] + [prefix + t + ".dlq" for t in CONSUMED_TOPICS]
    )


def as_role(role: str, subject: str) -> dict[str, str]:
    """`Authorization: Bearer` with a token signed for this role and subject (no role header exists)."""
    return TOKENS.headers(role, subject)


# -- reporting's HTTP views on a folded simulated year, over httpx's ASGI transport (no broker) ----


@dataclass(frozen=True)
class ViewsFixture:
    client: httpx.AsyncClient
    bzk: list[str]  # advisors of min-bzk
    fin: list[str]  # advisors of min-fin


def internal_advisors(events: list[SimulatedEvent]) -> list[str]:
    payloads = [json.loads(e.value)["payload"] for e in events if e.event_type == "AdvisorAssigned"]
    return sorted({p["advisor_id"] for p in payloads if p["scope"] == "internal"})


async def folded_year(path: Path, year: int, cases: int = 160) -> tuple[str, list[SimulatedEvent]]:
    """A reporting database at `path` holding a simulated year, folded as a replay would."""
    url = f"sqlite+aiosqlite:///{path}"
    events = list(simulated_year(seed=13, year=year, cases=cases))
    engine = make_engine(url)
    try:
        await prepare_fresh_database(engine)
        pipeline = replay_pipeline(engine, "")
        await pipeline.process([Inbound(e.topic, 0, i, e.key, e.value) for i, e in enumerate(events)])
    finally:
        await engine.dispose()
    return url, events


def reporting_app(url: str, **settings: Any) -> tuple[Starlette, AsyncEngine]:
    """Reporting's own composition root with `settings`: its HTTP routes as an app, and the engine
    they read (the caller disposes it, on the event loop that runs the app)."""
    service = create_service(ReportingSettings(database_url=url, **settings))
    s = service.settings
    engine = make_engine(url)
    service.reports = Reports(engine, service.organisation, s.policy(), s.baseline(), s.min_unit_size)
    return Starlette(routes=service.http_routes(lambda: None)), engine  # type: ignore[arg-type]


async def serve_reporting(
    url: str, events: list[SimulatedEvent], **settings: Any
) -> AsyncIterator[ViewsFixture]:
    """Reporting's routes served in process, with an httpx client."""
    app, engine = reporting_app(url, **settings)
    advisors = internal_advisors(events)
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://reporting"
        ) as client:
            yield ViewsFixture(
                client,
                [a for a in advisors if a.startswith("adv-min-bzk")][:2],
                [a for a in advisors if a.startswith("adv-min-fin")][:1],
            )
    finally:
        await engine.dispose()
