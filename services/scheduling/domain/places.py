"""Places and availability: the facts the slot search reasons about (DOMAIN.md section 3, seed §2.2).

Everything here is a frozen value object. Weekly windows are wall-clock times in Europe/Amsterdam;
explicit windows and bookings are aware datetimes normalised to UTC on construction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time


class SchedulingInputError(ValueError):
    """Input the scheduling core cannot reason about (naive datetime, empty window, ...)."""


def as_utc(moment: datetime, what: str) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise SchedulingInputError(f"{what} must be timezone-aware")
    return moment.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class WeeklyWindow:
    """A recurring wall-clock window in Europe/Amsterdam; weekday 0 is Monday."""

    weekday: int
    start: time
    end: time

    def __post_init__(self) -> None:
        if not 0 <= self.weekday <= 6:
            raise SchedulingInputError("weekday must be 0 (Monday) .. 6 (Sunday)")
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise SchedulingInputError("weekly window times are local wall-clock times, without tzinfo")
        if not self.start < self.end:
            raise SchedulingInputError("a weekly window must end after it starts on the same day")


@dataclass(frozen=True, slots=True)
class Room:
    room_id: str
    building: str
    location: str
    discreet: bool  # out of sight, no glass walls
    labelled_as_advisor_room: bool  # a door sign gives visitors away (seed §2.2)
    capacity: int
    bookable_hours: tuple[WeeklyWindow, ...]
    quiet_room: bool = False  # for an advisor alone: confidential call, writing up

    def fits_client_meeting(self, attendees: int) -> bool:
        """Discreet, unlabelled, large enough; quiet rooms stay free for advisor-alone work."""
        return (
            self.discreet
            and not self.labelled_as_advisor_room
            and not self.quiet_room
            and self.capacity >= attendees
        )


@dataclass(frozen=True, slots=True)
class Venue:
    """An off-site place (cafe, rented room) an organisation pays for per meeting."""

    venue_id: str
    location: str
    cost_eur_cents: int
    organisation_id: str

    def __post_init__(self) -> None:
        if self.cost_eur_cents < 0:
            raise SchedulingInputError("a venue cannot cost a negative amount")


@dataclass(frozen=True, slots=True)
class OffSiteBudget:
    organisation_id: str
    year: int
    budget_cents: int
    spent_cents: int = 0

    @property
    def remaining_cents(self) -> int:
        return max(0, self.budget_cents - self.spent_cents)

    def after_spending(self, cost_cents: int) -> OffSiteBudget:
        return OffSiteBudget(
            self.organisation_id, self.year, self.budget_cents, self.spent_cents + cost_cents
        )


@dataclass(frozen=True, slots=True)
class LeavePeriod:
    """Whole local days, both ends inclusive."""

    first_day: date
    last_day: date

    def __post_init__(self) -> None:
        if self.last_day < self.first_day:
            raise SchedulingInputError("a leave period cannot end before it starts")

    def covers(self, day: date) -> bool:
        return self.first_day <= day <= self.last_day


@dataclass(frozen=True, slots=True)
class AdvisorAvailability:
    advisor_id: str
    weekly_windows: tuple[WeeklyWindow, ...]
    leave: tuple[LeavePeriod, ...] = ()

    def on_leave(self, day: date) -> bool:
        return any(period.covers(day) for period in self.leave)


@dataclass(frozen=True, slots=True)
class ClientWindow:
    """An explicit time the client can make; any zone in, UTC after construction."""

    start_utc: datetime
    end_utc: datetime

    def __post_init__(self) -> None:
        object.__setattr__(self, "start_utc", as_utc(self.start_utc, "client window start"))
        object.__setattr__(self, "end_utc", as_utc(self.end_utc, "client window end"))
        if not self.start_utc < self.end_utc:
            raise SchedulingInputError("a client window must end after it starts")


@dataclass(frozen=True, slots=True)
class Booking:
    """A booking held by an advisor (or another room user): in a room, or off-site/remote (room_id None)."""

    advisor_id: str
    start_utc: datetime
    end_utc: datetime
    room_id: str | None = None
    booking_id: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "start_utc", as_utc(self.start_utc, "booking start"))
        object.__setattr__(self, "end_utc", as_utc(self.end_utc, "booking end"))
        if not self.start_utc < self.end_utc:
            raise SchedulingInputError("a booking must end after it starts")
