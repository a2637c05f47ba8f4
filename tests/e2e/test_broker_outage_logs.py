"""A broker outage: the service process writes JSON lines only, and a bounded number of them.

Before shared/logging.py sent library loggers through structlog and rate-limited repeats, a
17-second outage wrote about 9,650 plain-text aiokafka lines. Here a routing process runs against
a broker of its own; the broker is stopped for 15 seconds and started again on the same port; the
service must process a record again afterwards, and every line it wrote (stdout and stderr) must
be a JSON object with a level and a timestamp.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from devinfra.kafka import KafkaNode
from shared.topics import ALL_TOPICS
from tests.support.kafka_io import create_topics, produce
from tests.support.processes import ServiceProcess
from tests.support.services import TEST_MASTER_KEY

pytestmark = pytest.mark.e2e
OUTAGE_SECONDS = 15
# Rate limit (3 lines per logger and template per 10 s) times the templates aiokafka uses while a
# broker is away, plus our own retry lines: a few dozen. Far below the thousands before.
MOST_LINES_DURING_OUTAGE = 150


def dead_letters(service: ServiceProcess) -> float:
    total = 0.0
    for line in service.metrics_text().splitlines():
        if line.startswith("caseflow_dlq_records_total{"):
            total += float(line.rsplit(" ", 1)[1])
    return total


async def wait_for_dead_letters(service: ServiceProcess, count: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if await asyncio.to_thread(dead_letters, service) >= count:
                return
        except Exception:  # noqa: BLE001, S110  # the HTTP side may be busy; the deadline decides
            pass
        await asyncio.sleep(0.5)
    raise AssertionError(f"{service.service} did not dead-letter record {count} within {timeout}s")


def parsed(lines: list[str]) -> list[dict[str, Any]]:
    records = []
    for number, line in enumerate(lines, start=1):
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            raise AssertionError(f"line {number} is not JSON: {line[:200]!r}") from None
        assert isinstance(record, dict), f"line {number} is not a JSON object"
        assert {"level", "timestamp", "event"} <= set(record), (
            f"line {number} lacks level/timestamp: {line[:200]}"
        )
        records.append(record)
    return records


async def test_a_broker_outage_leaves_a_bounded_number_of_json_lines(tmp_path: Path) -> None:
    node = KafkaNode(data_dir=tmp_path / "kafka", heap="512m")
    node.start()
    log_path = tmp_path / "routing.log"
    routing: ServiceProcess | None = None
    try:
        prefix = f"t-outage-{uuid.uuid4().hex[:8]}."
        await create_topics(
            node.bootstrap, [prefix + t.name for t in ALL_TOPICS] + [prefix + t.dlq for t in ALL_TOPICS]
        )
        routing = ServiceProcess(
            "routing",
            {
                "ROUTING_KAFKA_BOOTSTRAP": node.bootstrap,
                "ROUTING_TOPIC_PREFIX": prefix,
                "ROUTING_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/routing.db",
                "ROUTING_KEYSTORE_URL": f"sqlite+aiosqlite:///{tmp_path}/keys.db",
                "ROUTING_MASTER_KEY": TEST_MASTER_KEY,
                "ROUTING_LOG_LEVEL": "INFO",
            },
            log_path,
        )
        routing.start()
        # A record routing cannot read: its dead letter shows the consumer is working.
        await produce(node.bootstrap, prefix + "intake.cases.v1", [(b"k-1", b"not json")])
        await wait_for_dead_letters(routing, 1, timeout=60)

        before = len(log_path.read_text().splitlines())
        node.stop(cleanup=False)
        outage_started = time.monotonic()
        await asyncio.sleep(OUTAGE_SECONDS)  # the outage itself: waited out on purpose
        during = log_path.read_text().splitlines()[before:]
        outage_seconds = time.monotonic() - outage_started
        node.start()

        await produce(node.bootstrap, prefix + "intake.cases.v1", [(b"k-2", b"still not json")])
        await wait_for_dead_letters(routing, 2, timeout=120)
    finally:
        if routing is not None:
            routing.stop()
        node.stop()

    everything = parsed(log_path.read_text().splitlines())
    outage = parsed(during)
    by_logger = Counter(r.get("logger", "?") for r in outage)
    suppressed = sum(int(r.get("suppressed", 0)) for r in everything if r["event"] == "log_lines_suppressed")
    print(
        f"\nbroker outage of {outage_seconds:.1f}s: {len(outage)} JSON lines written during it "
        f"({dict(by_logger)}); {len(everything)} lines in the whole run; "
        f"{suppressed} repeated library lines held back and counted"
    )
    assert len(outage) <= MOST_LINES_DURING_OUTAGE
    assert any(r.get("logger", "").startswith("aiokafka") for r in outage), "the outage left no trace at all"
