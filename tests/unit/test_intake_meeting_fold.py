"""The client-safe fold of scheduling.meetings.v1 (domain/meetings.py) and its neutral wording on
the follow-up page (rendering/follow_up_pages.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import get_args

import pytest

from services.intake.adapters.rendering.follow_up_pages import meeting_words
from services.intake.domain.meetings import PlannedMeeting, after_cancelled, after_scheduled, next_planned
from services.intake.entrypoints.dialogue_contract import NextMeeting
from shared.codes import MeetingMode

pytestmark = pytest.mark.unit

THURSDAY_10 = datetime(2024, 12, 5, 9, 0, tzinfo=UTC)  # 10.00 in Amsterdam (winter time)


def meeting(seq: int = 0, start: datetime = THURSDAY_10, meeting_id: str = "m1") -> PlannedMeeting:
    return PlannedMeeting(meeting_id, "case-1", start, start + timedelta(hours=1), "phone", seq)


def test_a_first_meeting_is_kept_and_the_same_copy_again_changes_nothing() -> None:
    first = meeting()
    assert after_scheduled(None, first) == first
    assert after_scheduled(first, first) is None


def test_a_later_sequence_wins_and_an_older_one_arriving_late_does_not() -> None:
    moved = meeting(1, THURSDAY_10 + timedelta(days=1))
    assert after_scheduled(meeting(0), moved) == moved
    assert after_scheduled(moved, meeting(0)) is None


def test_a_cancellation_keeps_a_tombstone_that_an_old_copy_cannot_revive() -> None:
    cancelled = after_cancelled(meeting(2))
    assert cancelled is not None and cancelled.cancelled and cancelled.calendar_sequence == 2
    assert after_cancelled(cancelled) is None
    assert after_scheduled(cancelled, meeting(2)) is None
    assert after_scheduled(cancelled, meeting(1)) is None


def test_a_reschedule_cancels_then_schedules_a_higher_sequence_which_is_shown_again() -> None:
    cancelled = after_cancelled(meeting(0))
    rescheduled = after_scheduled(cancelled, meeting(1, THURSDAY_10 + timedelta(days=7)))
    assert rescheduled is not None and not rescheduled.cancelled
    assert next_planned([rescheduled], THURSDAY_10) == rescheduled


def test_a_cancellation_of_an_unknown_meeting_changes_nothing() -> None:
    assert after_cancelled(None) is None


def test_the_next_planned_meeting_is_the_soonest_not_cancelled_and_not_over() -> None:
    now = THURSDAY_10 + timedelta(minutes=30)
    running = meeting(meeting_id="now")  # until 11.00: still shown
    over = meeting(start=THURSDAY_10 - timedelta(days=1), meeting_id="over")
    cancelled = replace(meeting(start=THURSDAY_10 - timedelta(hours=2), meeting_id="gone"), cancelled=True)
    later = meeting(start=THURSDAY_10 + timedelta(days=2), meeting_id="later")
    assert next_planned([later, over, cancelled, running], now) == running
    assert next_planned([later, over], now) == later
    assert next_planned([over, cancelled], now) is None
    assert next_planned([running], THURSDAY_10 + timedelta(hours=1)) is None  # ended


def _view(mode: str, start: datetime = THURSDAY_10, minutes: int = 60) -> dict[str, str]:
    end = start + timedelta(minutes=minutes)
    return {"start": start.isoformat(), "end": end.isoformat(), "mode": mode}


def test_dutch_wording_in_amsterdam_time() -> None:
    shown = meeting_words("nl", _view("phone"))
    assert shown is not None
    assert shown.when == "Donderdag 5 december om 10.00\u00a0uur"
    assert shown.proposal == "De vertrouwenspersoon stelt voor: een telefoongesprek."
    assert shown.until == "Het gesprek duurt tot 11.00\u00a0uur."


def test_english_wording_and_summer_time() -> None:
    summer = datetime(2025, 6, 3, 7, 30, tzinfo=UTC)  # Tuesday, 9.30 in Amsterdam
    shown = meeting_words("en", _view("video", summer, 45))
    assert shown is not None
    assert (shown.when, shown.proposal, shown.until) == (
        "Tuesday 3 June at 9:30",
        "The confidential advisor proposes a video call.",
        "It lasts until 10:15.",
    )


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_every_mode_has_its_own_words_and_no_code_shows(lang: str) -> None:
    proposals = {m: meeting_words(lang, _view(m.value)) for m in MeetingMode}
    words = {shown.proposal for shown in proposals.values() if shown is not None}
    assert len(words) == len(MeetingMode) and not any("_" in w for w in words)


def test_no_meeting_no_words() -> None:
    assert meeting_words("nl", None) is None


def test_the_api_knows_every_meeting_mode() -> None:
    assert set(get_args(NextMeeting.model_fields["mode"].annotation)) == {m.value for m in MeetingMode}
