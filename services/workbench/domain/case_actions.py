"""Pure parts of the case actions: the suggested referral and the neutral meeting invitation.

Only codes, ids and times go in or out. The invitation carries the meeting id (as UID), its
calendar sequence, its times and the neutral title scheduling chose: never a case id, a
category or any narrative, so a calendar that syncs it elsewhere learns nothing about the case.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime

from icalendar import Calendar, Event

from shared.codes import Category, MeetingMode, Outcome, TimeActivity

# One referral per category family, as the Outcome the advisor would record for it, so a
# suggestion can be recorded as it stands: labour matters to the labour-law desk, integrity
# matters to the integrity office, unwanted behaviour to the social worker for support, workload
# to the company doctor. Codes only: the page words them per language.
_BY_FAMILY: dict[str, Outcome] = {
    "labour": Outcome.REFERRED_LABOUR_LAW_DESK,
    "integrity": Outcome.REFERRED_INTEGRITY_OFFICE,
    "unwanted_behaviour": Outcome.REFERRED_SOCIAL_WORKER,
}
_BY_CATEGORY: dict[Category, Outcome] = {
    Category.WORKLOAD: Outcome.REFERRED_COMPANY_DOCTOR,
}
# When a case spans families, the most specific desk is suggested first.
_ORDER = (
    Outcome.REFERRED_INTEGRITY_OFFICE,
    Outcome.REFERRED_LABOUR_LAW_DESK,
    Outcome.REFERRED_SOCIAL_WORKER,
    Outcome.REFERRED_COMPANY_DOCTOR,
)


def suggested_referrals(categories: Iterable[str]) -> tuple[Outcome, ...]:
    """The referral outcomes that fit a case's categories, best first; unknown codes ignored."""
    found: set[Outcome] = set()
    for code in categories:
        try:
            category = Category(code)
        except ValueError:
            continue
        desk = _BY_CATEGORY.get(category) or _BY_FAMILY.get(category.family)
        if desk is not None:
            found.add(desk)
    return tuple(desk for desk in _ORDER if desk in found)


MAX_MINUTES = 24 * 60


@dataclass(frozen=True, slots=True)
class TimeEntry:
    activity: TimeActivity
    minutes: int


def parse_time_form(form: Mapping[str, str]) -> TimeEntry | str:
    """The log-time form as an entry, or a reason code naming the field to fix.

    `minutes` alone, or `hours` plus `minutes`; the total must be 1..1440 (LogTime's bounds).
    """
    try:
        activity = TimeActivity(form.get("activity", ""))
    except ValueError:
        return "activity_unknown"
    hours_text = form.get("hours", "").strip() or "0"
    minutes_text = form.get("minutes", "").strip() or "0"
    if not (hours_text.isdecimal() and minutes_text.isdecimal()):
        return "minutes_not_a_number"
    if len(hours_text) > 4 or len(minutes_text) > 5:
        return "minutes_out_of_range"
    total = int(hours_text) * 60 + int(minutes_text)
    if not 1 <= total <= MAX_MINUTES:
        return "minutes_out_of_range"
    return TimeEntry(activity=activity, minutes=total)


@dataclass(frozen=True, slots=True)
class MeetingRequest:
    mode: MeetingMode | None  # None: scheduling chooses
    earliest: date | None  # a day in Europe/Amsterdam; None: as soon as possible


def parse_meeting_form(form: Mapping[str, str], *, today: date) -> MeetingRequest | str:
    """The request-meeting form, or a reason code: an unknown mode, a bad or past date."""
    mode_text = form.get("mode", "").strip()
    try:
        mode = MeetingMode(mode_text) if mode_text else None
    except ValueError:
        return "mode_unknown"
    earliest_text = form.get("earliest", "").strip()
    if not earliest_text:
        return MeetingRequest(mode=mode, earliest=None)
    try:
        earliest = date.fromisoformat(earliest_text)
    except ValueError:
        return "earliest_not_a_date"
    if earliest < today:
        return "earliest_in_the_past"
    return MeetingRequest(mode=mode, earliest=earliest)


MAX_QUIET_ROOM_MINUTES = 8 * 60


@dataclass(frozen=True, slots=True)
class QuietRoomRequest:
    location: str  # a code of the location catalogue
    minutes: int


def parse_quiet_room_form(
    form: Mapping[str, str], *, known_locations: Collection[str]
) -> QuietRoomRequest | str:
    """The book-a-quiet-room form, or a reason code; the location must be a catalogue code."""
    location = form.get("location", "").strip()
    if location not in known_locations:
        return "location_unknown"
    minutes_text = form.get("minutes", "").strip()
    if not minutes_text.isdecimal() or len(minutes_text) > 4:
        return "minutes_not_a_number"
    minutes = int(minutes_text)
    if not 1 <= minutes <= MAX_QUIET_ROOM_MINUTES:
        return "minutes_out_of_range"
    return QuietRoomRequest(location=location, minutes=minutes)


@dataclass(frozen=True, slots=True)
class MeetingSlot:
    meeting_id: str
    start: datetime  # timezone-aware
    end: datetime
    neutral_title: str
    calendar_sequence: int


def meeting_ics(slot: MeetingSlot, *, stamp: datetime) -> bytes:
    """A one-event iCalendar file for the slot, built with icalendar."""
    if slot.start.tzinfo is None or slot.end.tzinfo is None or stamp.tzinfo is None:
        raise ValueError("naive_time")
    calendar = Calendar()
    calendar.add("prodid", "-//caseflow//workbench//NL")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = Event()
    event.add("uid", slot.meeting_id)
    event.add("sequence", slot.calendar_sequence)
    event.add("dtstamp", stamp)
    event.add("dtstart", slot.start)
    event.add("dtend", slot.end)
    event.add("summary", slot.neutral_title)
    calendar.add_component(event)
    ical: bytes = calendar.to_ical()
    return ical
