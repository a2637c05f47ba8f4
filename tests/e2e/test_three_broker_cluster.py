"""Intake and routing on a three-broker cluster (issue 15): a partition leader dies under load, and
two brokers stop so that no write can be acknowledged. The production shape: replication factor 3,
min.insync.replicas 2, producers with acks=all and idempotence (the services' defaults).

Counted from the outside, by submission id: every form answered with a receipt has exactly one
case opened on intake.cases.v1 and one assignment on routing.assignments.v1, once the cluster is
whole again. The recovery times are printed.
"""

from __future__ import annotations

import time
import uuid
from collections import Counter
from pathlib import Path

import httpx
import pytest

from devinfra.kafka import KafkaCluster
from services.intake.application.open_case import case_id_for
from shared.topics_config import apply_topics
from tests.support.directory import produce_directory, wait_for_units_over_http
from tests.support.html_page import Page
from tests.support.intake_flow import Assignments, form, poll
from tests.support.kafka_io import read_all, read_json
from tests.support.processes import ServiceProcess, intake_and_routing
from tests.support.services import TEST_MASTER_KEY
from tools.demo.chaos import crash
from tools.demo.sample_org import directory_events

pytestmark = pytest.mark.e2e


async def start_services(cluster: KafkaCluster, tmp_path: Path, prefix: str) -> dict[str, ServiceProcess]:
    report = await apply_topics(cluster.bootstrap, prefix, replication_factor=3)
    assert report.created  # with the min.insync.replicas of deploy/kafka/topics.yaml
    await produce_directory(cluster.bootstrap, prefix, directory_events())
    processes = intake_and_routing(cluster.bootstrap, prefix, tmp_path, TEST_MASTER_KEY)
    for process in processes.values():
        process.start(timeout=120)
    await wait_for_units_over_http(processes["intake"].url)
    return processes


async def opened_per_submission(cluster: KafkaCluster, prefix: str) -> Counter[str]:
    events = read_json(await read_all(cluster.bootstrap, prefix + "intake.cases.v1", timeout=60, idle=3))
    opened = {e["event_id"]: e["payload"]["submission_id"] for e in events if e["event_type"] == "CaseOpened"}
    return Counter(opened.values())  # distinct event ids: a re-published copy is one effect


def receipt(html: str) -> str:
    return "".join(n.text() for n in Page(html).root.walk() if n.attrs.get("id") == "receipt-code")


async def test_the_partition_leader_dies_under_load_and_nothing_is_lost_or_doubled(
    cluster: KafkaCluster, tmp_path: Path
) -> None:
    prefix = f"t-leader-{uuid.uuid4().hex[:8]}."
    processes = await start_services(cluster, tmp_path, prefix)
    ids = [f"leader-{i:03d}-{uuid.uuid4().hex[:6]}" for i in range(40)]
    try:
        async with (
            httpx.AsyncClient(base_url=processes["intake"].url, timeout=60) as client,
            Assignments(cluster.bootstrap, prefix + "routing.assignments.v1") as assignments,
        ):
            for submission_id in ids[:20]:
                assert receipt((await client.post("/formulier", data=form(submission_id))).text)
            leader = await cluster.leader_of(prefix + "intake.cases.v1", 0)
            crash(cluster.node(leader))
            killed_at = time.monotonic()
            for submission_id in ids[20:]:
                answer = await client.post("/formulier", data=form(submission_id))
                assert answer.status_code == 200 and receipt(answer.text), answer.text[:300]
            for submission_id in ids:
                await assignments.wait_for(case_id_for(submission_id), timeout=180)
            all_assigned = time.monotonic() - killed_at
            cluster.node(leader).start(timeout=120)
            rejoined = time.monotonic() - killed_at
    finally:
        for process in processes.values():
            process.stop()
    print(
        f"\nleader node {leader} of intake.cases.v1[0] SIGKILLed under load: all {len(ids)} cases "
        f"assigned {all_assigned:.1f} s after the kill; the node back in {rejoined:.1f} s"
    )
    opened = await opened_per_submission(cluster, prefix)
    assert {s: opened[s] for s in ids} == dict.fromkeys(ids, 1)
    assert set(assignments.assigned) == {case_id_for(s) for s in ids}
    for name in processes:
        assert "Traceback" not in (tmp_path / f"{name}.log").read_text()


async def test_with_two_brokers_down_intake_gives_receipts_and_publishes_all_after_recovery(
    cluster: KafkaCluster, tmp_path: Path
) -> None:
    prefix = f"t-isr-{uuid.uuid4().hex[:8]}."
    processes = await start_services(cluster, tmp_path, prefix)
    ids = [f"isr-{i:02d}-{uuid.uuid4().hex[:6]}" for i in range(12)]
    try:
        async with (
            httpx.AsyncClient(base_url=processes["intake"].url, timeout=60) as client,
            Assignments(cluster.bootstrap, prefix + "routing.assignments.v1") as assignments,
        ):
            await client.post("/formulier", data=form(f"isr-before-{uuid.uuid4().hex[:6]}"))
            down = [cluster.node(2), cluster.node(3)]
            for node in down:
                crash(node)
            crashed_at = time.monotonic()
            receipts = []
            for submission_id in ids:
                started = time.monotonic()
                answer = await client.post("/formulier", data=form(submission_id))
                receipts.append(time.monotonic() - started)
                assert answer.status_code == 200 and receipt(answer.text), answer.text[:300]
            polled_at = time.monotonic()
            unready, body = await poll(client, "/ready", 503, 60)
            unready += polled_at - crashed_at
            back_at = time.monotonic()
            for node in down:
                node.start(timeout=180, wait=False)
            for node in down:
                node.wait_ready(time.monotonic() + 180)
            for submission_id in ids:
                await assignments.wait_for(case_id_for(submission_id), timeout=240)
            recovered = time.monotonic() - back_at
            await poll(client, "/ready", 200, 120)
    finally:
        for process in processes.values():
            process.stop()
    print(
        f"\ntwo of three brokers down: {len(ids)} receipts, slowest {max(receipts):.2f} s; intake "
        f"/ready 503 within {unready:.1f} s of the crash ({body['reasons']}); brokers back: all published and "
        f"assigned {recovered:.1f} s later"
    )
    assert max(receipts) < 5.0
    opened = await opened_per_submission(cluster, prefix)
    assert {s: opened[s] for s in ids} == dict.fromkeys(ids, 1)
    assert "Traceback" not in (tmp_path / "intake.log").read_text()
