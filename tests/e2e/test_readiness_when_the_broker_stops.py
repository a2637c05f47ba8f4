"""Readiness follows the broker within 5 s; liveness stays about the process (issue 15).

A scheduling process runs against a broker of its own. The broker is stopped (SIGTERM, its
controlled shutdown) while the test polls the process's /ready and /health every 100 ms: /ready
must answer 503 within 5 s of the stop, /health must stay 200 the whole outage (a broker outage
must not restart every pod), and /ready must answer 200 again once the broker is back.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path

import httpx
import pytest

from devinfra.kafka import KafkaNode
from shared.topics import ALL_TOPICS
from tests.support.kafka_io import create_topics
from tests.support.processes import ServiceProcess

pytestmark = pytest.mark.e2e
READY_WITHIN = 5.0
OUTAGE_WINDOW = 20.0  # how long /health is watched with the broker away


async def test_ready_turns_503_within_5s_of_a_broker_stop_health_stays_200_and_ready_comes_back(
    tmp_path: Path,
) -> None:
    node = KafkaNode(data_dir=tmp_path / "kafka", heap="512m")
    node.start()
    service: ServiceProcess | None = None
    try:
        prefix = f"t-ready-{uuid.uuid4().hex[:8]}."
        await create_topics(
            node.bootstrap, [prefix + t.name for t in ALL_TOPICS] + [prefix + t.dlq for t in ALL_TOPICS]
        )
        service = ServiceProcess(
            "scheduling",
            {
                "SCHEDULING_KAFKA_BOOTSTRAP": node.bootstrap,
                "SCHEDULING_TOPIC_PREFIX": prefix,
                "SCHEDULING_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/scheduling.db",
            },
            tmp_path / "scheduling.log",
        )
        await asyncio.to_thread(service.start)
        async with httpx.AsyncClient(base_url=service.url, timeout=1.0) as http:
            assert (await http.get("/ready")).status_code == 200

            stop_called = time.monotonic()
            stopped: dict[str, float] = {}

            def stop_broker() -> None:
                node.stop(cleanup=False)
                stopped["at"] = time.monotonic()

            stopping = asyncio.create_task(asyncio.to_thread(stop_broker))
            unready_at: float | None = None
            reasons: list[str] = []
            health_codes: list[int] = []
            deadline = stop_called + OUTAGE_WINDOW
            while time.monotonic() < deadline:
                ready = await http.get("/ready")
                health_codes.append((await http.get("/health")).status_code)
                if ready.status_code == 503 and unready_at is None:
                    unready_at = time.monotonic()
                    reasons = ready.json()["reasons"]
                await asyncio.sleep(0.1)
            await stopping
            assert unready_at is not None, "/ready never turned 503 while the broker was away"
            delay = unready_at - stop_called

            restart_called = time.monotonic()
            await asyncio.to_thread(node.start)
            started = time.monotonic()
            ready_again: float | None = None
            while time.monotonic() < started + 60:
                if (await http.get("/ready")).status_code == 200:
                    ready_again = time.monotonic()
                    break
                await asyncio.sleep(0.1)
    finally:
        if service is not None:
            service.stop()
        node.stop()

    print(
        f"\n/ready 503 {delay:.2f}s after the broker stop was called (the process exited after "
        f"{stopped['at'] - stop_called:.2f}s; {reasons}); "
        f"/health answered {sorted(set(health_codes))} over {len(health_codes)} polls in "
        f"{OUTAGE_WINDOW:.0f}s; broker start took {started - restart_called:.1f}s, /ready 200 again "
        f"{(ready_again or float('nan')) - started:.2f}s after it served metadata"
    )
    assert delay <= READY_WITHIN, f"/ready took {delay:.2f}s to turn 503"
    assert any(r.startswith("broker_unreachable") for r in reasons), reasons
    assert set(health_codes) == {200}, "liveness failed during a broker outage"
    assert ready_again is not None, "/ready did not come back after the broker restart"
