"""The "Mijn uren" form readers, the term horizon and the baseline display (pure)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from services.workbench.domain.records import (
    Refused,
    SupervisionEntry,
    TimeEntry,
    TrainingEntry,
    against_baseline,
    read_supervision,
    read_talk_date,
    read_time,
    read_training,
    talk_overdue,
    term_ends_soon,
)
from shared.codes import TimeActivity, TrainingKind

TODAY = date(2026, 12, 3)


def test_time_not_tied_to_a_case_is_read_as_codes() -> None:
    assert read_time("publicity", " 90 ") == TimeEntry(TimeActivity.PUBLICITY, 90)


@pytest.mark.parametrize(
    ("activity", "minutes", "code"),
    [
        ("gossip", "30", "activity_unknown"),
        ("training", "half an hour", "minutes_not_a_number"),
        ("training", "0", "minutes_not_positive"),
        ("training", "-5", "minutes_not_positive"),
        ("training", str(24 * 60 + 1), "minutes_too_many"),
    ],
)
def test_bad_time_is_refused_with_a_reason(activity: str, minutes: str, code: str) -> None:
    assert read_time(activity, minutes) == Refused(code)


def test_training_accepts_a_dutch_decimal_comma() -> None:
    assert read_training("2,5", "refresher", "2026-11-30", TODAY) == TrainingEntry(
        2.5, TrainingKind.REFRESHER, date(2026, 11, 30)
    )


@pytest.mark.parametrize(
    ("hours", "kind", "day", "code"),
    [
        ("2", "yoga", "2026-11-30", "training_kind_unknown"),
        ("two", "refresher", "2026-11-30", "hours_not_a_number"),
        ("nan", "refresher", "2026-11-30", "hours_not_a_number"),
        ("0", "refresher", "2026-11-30", "hours_not_positive"),
        ("201", "refresher", "2026-11-30", "hours_too_many"),
        ("2", "refresher", "30-11-2026", "date_invalid"),
        ("2", "refresher", "2026-12-04", "date_in_future"),
        ("2", "refresher", "2025-12-01", "date_too_long_ago"),
    ],
)
def test_bad_training_is_refused_with_a_reason(hours: str, kind: str, day: str, code: str) -> None:
    assert read_training(hours, kind, day, TODAY) == Refused(code)


def test_supervision_is_read_and_bounded() -> None:
    assert read_supervision("1.5", "2026-12-03", TODAY) == SupervisionEntry(1.5, TODAY)
    assert read_supervision("51", "2026-12-03", TODAY) == Refused("hours_too_many")
    assert read_supervision("1", "", TODAY) == Refused("date_invalid")


def test_terms_ending_within_six_months() -> None:
    assert term_ends_soon(TODAY, TODAY)
    assert term_ends_soon(TODAY + timedelta(days=183), TODAY)
    assert not term_ends_soon(TODAY + timedelta(days=184), TODAY)
    assert not term_ends_soon(TODAY - timedelta(days=1), TODAY)
    assert not term_ends_soon(None, TODAY)


def test_baseline_display_says_whether_it_is_met_and_by_how_much_not() -> None:
    short = against_baseline(done=6.0, baseline=16.0)
    assert (short.meets, short.short_by) == (False, 10.0)
    met = against_baseline(done=17.5, baseline=16.0)
    assert (met.meets, met.short_by) == (True, 0.0)


def test_a_reflection_talk_is_dated_today_or_up_to_a_year_back() -> None:
    assert read_talk_date("2026-12-03", TODAY) == TODAY
    assert read_talk_date(" 2025-12-02 ", TODAY) == date(2025, 12, 2)  # 366 days back
    assert read_talk_date("2025-12-01", TODAY) == Refused("date_too_long_ago")
    assert read_talk_date("2026-12-04", TODAY) == Refused("date_in_future")
    assert read_talk_date("3-12-2026", TODAY) == Refused("date_invalid")


def test_the_yearly_talk_is_due_when_none_was_held_or_the_last_is_over_a_year_old() -> None:
    assert talk_overdue(None, TODAY)
    assert not talk_overdue(TODAY - timedelta(days=366), TODAY)
    assert talk_overdue(TODAY - timedelta(days=367), TODAY)
