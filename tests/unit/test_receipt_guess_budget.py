"""The receipt-code budget as pure logic, on a driven clock (rate_limit.GuessBudget).

The counters it judges come from the database (tests/integration/test_receipt_code_limits.py);
here they are plain numbers, counting the try being judged.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.intake.adapters.receipt_guess_limits import GuessBudget, Refusal

pytestmark = pytest.mark.unit

BUDGET = GuessBudget(
    per_code=5, code_window=timedelta(hours=1), global_failures=200, global_window=timedelta(minutes=1)
)
NOON = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def test_windows_are_aligned_so_every_instance_counts_in_the_same_one() -> None:
    at = NOON + timedelta(minutes=17, seconds=42)
    assert BUDGET.window_of(at, timedelta(hours=1)) == NOON
    assert BUDGET.window_of(at, timedelta(minutes=1)) == NOON + timedelta(minutes=17)


def test_five_wrong_tries_of_one_code_are_answered_as_unknown_the_sixth_is_told_to_wait() -> None:
    at = NOON + timedelta(minutes=45)
    assert [BUDGET.judge_wrong_code(1, tries, at) for tries in range(1, 6)] == [None] * 5
    assert BUDGET.judge_wrong_code(1, 6, at) == Refusal("code_tried_too_often", 15 * 60.0)


def test_the_code_window_ends_and_the_code_may_be_tried_again() -> None:
    next_hour = NOON + timedelta(hours=1, seconds=1)
    assert BUDGET.judge_wrong_code(1, 1, next_hour) is None  # the store starts a new row: 1 try


def test_the_201st_wrong_code_in_a_minute_is_refused_until_the_minute_ends() -> None:
    at = NOON + timedelta(seconds=20)
    assert BUDGET.judge_wrong_code(200, 1, at) is None
    assert BUDGET.judge_wrong_code(201, None, at) == Refusal("too_many_wrong_codes", 40.0)


def test_over_the_global_budget_the_global_refusal_wins_over_a_fresh_code() -> None:
    at = NOON + timedelta(seconds=59, milliseconds=500)
    refusal = BUDGET.judge_wrong_code(5_000, None, at)
    assert refusal is not None and refusal.reason == "too_many_wrong_codes"
    assert refusal.retry_after == 0.5  # the answer rounds this up to Retry-After: 1


def test_a_budget_of_one_per_code_refuses_the_second_try_only() -> None:
    strict = GuessBudget(per_code=1)
    assert strict.code_refused(1, NOON) is None
    assert strict.code_refused(2, NOON) is not None
