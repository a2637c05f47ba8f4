"""Every advisor action intake owns, happy path and rejection path, on the real broker.

Runs on SQLite and PostgreSQL (db_url). Commands go through advisor.actions.v1; results are the
events intake stored in its outbox and published to intake.cases.v1.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shared.envelope import new_envelope
from tests.support.kafka_io import produce, read_all, read_json
from tests.support.lifecycle import Lifecycle, start_lifecycle
from tests.support.services import wait_until

pytestmark = pytest.mark.integration


@pytest.fixture
async def life(kafka_bootstrap: str, db_url: str, tmp_path: Path) -> AsyncIterator[Lifecycle]:
    async for lifecycle in start_lifecycle(kafka_bootstrap, db_url, tmp_path):
        await lifecycle.register_advisor("adv-anna")
        await lifecycle.register_advisor("adv-bram")
        yield lifecycle


def types(events: list[dict[str, Any]]) -> list[str]:
    return [e["event_type"] for e in events]


def rejected(events: list[dict[str, Any]]) -> str | None:
    return events[0]["payload"]["reason_code"] if types(events) == ["AdvisorCommandRejected"] else None


class TestAdvisorActions:
    async def test_accept_case_by_the_assignee_and_not_by_anyone_else(self, life: Lifecycle) -> None:
        case_id = await life.open_assigned_case("adv-anna", accept=False)
        by_bram, by_anna = await life.send(
            life.command("AcceptCase", "adv-bram", case_id=case_id),
            life.command("AcceptCase", "adv-anna", case_id=case_id),
        )
        out = await life.results([by_bram, by_anna])
        assert rejected(out[by_bram]) == "not_assignee"
        assert types(out[by_anna]) == ["CaseAccepted"]
        assert out[by_anna][0]["payload"]["acknowledges_report"] is False
        twice = await life.act(life.command("AcceptCase", "adv-anna", case_id=case_id))
        assert rejected(twice) == "already_accepted"

    async def test_log_time_on_a_case_and_without_one(self, life: Lifecycle) -> None:
        case_id = await life.open_assigned_case("adv-anna")
        on_case = await life.act(
            life.command("LogTime", "adv-anna", case_id=case_id, minutes=45, activity="conversation")
        )
        publicity = await life.act(
            life.command("LogTime", "adv-bram", case_id=None, minutes=90, activity="publicity")
        )
        assert types(on_case) == ["TimeLogged"]
        assert on_case[0]["payload"] | {"logged_at": None} == {
            "advisor_id": "adv-anna",
            "case_id": case_id,
            "minutes": 45,
            "activity": "conversation",
            "logged_at": None,
        }
        assert publicity[0]["payload"]["case_id"] is None and publicity[0]["stream_id"] == "adv-bram"

    async def test_log_time_is_refused_before_the_case_is_accepted(self, life: Lifecycle) -> None:
        case_id = await life.open_assigned_case("adv-anna", accept=False)
        out = await life.act(
            life.command("LogTime", "adv-anna", case_id=case_id, minutes=10, activity="administration")
        )
        assert rejected(out) == "not_accepted"

    async def test_record_outcome_by_the_assignee_only(self, life: Lifecycle) -> None:
        case_id = await life.open_assigned_case("adv-anna")
        ok, refused = await life.send(
            life.command("RecordOutcome", "adv-anna", case_id=case_id, outcome="referred.labour_law_desk"),
            life.command("RecordOutcome", "adv-bram", case_id=case_id, outcome="advice_given"),
        )
        out = await life.results([ok, refused])
        assert types(out[ok]) == ["OutcomeRecorded"]
        assert out[ok][0]["payload"]["outcome"] == "referred.labour_law_desk"
        assert rejected(out[refused]) == "not_assignee"

    async def test_close_case_then_nothing_more_happens_to_it(self, life: Lifecycle) -> None:
        case_id = await life.open_assigned_case("adv-anna")
        duplicate = await life.act(
            life.command("CloseCase", "adv-anna", case_id=case_id, outcomes=["advice_given", "advice_given"])
        )
        assert rejected(duplicate) == "duplicate_outcome"
        closed = await life.act(
            life.command(
                "CloseCase", "adv-anna", case_id=case_id, outcomes=["advice_given", "referred.company_doctor"]
            )
        )
        assert types(closed) == ["CaseClosed"]
        assert closed[0]["payload"]["outcomes"] == ["advice_given", "referred.company_doctor"]
        late = await life.act(
            life.command("LogTime", "adv-anna", case_id=case_id, minutes=5, activity="administration")
        )
        assert rejected(late) == "case_closed"
        # The assignee can still read a closed case until it is erased.
        assert (await life.read_as("adv-anna", case_id)).status_code == 200

    async def test_provide_feedback_meets_the_legal_deadline_of_a_whistleblower_report(
        self, life: Lifecycle
    ) -> None:
        report = await life.open_assigned_case("adv-anna", is_whistleblower_report=True)
        ordinary = await life.open_assigned_case("adv-anna")
        met, not_formal = await life.send(
            life.command("ProvideFeedback", "adv-anna", case_id=report),
            life.command("ProvideFeedback", "adv-anna", case_id=ordinary),
        )
        out = await life.results([met, not_formal])
        assert types(out[met]) == ["LegalDeadlineMet"] and out[met][0]["payload"]["deadline"] == "feedback"
        assert rejected(out[not_formal]) == "not_a_formal_report"
        again = await life.act(life.command("ProvideFeedback", "adv-anna", case_id=report))
        assert rejected(again) == "feedback_already_recorded"

    async def test_register_training_and_supervision(self, life: Lifecycle) -> None:
        now = life.clock()
        training, supervision, odd_kind = await life.send(
            life.command("RegisterTraining", "adv-bram", hours=16, kind="basic_course", completed_on=now),
            life.command("RegisterSupervision", "adv-bram", hours=2, session_on=now),
            life.command("RegisterTraining", "adv-bram", hours=3, kind="juggling", completed_on=now),
        )
        out = await life.results([training, supervision, odd_kind])
        assert types(out[training]) == ["TrainingRegistered"] and out[training][0]["payload"]["hours"] == 16
        assert types(out[supervision]) == ["SupervisionRegistered"]
        assert rejected(out[odd_kind]) == "unknown_training_kind"

    async def test_register_supervision_with_a_forged_token_is_refused(self, life: Lifecycle) -> None:
        forged = life.command(
            "RegisterSupervision",
            "adv-bram",
            key=Ed25519PrivateKey.generate(),
            hours=2,
            session_on=life.clock(),
        )
        assert rejected(await life.act(forged)) == "signature_invalid"

    async def test_commands_of_routing_and_scheduling_are_skipped_without_a_dead_letter(
        self, life: Lifecycle
    ) -> None:
        case_id = await life.open_assigned_case("adv-anna")
        ids = await life.send(
            life.command("DeclareConflict", "adv-anna", case_id=case_id, reason="knows_person"),
            life.command("RequestMeeting", "adv-anna", case_id=case_id),
        )
        unknown = {
            "event_id": "7b0f7a52-0000-4000-8000-000000000001",
            "event_type": "FutureCommand",
            "schema_version": 1,
            "payload": {},
        }
        await produce(life.kafka, life.prefix + "advisor.actions.v1", [(b"x", json.dumps(unknown).encode())])
        for event_id in [*ids, unknown["event_id"]]:
            await wait_until(lambda e=event_id: life.processed(e), timeout=30)
        assert await life.events_caused_by([*ids, unknown["event_id"]]) == {}
        assert await life.events_of("DeadLetter") == []

    async def test_an_invalid_command_of_intake_goes_to_the_dead_letter_topic(self, life: Lifecycle) -> None:
        env = new_envelope(
            life.command("LogTime", "adv-anna", case_id=None, minutes=30, activity="publicity"),
            stream_id="adv-anna",
            producer="test",
            occurred_at=life.clock(),
            causation_id=None,
        )
        doc = env.model_dump(mode="json")
        doc["payload"]["minutes"] = 0
        await produce(
            life.kafka, life.prefix + "advisor.actions.v1", [(b"adv-anna", json.dumps(doc).encode())]
        )
        dlq = read_json(
            await read_all(life.kafka, life.prefix + "advisor.actions.v1.dlq", expect=1, timeout=30)
        )
        assert dlq[0]["reason"] == "envelope_invalid" and dlq[0]["service"] == "intake"

    async def test_lifecycle_events_reach_the_broker_with_coded_fields_only(self, life: Lifecycle) -> None:
        case_id = await life.open_assigned_case("adv-anna")
        await life.act(life.command("CloseCase", "adv-anna", case_id=case_id, outcomes=["advice_given"]))
        published = read_json(
            await read_all(life.kafka, life.prefix + "intake.cases.v1", expect=3, timeout=30)
        )
        on_case = [e for e in published if e["stream_id"] == case_id]
        assert types(on_case) == ["CaseOpened", "CaseAccepted", "CaseClosed"]
        assert [e["sequence"] for e in on_case] == [1, 2, 3]
        assert life.metric("caseflow_intake_lifecycle_events_total", event_type="CaseClosed") == 1
