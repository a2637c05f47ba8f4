from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from icalendar import Calendar

from services.workbench.domain.case_actions import MeetingSlot, meeting_ics, suggested_referrals
from shared.codes import Category


def test_labour_conflict_goes_to_the_labour_law_desk() -> None:
    assert suggested_referrals([Category.LABOUR_CONFLICT_WITH_MANAGER.value]) == ("labour_law_desk",)
    assert suggested_referrals([Category.LABOUR_LEGAL_POSITION.value]) == ("labour_law_desk",)


def test_mixed_families_are_ordered_and_unknown_codes_ignored() -> None:
    got = suggested_referrals(
        ["no.such.code", Category.WORKLOAD.value, Category.BULLYING.value, Category.FRAUD_THEFT.value]
    )
    assert got == ("integrity_office", "complaints_committee", "occupational_health")
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
