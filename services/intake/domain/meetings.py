"""The client-safe view of a case's planned meetings, as a fold over scheduling.meetings.v1.

Pure: the adapter (adapters/client_meetings.py) loads the row, asks `after_scheduled` or
`after_cancelled` what it becomes, and stores the answer. A later calendar sequence wins; a
cancellation keeps the row as a tombstone at its sequence, so a late copy of the meeting at that
sequence or before does not bring it back, and only a reschedule (a higher sequence) does.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime


@dataclass(frozen=True, slots=True)
class PlannedMeeting:
    """What the client may know of a meeting: when, and how (MeetingMode's value). Nobody's name,
    no room, no venue, no title."""

    meeting_id: str
    case_id: str
    start: datetime
    end: datetime
    mode: str
    calendar_sequence: int
    cancelled: bool = False


def after_scheduled(known: PlannedMeeting | None, scheduled: PlannedMeeting) -> PlannedMeeting | None:
    """The meeting after a (re)scheduling; None when nothing changes (an older or equal copy)."""
    if known is None or scheduled.calendar_sequence > known.calendar_sequence:
        return scheduled
    if scheduled.calendar_sequence == known.calendar_sequence and not known.cancelled:
        return None if scheduled == known else scheduled
    return None


def after_cancelled(known: PlannedMeeting | None) -> PlannedMeeting | None:
    """The meeting after its cancellation; None when nothing changes (unknown or cancelled already)."""
    if known is None or known.cancelled:
        return None
    return replace(known, cancelled=True)


def next_planned(meetings: Iterable[PlannedMeeting], now: datetime) -> PlannedMeeting | None:
    """The soonest meeting that is neither cancelled nor over at `now`."""
    ahead = [m for m in meetings if not m.cancelled and m.end > now]
    return min(ahead, key=lambda m: (m.start, m.meeting_id), default=None)
