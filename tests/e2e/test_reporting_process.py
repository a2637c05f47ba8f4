"""Reporting as a real process (`caseflow serve reporting`), killed mid-stream and restarted.

SIGKILL leaves batches processed but not acknowledged: after the restart the broker redelivers
them and the inbox must skip them. The report the restarted process serves must equal, byte for
byte, the one a replay from offset 0 builds, and its metrics must show the projection's count.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from services.reporting.adapters.organisation import OrganisationModel
from services.reporting.application.report_use_cases import Reports
from services.reporting.domain.annual_report_data import DisclosurePolicy, TrainingBaseline
from services.reporting.domain.release_problem import Requirement
from services.reporting.entrypoints.replay import replay
from shared.db import make_engine
from tests.support.processes import ServiceProcess
from tests.support.reporting import create_reporting_topics, publish
from tools.reporting.simulated_events import simulated_year

pytestmark = pytest.mark.e2e

YEAR = 2026
AFTER_THE_YEAR = datetime(2027, 1, 20, tzinfo=UTC)
GAUGE = re.compile(r"^caseflow_reporting_projection_events (\S+)$", re.MULTILINE)


def folded(process: ServiceProcess) -> int:
    try:
        found = GAUGE.search(process.metrics_text())
    except httpx.HTTPError:
        return -1
    return int(float(found.group(1))) if found else -1


def committed(path: Path) -> int:
    """The projection's event count, read from the service's SQLite file while it runs."""
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5) as conn:
            row = conn.execute("SELECT event_count FROM rp_meta").fetchone()
    except sqlite3.Error:
        return 0
    return int(row[0]) if row else 0


async def test_a_killed_reporting_process_resumes_without_counting_twice(kafka_bootstrap: str, unique_topic: str,
                                                                         tmp_path: Path) -> None:  # fmt: skip
    await create_reporting_topics(kafka_bootstrap, unique_topic)
    events = list(simulated_year(seed=41, year=YEAR, cases=1500))
    await publish(kafka_bootstrap, unique_topic, events)
    env = {
        "REPORTING_KAFKA_BOOTSTRAP": kafka_bootstrap, "REPORTING_TOPIC_PREFIX": unique_topic,
        "REPORTING_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/reporting.db", "REPORTING_MAX_BATCH": "200",
        "REPORTING_RELEASE_AS_OF": AFTER_THE_YEAR.isoformat(),  # every quarter of YEAR closed
    }  # fmt: skip
    process = ServiceProcess("reporting", env, tmp_path / "reporting.log")
    process.start()
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 60
        while committed(tmp_path / "reporting.db") == 0 and loop.time() < deadline:
            await asyncio.sleep(0.02)
        process.kill()  # after the first committed batch, long before the last
        assert 0 < committed(tmp_path / "reporting.db") < len(events)
        process.start()
        deadline = loop.time() + 120
        while folded(process) < len(events) and loop.time() < deadline:
            await asyncio.sleep(0.5)
        assert folded(process) == len(events)
        async with httpx.AsyncClient(timeout=30) as client:
            answer = await client.get(
                process.url + "/v1/reports/annual", params={"org": "all", "year": YEAR, "format": "json"}
            )
        served = answer.text
    finally:
        process.stop()
    assert process.starts == 2

    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path}/replayed.db")
    try:
        await replay(engine, kafka_bootstrap, unique_topic)
        # The rebuilt projection with the process's ledger (kept across a replay) renders the same bytes.
        ledger = make_engine(f"sqlite+aiosqlite:///{tmp_path}/reporting-ledger.db")
        rebuilt = await Reports(
            engine, OrganisationModel(), DisclosurePolicy(), TrainingBaseline(), ledger=ledger,
            requirement=Requirement(5, 2), clock=lambda: AFTER_THE_YEAR,
        ).render("all", YEAR, "json")  # fmt: skip
        await ledger.dispose()
    finally:
        await engine.dispose()
    assert served == rebuilt
