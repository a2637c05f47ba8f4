"""The projection depends on the set of events only, on SQLite and PostgreSQL alike.

The same simulated year goes through the live service's pipeline three times, into fresh schemas of
the parametrized database: in topic order with large batches, shuffled with small batches and with
a re-published stretch, and with every event twice. Every report, in every format, is identical.
(No broker here: the pipeline is fed directly; the Kafka paths are in test_reporting_service.py and
test_reporting_replay.py.)
"""

from __future__ import annotations

import random
from collections.abc import Sequence

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from services.reporting.adapters.fresh_database import prepare_fresh_database
from services.reporting.adapters.migrations import SCHEMA
from services.reporting.adapters.organisation import OrganisationModel
from services.reporting.application.report_use_cases import Reports
from services.reporting.domain.annual_report_data import DisclosurePolicy, TrainingBaseline
from services.reporting.entrypoints.replay import replay_pipeline
from shared import migrations
from shared.db import make_engine
from shared.pipeline import Inbound
from tools.reporting.simulated_events import SimulatedEvent, simulated_year

pytestmark = pytest.mark.integration

YEAR = 2026
EVENTS = list(simulated_year(seed=31, year=YEAR, cases=260))


async def fold_into(
    engine: AsyncEngine, events: Sequence[SimulatedEvent], batch: int
) -> dict[tuple[str, str], str]:
    await migrations.drop(engine, SCHEMA)
    await prepare_fresh_database(engine)
    pipeline = replay_pipeline(engine, "")
    for start in range(0, len(events), batch):
        chunk = events[start : start + batch]
        await pipeline.process([Inbound(e.topic, 0, start + i, e.key, e.value) for i, e in enumerate(chunk)])
    # A fresh ledger each time, with the same key: the same events give the same release.
    reports = Reports(
        engine, OrganisationModel(), DisclosurePolicy(), TrainingBaseline(), release_key=b"same-key"
    )
    return {
        (org, fmt): await reports.render(org, YEAR, fmt)
        for org in ("all", "min-bzk", "min-fin")
        for fmt in ("html", "csv", "json")
    }  # type: ignore[misc]


async def test_order_batches_and_duplicates_do_not_change_a_single_byte(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        in_order = await fold_into(engine, EVENTS, batch=1000)
        shuffled = list(EVENTS) + EVENTS[200:260]
        random.Random(7).shuffle(shuffled)
        assert await fold_into(engine, shuffled, batch=37) == in_order
        twice = [e for event in reversed(EVENTS) for e in (event, event)]
        assert await fold_into(engine, twice, batch=500) == in_order
    finally:
        await engine.dispose()
    assert f'"event_count": {len(EVENTS)}' in in_order[("all", "json")]
