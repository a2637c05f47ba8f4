"""SIGKILL the routing process during a stream of 2,000 opened cases: exactly one current assignment each."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections import defaultdict
from pathlib import Path

import asyncpg
import pytest

from shared.topics import ALL_TOPICS
from tests.support.kafka_io import create_topics, produce, read_all, read_json
from tests.support.processes import ServiceProcess
from tests.support.routing_load import opened_cases
from tests.support.services import TEST_MASTER_KEY
from tools.demo.sample_org import directory_events

pytestmark = pytest.mark.e2e
TOTAL, KILLS = 2000, 5


async def test_sigkill_during_2000_cases_leaves_exactly_one_current_assignment_per_case(
    kafka_bootstrap: str, pg_url_base: str, tmp_path: Path
) -> None:
    rng = random.Random(2019)
    prefix = f"t-rcrash-{uuid.uuid4().hex[:8]}."
    await create_topics(
        kafka_bootstrap, [prefix + t.name for t in ALL_TOPICS] + [prefix + t.dlq for t in ALL_TOPICS]
    )
    name = f"rcrash_{uuid.uuid4().hex[:8]}"
    raw = pg_url_base.replace("postgresql+asyncpg://", "postgresql://")
    admin = await asyncpg.connect(raw + "/postgres")
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    keys_url = f"sqlite+aiosqlite:///{tmp_path}/keys.db"
    envelopes = await opened_cases(keys_url, rng, TOTAL)
    await produce(
        kafka_bootstrap,
        prefix + "directory.v1",
        [(e.stream_id.encode(), e.to_bytes()) for e in directory_events()],
    )
    routing = ServiceProcess(
        "routing",
        {
            "ROUTING_KAFKA_BOOTSTRAP": kafka_bootstrap,
            "ROUTING_TOPIC_PREFIX": prefix,
            "ROUTING_DATABASE_URL": f"{pg_url_base}/{name}",
            "ROUTING_KEYSTORE_URL": keys_url,
            "ROUTING_MASTER_KEY": TEST_MASTER_KEY,
            "ROUTING_MAX_BATCH": "100",
        },
        tmp_path / "routing.log",
    )
    routing.start()
    try:
        kill_after = sorted(rng.sample(range(2, 38), KILLS))
        step = TOTAL // 40
        for n in range(40):
            chunk = envelopes[n * step : (n + 1) * step]
            await produce(
                kafka_bootstrap,
                prefix + "intake.cases.v1",
                [(e.stream_id.encode(), e.to_bytes()) for e in chunk],
            )
            await asyncio.sleep(rng.uniform(0.05, 0.4))
            if n in kill_after:
                routing.kill()
                routing.start(wait_ready=False)
                await asyncio.to_thread(routing.wait_ready, 60)
        conn = await asyncpg.connect(f"{raw}/{name}")
        try:
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 180
            while loop.time() < deadline:
                decided = await conn.fetchval(
                    "SELECT count(*) FROM routing_cases WHERE status IN ('assigned','escalated')"
                )
                if decided == TOTAL:
                    break
                await asyncio.sleep(1)
            rows = await conn.fetch("SELECT case_id, status, current_advisor_id FROM routing_cases")
        finally:
            await conn.close()
    finally:
        routing.stop()
    assert routing.starts == KILLS + 1
    assert len(rows) == TOTAL
    assert all(r["status"] == "assigned" and r["current_advisor_id"] for r in rows), (
        "a case without an advisor"
    )

    events = read_json(await read_all(kafka_bootstrap, prefix + "routing.assignments.v1", timeout=60, idle=3))
    assigned: dict[str, set[str]] = defaultdict(set)
    for e in events:
        if e["event_type"] == "AdvisorAssigned":
            assigned[e["stream_id"]].add(e["event_id"])
    assert len(assigned) == TOTAL, "a case without its AdvisorAssigned on the topic"
    assert all(len(ids) == 1 for ids in assigned.values()), "a case assigned twice"
    current = {
        e["stream_id"]: e["payload"]["advisor_id"] for e in events if e["event_type"] == "AdvisorAssigned"
    }
    assert current == {r["case_id"]: r["current_advisor_id"] for r in rows}
    assert "Traceback" not in (tmp_path / "routing.log").read_text()
