"""The pure rules behind the security tests: who may act (lifecycle.refusal). No I/O: these run
as unit tests (the receipt-code limits: tests/unit/test_receipt_guess_budget.py)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from services.intake.domain.lifecycle import CaseState, refusal

pytestmark = pytest.mark.unit

CASE = CaseState(
    case_id="c-1",
    assignee="adv-anna",
    accepted_by="adv-anna",
    status="open",
    erased=False,
    is_whistleblower_report=False,
)
CASE_ACTIONS = [
    "AcceptCase",
    "LogTime",
    "RecordOutcome",
    "CloseCase",
    "ProvideFeedback",
    "GET /v1/cases/{id}",
    "POST /v1/cases/{id}/messages",
]


@pytest.mark.parametrize("action", CASE_ACTIONS)
def test_nobody_but_the_assignee_acts_and_an_unknown_case_looks_the_same(action: str) -> None:
    assert refusal(action, "adv-bram", CASE) == "not_assignee"
    assert refusal(action, "adv-bram", None) == "not_assignee"
    assert refusal(action, "adv-anna", replace(CASE, assignee=None)) == "not_assignee"


def test_reading_needs_no_acceptance_the_rest_does() -> None:
    fresh = replace(CASE, accepted_by=None)
    assert refusal("GET /v1/cases/{id}", "adv-anna", fresh) is None
    assert refusal("AcceptCase", "adv-anna", fresh) is None
    for action in ("LogTime", "RecordOutcome", "CloseCase", "POST /v1/cases/{id}/messages"):
        assert refusal(action, "adv-anna", fresh) == "not_accepted"
    assert refusal("AcceptCase", "adv-anna", CASE) == "already_accepted"


def test_a_reassigned_case_must_be_accepted_again_by_its_new_advisor() -> None:
    reassigned = replace(CASE, assignee="adv-bram", accepted_by="adv-anna")
    assert refusal("LogTime", "adv-bram", reassigned) == "not_accepted"
    assert refusal("LogTime", "adv-anna", reassigned) == "not_assignee"


def test_a_closed_case_is_read_only_and_an_erased_one_is_gone() -> None:
    closed = replace(CASE, status="closed")
    assert refusal("GET /v1/cases/{id}", "adv-anna", closed) is None
    assert refusal("LogTime", "adv-anna", closed) == "case_closed"
    erased = replace(closed, erased=True)
    assert refusal("GET /v1/cases/{id}", "adv-anna", erased) == "not_assignee"
    assert refusal("LogTime", "adv-anna", erased) == "not_assignee"


def test_feedback_is_for_formal_reports_only() -> None:
    assert refusal("ProvideFeedback", "adv-anna", CASE) == "not_a_formal_report"
    assert refusal("ProvideFeedback", "adv-anna", replace(CASE, is_whistleblower_report=True)) is None


def test_actions_without_a_case_are_not_case_rules() -> None:
    assert refusal("RegisterTraining", "adv-bram", None) is None
