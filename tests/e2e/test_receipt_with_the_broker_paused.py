"""Never a lost receipt: with the broker paused (SIGSTOP), the web form still answers with a receipt.

Intake and routing run as processes against a broker of their own. Once a first case has been
assigned (the whole flow works), the broker's JVM is paused with SIGSTOP: a form posted then is
answered with its receipt code within a few seconds, saying in words that the message is stored
and will be passed on; intake's `/ready` turns 503 with the reason while `/health` (liveness) of
both services stays 200. After SIGCONT the case flows on and is assigned, and `/ready` is 200 again.
Before, the form answered a bare "Internal Server Error" after 30 s and `/ready` stayed 200.
"""

from __future__ import annotations

import os
import signal
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from devinfra.kafka import KafkaNode
from services.intake.adapters.rendering.web_form_texts import TEXT
from services.intake.application.open_case import case_id_for
from shared.topics import ALL_TOPICS
from tests.support.directory import produce_directory, wait_for_units_over_http
from tests.support.html_page import Page
from tests.support.intake_flow import Assignments, form, poll
from tests.support.kafka_io import create_topics
from tests.support.processes import intake_and_routing
from tests.support.services import TEST_MASTER_KEY
from tools.demo.sample_org import directory_events

pytestmark = pytest.mark.e2e
RECEIPT_WITHIN_SECONDS = 5.0
UNREADY_WITHIN_SECONDS = 30.0


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[KafkaNode]:
    node = KafkaNode(data_dir=tmp_path / "kafka", heap="512m")
    node.start()
    yield node
    node.stop()


async def test_with_the_broker_paused_the_form_answers_with_a_receipt_and_the_case_is_assigned_after(
    broker: KafkaNode, tmp_path: Path
) -> None:
    prefix = f"t-pause-{uuid.uuid4().hex[:8]}."
    await create_topics(
        broker.bootstrap, [prefix + t.name for t in ALL_TOPICS] + [prefix + t.dlq for t in ALL_TOPICS]
    )
    await produce_directory(broker.bootstrap, prefix, directory_events())
    processes = intake_and_routing(broker.bootstrap, prefix, tmp_path, TEST_MASTER_KEY)
    intake, routing = processes["intake"], processes["routing"]
    try:
        intake.start()
        routing.start()
        await wait_for_units_over_http(intake.url)
        async with (
            httpx.AsyncClient(base_url=intake.url, timeout=60) as client,
            httpx.AsyncClient(base_url=routing.url, timeout=5) as routing_client,
            Assignments(broker.bootstrap, prefix + "routing.assignments.v1") as assignments,
        ):
            first = f"pause-first-{uuid.uuid4().hex[:8]}"
            answer = await client.post("/formulier", data=form(first))
            assert answer.status_code == 200 and "passed-on-later" not in answer.text
            await assignments.wait_for(case_id_for(first), timeout=90)  # the whole flow works

            paused_id = f"pause-during-{uuid.uuid4().hex[:8]}"
            assert broker.pid is not None
            os.kill(broker.pid, signal.SIGSTOP)
            try:
                paused_at = time.monotonic()
                answer = await client.post("/formulier", data=form(paused_id))
                receipt_seconds = time.monotonic() - paused_at
                page = Page(answer.text)
                code = "".join(n.text() for n in page.root.walk() if n.attrs.get("id") == "receipt-code")
                later = [n.text() for n in page.root.walk() if n.attrs.get("id") == "passed-on-later"]

                unready_seconds, ready_body = await poll(client, "/ready", 503, UNREADY_WITHIN_SECONDS)
                unready_seconds += receipt_seconds
                for service in (client, routing_client):  # liveness holds through the outage
                    health = await service.get("/health")
                    assert health.status_code == 200, health.text
                routing_unready, _ = await poll(routing_client, "/ready", 503, UNREADY_WITHIN_SECONDS)
            finally:
                os.kill(broker.pid, signal.SIGCONT)
            resumed_at = time.monotonic()
            advisor = await assignments.wait_for(case_id_for(paused_id), timeout=120)
            assigned_seconds = time.monotonic() - resumed_at
            ready_again_seconds, _ = await poll(client, "/ready", 200, 60)
            await poll(routing_client, "/ready", 200, 60)
    finally:
        for process in processes.values():
            process.stop()

    print(
        f"\nbroker paused: receipt page after {receipt_seconds:.2f}s; intake /ready 503 after "
        f"{unready_seconds:.1f}s ({ready_body['reasons']}); resumed: assigned to {advisor} after "
        f"{assigned_seconds:.1f}s, intake ready again after {ready_again_seconds:.1f}s"
    )
    assert answer.status_code == 200, answer.text[:500]
    assert receipt_seconds < RECEIPT_WITHIN_SECONDS
    assert len(code) == 19 and code.count("-") == 3
    assert later == [TEXT["nl"]["passed_on_later"]]
    assert any(r.startswith("broker_unreachable") for r in ready_body["reasons"])
    assert routing_unready < UNREADY_WITHIN_SECONDS
    assert "Traceback" not in (tmp_path / "intake.log").read_text()
