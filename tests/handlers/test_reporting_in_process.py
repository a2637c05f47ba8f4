"""Reporting's real routes and consume pipeline on SQLite without a broker (tests/support/in_process.py):
a year of events, a re-delivered stretch and a record that is no event, then the year's release.

The same code path as the process minus the network, in seconds: what the projection counts is a
function of the set of events, whatever the batches and however often a record arrives.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from services.reporting.adapters.queries import source_position
from services.reporting.app import ReportingService, create_service
from services.reporting.domain.annual_report_data import SectionId
from tests.support.in_process import Bus, InProcess
from tests.support.reporting import settings_for
from tools.reporting.simulated_events import SimulatedEvent, simulated_year

pytestmark = pytest.mark.handlers

YEAR = 2026
NOW = datetime(2027, 1, 20, tzinfo=UTC)


@pytest.fixture
async def reporting(tmp_path: Path) -> AsyncIterator[tuple[ReportingService, InProcess]]:
    settings = settings_for("127.0.0.1:9", "", f"sqlite+aiosqlite:///{tmp_path}/reporting.db")
    service = create_service(settings, clock=lambda: NOW)
    harness = await InProcess(service.runtime, Bus()).start()
    try:
        yield service, harness
    finally:
        await harness.stop()


async def feed(harness: InProcess, events: list[SimulatedEvent], batch: int) -> None:
    for start in range(0, len(events), batch):
        await harness.feed_batch([(e.topic, e.key, e.value) for e in events[start : start + batch]])


async def test_a_year_fed_in_batches_with_duplicates_counts_each_event_once(
    reporting: tuple[ReportingService, InProcess],
) -> None:
    service, harness = reporting
    events = list(simulated_year(seed=5, year=YEAR, cases=120))
    await feed(harness, events, batch=97)
    await feed(harness, events[:60], batch=13)  # re-delivered, in other batches
    stray = json.loads(events[0].value) | {"event_type": "CaseParkedForLater", "event_id": "stray-1"}
    await harness.feed(events[0].topic, [(b"x", json.dumps(stray).encode()), (b"y", b"{oops")])

    assert harness.context is not None
    async with harness.context.engine.connect() as conn:
        assert (await source_position(conn)).event_count == len(events)
    assert harness.bus.dead_letters() == {f"{events[0].topic}.dlq": 1}  # the bytes that are no JSON

    assert service.reports is not None
    report = await service.reports.annual_report("all", YEAR)
    cases_opened = sum(e.event_type == "CaseOpened" for e in events)
    assert report.publication.release_id == f"{YEAR}-Q4"
    by_category = report.section(SectionId.CONTACTS_BY_CATEGORY).table
    assert by_category is not None and by_category.grand_total == cases_opened  # far above k: published


async def test_the_same_events_in_other_batches_give_the_same_release(tmp_path: Path) -> None:
    events = list(simulated_year(seed=8, year=YEAR, cases=80))
    rendered = []
    for batch, name in ((1000, "one"), (7, "small")):
        settings = settings_for("127.0.0.1:9", "", f"sqlite+aiosqlite:///{tmp_path}/{name}.db")
        service = create_service(settings, clock=lambda: NOW)
        harness = await InProcess(service.runtime, Bus()).start()
        try:
            await feed(harness, events if batch == 1000 else list(reversed(events)), batch)
            assert service.reports is not None
            rendered.append(await service.reports.render("all", YEAR, "csv"))
        finally:
            await harness.stop()
    assert rendered[0] == rendered[1]
