"""The lost re-route, tried as found: an advisor moves under the manager ten of her cases are about.

Routing runs as an OS process and is SIGKILLed right after it committed the re-routes (before, or
while, its relay publishes them); intake runs in process on the same broker and grants case-file
access from what routing published. Afterwards: ten re-routes on the topic, once each; the
advisor who moved reads none of the ten files; `caseflow audit verify` agrees with the state,
and fails loudly when a mismatch is injected into routing's database by hand.
"""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from shared.contracts.directory import PersonUpserted
from shared.envelope import new_envelope
from shared.topics import ALL_TOPICS
from tests.support.directory import produce_directory
from tests.support.kafka_io import create_topics, produce, read_all, read_json
from tests.support.lifecycle import Lifecycle, start_lifecycle
from tests.support.processes import ServiceProcess, audit_verify
from tests.support.services import TEST_MASTER_KEY, wait_until
from tools.demo.sample_org import advisor_private_key, directory_events

pytestmark = pytest.mark.e2e
ANNA = "adv-anna"  # internal advisor, person p-hr-2 (HR, under p-hr-lead)
CASES = 10


def routing_env(lc: Lifecycle, tmp_path: Path) -> dict[str, str]:
    return {
        "ROUTING_KAFKA_BOOTSTRAP": lc.kafka,
        "ROUTING_TOPIC_PREFIX": lc.prefix,
        "ROUTING_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/routing.db",
        "ROUTING_KEYSTORE_URL": f"sqlite+aiosqlite:///{tmp_path}/keys.db",  # intake's key store
        "ROUTING_MASTER_KEY": TEST_MASTER_KEY,
    }


def routing_rows(tmp_path: Path) -> dict[str, tuple[str, str | None]]:
    with sqlite3.connect(tmp_path / "routing.db") as db:
        return {
            r[0]: (r[1], r[2])
            for r in db.execute("SELECT case_id, status, current_advisor_id FROM routing_cases")
        }


async def test_an_advisor_moving_under_the_manager_of_ten_cases_loses_all_ten_across_a_sigkill(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    async for lc in start_lifecycle(kafka_bootstrap, f"sqlite+aiosqlite:///{tmp_path}/intake.db", tmp_path):
        await _scenario(lc, kafka_bootstrap, tmp_path)


async def _scenario(lc: Lifecycle, kafka_bootstrap: str, tmp_path: Path) -> None:
    await create_topics(
        kafka_bootstrap,
        [lc.prefix + t.name for t in ALL_TOPICS] + [lc.prefix + t.dlq for t in ALL_TOPICS],
    )
    await produce_directory(kafka_bootstrap, lc.prefix, directory_events())
    lc.keys[ANNA] = advisor_private_key(ANNA)  # the sample directory registers this key
    env = routing_env(lc, tmp_path)
    routing = ServiceProcess("routing", env, tmp_path / "routing.log")
    routing.start()
    try:
        # Ten clients in ICT, each about their manager p-ict-lead, each asking for Anna.
        cases = []
        for _ in range(CASES):
            case_id = await open_case_when_intake_knows_the_directory(lc)
            cases.append(case_id)
        for case_id in cases:
            await lc.wait_for_assignee(case_id, ANNA)
        for case_id in cases:
            assert (await lc.read_as(ANNA, case_id)).status_code == 200

        # Anna moves into ICT, under p-ict-lead. Kill routing as soon as it has committed the
        # re-routes, the moment the old id scheme lost all but one of them.
        move = PersonUpserted(
            person_id="p-hr-2", unit_id="bzk-dgob-ict", manager_id="p-ict-lead", is_top_management=False
        )
        env_move = new_envelope(
            move, stream_id="p-hr-2", producer="hr-feed", occurred_at=lc.clock(), causation_id="hr-move-1"
        )
        await produce(kafka_bootstrap, lc.prefix + "directory.v1", [(b"p-hr-2", env_move.to_bytes())])

        async def rerouted_in_routing() -> bool:
            rows = routing_rows(tmp_path)
            return all(rows.get(c, ("", ANNA))[1] != ANNA for c in cases)

        await wait_until(rerouted_in_routing, timeout=60, interval=0.02)
        routing.kill()
        routing.start()

        async def nobody_left_with_anna() -> bool:
            answers = [await lc.read_as(ANNA, c) for c in cases]
            return all(a.status_code != 200 for a in answers)

        await wait_until(nobody_left_with_anna, timeout=60)
    finally:
        routing.stop()

    events = read_json(
        await read_all(kafka_bootstrap, lc.prefix + "routing.assignments.v1", timeout=60, idle=3)
    )
    reassigned = [
        e for e in events if e["event_type"] == "CaseReassigned" and e["payload"]["case_id"] in cases
    ]
    ids_per_case: dict[str, set[str]] = {}
    for e in reassigned:
        ids_per_case.setdefault(e["payload"]["case_id"], set()).add(e["event_id"])
    assert set(ids_per_case) == set(cases), "a case whose re-route was never published"
    assert all(len(ids) == 1 for ids in ids_per_case.values()), "a case re-routed twice"
    for case_id in cases:
        answer = await lc.read_as(ANNA, case_id)
        assert answer.status_code in (403, 404), answer.text

    # The audit agrees with what happened, in routing and in intake's access projection ...
    audit_env = {**env, "INTAKE_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/intake.db"}
    verdict = audit_verify(audit_env)
    assert verdict.returncode == 0, verdict.stdout + verdict.stderr
    assert "routing's open cases against routing.assignments.v1: all agree" in verdict.stdout
    assert "intake's assignments against routing.assignments.v1: all agree" in verdict.stdout
    # ... and notices when a service's state and the log part ways: routing's database, and intake
    # still letting Anna read a case that was taken from her (the defect as it was found).
    with sqlite3.connect(tmp_path / "routing.db") as db:
        db.execute("UPDATE routing_cases SET current_advisor_id = ? WHERE case_id = ?", (ANNA, cases[3]))
    with sqlite3.connect(tmp_path / "intake.db") as db:
        db.execute("UPDATE assignments SET advisor_id = ? WHERE case_id = ?", (ANNA, cases[5]))
    verdict = audit_verify(audit_env)
    assert verdict.returncode == 1, verdict.stdout + verdict.stderr
    assert f"STATE DIFFERS FROM LOG {cases[3]}: routing's database says assigned to {ANNA}" in verdict.stdout
    assert (
        f"STATE DIFFERS FROM LOG {cases[5]}: intake's assignments says assigned to {ANNA}" in verdict.stdout
    )
    assert verdict.stdout.count("1 differ") == 2
    assert "Traceback" not in (tmp_path / "routing.log").read_text()


async def open_case_when_intake_knows_the_directory(lc: Lifecycle) -> str:
    """Submit once intake has the organisation; a refusal for an unknown unit is retried."""
    from tests.support import samples

    doc_overrides = {
        "client_person_id": "p-ict-1",
        "persons_involved": [{"person_id": "p-ict-lead", "role": "direct_manager"}],
        "preferred_advisor_id": ANNA,
    }
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 60
    while True:
        doc = samples.submission(submitted_at=lc.clock().isoformat(), **doc_overrides)
        answer = await lc.client.post("/v1/submissions", json=doc)
        if answer.status_code == 201:
            return str(answer.json()["case_ref"])
        if loop.time() > deadline:
            raise AssertionError(f"intake kept refusing the submission: {answer.status_code} {answer.text}")
        await asyncio.sleep(0.5)
