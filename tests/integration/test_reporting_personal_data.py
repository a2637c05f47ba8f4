"""Personal data fed in at intake reaches no reporting table, no report, no view and no export.

Intake runs in process and opens cases from submissions whose every personal field carries a unique
marker (over Kafka and over HTTP, named and anonymous, a whistleblower report among them); reporting
consumes what intake emits. Afterwards every row of every reporting table, every report in every
format and language, the management view and the analysts' export are searched for the markers and
for the cases' ciphertext. The markers are real: the raw submissions topic carries them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from services.intake.app import create_runtime as create_intake
from services.intake.settings import IntakeSettings
from services.reporting.adapters.tables import metadata as reporting_metadata
from services.reporting.app import create_service as create_reporting
from services.reporting.application.export import export_topics
from tests.support import samples
from tests.support.directory import load_units
from tests.support.kafka_io import create_topics, produce, read_all, read_json
from tests.support.reporting import as_role, events_in_projection, settings_for
from tests.support.services import TEST_MASTER_KEY, running, wait_until

pytestmark = pytest.mark.integration

TOPICS = (
    "intake.submissions.v1", "intake.cases.v1", "intake.rejections.v1", "routing.assignments.v1", "directory.v1",
    "advisor.actions.v1", "scheduling.meetings.v1", "directory.units.v1", "directory.advisors.v1",
)  # fmt: skip
YEAR = 2026


async def all_rows_as_text(engine: Any) -> str:
    parts = []
    async with engine.connect() as conn:
        for table in reporting_metadata.sorted_tables:
            parts += [repr(tuple(row)) for row in await conn.execute(select(table))]
    return "\n".join(parts)


async def test_markers_reach_no_reporting_table_report_or_export(
    kafka_bootstrap: str, unique_topic: str, db_url: str, tmp_path: Path
) -> None:
    prefix = unique_topic
    await create_topics(kafka_bootstrap, [prefix + t for t in TOPICS] + [prefix + t + ".dlq" for t in TOPICS])
    intake = create_intake(
        IntakeSettings(
            kafka_bootstrap=kafka_bootstrap, topic_prefix=prefix, database_url=f"sqlite+aiosqlite:///{tmp_path}/intake.db",
            keystore_url=f"sqlite+aiosqlite:///{tmp_path}/keys.db", master_key=TEST_MASTER_KEY, key_cache_seconds=0,
        )
    )  # fmt: skip
    reporting = create_reporting(settings_for(kafka_bootstrap, prefix, db_url))
    keys = ("rep1", "rep2", "rep3", "rep4")
    submissions = [
        samples.submission("rep1"),
        samples.submission("rep2", anonymous=True),
        samples.submission("rep3", is_whistleblower_report=True, categories=["integrity.fraud_theft"]),
    ]
    markers = [m for key in keys for m in samples.markers(key)]
    async with running(intake), running(reporting.runtime):
        await load_units(kafka_bootstrap, prefix, intake.context.engine)
        await produce(
            kafka_bootstrap,
            prefix + "intake.submissions.v1",
            [(None, samples.to_bytes(d)) for d in submissions],
        )
        transport = httpx.ASGITransport(app=intake.asgi_app())
        async with httpx.AsyncClient(transport=transport, base_url="http://intake") as client:
            answer = await client.post("/v1/submissions", json=samples.submission("rep4", channel="phone"))
        assert answer.status_code == 201
        emitted = read_json(await read_all(kafka_bootstrap, prefix + "intake.cases.v1", expect=5, timeout=60))
        opened = [e for e in emitted if e["event_type"] == "CaseOpened"]
        assert len(opened) == 4

        async def caught_up() -> bool:
            return await events_in_projection(reporting) >= len(emitted)

        await wait_until(caught_up, timeout=60)
        texts: dict[str, str] = {"reporting tables": await all_rows_as_text(reporting.runtime.context.engine)}
        transport = httpx.ASGITransport(app=reporting.runtime.asgi_app())
        async with httpx.AsyncClient(transport=transport, base_url="http://reporting") as client:
            for org in ("all", "min-bzk"):
                for fmt, lang in (("html", "nl"), ("html", "en"), ("csv", "nl"), ("json", "nl")):
                    params = {"org": org, "year": YEAR, "format": fmt, "lang": lang}
                    texts[f"report {org} {fmt} {lang}"] = (
                        await client.get("/v1/reports/annual", params=params)
                    ).text
            texts["management view"] = (
                await client.get(
                    "/v1/views/management",
                    params={"org": "min-bzk", "year": YEAR},
                    headers=as_role("management", "min-bzk"),
                )
            ).text
            texts["metrics"] = (await client.get("/metrics")).text
    assert (
        '"event_count": ' in texts["report all json nl"]
        and "contacts_by_category" in texts["report all csv nl"]
    )
    report = json.loads(texts["report all json nl"])
    assert report["generated_from"]["event_count"] >= 4
    collector, files = await export_topics(kafka_bootstrap, prefix, tmp_path / "export")
    assert collector.rows["CaseOpened"] and len(files) > 3
    for path in files:
        texts[f"export {path.name}"] = path.read_bytes().decode("latin-1")

    raw = b"".join(await read_all(kafka_bootstrap, prefix + "intake.submissions.v1", timeout=10, idle=1))
    assert b"MARK-NARR-rep1" in raw  # the markers are real
    sealed = ("personal", "routing_facts", "receipt")
    ciphertexts = [e["payload"][field]["ct"] for e in opened for field in sealed]
    assert len(texts["reporting tables"]) > 500
    for where, text in texts.items():
        for marker in markers:
            assert marker not in text, f"{marker} leaked into {where}"
        assert "MARK-" not in text, where
        for ciphertext in ciphertexts:
            assert ciphertext not in text, f"ciphertext in {where}"
