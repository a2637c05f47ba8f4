"""Rows stored before location codes: routing and scheduling replace the typed town by its code
at start-up (decision D20), on SQLite and PostgreSQL alike."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from services.routing.adapters import facts as routing_facts
from services.routing.adapters import tables as routing_store
from services.scheduling.adapters import projection as scheduling_projection
from services.scheduling.adapters import tables as scheduling_store
from shared.db import create_all, make_engine

pytestmark = pytest.mark.integration

TYPED = {
    "c-haag": "'s-Gravenhage",
    "c-marker": "Xqtown-1234 bij de kerk",
    "c-none": None,
    "c-coded": "utrecht",
}
CODED = {"c-haag": "den_haag", "c-marker": "unknown", "c-none": None, "c-coded": "utrecht"}


async def test_routing_codes_the_towns_its_old_case_rows_hold(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        await create_all(engine, routing_store.metadata)
        now = datetime(2026, 3, 1, tzinfo=UTC)
        async with engine.begin() as conn:
            await conn.execute(
                routing_store.routing_cases.insert(),
                [
                    {
                        "case_id": case_id,
                        "organisation_id": "min-a",
                        "unit_id": "u-1",
                        "opened_at": now,
                        "coded": {"categories": ["workload"], "location": town},
                        "routing_facts": "{}",
                        "amendments": [],
                        "status": "assigned",
                        "current_advisor_id": "adv-anna",
                        "conflicted_advisor_ids": [],
                        "updated_at": now,
                    }
                    for case_id, town in TYPED.items()
                ],
            )
        async with engine.begin() as conn:
            assert await routing_facts.code_stored_locations(conn) == 2
            assert await routing_facts.code_stored_locations(conn) == 0  # idempotent
        async with engine.connect() as conn:
            rows = await conn.execute(
                select(routing_store.routing_cases.c.case_id, routing_store.routing_cases.c.coded)
            )
            stored = {r.case_id: r.coded for r in rows}
        assert {case_id: coded["location"] for case_id, coded in stored.items()} == CODED
        assert all(coded["categories"] == ["workload"] for coded in stored.values())
    finally:
        await engine.dispose()


async def test_scheduling_codes_the_towns_its_old_case_rows_hold(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        await create_all(engine, scheduling_store.metadata)
        async with engine.begin() as conn:
            await conn.execute(
                scheduling_store.cases.insert(),
                [{"case_id": case_id, "opened": True, "location": town} for case_id, town in TYPED.items()],
            )
        async with engine.begin() as conn:
            assert await scheduling_projection.code_stored_locations(conn) == 2
            assert await scheduling_projection.code_stored_locations(conn) == 0
        async with engine.connect() as conn:
            rows = await conn.execute(
                select(scheduling_store.cases.c.case_id, scheduling_store.cases.c.location)
            )
            assert {r.case_id: r.location for r in rows} == CODED
    finally:
        await engine.dispose()
