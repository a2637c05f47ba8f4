"""`caseflow dlq redrive` re-processes a fixed record once (issue 15), on the real broker.

The realistic failure: a master-key rotation half done. Intake already wraps new case keys under
the new master key; routing was restarted without it (only the old key), so it cannot open the
routing facts of a new case: the CaseOpened fails three times (UnknownMasterKey) and routing
dead-letters it on intake.cases.v1.dlq, sealed under a key of its own (wrapped under the old key).
The operator lists it (reason code, no content), fixes routing's settings (new key current, old
key previous), restarts it and re-drives the dead letter: routing assigns an advisor, once.
Scheduling reads the same topic and leaves the re-driven copy alone; a second re-drive is refused,
a forced one changes nothing, and neither list nor show ever prints the case id, the submission id
or the sealed bytes.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import re
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest

from shared.crypto import new_master_key_b64
from shared.topics import ALL_TOPICS
from tests.support.kafka_io import create_topics, produce, read_all, read_json
from tests.support.processes import CASEFLOW, ServiceProcess
from tests.support.routing_load import opened_cases
from tests.support.services import TEST_MASTER_KEY, wait_until
from tools.demo.sample_org import directory_events

pytestmark = pytest.mark.e2e

NEW_KEY = TEST_MASTER_KEY  # what intake wraps case keys under since the rotation began
OLD_KEY = new_master_key_b64()  # the only key routing was given: the rotation's mistake


def metric(text: str, name: str, **labels: str) -> float:
    """The value of one labelled sample in a /metrics page (0 when it is not there yet)."""
    for line in text.splitlines():
        if not line.startswith(name + "{"):
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', line.split("}", 1)[0]))
        if all(found.get(k) == v for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


class Operator:
    """Runs `caseflow dlq ...` as an operator would, with routing's key-store settings."""

    def __init__(self, kafka: str, prefix: str, keys_url: str, folder: Path) -> None:
        self.broker = ["--kafka", kafka, "--topic-prefix", prefix]
        self.env = {
            **os.environ,
            "CASEFLOW_STACK_HOME": str(folder / "no-stack"),
            "ROUTING_KEYSTORE_URL": keys_url,
            "ROUTING_MASTER_KEY": NEW_KEY,
            "ROUTING_PREVIOUS_MASTER_KEYS": OLD_KEY,
        }
        self.folder = folder
        self.said: list[str] = []  # everything the command printed, to search for personal data

    def run(self, *argv: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [CASEFLOW, "dlq", *argv, *self.broker],
            env=self.env,
            cwd=self.folder,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        self.said += [done.stdout, done.stderr]
        return done

    def listing(self) -> dict[str, Any]:
        done = self.run("list", "--json", "--topic", "intake.cases.v1")
        assert done.returncode == 0, done.stderr
        return dict(json.loads(done.stdout))


async def test_a_redriven_dead_letter_is_processed_once_by_its_service_and_ignored_by_the_others(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    prefix = f"t-dlq-{uuid.uuid4().hex[:8]}."
    await create_topics(
        kafka_bootstrap, [prefix + t.name for t in ALL_TOPICS] + [prefix + t.dlq for t in ALL_TOPICS]
    )
    keys_url = f"sqlite+aiosqlite:///{tmp_path}/keys.db"
    [opened] = await opened_cases(keys_url, random.Random(15), 1)  # its case key under NEW_KEY
    case_id, submission_id = opened.stream_id, opened.payload.submission_id
    await produce(
        kafka_bootstrap,
        prefix + "directory.v1",
        [(e.stream_id.encode(), e.to_bytes()) for e in directory_events()],
    )
    common = {"KAFKA_BOOTSTRAP": kafka_bootstrap, "TOPIC_PREFIX": prefix}
    routing_env = {f"ROUTING_{k}": v for k, v in common.items()} | {
        "ROUTING_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/routing.db",
        "ROUTING_KEYSTORE_URL": keys_url,
        "ROUTING_MASTER_KEY": OLD_KEY,
    }
    routing = ServiceProcess("routing", routing_env, tmp_path / "routing.log")
    scheduling = ServiceProcess(
        "scheduling",
        {f"SCHEDULING_{k}": v for k, v in common.items()}
        | {"SCHEDULING_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/scheduling.db"},
        tmp_path / "scheduling.log",
    )
    operator = Operator(kafka_bootstrap, prefix, keys_url, tmp_path)
    routing.start()
    scheduling.start()
    try:
        await produce(kafka_bootstrap, prefix + "intake.cases.v1", [(case_id.encode(), opened.to_bytes())])

        # 1. The dead letter shows in the listing: who, where from, why; not re-driven yet.
        def dead_lettered() -> bool:
            return bool(operator.listing()["dead_letters"])

        await wait_until(lambda: asyncio.to_thread(dead_lettered), timeout=90, interval=1.0)
        listing = operator.listing()
        [letter] = listing["dead_letters"]
        assert (letter["service"], letter["source_topic"], letter["reason"]) == (
            "routing",
            "intake.cases.v1",
            "handler_error",
        )
        assert letter["error"] == "UnknownMasterKey" and letter["original_sealed"] is True
        assert letter["redriven"] == [] and listing["by_reason"] == {"handler_error": 1}
        position = letter["position"]
        assert position.startswith("intake.cases.v1.dlq:")
        lines = operator.run("list")
        assert lines.returncode == 0 and "not re-driven" in lines.stdout
        assert "by reason: handler_error 1" in lines.stdout
        shown = operator.run("show", position)
        assert shown.returncode == 0 and "UnknownMasterKey" in shown.stdout
        # Scheduling read the original CaseOpened as usual.
        await wait_until(
            lambda: (
                metric(
                    scheduling.metrics_text(),
                    "caseflow_messages_processed_total",
                    topic="intake.cases.v1",
                    outcome="processed",
                )
                >= 1
            )
        )

        # 2. The fix: routing gets the new key as current and the old one as previous.
        routing.stop()
        routing.env |= {"ROUTING_MASTER_KEY": NEW_KEY, "ROUTING_PREVIOUS_MASTER_KEYS": OLD_KEY}
        routing.start()

        # 3. Re-drive: routing assigns an advisor to the case, once.
        done = operator.run("redrive", position, "--yes")
        assert done.returncode == 0, done.stderr
        assert f"re-drove {position} to intake.cases.v1:" in done.stdout

        async def assignments() -> list[dict[str, Any]]:
            events = read_json(
                await read_all(kafka_bootstrap, prefix + "routing.assignments.v1", timeout=10, idle=2)
            )
            return [e for e in events if e["stream_id"] == case_id and e["event_type"] == "AdvisorAssigned"]

        async def assigned() -> bool:
            return bool(await assignments())

        await wait_until(assigned, timeout=60, interval=1.0)
        [marked] = operator.listing()["dead_letters"]
        assert [r["forced"] for r in marked["redriven"]] == [False]

        # 4. A second re-drive is refused in words; a forced one is a duplicate to routing's inbox.
        again = operator.run("redrive", position, "--yes")
        assert again.returncode == 1 and "was re-driven already" in again.stderr
        assert "Traceback" not in again.stderr
        forced = operator.run("redrive", position, "--yes", "--force")
        assert forced.returncode == 0, forced.stderr
        assert "again (forced)" in forced.stdout
        await wait_until(
            lambda: (
                metric(
                    routing.metrics_text(),
                    "caseflow_messages_processed_total",
                    topic="intake.cases.v1",
                    outcome="duplicate",
                )
                >= 1
            ),
            timeout=60,
        )
        # Scheduling saw both re-driven copies and left them to routing.
        await wait_until(
            lambda: (
                metric(
                    scheduling.metrics_text(),
                    "caseflow_messages_processed_total",
                    topic="intake.cases.v1",
                    outcome="redrive_for_another",
                )
                == 2
            ),
            timeout=60,
        )
        assert len(await assignments()) == 1, "the case was assigned twice"
        [marked] = operator.listing()["dead_letters"]
        assert [r["forced"] for r in marked["redriven"]] == [False, True]
        assert "re-driven 2x" in operator.run("list").stdout
    finally:
        routing.stop()
        scheduling.stop()
    # No routing dead letter beyond the one: the re-drives did not fail again.
    assert len(operator.listing()["dead_letters"]) == 1
    said = "\n".join(operator.said)
    for secret in (case_id, submission_id, opened.payload.routing_facts.ct):
        assert secret not in said, "the operator's output shows personal data"
    assert "Traceback" not in (tmp_path / "routing.log").read_text()
