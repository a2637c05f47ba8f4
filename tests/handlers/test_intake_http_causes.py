"""The cause of an HTTP submission: its idempotency key, never the address of a Python object.

Two id-less submissions over HTTP are two inputs; their rejections must both be stored and
published. With `str(id(request))` as the cause, CPython handed the second request the first one's
freed address, both rejections derived one event id, and the second was dropped as a duplicate.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from services.intake.app import create_runtime
from services.intake.entrypoints.http_api import intake_routes
from services.intake.settings import IntakeSettings
from tests.support import samples
from tests.support.in_process import Bus, InProcess
from tests.support.services import TEST_MASTER_KEY

pytestmark = pytest.mark.handlers

REJECTIONS = "intake.rejections.v1"


@pytest.fixture
async def intake(tmp_path: Path) -> AsyncIterator[InProcess]:
    settings = IntakeSettings(
        kafka_bootstrap="127.0.0.1:9",
        database_url=f"sqlite+aiosqlite:///{tmp_path}/intake.db",
        keystore_url=f"sqlite+aiosqlite:///{tmp_path}/keys.db",
        master_key=TEST_MASTER_KEY,
    )
    service = await InProcess(create_runtime(settings), Bus()).start()
    try:
        yield service
    finally:
        await service.stop()


def client_of(service: InProcess) -> httpx.AsyncClient:
    assert service.context is not None
    context = service.context
    app = Starlette(routes=intake_routes(lambda: context))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://intake")


def without_id(**overrides: Any) -> dict[str, Any]:
    doc = samples.submission(**overrides)
    del doc["submission_id"]
    return doc


def rejections(service: InProcess) -> list[dict[str, Any]]:
    return [json.loads(value) for _key, value in service.bus.topics[REJECTIONS]]


async def stored_event_ids(service: InProcess) -> list[str]:
    assert service.context is not None
    events = service.context.store.tables.events
    async with service.context.engine.connect() as conn:
        return [r.event_id for r in await conn.execute(events.select().where(events.c.topic == REJECTIONS))]


async def test_id_less_rejections_over_http_are_never_merged(intake: InProcess) -> None:
    # Sequential requests: each Request object is freed before the next is made, so CPython reuses
    # its id() within a few requests (the old cause merged several of 100 in every run tried).
    async with client_of(intake) as client:
        answers = [await client.post("/v1/submissions", json=without_id()) for _ in range(100)]
    assert {a.status_code for a in answers} == {422}
    published = rejections(intake)
    assert len(published) == 100
    assert len({e["event_id"] for e in published}) == 100
    assert len({e["causation_id"] for e in published}) == 100
    assert sorted(await stored_event_ids(intake)) == sorted(e["event_id"] for e in published)


async def test_a_retry_with_the_same_idempotency_key_is_one_rejection(intake: InProcess) -> None:
    headers = {"Idempotency-Key": "retry-0123456789abcdef"}
    async with client_of(intake) as client:
        answers = [await client.post("/v1/submissions", json=without_id(), headers=headers) for _ in range(3)]
        other = await client.post(
            "/v1/submissions", json=without_id(), headers={"Idempotency-Key": "retry-fedcba9876543210"}
        )
    assert {a.status_code for a in answers} == {422} and other.status_code == 422
    assert len(rejections(intake)) == 2
    assert len({e["event_id"] for e in rejections(intake)}) == 2


async def test_a_malformed_idempotency_key_is_refused_and_never_stored(intake: InProcess) -> None:
    async with client_of(intake) as client:
        answer = await client.post(
            "/v1/submissions", json=without_id(), headers={"Idempotency-Key": "Jan de Vries, Den Haag"}
        )
    assert answer.status_code == 400
    assert answer.json() == {"status": "rejected", "reason": "idempotency_key_invalid"}
    assert rejections(intake) == []
    assert await stored_event_ids(intake) == []
