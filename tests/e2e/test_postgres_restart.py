"""PostgreSQL restarted under load (issue 15): routing recovers by itself and nothing is lost.

Routing runs as a process on a PostgreSQL of its own while 600 opened cases stream in; halfway the
server is restarted in `immediate` mode (every connection dropped, WAL recovery, as after a crash).
Nobody touches routing: afterwards every case has exactly one assignment on the topic and in the
database, and routing was started once. The time until decisions resume is printed.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from devinfra.postgres import PostgresServer
from shared.topics import ALL_TOPICS
from tests.support.kafka_io import create_topics, produce, read_all, read_json
from tests.support.processes import ServiceProcess
from tests.support.routing_load import opened_cases
from tests.support.services import TEST_MASTER_KEY
from tools.demo.sample_org import directory_events

pytestmark = pytest.mark.e2e
TOTAL, CHUNKS = 600, 12


@pytest.fixture
def own_postgres() -> Iterator[PostgresServer]:
    # Durable commits, as in production: the test servers' fsync=off also turns synchronous_commit
    # off, and then an immediate restart loses commits PostgreSQL had already acknowledged (routing
    # committed the Kafka offsets after them, so a batch was gone: this test found it that way).
    server = PostgresServer(fsync=True)
    server.start()
    yield server
    server.stop()


async def decided(raw_url: str) -> int:
    conn = await asyncpg.connect(raw_url)
    try:
        return int(
            await conn.fetchval("SELECT count(*) FROM routing_cases WHERE status IN ('assigned','escalated')")
        )
    finally:
        await conn.close()


async def test_routing_rides_out_a_postgres_restart_under_load(
    kafka_bootstrap: str, own_postgres: PostgresServer, tmp_path: Path
) -> None:
    prefix = f"t-pgrestart-{uuid.uuid4().hex[:8]}."
    await create_topics(
        kafka_bootstrap, [prefix + t.name for t in ALL_TOPICS] + [prefix + t.dlq for t in ALL_TOPICS]
    )
    database = own_postgres.create_database("routing")
    keys_url = f"sqlite+aiosqlite:///{tmp_path}/keys.db"
    envelopes = await opened_cases(keys_url, random.Random(2019), TOTAL)
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
            "ROUTING_DATABASE_URL": database,
            "ROUTING_KEYSTORE_URL": keys_url,
            "ROUTING_MASTER_KEY": TEST_MASTER_KEY,
            "ROUTING_MAX_BATCH": "50",
        },
        tmp_path / "routing.log",
    )
    raw = database.replace("postgresql+asyncpg://", "postgresql://")
    routing.start()
    try:
        step = TOTAL // CHUNKS
        for n in range(CHUNKS):
            chunk = envelopes[n * step : (n + 1) * step]
            await produce(
                kafka_bootstrap,
                prefix + "intake.cases.v1",
                [(e.stream_id.encode(), e.to_bytes()) for e in chunk],
            )
            if n == CHUNKS // 2:
                # Restart only once routing is busy deciding (a third of the cases done).
                loop = asyncio.get_running_loop()
                busy_by = loop.time() + 120
                while (before := await decided(raw)) < TOTAL // 3 and loop.time() < busy_by:
                    await asyncio.sleep(0.1)
                await asyncio.to_thread(own_postgres.restart, "immediate")
                restarted_at = time.monotonic()
        # Decisions resume without anyone restarting routing.
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 240
        resumed = None
        while loop.time() < deadline:
            try:
                count = await decided(raw)
            except (OSError, asyncpg.PostgresError):
                count = 0
            if resumed is None and count > before:
                resumed = time.monotonic() - restarted_at
            if count == TOTAL:
                break
            await asyncio.sleep(0.5)
        all_done = time.monotonic() - restarted_at
        health = (await asyncio.to_thread(httpx.get, routing.url + "/health", timeout=5)).text
        conn = await asyncpg.connect(raw)
        try:
            rows = await conn.fetch("SELECT case_id, status, current_advisor_id FROM routing_cases")
        finally:
            await conn.close()
        assert routing.proc is not None and routing.proc.poll() is None, "routing died"
    finally:
        routing.stop()
    print(
        f"\nPostgreSQL restarted (immediate) with {before} of {TOTAL} cases decided: decisions resumed "
        f"{resumed if resumed is None else round(resumed, 1)} s later, all {TOTAL} decided {all_done:.1f} s after the restart"
    )
    assert routing.starts == 1  # no operator, no restart
    assert len(rows) == TOTAL, f"{TOTAL - len(rows)} cases never reached routing's database; {health}"
    assert all((r["status"] == "assigned") == bool(r["current_advisor_id"]) for r in rows)
    events = read_json(await read_all(kafka_bootstrap, prefix + "routing.assignments.v1", timeout=60, idle=3))
    assigned: dict[str, set[str]] = defaultdict(set)
    for e in events:
        if e["event_type"] == "AdvisorAssigned":
            assigned[e["stream_id"]].add(e["payload"]["advisor_id"])
    assert all(len(a) == 1 for a in assigned.values()), "a case assigned to two advisors"
    in_database = {r["case_id"]: r["current_advisor_id"] for r in rows if r["status"] == "assigned"}
    assert {case: next(iter(a)) for case, a in assigned.items()} == in_database
    assert len(in_database) > TOTAL // 2  # most cases get an internal advisor in the sample organisation
