"""Contracts owned by scheduling, on `scheduling.meetings.v1` and `scheduling.places.v1`.

Meeting events carry times, the room or venue id and the mode: nothing about the case's content.
Titles are neutral ("Afspraak"); calendars never say what the meeting is for. Every meeting command
gets exactly one answer: MeetingScheduled, NoSlotFound or AdvisorCommandRejected (QuietRoomBooked or
QuietRoomUnavailable for BookQuietRoom); a cancellation answers with MeetingCancelled.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from shared.codes import MeetingMode
from shared.contracts.directory import WeeklyWindowSpec
from shared.envelope import EventPayload, event_type, upcaster


@event_type("RoomRegistered")
class RoomRegistered(EventPayload):
    room_id: str
    building: str
    location: str
    discreet: bool
    labelled_as_advisor_room: bool = False
    capacity: int = Field(2, ge=1)
    bookable_hours: tuple[WeeklyWindowSpec, ...]
    quiet_room: bool = False
    # Organisation units housed in this building: lets "away from the client's own unit" skip the
    # client's own building. Unknown (empty everywhere): the whole client location is avoided.
    unit_ids: tuple[str, ...] = ()


@event_type("VenueRegistered")
class VenueRegistered(EventPayload):
    venue_id: str
    location: str
    cost_eur_cents: int = Field(ge=0)
    organisation_id: str


@event_type("OffSiteBudgetSet")
class OffSiteBudgetSet(EventPayload):
    organisation_id: str
    year: int
    budget_cents: int = Field(ge=0)


@event_type("MeetingScheduled")
class MeetingScheduled(EventPayload):
    meeting_id: str
    case_id: str
    advisor_id: str
    start: datetime
    end: datetime
    mode: MeetingMode
    room_id: str | None = None
    venue_id: str | None = None
    neutral_title: str
    reason_code: str
    scheduled_at: datetime
    # 0 for a new meeting; a reschedule or a move to another advisor keeps the meeting_id and
    # counts up, as the iCalendar SEQUENCE of the updated invitation does.
    calendar_sequence: int = 0


@event_type("MeetingCancelled")
class MeetingCancelled(EventPayload):
    meeting_id: str
    case_id: str
    advisor_id: str
    reason: str  # cancelled_by_advisor | case_reassigned | rescheduled | case_closed | case_erased
    cancelled_at: datetime


@event_type("NoSlotFound")
class NoSlotFound(EventPayload):
    case_id: str
    advisor_id: str
    reason_code: str
    decided_at: datetime
    # Set when an existing meeting (rescheduled, or moved to a new advisor) found no new place.
    meeting_id: str | None = None


@event_type("MeetingNotPlanned")
class MeetingNotPlanned(EventPayload):
    """Scheduling could not process a case's event (a defect, or a value no check caught), so no
    meeting will be planned for it by itself: the assigned advisor arranges one (workbench).

    Emitted instead of a silent dead letter; `reason_code` is `planning_failed` and `failed_event`
    the event type that failed. `advisor_id` is the assignee scheduling knows (None before
    assignment: the advisor who gets the case sees it on the case's stream)."""

    case_id: str
    advisor_id: str | None
    reason_code: str
    failed_event: str
    decided_at: datetime


@event_type("VenueBudgetReserved")
class VenueBudgetReserved(EventPayload):
    organisation_id: str
    year: int
    venue_id: str
    meeting_id: str
    cost_cents: int
    remaining_after_cents: int
    reserved_at: datetime


@event_type("QuietRoomBooked")
class QuietRoomBooked(EventPayload):
    booking_id: str
    advisor_id: str
    room_id: str
    start: datetime
    end: datetime
    booked_at: datetime


@event_type("QuietRoomUnavailable", version=2)
class QuietRoomUnavailable(EventPayload):
    """The answer to BookQuietRoom when no quiet room is free in the advisor's own time.

    v2: no `location` (v1 echoed the command's location back; an answer carries nothing the caller
    supplied but the proven advisor id). The reason code says why."""

    advisor_id: str
    reason_code: str  # NO_QUIET_ROOM | ADVISOR_UNAVAILABLE | BOOKING_CONFLICT
    decided_at: datetime


@upcaster("QuietRoomUnavailable", from_version=1)
def _quiet_room_unavailable_v1_to_v2(payload: dict[str, Any]) -> dict[str, Any]:
    payload.pop("location", None)
    return payload
