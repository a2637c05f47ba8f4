"""The sample organisation's units on `directory.units.v1`, and waiting until intake has folded them.

Intake refuses submissions for organisations and units it does not know (and, before any unit
arrived, with the retryable `directory_not_loaded`), so a test that submits first loads the
directory and waits for intake's projection: it does not race the two topics. Intake reads the
units from the HR feed's narrow copy of directory.v1 (shared/topics.py, DIRECTORY_COPIES);
`produce_directory` publishes envelopes on every topic the HR feed would.
"""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from services.intake.adapters.tables import directory_units
from shared.contracts.directory import OrgUnitUpserted
from shared.directory_copies import directory_records
from shared.envelope import Envelope
from shared.topics import DIRECTORY_COPIES
from tests.support.kafka_io import produce
from tests.support.services import wait_until
from tools.demo.sample_org import UNITS, directory_events

UNITS_TOPIC = DIRECTORY_COPIES["OrgUnitUpserted"].name
# directory.v1 and its narrow copies: a test whose services read the directory creates them all.
DIRECTORY_TOPICS = ("directory.v1", *sorted({t.name for t in DIRECTORY_COPIES.values()}))


async def produce_directory(kafka: str, prefix: str, envelopes: list[Envelope[Any]]) -> None:
    """Publish directory events as the HR feed does: on directory.v1 and on their narrow copy."""
    by_topic: dict[str, list[tuple[bytes, bytes]]] = {}
    for e in envelopes:
        for topic, key, value in directory_records(e):
            by_topic.setdefault(topic, []).append((key, value))
    for topic, records in by_topic.items():
        await produce(kafka, prefix + topic, records)


def unit_records() -> list[tuple[bytes, bytes]]:
    """(key, value) of the sample organisation's OrgUnitUpserted envelopes."""
    return [
        (e.stream_id.encode(), e.to_bytes())
        for e in directory_events()
        if isinstance(e.payload, OrgUnitUpserted)
    ]


async def units_known(engine: AsyncEngine) -> int:
    try:
        async with engine.connect() as conn:
            count = (await conn.execute(select(func.count()).select_from(directory_units))).scalar()
    except DBAPIError:  # a process that has not created its tables yet
        return 0
    return int(count or 0)


async def wait_for_units(engine: AsyncEngine, timeout: float = 30) -> None:
    """Until intake's projection (its database, in process) holds every sample unit."""

    async def all_known() -> bool:
        return await units_known(engine) >= len(UNITS)

    await wait_until(all_known, timeout=timeout)


async def load_units(kafka: str, prefix: str, engine: AsyncEngine, timeout: float = 30) -> None:
    """Publish the sample units (the topic must exist) and wait until intake knows all of them."""
    await produce(kafka, prefix + UNITS_TOPIC, unit_records())
    await wait_for_units(engine, timeout)


async def wait_for_units_over_http(intake_url: str, timeout: float = 60) -> None:
    """The same for an intake running as a process: it says what it knows on GET /v1/directory."""
    async with httpx.AsyncClient(base_url=intake_url, timeout=5) as client:

        async def all_known() -> bool:
            try:
                answer = await client.get("/v1/directory")
            except httpx.TransportError:  # still starting
                return False
            return answer.status_code == 200 and answer.json()["units"] >= len(UNITS)

        await wait_until(all_known, timeout=timeout)


async def load_units_into_process(kafka: str, prefix: str, intake_url: str, timeout: float = 60) -> None:
    await produce(kafka, prefix + UNITS_TOPIC, unit_records())
    await wait_for_units_over_http(intake_url, timeout)
