from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from icalendar import Calendar

from services.workbench.domain.case_actions import (
    MeetingRequest,
    MeetingSlot,
    QuietRoomRequest,
    TimeEntry,
    meeting_ics,
    parse_meeting_form,
    parse_quiet_room_form,
    parse_time_form,
    suggested_referrals,
)
from shared.codes import Category, MeetingMode, Outcome, TimeActivity
from shared.locations import DEFAULT_CATALOGUE


def test_labour_conflict_goes_to_the_labour_law_desk() -> None:
    assert suggested_referrals([Category.LABOUR_CONFLICT_WITH_MANAGER.value]) == (
        Outcome.REFERRED_LABOUR_LAW_DESK,
    )
    assert suggested_referrals([Category.LABOUR_LEGAL_POSITION.value]) == (Outcome.REFERRED_LABOUR_LAW_DESK,)


def test_mixed_families_are_ordered_and_unknown_codes_ignored() -> None:
    got = suggested_referrals(
        ["no.such.code", Category.WORKLOAD.value, Category.BULLYING.value, Category.FRAUD_THEFT.value]
    )
    assert got == (
        Outcome.REFERRED_INTEGRITY_OFFICE,
        Outcome.REFERRED_SOCIAL_WORKER,
        Outcome.REFERRED_COMPANY_DOCTOR,
    )
    assert suggested_referrals([Category.OTHER.value]) == ()
    assert suggested_referrals([]) == ()


def test_meeting_ics_parses_back_and_holds_nothing_about_the_case() -> None:
    case_id = "case-7f3a"
    start = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)
    slot = MeetingSlot(
        meeting_id="mtg-123",
        start=start,
        end=start + timedelta(minutes=45),
        neutral_title="Afspraak",
        calendar_sequence=2,
    )
    raw = meeting_ics(slot, stamp=datetime(2026, 12, 3, tzinfo=UTC))
    text = raw.decode()
    assert case_id not in text
    for category in Category:
        assert category.value not in text
    (event,) = Calendar.from_ical(raw).walk("VEVENT")
    assert str(event["UID"]) == "mtg-123"
    assert int(event["SEQUENCE"]) == 2
    assert event.decoded("DTSTART") == start
    assert event.decoded("DTEND") == start + timedelta(minutes=45)
    assert str(event["SUMMARY"]) == "Afspraak"


def test_meeting_ics_refuses_naive_times() -> None:
    naive = datetime(2026, 12, 7, 9, 30)
    slot = MeetingSlot("m", naive, naive + timedelta(hours=1), "Afspraak", 0)
    with pytest.raises(ValueError, match="naive_time"):
        meeting_ics(slot, stamp=datetime(2026, 12, 3, tzinfo=UTC))


def test_time_form_accepts_minutes_or_hours_and_minutes() -> None:
    assert parse_time_form({"activity": "conversation", "minutes": "45"}) == TimeEntry(
        TimeActivity.CONVERSATION, 45
    )
    assert parse_time_form({"activity": "administration", "hours": "2", "minutes": "15"}) == (
        TimeEntry(TimeActivity.ADMINISTRATION, 135)
    )
    assert parse_time_form({"activity": "training", "hours": "24"}) == TimeEntry(TimeActivity.TRAINING, 1440)


@pytest.mark.parametrize(
    ("form", "reason"),
    [
        ({"activity": "sleeping", "minutes": "10"}, "activity_unknown"),
        ({"minutes": "10"}, "activity_unknown"),
        ({"activity": "conversation", "minutes": "-5"}, "minutes_not_a_number"),
        ({"activity": "conversation", "minutes": "1.5"}, "minutes_not_a_number"),
        ({"activity": "conversation", "minutes": "0"}, "minutes_out_of_range"),
        ({"activity": "conversation"}, "minutes_out_of_range"),
        ({"activity": "conversation", "hours": "24", "minutes": "1"}, "minutes_out_of_range"),
        ({"activity": "conversation", "minutes": "9" * 40}, "minutes_out_of_range"),
    ],
)
def test_time_form_refusals_name_the_reason(form: dict[str, str], reason: str) -> None:
    assert parse_time_form(form) == reason


TODAY = date(2026, 12, 3)


def test_meeting_form_mode_and_earliest_are_optional() -> None:
    assert parse_meeting_form({}, today=TODAY) == MeetingRequest(None, None)
    assert parse_meeting_form({"mode": "video", "earliest": "2026-12-03"}, today=TODAY) == (
        MeetingRequest(MeetingMode.VIDEO, TODAY)
    )


@pytest.mark.parametrize(
    ("form", "reason"),
    [
        ({"mode": "carrier_pigeon"}, "mode_unknown"),
        ({"earliest": "3 december"}, "earliest_not_a_date"),
        ({"earliest": "2026-12-02"}, "earliest_in_the_past"),
    ],
)
def test_meeting_form_refusals(form: dict[str, str], reason: str) -> None:
    assert parse_meeting_form(form, today=TODAY) == reason


def test_quiet_room_form() -> None:
    known = set(DEFAULT_CATALOGUE.entries)
    code = min(known)
    assert parse_quiet_room_form({"location": code, "minutes": "60"}, known_locations=known) == (
        QuietRoomRequest(code, 60)
    )
    assert parse_quiet_room_form({"location": "atlantis", "minutes": "60"}, known_locations=known) == (
        "location_unknown"
    )
    assert parse_quiet_room_form({"location": code, "minutes": "481"}, known_locations=known) == (
        "minutes_out_of_range"
    )
    assert parse_quiet_room_form({"location": code, "minutes": "x"}, known_locations=known) == (
        "minutes_not_a_number"
    )
