"""/ready and /health as every service serves them (shared/runtime.py), with stand-in dependencies.

The runtime is built but not started (nothing connects); its readiness monitor is given checks
that answer or hang, as a broker paused with SIGSTOP does. The real broker is paused in
tests/e2e/test_receipt_with_the_broker_paused.py.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from prometheus_client import generate_latest

from services.scheduling.app import create_runtime
from services.scheduling.settings import SchedulingSettings
from shared.readiness import ReadinessMonitor
from shared.runtime import ServiceRuntime

pytestmark = pytest.mark.unit


async def answers() -> None:
    return None


async def hangs() -> None:
    await asyncio.Event().wait()


def runtime_with(broker: Any, database: Any = answers, *, silent_since: float = 10.0) -> ServiceRuntime:
    runtime = create_runtime(SchedulingSettings(broker_grace_seconds=5.0, outbox_grace_seconds=3600.0))
    runtime.monitor = ReadinessMonitor({"broker": broker, "database": database}, timeout=0.05)
    runtime.monitor.since -= silent_since  # started this long ago
    runtime.ready = True
    return runtime


async def get(runtime: ServiceRuntime, path: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=runtime.asgi_app())  # no lifespan: nothing starts
    async with httpx.AsyncClient(transport=transport, base_url="http://scheduling") as client:
        return await client.get(path)


async def test_a_broker_that_hangs_past_the_grace_makes_ready_503_with_the_reason_while_health_stays_200() -> (
    None
):
    runtime = runtime_with(broker=hangs)
    await runtime.monitor.sample()
    ready = await get(runtime, "/ready")
    assert ready.status_code == 503
    body = ready.json()
    assert body["ready"] is False and body["service"] == "scheduling"
    assert body["reasons"] == ["broker_unreachable: no answer from the broker for 10s"]
    assert body["silent_for_seconds"]["database"] < 1
    assert runtime.watchdog.broker_reachable() is False
    assert (await runtime.watchdog.sample()).healthy
    health = await get(runtime, "/health")
    assert health.status_code == 200 and health.json()["healthy"] is True


async def test_when_every_dependency_answers_ready_is_200() -> None:
    runtime = runtime_with(broker=answers)
    await runtime.monitor.sample()
    ready = await get(runtime, "/ready")
    assert ready.status_code == 200 and ready.json()["reasons"] == []


async def test_a_database_that_hangs_makes_ready_503() -> None:
    runtime = runtime_with(broker=answers, database=hangs)
    await runtime.monitor.sample()
    ready = await get(runtime, "/ready")
    assert ready.status_code == 503
    assert ready.json()["reasons"][0].startswith("database_unreachable")


async def test_a_runtime_that_is_stopping_is_not_ready() -> None:
    runtime = runtime_with(broker=answers)
    await runtime.monitor.sample()
    runtime.ready = False
    assert (await get(runtime, "/ready")).json()["reasons"] == [
        "starting: the service has not finished starting"
    ]


async def test_the_gauges_say_ready_and_which_dependency_answered() -> None:
    runtime = runtime_with(broker=hangs)
    await runtime._observe()
    text = generate_latest(runtime.registry).decode()
    assert 'caseflow_service_ready{service="scheduling"} 0.0' in text
    assert 'caseflow_dependency_reachable{dependency="broker",service="scheduling"} 0.0' in text
    assert 'caseflow_dependency_reachable{dependency="database",service="scheduling"} 1.0' in text
