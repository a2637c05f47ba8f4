"""The web-form flow from the outside, for tests that break the broker under it: a form, a reader
of routing's assignments, and polling an endpoint until it answers a status."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any, Self

import httpx
from aiokafka import AIOKafkaConsumer

from tests.support.kafka_io import read_json


def form(submission_id: str) -> dict[str, str]:
    return {
        "submission_id": submission_id,
        "organisation_id": "min-bzk",
        "unit_id": "bzk-dgob-ict",
        "client_role": "employee",
        "anonymous": "yes",
        "categories": "labour.conflict_with_manager",
        "narrative": "Mijn leidinggevende schreeuwt. PAUSE-MARKER-1",
        "mode": "phone",
    }


class Assignments:
    """Reads routing.assignments.v1 from the start, with one consumer kept open."""

    def __init__(self, bootstrap: str, topic: str) -> None:
        self._consumer = AIOKafkaConsumer(
            topic,
            bootstrap_servers=bootstrap,
            group_id=f"reader-{uuid.uuid4().hex}",
            auto_offset_reset="earliest",
        )
        self.assigned: dict[str, str] = {}

    async def __aenter__(self) -> Self:
        await self._consumer.start()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self._consumer.stop()

    async def wait_for(self, case_id: str, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while case_id not in self.assigned:
            if time.monotonic() > deadline:
                raise AssertionError(f"case {case_id} not assigned within {timeout}s")
            batch = await self._consumer.getmany(timeout_ms=500)
            for event in read_json([r.value for records in batch.values() for r in records]):
                if event["event_type"] == "AdvisorAssigned":
                    self.assigned[event["payload"]["case_id"]] = event["payload"]["advisor_id"]
        return self.assigned[case_id]


async def poll(
    client: httpx.AsyncClient, path: str, status: int, timeout: float
) -> tuple[float, dict[str, Any]]:
    """GET `path` until it answers `status`; returns the seconds it took and the body."""
    started = time.monotonic()
    while True:
        try:
            answer = await client.get(path, timeout=3)
            if answer.status_code == status:
                return time.monotonic() - started, answer.json()
        except httpx.TransportError:
            pass
        if time.monotonic() - started > timeout:
            raise AssertionError(f"{path} did not answer {status} within {timeout}s")
        await asyncio.sleep(0.25)
