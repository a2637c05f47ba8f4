"""Crash safety: SIGKILL the intake process at random moments while 2,000 submissions flow.

Afterwards every submission is exactly one case or one rejection (counted by submission_id):
none missing, none twice. A re-published event after a crash carries the same event_id (the
outbox's deterministic ids), so "once" is counted by distinct event ids per submission.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from collections import defaultdict
from pathlib import Path

import asyncpg
import pytest

from tests.support import samples
from tests.support.directory import UNITS_TOPIC, load_units_into_process
from tests.support.kafka_io import create_topics, produce, read_all, read_json
from tests.support.processes import ServiceProcess
from tests.support.services import TEST_MASTER_KEY

pytestmark = pytest.mark.e2e

TOTAL = 2000
KILLS = 5
SUBMISSIONS, CASES, REJECTIONS = "intake.submissions.v1", "intake.cases.v1", "intake.rejections.v1"


async def _create_db(pg_url_base: str) -> tuple[str, str]:
    name = f"crash_{uuid.uuid4().hex[:10]}"
    admin = pg_url_base.replace("postgresql+asyncpg://", "postgresql://") + "/postgres"
    conn = await asyncpg.connect(admin)
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    return f"{pg_url_base}/{name}", pg_url_base.replace("postgresql+asyncpg://", "postgresql://") + f"/{name}"


async def test_sigkill_during_2000_submissions_loses_nothing_and_doubles_nothing(
    kafka_bootstrap: str, pg_url_base: str, tmp_path: Path
) -> None:
    rng = random.Random(20191)
    prefix = f"t-crash-{uuid.uuid4().hex[:8]}."
    await create_topics(
        kafka_bootstrap,
        [prefix + t for t in (SUBMISSIONS, CASES, REJECTIONS, SUBMISSIONS + ".dlq", UNITS_TOPIC)],
    )
    db_url, raw_db = await _create_db(pg_url_base)
    intake = ServiceProcess(
        "intake",
        {
            "INTAKE_KAFKA_BOOTSTRAP": kafka_bootstrap,
            "INTAKE_TOPIC_PREFIX": prefix,
            "INTAKE_DATABASE_URL": db_url,
            "INTAKE_KEYSTORE_URL": f"sqlite+aiosqlite:///{tmp_path}/keys.db",
            "INTAKE_MASTER_KEY": TEST_MASTER_KEY,
            "INTAKE_MAX_BATCH": "100",
        },
        tmp_path / "intake.log",
    )
    docs = []
    for i in range(TOTAL):
        doc = samples.submission(f"c{i}")
        if i % 10 == 0:  # every tenth breaks a rule
            doc["channel"] = "telegraph"
        docs.append(doc)
    expected_valid = {d["submission_id"] for d in docs if d["channel"] != "telegraph"}
    expected_rejected = {d["submission_id"] for d in docs} - expected_valid

    intake.start()
    try:
        await load_units_into_process(kafka_bootstrap, prefix, intake.url)
        # Feed in 40 slices; between slices, now and then, kill -9 and restart.
        kill_after = sorted(rng.sample(range(2, 38), KILLS))
        for n, start in enumerate(range(0, TOTAL, TOTAL // 40)):
            chunk = docs[start : start + TOTAL // 40]
            await produce(kafka_bootstrap, prefix + SUBMISSIONS, [(None, samples.to_bytes(d)) for d in chunk])
            await asyncio.sleep(rng.uniform(0.05, 0.4))
            if n in kill_after:
                intake.kill()
                intake.start(wait_ready=False)
                await asyncio.to_thread(intake.wait_ready, 60)
        assert intake.starts == KILLS + 1

        opened_by_sub: dict[str, set[str]] = defaultdict(set)
        rejected_by_sub: dict[str, set[str]] = defaultdict(set)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 180
        while loop.time() < deadline:
            opened_by_sub.clear()
            rejected_by_sub.clear()
            for e in read_json(await read_all(kafka_bootstrap, prefix + CASES, timeout=30, idle=2)):
                opened_by_sub[e["payload"]["submission_id"]].add(e["event_id"])
            for e in read_json(await read_all(kafka_bootstrap, prefix + REJECTIONS, timeout=15, idle=2)):
                rejected_by_sub[e["payload"]["submission_id"]].add(e["event_id"])
            if len(opened_by_sub) + len(rejected_by_sub) >= TOTAL:
                break
            await asyncio.sleep(2)
    finally:
        intake.stop()

    assert set(opened_by_sub) == expected_valid, "a valid submission is missing its CaseOpened"
    assert set(rejected_by_sub) == expected_rejected, "a bad submission is missing its rejection"
    assert all(len(ids) == 1 for ids in opened_by_sub.values()), "a submission opened two different cases"
    assert all(len(ids) == 1 for ids in rejected_by_sub.values())

    conn = await asyncpg.connect(raw_db)
    try:
        case_rows = await conn.fetch("SELECT submission_id FROM cases")
        rejection_rows = await conn.fetch("SELECT submission_id FROM rejections")
    finally:
        await conn.close()
    assert sorted(r["submission_id"] for r in case_rows) == sorted(expected_valid)
    assert sorted(r["submission_id"] for r in rejection_rows) == sorted(expected_rejected)
    assert "Traceback" not in (tmp_path / "intake.log").read_text()
