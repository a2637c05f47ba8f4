"""Releases against a reader who fetches again later, and across a replay (SQLite and PostgreSQL).

The projection is fed through the live service's pipeline (no broker: the Kafka paths are in
test_reporting_service.py); the ledger is a database of its own. The clock is injected: the reader
fetches on 1 December 2026 (quarters 1-3 released) and again on 20 January 2027 (the year closed).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from services.reporting.adapters.fresh_database import prepare_fresh_database
from services.reporting.adapters.ledger_migrations import LEDGER_SCHEMA
from services.reporting.adapters.migrations import SCHEMA
from services.reporting.adapters.organisation import OrganisationModel
from services.reporting.adapters.release_ledger import (
    disclosures,
    frozen_atoms,
    released_figures,
)
from services.reporting.application.report_use_cases import NotReleasedYet, Reports
from services.reporting.domain.annual_report_data import DisclosurePolicy, TrainingBaseline
from services.reporting.domain.joint_disclosure import attack
from services.reporting.domain.release_problem import Requirement, meets
from services.reporting.entrypoints.replay import replay_pipeline
from shared import migrations
from shared.db import make_engine
from shared.pipeline import Inbound
from tools.reporting.simulated_events import SimulatedEvent, simulated_year

pytestmark = pytest.mark.integration

YEAR = 2026
EVENTS = list(simulated_year(seed=41, year=YEAR, cases=220))
LATE = [e for e in simulated_year(seed=42, year=YEAR, cases=30) if e.event_type == "CaseOpened"][:1]
DECEMBER = datetime(2026, 12, 1, 9, tzinfo=UTC)
JANUARY = datetime(2027, 1, 20, 9, tzinfo=UTC)
KEY = b"integration-release-key"
VARIANTS = [(org, fmt) for org in ("all", "min-bzk", "min-fin") for fmt in ("html", "csv", "json")]


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


async def fold(
    engine: AsyncEngine, events: Sequence[SimulatedEvent], offset: int = 0, fresh: bool = True
) -> None:
    if fresh:
        await migrations.drop(engine, SCHEMA)
        await prepare_fresh_database(engine)
    pipeline = replay_pipeline(engine, "")
    for start in range(0, len(events), 500):
        chunk = events[start : start + 500]
        await pipeline.process(
            [Inbound(e.topic, 0, offset + start + i, e.key, e.value) for i, e in enumerate(chunk)]
        )


async def everything(reports: Reports) -> dict[tuple[str, str], str]:
    """Every annual report, and the management view of every ministry (what management and HR read)."""
    out = {(org, fmt): await reports.render(org, YEAR, fmt) for org, fmt in VARIANTS}  # type: ignore[arg-type]
    for org in ("min-bzk", "min-fin"):
        units = await reports.management_units(org, YEAR)
        out[(org, "management")] = repr((units.table, units.unit_names, units.release_id))
    return out


async def joint_findings(ledger: AsyncEngine, requirement: Requirement) -> tuple[int, list[str]]:
    """The attacker over every figure the ledger says ever left, for the whole year."""
    async with ledger.connect() as conn:
        figures = await released_figures(conn, YEAR)
        truth = await frozen_atoms(conn, YEAR)
    specs = {key: f.spec for key, f in figures.items()}
    published = {key: f.value for key, f in figures.items() if f.value is not None}
    suppressed = [key for key, f in figures.items() if f.value is None]
    bounds = attack(specs, published, suppressed)
    problems = []
    for key, bound in bounds.items():
        issue = meets(bound, specs[key].kind, figures[key].primary, requirement)
        if issue is not None:
            problems.append(f"{key}: {issue}")
    assert all(
        sum(truth.get(a, 0) for a in specs[key].atoms) == value for key, value in published.items()
    )  # the ledger's frozen atoms are the truth behind every published figure
    return len(suppressed), problems


async def test_fetching_again_later_and_replaying_reveal_nothing(db_url: str, tmp_path: Path) -> None:
    engine = make_engine(db_url)
    ledger = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'ledger.db'}")
    await migrations.prepare(ledger, LEDGER_SCHEMA)  # as the service does
    clock = Clock(DECEMBER)
    policy = DisclosurePolicy()
    requirement = Requirement(policy.k, 2)
    try:
        await fold(engine, EVENTS)
        reports = Reports(
            engine, OrganisationModel(), policy, TrainingBaseline(), ledger=ledger, clock=clock,
            requirement=requirement, release_key=KEY,
        )  # fmt: skip
        first = await everything(reports)
        assert '"release_id": "2026-Q3"' in first[("all", "json")]
        assert '"2026-Q4"' not in first[("all", "json")]  # the running quarter is not published

        # One more case arrives; the reader fetches again: the same release, byte for byte.
        await fold(engine, LATE, offset=len(EVENTS), fresh=False)
        assert await everything(reports) == first

        # Nothing of a year before its first quarter is released.
        with pytest.raises(NotReleasedYet):
            await reports.render("all", 2027, "json")

        # The year closes: a new release, audited together with the first by the exact attacker.
        clock.now = JANUARY
        second = await everything(reports)
        assert '"release_id": "2026-Q4"' in second[("all", "json")]
        suppressed, problems = await joint_findings(ledger, requirement)
        assert suppressed > 0 and problems == []

        # Every artefact that left is in the ledger, with its release and audience.
        async with ledger.connect() as conn:
            left = await disclosures(conn)
        assert {(r, a) for _, r, a, _ in left} >= {
            ("2026-Q3", f"annual:{org}:{fmt}:nl") for org, fmt in VARIANTS
        } | {("2026-Q4", f"annual:{org}:{fmt}:nl") for org, fmt in VARIANTS} | {
            (release, f"management:{org}")
            for release in ("2026-Q3", "2026-Q4")
            for org in ("min-bzk", "min-fin")
        }

        # Replay: a fresh projection with the same ledger renders the same bytes.
        await fold(engine, [*EVENTS, *LATE])
        rebuilt = Reports(
            engine, OrganisationModel(), policy, TrainingBaseline(), ledger=ledger, clock=clock,
            requirement=requirement,
        )  # fmt: skip
        assert await everything(rebuilt) == second
    finally:
        await engine.dispose()
        await ledger.dispose()
