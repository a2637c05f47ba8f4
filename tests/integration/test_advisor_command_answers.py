"""What intake, routing and scheduling answer to advisor commands they refuse (real broker).

- No existence oracle: a real advisor acting on someone else's case and on a case id that does not
  exist gets the same answer from every service (`not_assignee`).
- A forged command, and one whose coded field holds free text, is answered without any id or text
  it supplied: the marker it carries (in its case id, event id, Kafka key, advisor claim, reason,
  kind, location) appears in no answer on any output topic.
"""

from __future__ import annotations

import uuid
from contextlib import AsyncExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shared.auth import authorize_command, command_digest, issue_token
from shared.codes import ConflictReason, MeetingMode, TrainingKind
from shared.contracts.advisor_actions import (
    AcceptCase,
    BookQuietRoom,
    DeclareConflict,
    RegisterTraining,
    RequestMeeting,
)
from shared.envelope import EventPayload, new_envelope
from tests.support.advisor_stack import Stack, answers_to, new_stack, open_two_assigned_cases
from tests.support.services import running
from tools.demo.sample_org import advisor_private_key

pytestmark = pytest.mark.integration

OUTPUTS = {
    "intake": ("intake.cases.v1", "AdvisorCommandRejected", "reason_code"),
    "routing": ("routing.assignments.v1", "AdvisorCommandRejected", "reason_code"),
    "scheduling": ("scheduling.meetings.v1", "AdvisorCommandRejected", "reason_code"),
}


@pytest.fixture
async def stack(kafka_bootstrap: str, tmp_path: Path) -> Any:
    stack = await new_stack(kafka_bootstrap, tmp_path)
    async with AsyncExitStack() as services:
        for runtime in stack.runtimes():
            await services.enter_async_context(running(runtime))
        yield stack


def signed(command: EventPayload, advisor: str, key: Ed25519PrivateKey | None = None) -> EventPayload:
    return authorize_command(key or advisor_private_key(advisor), command, now=datetime.now(UTC))


def commands_on(case_id: str, advisor: str, key: Ed25519PrivateKey | None = None) -> dict[str, EventPayload]:
    now = datetime.now(UTC)
    base: dict[str, Any] = {"advisor_id": advisor, "auth": "", "issued_at": now, "case_id": case_id}
    return {
        "intake": signed(AcceptCase(**base), advisor, key),
        "routing": signed(DeclareConflict(**base, reason=ConflictReason.KNOWS_PERSON), advisor, key),
        "scheduling": signed(RequestMeeting(**base, mode=MeetingMode.PHONE), advisor, key),
    }


def with_free_text(command: EventPayload, advisor: str, **fields: str) -> dict[str, Any]:
    """A command envelope whose fields hold free text, validly signed over exactly that text."""
    env = new_envelope(
        command, stream_id=advisor, producer="workbench", occurred_at=datetime.now(UTC), causation_id=None
    )
    doc = env.model_dump(mode="json")
    doc["payload"].update(fields)
    payload = doc["payload"]
    doc["payload"]["auth"] = issue_token(
        advisor_private_key(advisor),
        advisor_id=advisor,
        action=command.EVENT_TYPE,
        case_id=payload.get("case_id"),
        digest=command_digest(payload),
        now=datetime.now(UTC),
    )
    return doc


async def test_someone_elses_case_and_a_case_that_does_not_exist_get_the_same_answer(stack: Stack) -> None:
    assigned = await open_two_assigned_cases(stack)
    case_id, holder = next(iter(assigned.items()))
    intruder = next(
        a for a in ("adv-anna", "adv-bram", "adv-carla", "adv-dirk") if a not in assigned.values()
    )
    theirs = {s: await stack.publish_command(c, case_id) for s, c in commands_on(case_id, intruder).items()}
    missing_case = f"case-{uuid.uuid4()}"
    missing = {
        s: await stack.publish_command(c, missing_case)
        for s, c in commands_on(missing_case, intruder).items()
    }
    for service, (topic, kind, reason_field) in OUTPUTS.items():
        answers = await answers_to(stack, topic, [theirs[service], missing[service]])
        seen = [
            (e["event_type"], e["payload"][reason_field])
            for e in [*answers[theirs[service]], *answers[missing[service]]]
        ]
        assert seen == [(kind, "not_assignee")] * 2, service
    assert holder != intruder


async def test_forged_and_free_text_commands_are_answered_without_anything_they_supplied(
    stack: Stack,
) -> None:
    assigned = await open_two_assigned_cases(stack)
    case_id, holder = next(iter(assigned.items()))
    marker = f"MARK{uuid.uuid4().hex[:12]}"
    forger = Ed25519PrivateKey.generate()
    forged_ids: dict[str, str] = {}
    for service, command in commands_on(f"case-{marker}", holder, key=forger).items():
        doc = new_envelope(
            command,
            stream_id=f"stream-{marker}",
            producer="workbench",
            occurred_at=datetime.now(UTC),
            causation_id=None,
            event_id=f"event-{marker}-{service}",
        ).model_dump(mode="json")
        await stack.publish_raw(doc)
        forged_ids[service] = doc["event_id"]
    now = datetime.now(UTC)
    conflict = DeclareConflict(
        advisor_id=holder, auth="", issued_at=now, case_id=case_id, reason=ConflictReason.OTHER
    )
    free_reason = with_free_text(conflict, holder, reason=f"my neighbour {marker}")
    training = RegisterTraining(
        advisor_id=holder, auth="", issued_at=now, hours=8, kind=TrainingKind.REFRESHER, completed_on=now
    )
    free_kind = with_free_text(training, holder, kind=f"course by {marker}")
    room = BookQuietRoom(advisor_id=holder, auth="", issued_at=now, location="den_haag", minutes=30)
    free_place = with_free_text(room, holder, location=f"room {marker}")
    for doc in (free_reason, free_kind, free_place):
        await stack.publish_raw(doc)
    room_id = free_place["event_id"]

    intake = await answers_to(stack, "intake.cases.v1", [forged_ids["intake"], free_kind["event_id"]])
    routing = await answers_to(
        stack, "routing.assignments.v1", [forged_ids["routing"], free_reason["event_id"]]
    )
    scheduling = await answers_to(stack, "scheduling.meetings.v1", [forged_ids["scheduling"], room_id])

    def answer(events: list[dict[str, Any]]) -> tuple[str, str, Any, Any]:
        (event,) = events
        p = event["payload"]
        return (
            event["event_type"],
            p.get("reason_code", p.get("reason")),
            p.get("case_id"),
            p.get("advisor_id"),
        )

    assert answer(intake[forged_ids["intake"]]) == ("AdvisorCommandRejected", "signature_invalid", None, None)
    assert answer(routing[forged_ids["routing"]]) == (
        "AdvisorCommandRejected",
        "signature_invalid",
        None,
        None,
    )
    assert answer(scheduling[forged_ids["scheduling"]]) == (
        "AdvisorCommandRejected",
        "signature_invalid",
        None,
        None,
    )
    assert answer(intake[free_kind["event_id"]]) == (
        "AdvisorCommandRejected",
        "unknown_training_kind",
        None,
        None,
    )
    assert answer(routing[free_reason["event_id"]]) == (
        "AdvisorCommandRejected",
        "unknown_conflict_reason",
        None,
        None,
    )
    assert answer(scheduling[room_id]) == ("AdvisorCommandRejected", "unknown_location_code", None, None)
    # Nothing any of these commands carried is on any output topic, in any field of any event.
    for topic, _kind, _field in OUTPUTS.values():
        everything = str(await stack.topic(topic))
        assert marker not in everything, topic
