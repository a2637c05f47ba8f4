"""`caseflow replay` rebuilds a projection that renders byte-identical reports; `caseflow export` writes
k-anonymous case microdata only.

The live service consumes a seeded simulated year from real topics (with duplicates, an unknown type
and a poison record) and serves its reports. Then `caseflow replay` (the command, as a process) and
the replay function (in process, into SQLite or PostgreSQL) rebuild the projection from offset 0
into fresh databases, each reading the partitions in its own interleaving: every report, in every
format and language, must come out byte for byte the same, twice.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pyarrow.parquet as pq
import pytest
from pycanon import anonymity

from services.reporting.adapters.fresh_database import DatabaseNotFresh
from services.reporting.adapters.organisation import OrganisationModel
from services.reporting.application.export import COLUMNS, QUASI_IDENTIFIERS
from services.reporting.application.report_use_cases import Reports
from services.reporting.domain.release_problem import Requirement
from services.reporting.entrypoints.replay import replay
from shared.db import make_engine
from tests.support.kafka_io import produce
from tests.support.processes import CASEFLOW
from tests.support.reporting import (
    create_reporting_topics,
    events_in_projection,
    publish,
    settings_for,
)
from tests.support.services import running, wait_until
from tools.reporting.simulated_events import simulated_year

pytestmark = pytest.mark.integration

YEAR = 2026
ORGS = ("all", "min-bzk", "min-fin", "min-jenv")
VARIANTS = [
    (org, fmt, lang)
    for org in ORGS
    for fmt, lang in (("html", "nl"), ("html", "en"), ("csv", "nl"), ("json", "nl"))
]


async def render_all(reports: Reports) -> dict[tuple[str, str, str], str]:
    return {(org, fmt, lang): await reports.render(org, YEAR, fmt, lang) for org, fmt, lang in VARIANTS}  # type: ignore[arg-type]


def reports_on(url: str, settings: Any) -> Reports:
    """Reports on a rebuilt projection with the live service's release ledger (kept across a replay)."""
    as_of = settings.release_as_of
    return Reports(
        make_engine(url), OrganisationModel(), settings.policy(), settings.baseline(), settings.min_unit_size,
        ledger=make_engine(settings.ledger_database_url()), clock=lambda: as_of,
        requirement=Requirement(settings.k, settings.protection_interval),
    )  # fmt: skip


def cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CASEFLOW, *args], env={**os.environ, **env}, capture_output=True, text=True, timeout=300, check=False
    )


async def test_replay_and_export(
    kafka_bootstrap: str, unique_topic: str, db_url: str, tmp_path: Path
) -> None:
    await create_reporting_topics(kafka_bootstrap, unique_topic)
    events = list(simulated_year(seed=21, year=YEAR, cases=300))
    live_url = f"sqlite+aiosqlite:///{tmp_path}/live.db"
    settings = settings_for(kafka_bootstrap, unique_topic, live_url, max_batch=250)
    from services.reporting.app import create_service

    service = create_service(settings)
    async with running(service.runtime):
        await publish(kafka_bootstrap, unique_topic, events)
        await publish(kafka_bootstrap, unique_topic, events[100:160])  # re-published: duplicates
        await produce(
            kafka_bootstrap, unique_topic + "routing.assignments.v1", [(b"x", b"\x00not an envelope")]
        )

        async def caught_up() -> bool:
            return await events_in_projection(service) == len(events)

        await wait_until(caught_up, timeout=90)
        transport = httpx.ASGITransport(app=service.runtime.asgi_app())
        async with httpx.AsyncClient(transport=transport, base_url="http://reporting") as client:
            live: dict[tuple[str, str, str], str] = {}
            for org, fmt, lang in VARIANTS:
                answer = await client.get(
                    "/v1/reports/annual", params={"org": org, "year": YEAR, "format": fmt, "lang": lang}
                )
                assert answer.status_code == 200
                live[(org, fmt, lang)] = answer.text

    # 1. `caseflow replay` as a process, into a fresh SQLite file, with its progress bar.
    env = {
        "REPORTING_KAFKA_BOOTSTRAP": kafka_bootstrap, "REPORTING_TOPIC_PREFIX": unique_topic,
        # The ledger is kept: the rebuilt projection renders the releases the live service made.
        "REPORTING_LEDGER_URL": settings.ledger_database_url(),
        "REPORTING_RELEASE_AS_OF": settings.release_as_of.isoformat(),
    }  # fmt: skip
    first_url = f"sqlite+aiosqlite:///{tmp_path}/replay-1.db"
    done = cli("replay", "--database-url", first_url, "--batch", "400", env=env)
    assert done.returncode == 0, done.stderr
    totals = json.loads(done.stdout)
    assert totals["events_in_projection"] == len(events)
    assert totals["duplicates_skipped"] == 60 and totals["dead_lettered"] == 1
    assert totals["records_read"] == len(events) + 61
    assert "events/s" in done.stderr and "100.0%" in done.stderr
    first = reports_on(first_url, settings)
    assert await render_all(first) == live
    await first.engine.dispose()
    assert first.ledger is not None
    await first.ledger.dispose()

    # The command renders the same bytes from the rebuilt database as the live service served.
    shown = cli("report", "annual", "--org", "min-bzk", "--year", str(YEAR), "--format", "html", "--database-url", first_url,
                env=env)  # fmt: skip
    assert shown.returncode == 0 and shown.stdout == live[("min-bzk", "html", "nl")]

    # 2. A second replay, in process, into the parametrized backend (SQLite or PostgreSQL).
    engine = make_engine(db_url)
    try:
        result = await replay(engine, kafka_bootstrap, unique_topic, max_records=97)
        assert result.events_in_projection == len(events) and result.fingerprint == totals["fingerprint"]
        second = reports_on(db_url, settings)
        await second.engine.dispose()
        second.engine = engine
        assert await render_all(second) == live
        assert second.ledger is not None
        await second.ledger.dispose()
        with pytest.raises(DatabaseNotFresh):  # a replay never merges into an existing projection
            await replay(engine, kafka_bootstrap, unique_topic)
    finally:
        await engine.dispose()
    again = cli("replay", "--database-url", first_url, env=env)
    assert again.returncode == 2 and "not empty" in again.stderr

    # 3. The analysts' export, by the command, on the same topics as the projection: protected case
    #    microdata (tests/integration/test_reporting_export.py checks it row by row against a projection).
    out = tmp_path / "export"
    exported = cli("export", "--out", str(out), "--format", "parquet,csv", env=env)
    assert exported.returncode == 0, exported.stderr
    summary = json.loads(exported.stdout)
    protection = summary["protection"]
    opened_events = [e for e in events if e.event_type == "CaseOpened"]
    assert summary["skipped"]["duplicates"] == sum(1 for e in events[100:160] if e.event_type == "CaseOpened")
    assert protection["records_in"] == len(opened_events) == 300
    assert protection["records_written"] + protection["records_suppressed"] == 300
    assert protection["k"] == settings.k and protection["quasi_identifiers"] == list(QUASI_IDENTIFIERS)
    table = pq.read_table(out / "cases.parquet")
    assert table.column_names == list(COLUMNS) and table.num_rows == protection["records_written"] > 0
    frame = table.to_pandas()
    frame["categories"] = frame["categories"].map(";".join)
    assert anonymity.k_anonymity(frame, list(QUASI_IDENTIFIERS)) >= settings.k
    # No organisation file: every unit is folded into its organisation.
    assert set(frame["unit"]) <= {"min-bzk", "min-fin", "min-jenv"}
    assert not re.search(rb"\d{4}-\d{2}-\d{2}|\d{2}:\d{2}", (out / "cases.csv").read_bytes())
    everything = b"".join(p.read_bytes() for p in out.iterdir())
    for event in events:
        doc = json.loads(event.value)["payload"]
        for key, value in doc.items():
            if isinstance(value, dict) and "ct" in value:
                assert value["ct"].encode() not in everything, (
                    f"ciphertext of {event.event_type}.{key} exported"
                )
            if key.endswith("_id") and key not in ("organisation_id", "unit_id") and value:
                assert value.encode() not in everything, f"{event.event_type}.{key} exported"
