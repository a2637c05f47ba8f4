"""The workbench learns the advisors and coordinators from the HR feed's narrow copy
(directory.advisors.v1), which carries no person pseudonym (shared/directory_copies.py)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from services.workbench.adapters import advisor_directory, coordinator_choices
from services.workbench.adapters.coordinator_choices import Choice
from services.workbench.app import create_runtime
from services.workbench.settings import WorkbenchSettings
from shared.codes import AdvisorStatus
from shared.contracts.advisor_commands import AdvisorCommandRejected
from shared.contracts.directory import AdvisorStatusChanged
from shared.directory_copies import directory_records
from shared.envelope import new_envelope
from shared.topics import DIRECTORY_ADVISORS
from tests.support.in_process import Bus, InProcess
from tools.demo.sample_org import ADVISORS, COORDINATORS, PERSONS, directory_events

pytestmark = pytest.mark.handlers


@pytest.fixture
async def workbench(tmp_path: Path) -> AsyncIterator[InProcess]:
    settings = WorkbenchSettings(
        kafka_bootstrap="127.0.0.1:9", database_url=f"sqlite+aiosqlite:///{tmp_path}/workbench.db"
    )
    service = await InProcess(create_runtime(settings), Bus()).start()
    try:
        yield service
    finally:
        await service.stop()


def copies() -> list[tuple[bytes, bytes]]:
    return [
        (key, value)
        for e in directory_events(datetime.now(UTC))
        for topic, key, value in directory_records(e)
        if topic == DIRECTORY_ADVISORS.name
    ]


def test_the_copy_carries_advisors_and_coordinators_but_no_person_pseudonym() -> None:
    records = copies()
    types = {json.loads(value)["event_type"] for _key, value in records}
    assert {"AdvisorUpserted", "CoordinatorAppointed", "AdvisorKeyRegistered"} <= types
    assert "PersonUpserted" not in types
    persons = {p[0] for p in PERSONS} | {str(a["person_id"]) for a in ADVISORS if a.get("person_id")}
    assert persons, "the sample organisation has persons"
    for _key, value in records:
        assert not any(p.encode() in value for p in persons)
    originals = [
        value
        for e in directory_events(datetime.now(UTC))
        for topic, _key, value in directory_records(e)
        if topic == "directory.v1" and e.event_type == "AdvisorUpserted"
    ]
    assert any(p.encode() in value for value in originals for p in persons), "directory.v1 keeps them"


async def test_the_workbench_folds_advisors_their_status_and_coordinators(workbench: InProcess) -> None:
    assert DIRECTORY_ADVISORS.name in workbench.consumes
    await workbench.feed(DIRECTORY_ADVISORS.name, copies())
    assert workbench.bus.dead_letters() == {}
    async with workbench.engines[0].connect() as conn:
        active = await advisor_directory.active_advisors(conn)
        coordinated = {c: await advisor_directory.organisations_of(conn, c) for c in COORDINATORS}
    assert [a.advisor_id for a in active] == sorted(str(a["advisor_id"]) for a in ADVISORS)
    assert coordinated == {c: sorted(orgs) for c, orgs in COORDINATORS.items()}
    first = active[0]
    change = AdvisorStatusChanged(advisor_id=first.advisor_id, status=AdvisorStatus.ON_LEAVE)
    env = new_envelope(
        change, stream_id=first.advisor_id, producer="test", occurred_at=datetime.now(UTC), causation_id=None
    )
    await workbench.feed(
        DIRECTORY_ADVISORS.name, [(key, value) for _t, key, value in directory_records(env)[1:]]
    )
    async with workbench.engines[0].connect() as conn:
        after = await advisor_directory.active_advisors(conn)
        stored = (await conn.execute(select(advisor_directory.advisors.c.status))).scalars().all()
    assert first.advisor_id not in {a.advisor_id for a in after}
    assert AdvisorStatus.ON_LEAVE.value in stored


async def test_only_routings_refusals_of_a_coordinators_choice_are_kept_coded(workbench: InProcess) -> None:
    now = datetime.now(UTC)

    def rejected(command: str, reason: str, advisor_id: str | None) -> tuple[bytes, bytes]:
        body = AdvisorCommandRejected(
            command=command, reason_code=reason, advisor_id=advisor_id, case_id="case-1", rejected_at=now
        )
        env = new_envelope(body, stream_id="case-1", producer="routing", occurred_at=now, causation_id=None)
        return b"case-1", env.to_bytes()

    await workbench.feed(
        "routing.assignments.v1",
        [
            rejected("AcceptCase", "not_assignee", "coord-bzk"),
            rejected("AssignEscalatedCase", "token_invalid", None),  # unproven: names nobody
            rejected("AssignEscalatedCase", "chosen_advisor_unavailable", "coord-bzk"),
        ],
    )
    async with workbench.engines[0].connect() as conn:
        await coordinator_choices.record_sent(conn, "coord-bzk", "case-2", "adv-anna", now)
        kept = await coordinator_choices.choices_of(conn, "coord-bzk")
    assert kept == {
        "case-1": Choice("case-1", None, "chosen_advisor_unavailable"),
        "case-2": Choice("case-2", "adv-anna", None),
    }


async def test_a_refusal_of_an_earlier_choice_is_not_shown_against_the_new_one(workbench: InProcess) -> None:
    sent_at = datetime.now(UTC)

    def rejected(at: datetime, reason: str) -> tuple[bytes, bytes]:
        body = AdvisorCommandRejected(
            command="AssignEscalatedCase",
            reason_code=reason,
            advisor_id="coord-bzk",
            case_id="case-9",
            rejected_at=at,
        )
        env = new_envelope(body, stream_id="case-9", producer="routing", occurred_at=at, causation_id=None)
        return env.event_id.encode(), env.to_bytes()

    async with workbench.engines[0].begin() as conn:
        await coordinator_choices.record_sent(conn, "coord-bzk", "case-9", "adv-anna", sent_at)
    await workbench.feed(
        "routing.assignments.v1", [rejected(sent_at - timedelta(minutes=1), "chosen_advisor_unknown")]
    )
    async with workbench.engines[0].connect() as conn:
        assert (await coordinator_choices.choices_of(conn, "coord-bzk"))["case-9"].reason_code is None
    await workbench.feed(
        "routing.assignments.v1", [rejected(sent_at + timedelta(seconds=1), "chosen_advisor_unavailable")]
    )
    async with workbench.engines[0].connect() as conn:
        choice = (await coordinator_choices.choices_of(conn, "coord-bzk"))["case-9"]
    assert (choice.chosen_advisor_id, choice.reason_code) == ("adv-anna", "chosen_advisor_unavailable")
