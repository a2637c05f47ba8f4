"""Routing a batch of opened cases at once (a few statements for the run, issue 17) decides exactly
what routing one message at a time decides: the same advisor for every case (each decision counts
the loads of the ones before it), the same events with the same ids, the same rows. The batch mixes
in what can break a run: a case closed in the middle of it (its advisor's load drops before the
next case is routed), and a case opened twice.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from services.routing.adapters.tables import routing_cases
from services.routing.app import create_runtime
from services.routing.settings import RoutingSettings
from shared.codes import Outcome
from shared.contracts.intake import CaseClosed
from shared.envelope import new_envelope
from tests.support.in_process import Bus, InProcess
from tests.support.routing_load import opened_cases
from tests.support.services import TEST_MASTER_KEY
from tools.demo.sample_org import directory_events

pytestmark = pytest.mark.handlers

NOW = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)


async def _routing(tmp_path: Path, name: str, keys_url: str) -> InProcess:
    settings = RoutingSettings(
        kafka_bootstrap="127.0.0.1:9",
        database_url=f"sqlite+aiosqlite:///{tmp_path}/{name}.db",
        keystore_url=keys_url,
        master_key=TEST_MASTER_KEY,
    )
    service = await InProcess(create_runtime(settings, clock=lambda: NOW), Bus()).start()
    await service.feed("directory.v1", [(e.stream_id.encode(), e.to_bytes()) for e in directory_events(NOW)])
    return service


def _decisions(service: InProcess) -> list[tuple[str, str, Any]]:
    out = []
    for _key, value in service.bus.topics["routing.assignments.v1"]:
        env = json.loads(value)
        payload = env["payload"]
        advisor = payload.get("advisor_id", payload.get("to_advisor_id"))
        out.append((env["event_id"], env["event_type"], (payload["case_id"], advisor)))
    return out


async def _rows(service: InProcess) -> list[tuple[Any, ...]]:
    async with service.context.engine.connect() as conn:
        rows = await conn.execute(
            select(
                routing_cases.c.case_id,
                routing_cases.c.status,
                routing_cases.c.current_advisor_id,
                routing_cases.c.coded,
                routing_cases.c.routing_facts,
            ).order_by(routing_cases.c.case_id)
        )
        return [tuple(r) for r in rows]


async def test_a_batch_of_opened_cases_is_routed_as_one_message_at_a_time_would_be(tmp_path: Path) -> None:
    keys_url = f"sqlite+aiosqlite:///{tmp_path}/keys.db"
    opened = await opened_cases(keys_url, random.Random(17), 40)
    records = [("intake.cases.v1", e.stream_id.encode(), e.to_bytes()) for e in opened]
    # Close the fifth case after the tenth is opened (routing drops its advisor's load), and open
    # the twentieth once more: both in the middle of a run of CaseOpened.
    fifth = opened[4].payload.case_id
    closed = new_envelope(
        CaseClosed(case_id=fifth, advisor_id="adv-anna", outcomes=(Outcome.ADVICE_GIVEN,), closed_at=NOW),
        stream_id=fifth,
        producer="intake",
        occurred_at=NOW,
        causation_id="test:close-fifth",
    )
    again = new_envelope(
        opened[19].payload,
        stream_id=opened[19].stream_id,
        producer="intake",
        occurred_at=NOW,
        causation_id="test:opened-again",
    )
    records.insert(10, ("intake.cases.v1", fifth.encode(), closed.to_bytes()))
    records.insert(25, ("intake.cases.v1", again.stream_id.encode(), again.to_bytes()))

    batched = await _routing(tmp_path, "batched", keys_url)
    one_by_one = await _routing(tmp_path, "one_by_one", keys_url)
    try:
        await batched.feed_batch(records)
        for record in records:
            await one_by_one.feed_batch([record])

        decisions = _decisions(batched)
        assert len(decisions) >= 40, "every opened case is decided once, the second opening is not"
        assert len({d[2][0] for d in decisions}) == 40
        assert len({d[2][1] for d in decisions}) > 3, "the loads spread the cases over advisors"
        assert decisions == _decisions(one_by_one)
        assert await _rows(batched) == await _rows(one_by_one)
        assert batched.bus.dead_letters() == {} and one_by_one.bus.dead_letters() == {}
    finally:
        await batched.stop()
        await one_by_one.stop()
