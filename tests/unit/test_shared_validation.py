"""Bounds every service can process (shared/validation.py), at intake's edge and in the contracts."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from services.intake.domain.submission import Rejection, Submission, validate_submission
from shared.contracts.advisor_actions import RequestMeeting
from shared.contracts.intake import AvailabilityWindow
from shared.validation import OutOfBounds, checked_zone, in_contract_range, near_now
from tests.support import samples

pytestmark = pytest.mark.unit

NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)


def verdict_with_availability(start: str, end: str) -> Submission | Rejection:
    doc = samples.submission(submitted_at=NOW.isoformat())
    doc["meeting"]["availability"] = [{"start": start, "end": end}]
    raw = json.dumps(doc).encode()
    return validate_submission(raw, doc, now=NOW)


@pytest.mark.parametrize(
    ("start", "end", "reason"),
    [
        ("9999-12-30T09:00:00+00:00", "9999-12-30T17:00:00+00:00", "timestamp_out_of_range"),
        ("0001-01-01T09:00:00+01:00", "0001-01-01T17:00:00+01:00", "timestamp_out_of_range"),
        ("2031-05-04T09:00:00+02:00", "2031-05-04T17:00:00+02:00", "timestamp_out_of_range"),
        ("2025-10-01T09:00:00+02:00", "2025-10-01T17:00:00+02:00", "timestamp_out_of_range"),
        ("2026-12-03T09:00:00+23:59", "2026-12-03T17:00:00+23:59", "timezone_invalid"),
        ("2026-12-03T09:00:00+00:07", "2026-12-03T17:00:00+00:07", "timezone_invalid"),
        ("2026-12-03T09:00:00", "2026-12-03T17:00:00", "timestamp_without_zone"),
        ("2026-12-03T09:00:00+01:00", "2026-12-20T17:00:00+01:00", "availability_window_too_long"),
    ],
)
def test_availability_that_a_service_could_not_plan_with_is_refused_at_the_edge(
    start: str, end: str, reason: str
) -> None:
    verdict = verdict_with_availability(start, end)
    assert isinstance(verdict, Rejection)
    assert verdict.reason == reason and verdict.field is not None and "availability" in verdict.field


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("2026-12-03T09:00:00+01:00", "2026-12-03T17:00:00+01:00"),
        ("2026-12-03T09:00:00+05:45", "2026-12-03T17:00:00+05:45"),  # Nepal: a quarter-hour zone
        ("2028-11-30T09:00:00-14:00", "2028-11-30T17:00:00-14:00"),
        ("2026-11-15T09:00:00+00:00", "2026-11-15T17:00:00+00:00"),  # just passed: harmless
    ],
)
def test_availability_near_now_in_a_real_zone_is_accepted(start: str, end: str) -> None:
    assert isinstance(verdict_with_availability(start, end), Submission)


def test_a_submission_dated_years_ago_is_refused_without_echoing_the_date() -> None:
    doc = samples.submission(submitted_at="2019-02-03T04:05:06+00:00")
    verdict = validate_submission(json.dumps(doc).encode(), doc, now=NOW)
    assert verdict == Rejection("timestamp_out_of_range", "submitted_at", doc["submission_id"])


def test_the_contract_refuses_a_window_no_service_can_compute_with() -> None:
    for start in (datetime(9999, 12, 31, 22, tzinfo=UTC), datetime(1, 1, 1, 2, tzinfo=UTC)):
        with pytest.raises(ValidationError, match="timestamp_out_of_range"):
            AvailabilityWindow(start=start, end=start + timedelta(hours=1))
    with pytest.raises(ValidationError, match="availability_window_invalid"):
        AvailabilityWindow(start=NOW, end=NOW - timedelta(hours=1))
    assert AvailabilityWindow(start=NOW, end=NOW + timedelta(hours=8)).end.year == 2026


def test_the_bounds_name_a_reason_and_never_the_value() -> None:
    odd = timezone(timedelta(hours=20))
    with pytest.raises(OutOfBounds) as raised:
        checked_zone(datetime(2026, 1, 1, tzinfo=odd))
    assert raised.value.args == ("timezone_invalid",)
    with pytest.raises(OutOfBounds, match="^timestamp_without_zone$"):
        in_contract_range(datetime(2026, 1, 1))  # a naive time is the point
    with pytest.raises(OutOfBounds, match="^timestamp_out_of_range$"):
        near_now(NOW + timedelta(days=800), NOW, past=timedelta(0), ahead=timedelta(days=731))
    assert near_now(NOW, NOW, past=timedelta(0), ahead=timedelta(0)) == NOW


def test_advisor_commands_carry_only_dates_every_service_can_process() -> None:
    fields = {"advisor_id": "adv-anna", "auth": "token", "issued_at": NOW, "case_id": "case-1"}
    assert RequestMeeting(**fields, earliest=NOW + timedelta(days=3)).earliest is not None
    for earliest in (datetime(1, 1, 1, tzinfo=UTC), datetime(9999, 12, 31, tzinfo=UTC)):
        with pytest.raises(ValidationError, match="timestamp_out_of_range"):
            RequestMeeting(**fields, earliest=earliest)
    with pytest.raises(ValidationError, match="timestamp_out_of_range"):
        RequestMeeting(**{**fields, "issued_at": datetime(9999, 12, 31, 23, tzinfo=UTC)})
