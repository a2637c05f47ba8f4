"""SIGKILL the routing process during a stream of 2,000 opened cases: exactly one current assignment each."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from shared.codes import Category, Channel, ClientRole
from shared.contracts.intake import CaseOpened
from shared.crypto import CaseCipher, KeyStore, parse_master_key
from shared.db import make_engine
from shared.envelope import new_envelope
from shared.topics import ALL_TOPICS
from tests.support.kafka_io import create_topics, produce, read_all, read_json
from tests.support.processes import ServiceProcess
from tests.support.services import TEST_MASTER_KEY
from tools.demo.sample_org import directory_events

pytestmark = pytest.mark.e2e
TOTAL, KILLS = 2000, 5
CLIENTS = ["p-ict-1", "p-ict-2", "p-hr-1", "p-hr-3", "p-tax-1", None]
INVOLVED = [
    [{"person_id": "p-ict-lead", "role": "direct_manager"}],
    [{"person_id": "p-hr-lead", "role": "direct_manager"}],
    [{"person_id": "p-dg", "role": "higher_manager"}],
    [],
    [{"person_id": None, "role": "colleague"}],
]


async def opened_cases(keys_url: str, rng: random.Random) -> list[Any]:
    engine = make_engine(keys_url)
    store = KeyStore(engine, parse_master_key(TEST_MASTER_KEY))
    await store.create_schema()
    now = datetime.now(UTC)
    case_ids = [str(uuid.uuid4()) for _ in range(TOTAL)]
    keys = await store.create_keys(case_ids, now)
    envelopes = []
    for i, case_id in enumerate(case_ids):
        client = rng.choice(CLIENTS)
        unit = {
            "p-ict-1": "bzk-dgob-ict",
            "p-ict-2": "bzk-dgob-ict",
            "p-hr-1": "bzk-dgob-hr",
            "p-hr-3": "bzk-dgob-hr",
            "p-tax-1": "fin-tax",
        }.get(client or "", "bzk-dgob")
        org = "min-fin" if unit.startswith("fin") else "min-bzk"
        facts = {
            "client_person_id": client,
            "persons_involved": rng.choice(INVOLVED),
            "preferred_advisor_id": None,
            "excluded_advisor_ids": [],
        }
        payload = CaseOpened(
            case_id=case_id,
            submission_id=f"crash-{i:05d}",
            opened_at=now,
            channel=Channel.WEB,
            organisation_id=org,
            unit_id=unit,
            client_role=ClientRole.EMPLOYEE,
            anonymous=client is None,
            categories=(
                rng.choice([Category.LABOUR_CONFLICT_WITH_MANAGER, Category.BULLYING, Category.FRAUD_THEFT]),
            ),
            personal=CaseCipher.seal_with_key(keys[case_id], case_id, "personal", {}),
            routing_facts=CaseCipher.seal_with_key(keys[case_id], case_id, "routing_facts", facts),
        )
        envelopes.append(
            new_envelope(
                payload,
                stream_id=case_id,
                producer="intake",
                occurred_at=now,
                causation_id=f"submission:crash-{i:05d}",
            )
        )
    await engine.dispose()
    return envelopes


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
    envelopes = await opened_cases(keys_url, rng)
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
