"""A coordinator registers the yearly reflection talk with an advisor (RegisterReflectionTalk), on
routing's real composition root (SQLite, in-memory bus, no broker): admitted only from a coordinator
of the advisor's organisation, for a day up to a year back, answered on routing.alerts.v1 with the
date and two ids, nothing else.

The sample directory (tools/demo/sample_org.py): coord-bzk coordinates min-bzk; Anna is a BZK advisor,
Carla one of Financiën, the external advisors belong to no organisation.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from services.routing.app import create_runtime
from services.routing.settings import RoutingSettings
from shared.auth import authorize_command
from shared.contracts.advisor_actions import RegisterReflectionTalk
from shared.envelope import new_envelope
from tests.support.in_process import Bus, InProcess
from tests.support.services import TEST_MASTER_KEY
from tools.demo.sample_org import ADVISORS, advisor_private_key, directory_events

pytestmark = pytest.mark.handlers

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # 1 December in Amsterdam too
COORDINATOR = "coord-bzk"
ALERTS, ASSIGNMENTS = "routing.alerts.v1", "routing.assignments.v1"


@dataclass
class Routing:
    service: InProcess

    def on(self, topic: str) -> list[dict[str, Any]]:
        return [json.loads(value) for _key, value in self.service.bus.topics.get(topic, [])]

    async def send(
        self, command: RegisterReflectionTalk
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """Publish one command; what routing answered on routing.alerts.v1 and on routing.assignments.v1."""
        alerts, assignments = len(self.on(ALERTS)), len(self.on(ASSIGNMENTS))
        env = new_envelope(
            command, stream_id=command.advisor_id, producer="workbench", occurred_at=NOW, causation_id=None
        )
        await self.service.feed("advisor.actions.v1", [(command.advisor_id.encode(), env.to_bytes())])
        return self.on(ALERTS)[alerts:], self.on(ASSIGNMENTS)[assignments:]


@pytest.fixture
async def routing(tmp_path: Path) -> AsyncIterator[Routing]:
    settings = RoutingSettings(
        kafka_bootstrap="127.0.0.1:9",
        database_url=f"sqlite+aiosqlite:///{tmp_path}/routing.db",
        keystore_url=f"sqlite+aiosqlite:///{tmp_path}/keys.db",
        master_key=TEST_MASTER_KEY,
    )
    service = await InProcess(create_runtime(settings, clock=lambda: NOW), Bus()).start()
    try:
        directory = directory_events(NOW, advisors=ADVISORS)
        await service.feed("directory.v1", [(e.stream_id.encode(), e.to_bytes()) for e in directory])
        yield Routing(service)
    finally:
        await service.stop()


def talk(with_advisor: str, held_on: date, *, signer: str = COORDINATOR) -> RegisterReflectionTalk:
    unsigned = RegisterReflectionTalk(
        advisor_id=signer, auth="unsigned", issued_at=NOW, talk_with_advisor_id=with_advisor, held_on=held_on
    )
    return authorize_command(advisor_private_key(signer), unsigned, now=NOW)


def refused(answers: tuple[list[dict[str, Any]], list[dict[str, Any]]]) -> tuple[str, Any, Any]:
    alerts, [answer] = answers
    assert alerts == [] and answer["event_type"] == "AdvisorCommandRejected"
    p = answer["payload"]
    assert p["command"] == "RegisterReflectionTalk"
    return p["reason_code"], p["case_id"], p["advisor_id"]


async def test_the_coordinator_registers_the_talk_with_an_advisor_of_their_organisation(
    routing: Routing,
) -> None:
    [registered], assignments = await routing.send(talk("adv-anna", date(2026, 11, 20)))
    assert assignments == []
    assert registered["event_type"] == "ReflectionTalkRegistered"
    assert registered["payload"] == {
        "advisor_id": "adv-anna",
        "coordinator_id": COORDINATOR,
        "held_on": "2026-11-20",
        "registered_at": registered["payload"]["registered_at"],
    }
    assert registered["stream_id"] == "adv-anna"


async def test_today_and_a_year_back_are_accepted_tomorrow_and_longer_ago_are_not(routing: Routing) -> None:
    today = date(2026, 12, 1)
    for day in (today, today - timedelta(days=366)):
        [registered], _ = await routing.send(talk("adv-anna", day))
        assert registered["payload"]["held_on"] == day.isoformat()
    assert refused(await routing.send(talk("adv-anna", today + timedelta(days=1)))) == (
        "talk_date_in_future",
        None,
        COORDINATOR,
    )
    assert refused(await routing.send(talk("adv-anna", today - timedelta(days=367))))[0] == (
        "talk_date_too_long_ago"
    )


@pytest.mark.parametrize(
    ("advisor", "signer"),
    [
        ("adv-carla", COORDINATOR),  # an advisor of Financiën: not coord-bzk's
        ("adv-nobody", COORDINATOR),  # not in the directory: answered the same way
        ("adv-anna", "adv-bram"),  # an advisor is no coordinator
    ],
)
async def test_anyone_but_the_advisors_own_coordinator_is_refused(
    routing: Routing, advisor: str, signer: str
) -> None:
    assert refused(await routing.send(talk(advisor, date(2026, 11, 20), signer=signer))) == (
        "not_coordinator",
        None,
        signer,
    )


async def test_a_token_signed_with_another_key_proves_nothing_and_names_nobody(routing: Routing) -> None:
    forged = talk("adv-anna", date(2026, 11, 20)).model_copy(
        update={"auth": talk("adv-anna", date(2026, 11, 20), signer="adv-anna").auth}
    )
    reason, case_id, advisor_id = refused(await routing.send(forged))
    assert (case_id, advisor_id) == (None, None) and reason != "not_coordinator"


async def test_a_replayed_command_registers_once(routing: Routing) -> None:
    command = talk("adv-anna", date(2026, 11, 20))
    [registered], _ = await routing.send(command)
    replay = await routing.send(command.model_copy())
    assert registered["event_type"] == "ReflectionTalkRegistered"
    assert refused(replay)[0] == "token_replayed"
