"""Slot search for discreet meetings: a pure decision, no I/O and no clock (DOMAIN.md section 3).

Rules live in Europe/Amsterdam wall-clock time; every instant leaving this module is UTC.
Internally instants are integer epoch seconds: comparing ints is what keeps the search fast.

The order of preference for a client meeting (seed §2.2 "Afspreeklocatie"):
1. the earliest discreet room at the client's location (or, when the client wants to be away from
   their own unit, in another building), with a privacy buffer around every other booking in the
   room and never in a room/weekday/hour the advisor recently used (no fixed consultation hour);
2. else an off-site venue at the client's location, cheapest within the organisation's budget;
3. else phone or video at the earliest common time;
4. else no slot, with a reason code.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from services.scheduling.domain.places import (
    AdvisorAvailability,
    Booking,
    ClientWindow,
    OffSiteBudget,
    Room,
    SchedulingInputError,
    Venue,
    as_utc,
)
from shared.codes import MeetingMode

# (start, end) in epoch seconds, half-open; lists of them are sorted and disjoint.
Interval = tuple[int, int]
# (room_id, local weekday, local hour): a room at a time the advisor used recently.
RoomHabit = tuple[str, int, int]

NEUTRAL_TITLES: dict[str, str] = {"nl": "Afspraak", "en": "Meeting"}


def neutral_title(lang: str) -> str:
    return NEUTRAL_TITLES.get(lang, NEUTRAL_TITLES["nl"])


class DecisionKind(StrEnum):
    ROOM = "room"
    VENUE = "venue"
    REMOTE = "remote"
    NO_SLOT = "no_slot"


class ReasonCode(StrEnum):
    EARLIEST_DISCREET_ROOM = "EARLIEST_DISCREET_ROOM"
    QUIET_ROOM = "QUIET_ROOM"
    CLIENT_PREFERS_VENUE = "CLIENT_PREFERS_VENUE"
    NO_ROOM_VENUE_RESERVED = "NO_ROOM_VENUE_RESERVED"
    CLIENT_PREFERS_REMOTE = "CLIENT_PREFERS_REMOTE"
    NO_ROOM_NO_VENUE = "NO_ROOM_NO_VENUE"
    NO_ROOM_BUDGET_EXHAUSTED = "NO_ROOM_BUDGET_EXHAUSTED"
    # no_slot
    OUTSIDE_HORIZON = "OUTSIDE_HORIZON"
    ADVISOR_UNAVAILABLE = "ADVISOR_UNAVAILABLE"
    NO_COMMON_TIME = "NO_COMMON_TIME"
    NO_QUIET_ROOM = "NO_QUIET_ROOM"


@dataclass(frozen=True, slots=True)
class SlotSettings:
    grid: timedelta = timedelta(minutes=15)
    meeting_length: timedelta = timedelta(minutes=60)
    horizon: timedelta = timedelta(days=60)
    lead_time: timedelta = timedelta(hours=2)
    privacy_buffer: timedelta = timedelta(minutes=15)
    # How far back a room/weekday/hour the advisor used still counts as a habit to break.
    habit_lookback: timedelta = timedelta(weeks=4)
    timezone: str = "Europe/Amsterdam"

    def __post_init__(self) -> None:
        if self.grid <= timedelta(0) or self.meeting_length <= timedelta(0):
            raise SchedulingInputError("grid and meeting length must be positive")
        if self.privacy_buffer < timedelta(0) or self.lead_time < timedelta(0):
            raise SchedulingInputError("privacy buffer and lead time cannot be negative")


@dataclass(frozen=True, slots=True)
class MeetingRequest:
    advisor_id: str
    organisation_id: str
    client_location: str
    client_building: str
    preference: MeetingMode = MeetingMode.ON_SITE_DISCREET_ROOM
    away_from_own_unit: bool = False
    # Used when the client wanted to meet in person but no room or venue is possible.
    remote_fallback: MeetingMode = MeetingMode.PHONE
    duration: timedelta | None = None  # None: settings.meeting_length
    attendees: int = 2
    language: str = "nl"

    def __post_init__(self) -> None:
        if self.remote_fallback not in (MeetingMode.PHONE, MeetingMode.VIDEO):
            raise SchedulingInputError("the remote fallback must be phone or video")


@dataclass(frozen=True, slots=True)
class QuietRoomRequest:
    """An advisor alone: a confidential phone call or writing up a conversation."""

    advisor_id: str
    location: str
    duration: timedelta | None = None
    language: str = "nl"


@dataclass(frozen=True, slots=True)
class VenueBudgetReserved:
    """What the caller records against the off-site budget when it books the venue."""

    organisation_id: str
    year: int
    venue_id: str
    cost_cents: int
    remaining_after_cents: int


@dataclass(frozen=True, slots=True)
class SlotDecision:
    kind: DecisionKind
    start_utc: datetime | None
    end_utc: datetime | None
    room_id: str | None
    venue_id: str | None
    cost_cents: int
    mode: MeetingMode
    reason_code: ReasonCode
    neutral_title: str
    budget_reservation: VenueBudgetReserved | None = None


def overlaps_with_buffer(
    a_start: datetime, a_end: datetime, b_start: datetime, b_end: datetime, buffer: timedelta
) -> bool:
    """True when the two half-open intervals overlap or lie closer than `buffer` to each other."""
    return a_start < b_end + buffer and b_start < a_end + buffer


def _seconds(moment: datetime) -> int:
    return int(moment.timestamp())


def _merged(intervals: Iterable[Interval]) -> list[Interval]:
    merged: list[Interval] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


class _BusyTimes:
    """Merged busy intervals with bisect lookup."""

    __slots__ = ("ends", "starts")

    def __init__(self, intervals: Iterable[Interval]) -> None:
        merged = _merged(intervals)
        self.starts = [start for start, _ in merged]
        self.ends = [end for _, end in merged]

    def intervals(self) -> list[Interval]:
        return list(zip(self.starts, self.ends, strict=True))

    def blocked_until(self, start: int, end: int, buffer: int) -> int | None:
        """End (plus buffer) of the busy stretch that keeps [start, end) out, or None if free.

        Merged intervals are sorted by start and by end alike, so the last one starting before
        `end + buffer` is the only one that can reach past `start - buffer`.
        """
        position = bisect_left(self.starts, end + buffer) - 1
        if position >= 0 and self.ends[position] + buffer > start:
            return self.ends[position] + buffer
        return None


_NOTHING_BUSY = _BusyTimes(())


class BookingIndex:
    """Existing bookings indexed per room and per advisor; build once, search many times.

    Immutable after construction: the DB layer builds a fresh index when bookings change.
    """

    __slots__ = ("_advisor_room_starts", "_by_advisor", "_by_room")

    def __init__(self, bookings: Iterable[Booking]) -> None:
        by_room: dict[str, list[Interval]] = {}
        by_advisor: dict[str, list[Interval]] = {}
        advisor_room_starts: dict[str, list[tuple[int, str]]] = {}
        for booking in bookings:
            span = (_seconds(booking.start_utc), _seconds(booking.end_utc))
            by_advisor.setdefault(booking.advisor_id, []).append(span)
            if booking.room_id is not None:
                by_room.setdefault(booking.room_id, []).append(span)
                advisor_room_starts.setdefault(booking.advisor_id, []).append((span[0], booking.room_id))
        self._by_room = {room_id: _BusyTimes(spans) for room_id, spans in by_room.items()}
        self._by_advisor = {advisor_id: _BusyTimes(spans) for advisor_id, spans in by_advisor.items()}
        self._advisor_room_starts = advisor_room_starts

    def with_booking(self, booking: Booking) -> BookingIndex:
        """A new index with one more booking; only that room's and advisor's entries are rebuilt.

        Lets a caller that caches the index keep it current after its own booking without paying
        for a full rebuild (merging is idempotent, so re-merging merged intervals is exact).
        """
        span = (_seconds(booking.start_utc), _seconds(booking.end_utc))
        grown = BookingIndex(())
        grown._by_room = dict(self._by_room)
        grown._by_advisor = dict(self._by_advisor)
        grown._advisor_room_starts = dict(self._advisor_room_starts)
        advisor = booking.advisor_id
        grown._by_advisor[advisor] = _BusyTimes([*self.advisor_busy(advisor).intervals(), span])
        if booking.room_id is not None:
            grown._by_room[booking.room_id] = _BusyTimes([*self.room_busy(booking.room_id).intervals(), span])
            grown._advisor_room_starts[advisor] = [
                *self._advisor_room_starts.get(advisor, ()),
                (span[0], booking.room_id),
            ]
        return grown

    def room_busy(self, room_id: str) -> _BusyTimes:
        return self._by_room.get(room_id, _NOTHING_BUSY)

    def advisor_busy(self, advisor_id: str) -> _BusyTimes:
        return self._by_advisor.get(advisor_id, _NOTHING_BUSY)

    def advisor_room_starts(self, advisor_id: str) -> Sequence[tuple[int, str]]:
        return self._advisor_room_starts.get(advisor_id, ())


@dataclass(frozen=True, slots=True)
class _SearchFrame:
    zone: ZoneInfo
    earliest: int
    latest: int
    duration: int
    grid: int
    buffer: int

    @classmethod
    def build(cls, now: datetime, settings: SlotSettings, duration: timedelta | None) -> _SearchFrame:
        now_utc = as_utc(now, "now")
        length = duration if duration is not None else settings.meeting_length
        if length <= timedelta(0):
            raise SchedulingInputError("a meeting must have a positive duration")
        return cls(
            zone=ZoneInfo(settings.timezone),
            earliest=_seconds(now_utc + settings.lead_time),
            latest=_seconds(now_utc + settings.horizon),
            duration=int(length.total_seconds()),
            grid=int(settings.grid.total_seconds()),
            buffer=int(settings.privacy_buffer.total_seconds()),
        )

    def first_grid_point(self, at_or_after: int) -> int:
        return -(-at_or_after // self.grid) * self.grid

    def first_fit(self, intervals: Sequence[Interval]) -> int | None:
        for start, end in intervals:
            candidate = self.first_grid_point(start)
            if candidate + self.duration <= end:
                return candidate
        return None

    def utc(self, moment: int) -> datetime:
        return datetime.fromtimestamp(moment, UTC)

    def local_day(self, moment: int) -> date:
        return datetime.fromtimestamp(moment, self.zone).date()


def _advisor_free_time(
    availability: AdvisorAvailability, busy: _BusyTimes, frame: _SearchFrame
) -> list[Interval]:
    """Weekly windows mapped to UTC day by day (so DST shifts them), minus leave and bookings."""
    open_spans: list[Interval] = []
    day, last_day = frame.local_day(frame.earliest), frame.local_day(frame.latest)
    while day <= last_day:
        if not availability.on_leave(day):
            for window in availability.weekly_windows:
                if window.weekday != day.weekday():
                    continue
                start = _seconds(datetime.combine(day, window.start, frame.zone))
                end = _seconds(datetime.combine(day, window.end, frame.zone))
                start, end = max(start, frame.earliest), min(end, frame.latest)
                if start < end:
                    open_spans.append((start, end))
        day += timedelta(days=1)
    return _subtract(_merged(open_spans), busy.intervals())


def _subtract(spans: list[Interval], busy: list[Interval]) -> list[Interval]:
    free: list[Interval] = []
    position = 0
    for start, end in spans:
        cursor = start
        while position < len(busy) and busy[position][1] <= cursor:
            position += 1
        probe = position
        while probe < len(busy) and busy[probe][0] < end:
            if busy[probe][0] > cursor:
                free.append((cursor, busy[probe][0]))
            cursor = max(cursor, busy[probe][1])
            probe += 1
        if cursor < end:
            free.append((cursor, end))
    return free


def _intersect(left: list[Interval], right: list[Interval]) -> list[Interval]:
    both: list[Interval] = []
    i = j = 0
    while i < len(left) and j < len(right):
        start, end = max(left[i][0], right[j][0]), min(left[i][1], right[j][1])
        if start < end:
            both.append((start, end))
        if left[i][1] < right[j][1]:
            i += 1
        else:
            j += 1
    return both


@dataclass(frozen=True, slots=True)
class _RoomCandidate:
    room: Room
    seconds_windows_by_weekday: dict[int, tuple[Interval, ...]]
    busy: _BusyTimes

    @classmethod
    def of(cls, room: Room, index: BookingIndex) -> _RoomCandidate:
        by_weekday: dict[int, list[Interval]] = {}
        for window in room.bookable_hours:
            by_weekday.setdefault(window.weekday, []).append(
                (
                    _seconds_of_day(window.start.hour, window.start.minute, window.start.second),
                    _seconds_of_day(window.end.hour, window.end.minute, window.end.second),
                )
            )
        return cls(
            room, {day: tuple(spans) for day, spans in by_weekday.items()}, index.room_busy(room.room_id)
        )


def _seconds_of_day(hour: int, minute: int, second: int) -> int:
    return hour * 3600 + minute * 60 + second


def _earliest_room_fit(
    spans: Sequence[Interval],
    candidates: Sequence[_RoomCandidate],
    habits: frozenset[RoomHabit],
    frame: _SearchFrame,
) -> tuple[Room, int] | None:
    """Walk grid start times in order; the first (time, room) that passes every rule wins.

    A room found busy is not looked at again before its busy stretch (plus buffer) ends.
    """
    if not candidates:
        return None
    retry_at = [frame.earliest] * len(candidates)
    for span_start, span_end in spans:
        start = frame.first_grid_point(span_start)
        while start + frame.duration <= span_end:
            end = start + frame.duration
            local_start = datetime.fromtimestamp(start, frame.zone)
            local_end = datetime.fromtimestamp(end, frame.zone)
            if local_start.date() == local_end.date():
                weekday = local_start.weekday()
                start_of_day = _seconds_of_day(local_start.hour, local_start.minute, local_start.second)
                end_of_day = _seconds_of_day(local_end.hour, local_end.minute, local_end.second)
                for number, candidate in enumerate(candidates):
                    if start < retry_at[number]:
                        continue
                    if not any(
                        open_from <= start_of_day and end_of_day <= open_until
                        for open_from, open_until in candidate.seconds_windows_by_weekday.get(weekday, ())
                    ):
                        continue
                    blocked_until = candidate.busy.blocked_until(start, end, frame.buffer)
                    if blocked_until is not None:
                        retry_at[number] = blocked_until
                        continue
                    if (candidate.room.room_id, weekday, local_start.hour) in habits:
                        continue
                    return candidate.room, start
            # Skip ahead when every room is busy for a while.
            start = max(start + frame.grid, frame.first_grid_point(min(retry_at)))
    return None


def _room_habits(
    advisor_id: str,
    recent_advisor_meetings: Iterable[Booking],
    index: BookingIndex,
    now: datetime,
    settings: SlotSettings,
    zone: ZoneInfo,
) -> frozenset[RoomHabit]:
    """Room, weekday and hour of the advisor's recent and already planned room meetings."""
    since = _seconds(as_utc(now, "now") - settings.habit_lookback)
    starts = [
        (_seconds(meeting.start_utc), meeting.room_id)
        for meeting in recent_advisor_meetings
        if meeting.advisor_id == advisor_id and meeting.room_id is not None
    ]
    starts.extend(index.advisor_room_starts(advisor_id))
    habits: set[RoomHabit] = set()
    for start, room_id in starts:
        if start >= since:
            local = datetime.fromtimestamp(start, zone)
            habits.add((room_id, local.weekday(), local.hour))
    return frozenset(habits)


def _client_room_candidates(
    request: MeetingRequest, rooms: Iterable[Room], index: BookingIndex
) -> list[_RoomCandidate]:
    def allowed_place(room: Room) -> bool:
        if request.away_from_own_unit:
            return (room.location, room.building) != (request.client_location, request.client_building)
        return room.location == request.client_location

    eligible = [room for room in rooms if room.fits_client_meeting(request.attendees) and allowed_place(room)]
    # At equal times: the client's own location first, then the smallest room that fits.
    eligible.sort(key=lambda room: (room.location != request.client_location, room.capacity, room.room_id))
    return [_RoomCandidate.of(room, index) for room in eligible]


def _as_index(existing_bookings: BookingIndex | Iterable[Booking]) -> BookingIndex:
    return (
        existing_bookings if isinstance(existing_bookings, BookingIndex) else BookingIndex(existing_bookings)
    )


def _no_slot(reason: ReasonCode, mode: MeetingMode, lang: str) -> SlotDecision:
    return SlotDecision(DecisionKind.NO_SLOT, None, None, None, None, 0, mode, reason, neutral_title(lang))


def _why_no_common_time(
    client_windows: Sequence[ClientWindow], advisor_free: Sequence[Interval], frame: _SearchFrame
) -> ReasonCode:
    if client_windows and all(
        _seconds(window.end_utc) <= frame.earliest or _seconds(window.start_utc) >= frame.latest
        for window in client_windows
    ):
        return ReasonCode.OUTSIDE_HORIZON
    if frame.first_fit(advisor_free) is None:
        return ReasonCode.ADVISOR_UNAVAILABLE
    return ReasonCode.NO_COMMON_TIME


def _venue_or_reason(
    request: MeetingRequest, venues: Iterable[Venue], budgets: Iterable[OffSiteBudget], year: int
) -> VenueBudgetReserved | ReasonCode:
    nearby = [
        venue
        for venue in venues
        if venue.location == request.client_location and venue.organisation_id == request.organisation_id
    ]
    if not nearby:
        return ReasonCode.NO_ROOM_NO_VENUE
    budget = next(
        (b for b in budgets if b.organisation_id == request.organisation_id and b.year == year), None
    )
    remaining = budget.remaining_cents if budget is not None else 0
    affordable = [venue for venue in nearby if venue.cost_eur_cents <= remaining]
    if not affordable:
        return ReasonCode.NO_ROOM_BUDGET_EXHAUSTED
    cheapest = min(affordable, key=lambda venue: (venue.cost_eur_cents, venue.venue_id))
    return VenueBudgetReserved(
        organisation_id=request.organisation_id,
        year=year,
        venue_id=cheapest.venue_id,
        cost_cents=cheapest.cost_eur_cents,
        remaining_after_cents=remaining - cheapest.cost_eur_cents,
    )


def find_slot(
    request: MeetingRequest,
    rooms: Sequence[Room],
    existing_bookings: BookingIndex | Iterable[Booking],
    advisor_availability: AdvisorAvailability,
    client_windows: Sequence[ClientWindow],
    recent_advisor_meetings: Iterable[Booking],
    now: datetime,
    settings: SlotSettings = SlotSettings(),
    *,
    venues: Iterable[Venue] = (),
    budgets: Iterable[OffSiteBudget] = (),
) -> SlotDecision:
    """Decide where and when an advisor meets a client; see the module docstring for the order.

    Empty `client_windows` means the client can make any time inside the advisor's windows.
    Pass a prebuilt BookingIndex as `existing_bookings` when searching repeatedly.
    """
    if advisor_availability.advisor_id != request.advisor_id:
        raise SchedulingInputError("the availability given is not the requested advisor's")
    frame = _SearchFrame.build(now, settings, request.duration)
    index = _as_index(existing_bookings)
    title = neutral_title(request.language)

    advisor_free = _advisor_free_time(advisor_availability, index.advisor_busy(request.advisor_id), frame)
    common = advisor_free
    if client_windows:
        client_spans = _merged((_seconds(w.start_utc), _seconds(w.end_utc)) for w in client_windows)
        common = _intersect(advisor_free, client_spans)
    first_common = frame.first_fit(common)
    if first_common is None:
        return _no_slot(
            _why_no_common_time(client_windows, advisor_free, frame), request.preference, request.language
        )

    def remote(mode: MeetingMode, reason: ReasonCode) -> SlotDecision:
        start = frame.utc(first_common)
        return SlotDecision(
            DecisionKind.REMOTE,
            start,
            start + timedelta(seconds=frame.duration),
            None,
            None,
            0,
            mode,
            reason,
            title,
        )

    def venue_or_reason(reason_if_reserved: ReasonCode) -> SlotDecision | ReasonCode:
        start = frame.utc(first_common)
        reservation = _venue_or_reason(request, venues, budgets, year=start.astimezone(frame.zone).year)
        if isinstance(reservation, ReasonCode):
            return reservation
        return SlotDecision(
            DecisionKind.VENUE,
            start,
            start + timedelta(seconds=frame.duration),
            None,
            reservation.venue_id,
            reservation.cost_cents,
            MeetingMode.OFF_SITE_VENUE,
            reason_if_reserved,
            title,
            reservation,
        )

    if request.preference in (MeetingMode.PHONE, MeetingMode.VIDEO):
        return remote(request.preference, ReasonCode.CLIENT_PREFERS_REMOTE)
    if request.preference is MeetingMode.OFF_SITE_VENUE:
        preferred = venue_or_reason(ReasonCode.CLIENT_PREFERS_VENUE)
        if isinstance(preferred, SlotDecision):
            return preferred

    habits = _room_habits(request.advisor_id, recent_advisor_meetings, index, now, settings, frame.zone)
    fit = _earliest_room_fit(common, _client_room_candidates(request, rooms, index), habits, frame)
    if fit is not None:
        room, start = fit
        return SlotDecision(
            DecisionKind.ROOM,
            frame.utc(start),
            frame.utc(start + frame.duration),
            room.room_id,
            None,
            0,
            MeetingMode.ON_SITE_DISCREET_ROOM,
            ReasonCode.EARLIEST_DISCREET_ROOM,
            title,
        )

    off_site = venue_or_reason(ReasonCode.NO_ROOM_VENUE_RESERVED)
    if isinstance(off_site, SlotDecision):
        return off_site
    return remote(request.remote_fallback, off_site)


def find_quiet_room(
    request: QuietRoomRequest,
    rooms: Sequence[Room],
    existing_bookings: BookingIndex | Iterable[Booking],
    advisor_availability: AdvisorAvailability,
    now: datetime,
    settings: SlotSettings = SlotSettings(),
) -> SlotDecision:
    """Earliest quiet room at the advisor's location inside the advisor's own windows."""
    if advisor_availability.advisor_id != request.advisor_id:
        raise SchedulingInputError("the availability given is not the requested advisor's")
    frame = _SearchFrame.build(now, settings, request.duration)
    index = _as_index(existing_bookings)
    mode = MeetingMode.ON_SITE_DISCREET_ROOM
    advisor_free = _advisor_free_time(advisor_availability, index.advisor_busy(request.advisor_id), frame)
    if frame.first_fit(advisor_free) is None:
        return _no_slot(ReasonCode.ADVISOR_UNAVAILABLE, mode, request.language)
    quiet_rooms = sorted(
        (room for room in rooms if room.quiet_room and room.location == request.location),
        key=lambda room: (room.capacity, room.room_id),
    )
    candidates = [_RoomCandidate.of(room, index) for room in quiet_rooms]
    fit = _earliest_room_fit(advisor_free, candidates, frozenset(), frame)
    if fit is None:
        return _no_slot(ReasonCode.NO_QUIET_ROOM, mode, request.language)
    room, start = fit
    return SlotDecision(
        DecisionKind.ROOM,
        frame.utc(start),
        frame.utc(start + frame.duration),
        room.room_id,
        None,
        0,
        mode,
        ReasonCode.QUIET_ROOM,
        neutral_title(request.language),
    )
