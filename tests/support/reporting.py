"""The reporting service under test: its settings, events onto its topics, its progress, a role's headers."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from services.reporting.adapters.projection import CONSUMED_TOPICS
from services.reporting.adapters.queries import source_position
from services.reporting.app import ReportingService
from services.reporting.settings import ReportingSettings
from tests.support.kafka_io import create_topics, produce
from tests.support.role_tokens import TOKENS
from tools.reporting.simulated_events import SimulatedEvent

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
