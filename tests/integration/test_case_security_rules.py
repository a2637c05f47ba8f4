"""The pure rules behind the security tests: who may act (lifecycle.refusal) and the receipt-code
rate limiter. No I/O: these run as unit tests."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from services.intake.lifecycle import CaseState, refusal
from services.intake.rate_limit import ReceiptCodeLimiter

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


T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def test_free_failures_then_doubling_lockouts_per_address() -> None:
    limiter = ReceiptCodeLimiter(free_failures=3, base_lockout=timedelta(seconds=2))
    for _ in range(3):
        assert limiter.retry_after("10.0.0.1", T0) is None
        limiter.failed("10.0.0.1", T0)
    assert limiter.retry_after("10.0.0.1", T0) is None
    locks = []
    now = T0
    for _ in range(4):
        limiter.failed("10.0.0.1", now)
        locks.append(limiter.retry_after("10.0.0.1", now))
        now += timedelta(seconds=locks[-1] or 0)
    assert locks == [2.0, 4.0, 8.0, 16.0]
    assert limiter.retry_after("10.0.0.2", now) is None  # another address is not affected


def test_lockouts_are_capped_and_forgotten_after_a_quiet_day() -> None:
    limiter = ReceiptCodeLimiter(
        free_failures=0, base_lockout=timedelta(seconds=1), max_lockout=timedelta(minutes=1)
    )
    for _ in range(40):
        limiter.failed("a", T0)
    assert limiter.retry_after("a", T0) == 60.0
    later = T0 + timedelta(days=2)
    limiter.failed("a", later)
    assert limiter.retry_after("a", later) == 1.0


def test_many_wrong_codes_from_many_addresses_lock_everyone_for_a_while() -> None:
    limiter = ReceiptCodeLimiter(free_failures=100, global_failures=50, global_lockout=timedelta(minutes=1))
    for i in range(51):
        limiter.failed(f"10.0.{i // 250}.{i % 250}", T0 + timedelta(milliseconds=i))
    assert limiter.retry_after("192.168.1.1", T0 + timedelta(seconds=1)) is not None
    assert limiter.retry_after("192.168.1.1", T0 + timedelta(minutes=2)) is None


def test_the_address_table_is_bounded() -> None:
    limiter = ReceiptCodeLimiter(max_addresses=10)
    for i in range(25):
        limiter.failed(f"a{i}", T0 + timedelta(seconds=i))
    assert len(limiter._addresses) <= 10
