"""Personal data never appears in plain text outside the raw input topic.

Unique markers go into contact details, narrative and persons involved of valid, rejected,
dead-lettered and HTTP submissions. Afterwards no topic but `intake.submissions.v1`, no log line,
no /metrics output and no database table (PostgreSQL rows, the SQLite key store's bytes) holds
any of them.
"""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import asyncpg
import httpx
import pytest
from aiokafka.admin import AIOKafkaAdminClient

from tests.support import samples
from tests.support.directory import UNITS_TOPIC, load_units_into_process
from tests.support.kafka_io import create_topics, produce, read_all, read_json
from tests.support.processes import ServiceProcess
from tests.support.services import TEST_MASTER_KEY

pytestmark = pytest.mark.e2e

SUBMISSIONS, CASES, REJECTIONS = "intake.submissions.v1", "intake.cases.v1", "intake.rejections.v1"


async def _all_rows_as_text(dsn: str) -> str:
    conn = await asyncpg.connect(dsn)
    try:
        tables = [
            r["tablename"]
            for r in await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname='public'")
        ]
        parts = []
        for table in tables:
            parts += [str(dict(r)) for r in await conn.fetch(f'SELECT * FROM "{table}"')]
        return "\n".join(parts)
    finally:
        await conn.close()


async def test_markers_appear_only_in_the_raw_input_topic(
    kafka_bootstrap: str, pg_url_base: str, tmp_path: Path
) -> None:
    prefix = f"t-pii-{uuid.uuid4().hex[:8]}."
    await create_topics(
        kafka_bootstrap,
        [prefix + t for t in (SUBMISSIONS, CASES, REJECTIONS, SUBMISSIONS + ".dlq", UNITS_TOPIC)],
    )
    name = f"pii_{uuid.uuid4().hex[:10]}"
    raw_base = pg_url_base.replace("postgresql+asyncpg://", "postgresql://")
    admin = await asyncpg.connect(raw_base + "/postgres")
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    intake = ServiceProcess(
        "intake",
        {
            "INTAKE_KAFKA_BOOTSTRAP": kafka_bootstrap,
            "INTAKE_TOPIC_PREFIX": prefix,
            "INTAKE_DATABASE_URL": f"{pg_url_base}/{name}",
            "INTAKE_KEYSTORE_URL": f"sqlite+aiosqlite:///{tmp_path}/keys.db",
            "INTAKE_MASTER_KEY": TEST_MASTER_KEY,
            "INTAKE_LOG_LEVEL": "DEBUG",
        },
        tmp_path / "intake.log",
    )
    valid = samples.submission("pii1")
    anonymous = samples.submission("pii2", anonymous=True)
    rejected = samples.submission("pii3", channel="smoke_signal")
    over_http = samples.submission("pii4")
    not_json = b"MARK-NARR-pii5 mark-pii5@example.org this is not json {"
    bad_utf8 = b'{"narrative": "MARK-NARR-pii6 \xff"}'
    all_markers = [m for k in ("pii1", "pii2", "pii3", "pii4", "pii5", "pii6") for m in samples.markers(k)]

    intake.start()
    try:
        await load_units_into_process(kafka_bootstrap, prefix, intake.url)
        await produce(
            kafka_bootstrap,
            prefix + SUBMISSIONS,
            [(None, samples.to_bytes(d)) for d in (valid, anonymous, rejected)]
            + [(None, not_json), (None, bad_utf8)],
        )
        answer = await asyncio.to_thread(
            httpx.post, intake.url + "/v1/submissions", json=over_http, timeout=10
        )
        assert answer.status_code == 201
        opened = read_json(await read_all(kafka_bootstrap, prefix + CASES, expect=3, timeout=30))
        assert len(opened) == 3
        assert len(await read_all(kafka_bootstrap, prefix + REJECTIONS, expect=1, timeout=20)) == 1
        assert len(await read_all(kafka_bootstrap, prefix + SUBMISSIONS + ".dlq", expect=2, timeout=20)) == 2
        metrics = intake.metrics_text()
        assert 'caseflow_intake_cases_opened_total{channel="web"} 3.0' in metrics
    finally:
        intake.stop()

    # The raw input topic does carry them: the markers are real, the check below can fail.
    raw_input = b"".join(await read_all(kafka_bootstrap, prefix + SUBMISSIONS, timeout=10, idle=1))
    assert b"MARK-NARR-pii1" in raw_input

    client = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await client.start()
    topics = [t for t in await client.list_topics() if t.startswith(prefix) and t != prefix + SUBMISSIONS]
    await client.close()
    assert len(topics) >= 3
    haystacks = {
        "log": (tmp_path / "intake.log").read_text(),
        "metrics": metrics,
        "postgres tables": await _all_rows_as_text(f"{raw_base}/{name}"),
        "key store bytes": b"".join(p.read_bytes() for p in tmp_path.glob("keys.db*")).decode("latin-1"),
    }
    for topic in topics:
        haystacks[topic] = b"\n".join(await read_all(kafka_bootstrap, topic, timeout=10, idle=1)).decode(
            "latin-1"
        )
    assert "MARK" not in haystacks["postgres tables"] and len(haystacks["postgres tables"]) > 1000
    for where, text in haystacks.items():
        for marker in all_markers:
            assert marker not in text, f"{marker} leaked into {where}"
    await asyncio.sleep(0)
