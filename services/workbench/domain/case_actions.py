"""Pure parts of the case actions: the suggested referral and the neutral meeting invitation.

Only codes, ids and times go in or out. The invitation carries the meeting id (as UID), its
calendar sequence, its times and the neutral title scheduling chose: never a case id, a
category or any narrative, so a calendar that syncs it elsewhere learns nothing about the case.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from icalendar import Calendar, Event

from shared.codes import Category

# One desk per category family; the labour family goes to the labour-law desk, integrity
# matters to the integrity office, unwanted behaviour stays with the confidential advisor
# (with the option of a complaints committee). Codes only: the page words them per language.
_BY_FAMILY: dict[str, str] = {
    "labour": "labour_law_desk",
    "integrity": "integrity_office",
    "unwanted_behaviour": "complaints_committee",
}
_BY_CATEGORY: dict[Category, str] = {
    Category.WORKLOAD: "occupational_health",
}
# When a case spans families, the most specific desk is suggested first.
_ORDER = ("integrity_office", "complaints_committee", "labour_law_desk", "occupational_health")


def suggested_referrals(categories: Iterable[str]) -> tuple[str, ...]:
    """The referral desks (codes) that fit a case's categories, best first; unknown codes ignored."""
    found: set[str] = set()
    for code in categories:
        try:
            category = Category(code)
        except ValueError:
            continue
        desk = _BY_CATEGORY.get(category) or _BY_FAMILY.get(category.family)
        if desk is not None:
            found.add(desk)
    return tuple(desk for desk in _ORDER if desk in found)


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
