"""Legal deadlines of whistleblower reports: 7 days, then 3 calendar months (not 90 days)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.legal_deadlines import (
    DeadlineStatus,
    acknowledgement_due,
    add_calendar_months,
    days_left,
    feedback_due,
    local_date,
    met_on_time,
    transitions,
)

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2026, 1, 31), 3, date(2026, 4, 30)),  # April has 30 days
        (date(2025, 11, 30), 3, date(2026, 2, 28)),
        (date(2027, 11, 30), 3, date(2028, 2, 29)),  # leap year
        (date(2026, 1, 15), 3, date(2026, 4, 15)),
        (date(2026, 10, 31), 3, date(2027, 1, 31)),  # across the year end
        (date(2026, 12, 31), 2, date(2027, 2, 28)),
        (date(2026, 3, 31), 1, date(2026, 4, 30)),
        (date(2026, 5, 1), 12, date(2027, 5, 1)),
    ],
)
def test_calendar_months_clamp_to_the_last_day_of_the_month(start: date, months: int, expected: date) -> None:
    assert add_calendar_months(start, months) == expected


def test_feedback_after_31_january_is_due_30_april_not_after_90_days() -> None:
    assert feedback_due(date(2026, 1, 31)) == date(2026, 4, 30)
    assert date(2026, 1, 31) + timedelta(days=90) == date(2026, 5, 1)  # what a naive timer would say


@settings(max_examples=200)
@given(st.dates(min_value=date(1990, 1, 1), max_value=date(2200, 1, 1)), st.integers(0, 40))
def test_adding_months_moves_exactly_that_many_months_and_never_later_in_the_month(
    day: date, months: int
) -> None:
    result = add_calendar_months(day, months)
    assert (result.year * 12 + result.month) - (day.year * 12 + day.month) == months
    assert result.day == day.day or (result.day < day.day and (result + timedelta(days=1)).day == 1)


def test_dates_are_amsterdam_calendar_dates() -> None:
    # 23:30 UTC on 31 January is already 1 February in Amsterdam (UTC+1 in winter).
    assert local_date(datetime(2026, 1, 31, 23, 30, tzinfo=UTC)) == date(2026, 2, 1)
    # Summer time: 22:30 UTC on 30 June is 00:30 on 1 July (UTC+2).
    assert local_date(datetime(2026, 6, 30, 22, 30, tzinfo=UTC)) == date(2026, 7, 1)
    with pytest.raises(ValueError):
        local_date(datetime(2026, 1, 1))


def test_acknowledgement_is_due_seven_days_after_the_report() -> None:
    assert acknowledgement_due(datetime(2026, 1, 24, 9, 0, tzinfo=UTC)) == date(2026, 1, 31)
    assert acknowledgement_due(datetime(2026, 1, 24, 23, 30, tzinfo=UTC)) == date(2026, 2, 1)


def test_feedback_counts_from_the_acknowledgement_or_else_from_the_end_of_the_seven_days() -> None:
    received = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)
    assert feedback_due(date(2026, 1, 15)) == date(2026, 4, 15)  # acknowledged on 15 January
    # none sent: 3 months after the end of the 7 days (17 January)
    assert feedback_due(acknowledgement_due(received)) == date(2026, 4, 17)


def test_a_deadline_met_on_its_due_day_in_amsterdam_is_on_time_and_a_minute_later_is_late() -> None:
    due = date(2026, 4, 15)
    assert met_on_time(due, datetime(2026, 4, 15, 21, 59, tzinfo=UTC))  # 23:59 in Amsterdam (summer time)
    assert not met_on_time(due, datetime(2026, 4, 15, 22, 0, tzinfo=UTC))  # 00:00 on 16 April
    assert met_on_time(due, datetime(2026, 4, 1, 9, 0, tzinfo=UTC))


def _open(
    due_on: date, *, due_noticed: bool = False, missed_noticed: bool = False, state: str = "open"
) -> DeadlineStatus:
    return DeadlineStatus("feedback", due_on, state, due_noticed, missed_noticed)  # type: ignore[arg-type]


def _at(day: date, hour: int = 12) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


DUE = date(2026, 4, 30)


def test_nothing_happens_before_the_warning_period() -> None:
    assert transitions(_open(DUE), _at(date(2026, 4, 27)), warning_days=2) == []


def test_due_is_raised_once_when_the_warning_period_starts() -> None:
    assert transitions(_open(DUE), _at(date(2026, 4, 28)), warning_days=2) == ["due"]
    assert transitions(_open(DUE, due_noticed=True), _at(date(2026, 4, 29)), warning_days=2) == []
    assert days_left(DUE, _at(date(2026, 4, 28))) == 2


def test_the_due_day_itself_is_not_missed_until_it_ends_in_amsterdam() -> None:
    last_minute = datetime(2026, 4, 30, 21, 59, tzinfo=UTC)  # 23:59 in Amsterdam (summer time)
    after = datetime(2026, 4, 30, 22, 0, tzinfo=UTC)  # 00:00 on 1 May in Amsterdam
    assert transitions(_open(DUE, due_noticed=True), last_minute, warning_days=2) == []
    assert transitions(_open(DUE, due_noticed=True), after, warning_days=2) == ["missed"]


def test_missed_is_raised_once_even_if_due_never_was() -> None:
    assert transitions(_open(DUE), _at(date(2026, 5, 3)), warning_days=2) == ["missed"]
    assert transitions(_open(DUE, missed_noticed=True), _at(date(2026, 5, 4)), warning_days=2) == []


def test_a_met_deadline_raises_nothing() -> None:
    assert transitions(_open(DUE, state="met"), _at(date(2026, 5, 3)), warning_days=2) == []
    assert transitions(_open(DUE, state="met"), _at(date(2026, 4, 29)), warning_days=2) == []
