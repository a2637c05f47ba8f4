"""Old records read as the current versions, without the clear text the current versions seal."""

from __future__ import annotations

import json
from typing import Any

import pytest

import shared.contracts  # noqa: F401  (registers the event types)
from shared.contracts.intake import CaseOpened
from shared.contracts.routing import AdvisorAssigned, CaseReassigned, RoutingEscalated
from shared.envelope import decode_envelope

pytestmark = pytest.mark.unit

SEALED = {"alg": "A256GCM", "kid": "case-1", "nonce": "AAAA", "ct": "BBBB"}
DECIDED = "2026-03-01T09:00:00+00:00"


def record(event_type: str, version: int, payload: dict[str, Any]) -> bytes:
    return json.dumps(
        {
            "event_id": "e-1",
            "event_type": event_type,
            "schema_version": version,
            "occurred_at": DECIDED,
            "producer": "test",
            "stream_id": "case-1",
            "sequence": 0,
            "correlation_id": "case-1",
            "payload": payload,
        }
    ).encode()


def case_opened_v2(location: str | None) -> bytes:
    return record(
        "CaseOpened",
        2,
        {
            "case_id": "case-1",
            "submission_id": "abc12345",
            "opened_at": DECIDED,
            "channel": "web",
            "organisation_id": "min-a",
            "unit_id": "u-1",
            "client_role": "employee",
            "anonymous": False,
            "categories": ["workload"],
            "language": "nl",
            "location": location,
            "personal": SEALED,
            "routing_facts": SEALED,
        },
    )


@pytest.mark.parametrize(
    ("town", "code"),
    [("'s-Gravenhage", "den_haag"), ("XQ-MARKER-TOWN-7731 bij de bakker", "unknown"), (None, None)],
)
def test_a_version_2_case_opened_keeps_only_the_code_of_its_clear_town(
    town: str | None, code: str | None
) -> None:
    env = decode_envelope(case_opened_v2(town))
    assert isinstance(env.payload, CaseOpened) and env.schema_version == CaseOpened.SCHEMA_VERSION == 3
    assert env.payload.location_code == code
    # whatever a reader stores or re-publishes from it no longer holds the town as typed
    assert town is None or town not in env.to_bytes().decode()


def decision_extras() -> dict[str, Any]:
    return {"exclusions": SEALED, "directory_revision": 7, "inputs": SEALED, "policy_version": "2026.1"}


def test_a_version_1_assignment_loses_its_clear_rule_counts() -> None:
    raw = record(
        "AdvisorAssigned",
        1,
        {
            "case_id": "case-1",
            "advisor_id": "adv-anna",
            "scope": "internal",
            "rule_codes": {"R1_ADVISOR_INVOLVED": 1, "R5_EXTERNAL_ONLY": 3},
            "selection_reason": "lowest_load",
            "decided_at": DECIDED,
            "case_opened_at": DECIDED,
            **decision_extras(),
        },
    )
    env = decode_envelope(raw)
    assert isinstance(env.payload, AdvisorAssigned) and env.schema_version == 2
    assert env.payload.advisor_id == "adv-anna" and env.payload.detail is None
    assert "R1_ADVISOR_INVOLVED" not in env.to_bytes().decode()


@pytest.mark.parametrize(
    ("reason", "cause"),
    [
        ("conflict_declared", "conflict"),
        ("org_change", "conflict"),
        ("persons_added", "conflict"),
        ("acquaintance_declared", "conflict"),
        ("advisor_on_leave", "other"),
        ("term_ended", "other"),
        ("escalation_retry", "other"),
    ],
)
def test_a_version_1_reassignment_keeps_a_coarse_cause_and_not_who_left_or_why(
    reason: str, cause: str
) -> None:
    raw = record(
        "CaseReassigned",
        1,
        {
            "case_id": "case-1",
            "from_advisor_id": "adv-who-left",
            "to_advisor_id": "adv-bram",
            "reason": reason,
            "scope": "internal",
            "rule_codes": {"R1_ADVISOR_INVOLVED": 1},
            "decided_at": DECIDED,
            **decision_extras(),
        },
    )
    env = decode_envelope(raw)
    assert isinstance(env.payload, CaseReassigned) and env.schema_version == 2
    assert (env.payload.to_advisor_id, env.payload.cause) == ("adv-bram", cause)
    text = env.to_bytes().decode()
    assert not any(secret in text for secret in ("adv-who-left", reason, "R1_ADVISOR_INVOLVED"))


@pytest.mark.parametrize(("reason", "cause"), [("initial", "initial"), ("conflict_declared", "conflict")])
def test_a_version_1_escalation_loses_its_clear_reason_codes(reason: str, cause: str) -> None:
    raw = record(
        "RoutingEscalated",
        1,
        {
            "case_id": "case-1",
            "organisation_id": "min-a",
            "reason_codes": {"R5_EXTERNAL_ONLY": 4},
            "escalated_at": DECIDED,
            "reason": reason,
            **decision_extras(),
        },
    )
    env = decode_envelope(raw)
    assert isinstance(env.payload, RoutingEscalated) and env.payload.cause == cause
    assert (
        "R5_EXTERNAL_ONLY" not in env.to_bytes().decode()
        and "conflict_declared" not in env.to_bytes().decode()
    )
