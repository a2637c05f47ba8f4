"""One rejection contract: the three event types it replaced (D28) still read, as it."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

import shared.contracts  # noqa: F401  (registers the event types)
from services.reporting.entrypoints.decoding import SlimDecoder
from shared.advisor_commands import rejection
from shared.auth import UNPROVEN_STREAM, Refusal, unproven_cause
from shared.contracts.advisor_commands import AdvisorCommandRejected
from shared.emitter import Emitter
from shared.envelope import EnvelopeDecodeError, decode_envelope, new_envelope
from shared.pipeline import IGNORED, Inbound

pytestmark = pytest.mark.unit

REJECTED_AT = "2026-03-02T09:30:00+00:00"
NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def record(event_type: str, payload: dict[str, Any], version: int = 1) -> bytes:
    return json.dumps(
        {
            "event_id": "e-anna-1",
            "event_type": event_type,
            "schema_version": version,
            "occurred_at": REJECTED_AT,
            "producer": "test",
            "stream_id": "case-7",
            "sequence": 0,
            "correlation_id": "workbench-session-42",
            "payload": payload,
        }
    ).encode()


FORMER = {
    "ActionRejected": {"action_type": "AcceptCase", "reason_code": "not_assignee"},
    "RoutingActionRejected": {"action": "AcceptCase", "reason": "not_assignee"},
    "MeetingRequestRejected": {"command": "AcceptCase", "reason_code": "not_assignee"},
}
IDS = {"case_id": "case-7", "advisor_id": "adv-anna", "rejected_at": REJECTED_AT}


@pytest.mark.parametrize("former", sorted(FORMER))
def test_a_former_rejection_reads_as_the_one_contract(former: str) -> None:
    env = decode_envelope(record(former, {**FORMER[former], **IDS}))
    assert (env.event_type, env.schema_version, env.event_id) == ("AdvisorCommandRejected", 1, "e-anna-1")
    assert env.payload == AdvisorCommandRejected(
        command="AcceptCase",
        reason_code="not_assignee",
        case_id="case-7",
        advisor_id="adv-anna",
        rejected_at=datetime(2026, 3, 2, 9, 30, tzinfo=UTC),
    )


def test_a_former_unproven_rejection_still_names_nobody() -> None:
    payload = {
        "action": "DeclareConflict",
        "reason": "signature_invalid",
        "case_id": None,
        "advisor_id": None,
    }
    env = decode_envelope(record("RoutingActionRejected", {**payload, "rejected_at": REJECTED_AT}))
    assert isinstance(env.payload, AdvisorCommandRejected)
    assert (env.payload.reason_code, env.payload.case_id, env.payload.advisor_id) == (
        "signature_invalid",
        None,
        None,
    )


def test_a_former_type_at_a_version_it_never_had_is_refused() -> None:
    with pytest.raises(EnvelopeDecodeError) as caught:
        decode_envelope(record("ActionRejected", {**FORMER["ActionRejected"], **IDS}, version=2))
    assert caught.value.reason == "unsupported_schema_version"


def test_the_reporting_decoder_reads_former_and_current_rejections_alike() -> None:
    current = new_envelope(
        AdvisorCommandRejected(
            command="RequestMeeting",
            reason_code="token_expired",
            case_id=None,
            advisor_id=None,
            rejected_at=datetime(2026, 3, 2, 9, 30, tzinfo=UTC),
        ),
        stream_id="unproven-commands",
        producer="scheduling",
        occurred_at=datetime(2026, 3, 2, 9, 30, tzinfo=UTC),
        causation_id="c-1",
    ).to_bytes()
    decoder = SlimDecoder()
    for raw in [current, *(record(name, {**fields, **IDS}) for name, fields in FORMER.items())]:
        decoded = decoder.decode(Inbound(topic="intake.cases.v1", partition=0, offset=0, key=b"k", value=raw))
        assert decoded.body is not IGNORED
        assert decoded.body.event_type == "AdvisorCommandRejected"


def workbench_emitter() -> Emitter:
    command = Emitter.of_cause("cmd-anna-1", producer="routing", topic="routing.assignments.v1", now=NOW)
    return replace(command, correlation_id="workbench-session-42")


def test_a_proven_refusal_names_the_case_and_advisor_in_the_commands_chain() -> None:
    out = rejection(
        workbench_emitter(), "DeclareConflict", Refusal("not_assignee", proven=True), "case-7", "adv-anna"
    )
    env = out.envelope
    assert (out.topic, env.stream_id, env.causation_id, env.correlation_id) == (
        "routing.assignments.v1",
        "case-7",
        "cmd-anna-1",
        "workbench-session-42",
    )
    assert (env.payload.case_id, env.payload.advisor_id, env.payload.reason_code) == (
        "case-7",
        "adv-anna",
        "not_assignee",
    )


def test_an_unproven_refusal_names_nobody_and_starts_a_chain_of_its_own() -> None:
    refusal = Refusal("signature_invalid", proven=False)
    env = rejection(workbench_emitter(), "DeclareConflict", refusal, "case-7", "adv-anna").envelope
    assert env.stream_id == UNPROVEN_STREAM
    assert env.causation_id == env.correlation_id == unproven_cause("cmd-anna-1")
    assert (env.payload.case_id, env.payload.advisor_id) == (None, None)
    assert "case-7" not in env.model_dump_json() and "workbench-session-42" not in env.model_dump_json()
