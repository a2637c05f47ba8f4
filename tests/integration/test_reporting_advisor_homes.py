"""Advisors' home organisations from the HR feed's narrow copy, on the real broker (SQLite and PostgreSQL).

A newcomer who has had no case yet (only a training registered) is unknown to reporting until
directory.advisors.v1 names their organisation: the coordinator view withholds them, then answers for
them once the copy is consumed. The copy counts nothing towards `generated_from`, and a replay from
offset 0 rebuilds the same homes (the newcomer's later record wins in both).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.reporting.adapters.queries import advisor_homes, source_position
from services.reporting.app import create_service
from services.reporting.entrypoints.replay import replay
from shared.contracts.intake import TrainingRegistered
from shared.db import make_engine
from shared.envelope import new_envelope
from tests.support.kafka_io import produce
from tests.support.reporting import (
    as_role,
    create_reporting_topics,
    directory_copy,
    events_in_projection,
    internal_advisors,
    publish,
    settings_for,
)
from tests.support.services import running, wait_until
from tools.reporting.simulated_events import simulated_year

pytestmark = pytest.mark.integration

YEAR = 2026
NEWCOMER = "adv-nieuw"


def newcomers_training() -> tuple[bytes, bytes]:
    at = datetime(YEAR, 3, 2, 10, tzinfo=UTC)
    training = TrainingRegistered(
        advisor_id=NEWCOMER, hours=6, kind="basic_course", completed_on=at, registered_at=at
    )
    env = new_envelope(training, stream_id=NEWCOMER, producer="test", occurred_at=at, causation_id=None)
    return NEWCOMER.encode(), env.to_bytes()


async def test_a_coordinator_sees_an_advisor_without_cases_once_the_directory_copy_names_them(
    kafka_bootstrap: str, unique_topic: str, db_url: str, tmp_path: Path
) -> None:
    await create_reporting_topics(kafka_bootstrap, unique_topic)
    events = list(simulated_year(seed=31, year=YEAR, cases=40))
    [bzk, *_] = [a for a in internal_advisors(events) if a.startswith("adv-min-bzk")]
    [fin, *_] = [a for a in internal_advisors(events) if a.startswith("adv-min-fin")]
    service = create_service(settings_for(kafka_bootstrap, unique_topic, db_url, max_batch=100))
    transport = httpx.ASGITransport(app=service.runtime.asgi_app())
    asked = {"year": YEAR, "advisors": f"{bzk},{NEWCOMER},{fin}"}
    async with (
        running(service.runtime),
        httpx.AsyncClient(transport=transport, base_url="http://r") as client,
    ):

        async def view() -> Any:
            answer = await client.get(
                "/v1/views/coordinator", params=asked, headers=as_role("coordinator", "min-bzk")
            )
            assert answer.status_code == 200, answer.text
            return answer.json()

        await publish(kafka_bootstrap, unique_topic, events)
        await produce(kafka_bootstrap, unique_topic + "intake.cases.v1", [newcomers_training()])

        async def caught_up() -> bool:
            return await events_in_projection(service) == len(events) + 1

        await wait_until(caught_up, timeout=90)
        before = await view()
        assert [a["advisor_id"] for a in before["advisors"]] == [bzk]
        assert before["withheld"] == sorted([NEWCOMER, fin])
        async with service.runtime.context.engine.connect() as conn:
            position = await source_position(conn)

        # The HR feed: the newcomer first in min-fin, then (their newer record) in min-bzk.
        directory = directory_copy([(NEWCOMER, "min-fin"), (fin, "min-fin"), (NEWCOMER, "min-bzk")])
        await produce(kafka_bootstrap, unique_topic + "directory.advisors.v1", directory)

        async def newcomer_shown() -> bool:
            return NEWCOMER in [a["advisor_id"] for a in (await view())["advisors"]]

        await wait_until(newcomer_shown, timeout=60)
        after = await view()
        [newcomer] = [a for a in after["advisors"] if a["advisor_id"] == NEWCOMER]
        assert newcomer["training_hours"] == 6 and newcomer["hours_total"] == 0
        assert after["withheld"] == [fin]  # an advisor of min-fin stays withheld from min-bzk
        async with service.runtime.context.engine.connect() as conn:
            assert await source_position(conn) == position  # directory records are not counted
            live_homes = await advisor_homes(conn, {})
        assert live_homes[NEWCOMER] == "min-bzk" and live_homes[fin] == "min-fin"

    rebuilt = make_engine(f"sqlite+aiosqlite:///{tmp_path}/replay.db")
    try:
        result = await replay(rebuilt, kafka_bootstrap, unique_topic, max_records=50)
        assert result.records == len(events) + 1 + len(directory)
        assert (result.events_in_projection, result.fingerprint) == (
            position.event_count,
            position.fingerprint,
        )
        async with rebuilt.connect() as conn:
            assert await advisor_homes(conn, {}) == live_homes
    finally:
        await rebuilt.dispose()
