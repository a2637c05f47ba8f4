"""Benchmark: find_slot over 200 rooms, 60 days and 30 advisors' calendars (target p99 < 20 ms).

Run: .venv/bin/python bench/bench_scheduling_slots.py [requests] [baseline_requests]

Seeded synthetic data: 10 locations x 4 buildings, about a third of the rooms discreet, rooms
filled to ~40% of their bookable weekday hours by other users, 30 advisors with part-time weekly
windows, some leave, three meetings a week and four weeks of history. The search horizon crosses
the spring daylight-saving change.

Baseline, in the same run and on the same requests: a naive implementation of the same room rule
that walks the grid and scans every booking for every candidate time (no index, no bisect). Its
answers are checked against find_slot's, so the speed-up is for the same decisions.
"""

from __future__ import annotations

import random
import statistics
import sys
import time as clock
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import results  # bench/results.py: a script's own folder is first on sys.path

from services.scheduling.domain.places import (
    AdvisorAvailability,
    Booking,
    ClientWindow,
    LeavePeriod,
    OffSiteBudget,
    Room,
    Venue,
    WeeklyWindow,
)
from services.scheduling.domain.slots import (
    BookingIndex,
    DecisionKind,
    MeetingRequest,
    SlotSettings,
    find_slot,
    overlaps_with_buffer,
)
from shared.codes import MeetingMode

AMS = ZoneInfo("Europe/Amsterdam")
SEED = 20250317
ROOMS, LOCATIONS, BUILDINGS_PER_LOCATION, ADVISORS, DAYS = 200, 10, 4, 30, 60
TARGET_OCCUPANCY = 0.40
NOW = datetime(2025, 3, 17, 8, 0, tzinfo=AMS)  # Monday; the horizon crosses 30 March (DST)
SETTINGS = SlotSettings()
QUARTER = timedelta(minutes=15)


def build_rooms(rng: random.Random) -> list[Room]:
    rooms = []
    for number in range(ROOMS):
        location = f"loc-{number % LOCATIONS}"
        opening = rng.choice([(time(8), time(18)), (time(7, 30), time(19)), (time(8, 30), time(17, 30))])
        rooms.append(
            Room(
                room_id=f"room-{number:03d}",
                building=f"{location}/b{rng.randrange(BUILDINGS_PER_LOCATION)}",
                location=location,
                discreet=rng.random() < 0.35,
                labelled_as_advisor_room=rng.random() < 0.05,
                capacity=rng.choice([2, 4, 4, 6, 8, 12]),
                bookable_hours=tuple(WeeklyWindow(day, *opening) for day in range(5)),
                quiet_room=rng.random() < 0.10,
            )
        )
    return rooms


def build_advisors(rng: random.Random) -> list[AdvisorAvailability]:
    half_days = [(time(9), time(12, 30)), (time(13), time(17))]
    advisors = []
    for number in range(ADVISORS):
        windows = {(rng.randrange(5), rng.randrange(2)) for _ in range(rng.randint(2, 5))}
        leave: tuple[LeavePeriod, ...] = ()
        if rng.random() < 0.3:
            first = NOW.date() + timedelta(days=rng.randrange(DAYS))
            leave = (LeavePeriod(first, first + timedelta(days=rng.choice([4, 11]))),)
        advisors.append(
            AdvisorAvailability(
                f"advisor-{number:02d}",
                tuple(WeeklyWindow(day, *half_days[half]) for day, half in sorted(windows)),
                leave,
            )
        )
    return advisors


class Calendar:
    """Bookkeeping while generating, so the synthetic data has no double bookings."""

    def __init__(self) -> None:
        self.bookings: list[Booking] = []
        # Keyed per (room or holder, UTC day): generation stays fast without being clever.
        self.by_room: dict[tuple[str, date], list[tuple[datetime, datetime]]] = {}
        self.by_holder: dict[tuple[str, date], list[tuple[datetime, datetime]]] = {}

    def free(self, holder: str, room_id: str | None, start: datetime, end: datetime) -> bool:
        day = start.astimezone(UTC).date()
        if any(
            overlaps_with_buffer(start, end, s, e, timedelta(0))
            for s, e in self.by_holder.get((holder, day), [])
        ):
            return False
        return room_id is None or not any(
            overlaps_with_buffer(start, end, s, e, SETTINGS.privacy_buffer)
            for s, e in self.by_room.get((room_id, day), [])
        )

    def add(self, booking: Booking) -> None:
        day = booking.start_utc.date()
        self.bookings.append(booking)
        self.by_holder.setdefault((booking.advisor_id, day), []).append((booking.start_utc, booking.end_utc))
        if booking.room_id is not None:
            self.by_room.setdefault((booking.room_id, day), []).append((booking.start_utc, booking.end_utc))


def working_days(first: date, days: int) -> list[date]:
    return [first + timedelta(days=n) for n in range(days) if (first + timedelta(days=n)).weekday() < 5]


def fill_calendars(
    rng: random.Random, rooms: list[Room], advisors: list[AdvisorAvailability]
) -> tuple[list[Booking], list[Booking]]:
    calendar = Calendar()
    client_rooms = [room for room in rooms if room.fits_client_meeting(2)]
    recent: list[Booking] = []
    for advisor in advisors:
        home = rng.randrange(LOCATIONS)
        home_rooms = [room for room in client_rooms if room.location == f"loc-{home}"] or client_rooms
        for past in (False, True):
            first_day = NOW.date() - timedelta(days=28) if past else NOW.date()
            span = 28 if past else DAYS
            days = [day for day in working_days(first_day, span) if not advisor.on_leave(day)]
            for _ in range(span // 7 * (2 if past else 3)):
                day = rng.choice(days)
                windows = [w for w in advisor.weekly_windows if w.weekday == day.weekday()]
                if not windows:
                    continue
                window = rng.choice(windows)
                start = datetime.combine(day, window.start, AMS) + QUARTER * rng.randrange(0, 8)
                end = start + timedelta(hours=1)
                if end.astimezone(AMS).time() > window.end:
                    continue
                room_id = rng.choice(home_rooms).room_id if rng.random() < 0.7 else None
                booking = Booking(advisor.advisor_id, start, end, room_id)
                if past:
                    recent.append(booking)
                elif calendar.free(advisor.advisor_id, room_id, start, end):
                    calendar.add(booking)
    # Other users fill every room to ~40% of its bookable weekday hours.
    for room in rooms:
        opening = room.bookable_hours[0]
        for day in working_days(NOW.date(), DAYS):
            opens = datetime.combine(day, opening.start, AMS)
            quarters = int((datetime.combine(day, opening.end, AMS) - opens) / QUARTER)
            booked, attempts = 0, 0
            while booked < TARGET_OCCUPANCY * quarters and attempts < 40:
                attempts += 1
                length = rng.choice([2, 4, 4, 6, 8])
                if booked + length > TARGET_OCCUPANCY * quarters + 1:
                    continue
                start = opens + QUARTER * rng.randrange(0, quarters - length + 1)
                holder = f"staff-{rng.randrange(500)}"
                if calendar.free(holder, room.room_id, start, start + QUARTER * length):
                    calendar.add(Booking(holder, start, start + QUARTER * length, room.room_id))
                    booked += length
    return calendar.bookings, recent


def build_requests(
    rng: random.Random, advisors: list[AdvisorAvailability], rooms: list[Room], count: int
) -> list[tuple[MeetingRequest, AdvisorAvailability, list[ClientWindow]]]:
    requests = []
    for _ in range(count):
        advisor = rng.choice(advisors)
        home = rng.choice(rooms)
        preference = rng.choices(
            [
                MeetingMode.ON_SITE_DISCREET_ROOM,
                MeetingMode.OFF_SITE_VENUE,
                MeetingMode.PHONE,
                MeetingMode.VIDEO,
            ],
            weights=[80, 5, 10, 5],
        )[0]
        windows: list[ClientWindow] = []
        if rng.random() < 0.4:
            for _ in range(rng.randint(2, 5)):
                start = datetime.combine(
                    NOW.date() + timedelta(days=rng.randrange(1, 21)), time(rng.randint(8, 15)), AMS
                )
                windows.append(ClientWindow(start, start + timedelta(hours=rng.randint(2, 4))))
        request = MeetingRequest(
            advisor_id=advisor.advisor_id,
            organisation_id=f"org-{rng.randrange(3)}",
            client_location=home.location,
            client_building=home.building,
            preference=preference,
            away_from_own_unit=rng.random() < 0.2,
            remote_fallback=rng.choice([MeetingMode.PHONE, MeetingMode.VIDEO]),
        )
        requests.append((request, advisor, windows))
    return requests


def naive_room_slot(
    request: MeetingRequest,
    rooms: Sequence[Room],
    bookings: Sequence[Booking],
    advisor: AdvisorAvailability,
    client_windows: Sequence[ClientWindow],
    recent: Sequence[Booking],
    now: datetime,
) -> tuple[str, datetime] | None:
    """The same room rule, the obvious way: every grid time, every booking, no index."""
    length, buffer = SETTINGS.meeting_length, SETTINGS.privacy_buffer
    grid_seconds = int(SETTINGS.grid.total_seconds())
    earliest = now.astimezone(UTC) + SETTINGS.lead_time
    seconds = int(earliest.timestamp())
    candidate = datetime.fromtimestamp(-(-seconds // grid_seconds) * grid_seconds, UTC)
    latest = now.astimezone(UTC) + SETTINGS.horizon
    since = now - SETTINGS.habit_lookback
    habits = {
        (b.room_id, b.start_utc.astimezone(AMS).weekday(), b.start_utc.astimezone(AMS).hour)
        for b in [*recent, *bookings]
        if b.advisor_id == request.advisor_id and b.room_id is not None and b.start_utc >= since
    }

    def place_ok(room: Room) -> bool:
        if request.away_from_own_unit:
            return (room.location, room.building) != (request.client_location, request.client_building)
        return room.location == request.client_location

    eligible = sorted(
        (room for room in rooms if room.fits_client_meeting(request.attendees) and place_ok(room)),
        key=lambda room: (room.location != request.client_location, room.capacity, room.room_id),
    )
    while candidate + length <= latest:
        end = candidate + length
        local_start, local_end = candidate.astimezone(AMS), end.astimezone(AMS)
        advisor_ok = (
            local_start.date() == local_end.date()
            and not advisor.on_leave(local_start.date())
            and any(
                w.weekday == local_start.weekday()
                and w.start <= local_start.time()
                and local_end.time() <= w.end
                for w in advisor.weekly_windows
            )
            and (
                not client_windows
                or any(w.start_utc <= candidate and end <= w.end_utc for w in client_windows)
            )
        )
        if advisor_ok:
            blocked_rooms: set[str] = set()
            for booking in bookings:
                if booking.advisor_id == request.advisor_id and overlaps_with_buffer(
                    candidate, end, booking.start_utc, booking.end_utc, timedelta(0)
                ):
                    advisor_ok = False
                    break
                if booking.room_id is not None and overlaps_with_buffer(
                    candidate, end, booking.start_utc, booking.end_utc, buffer
                ):
                    blocked_rooms.add(booking.room_id)
            if advisor_ok:
                for room in eligible:
                    open_now = any(
                        w.weekday == local_start.weekday()
                        and w.start <= local_start.time()
                        and local_end.time() <= w.end
                        for w in room.bookable_hours
                    )
                    habit = (room.room_id, local_start.weekday(), local_start.hour) in habits
                    if open_now and room.room_id not in blocked_rooms and not habit:
                        return room.room_id, candidate
        candidate += SETTINGS.grid
    return None


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main() -> None:
    request_count = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    baseline_count = int(sys.argv[2]) if len(sys.argv) > 2 else 30
    run = results.Run("scheduling_slots", requests=request_count, baseline=baseline_count)
    rng = random.Random(SEED)
    rooms = build_rooms(rng)
    advisors = build_advisors(rng)
    bookings, recent = fill_calendars(rng, rooms, advisors)
    requests = build_requests(rng, advisors, rooms, request_count)
    venues = [
        Venue(f"venue-{location}-{n}", f"loc-{location}", rng.choice([2_500, 4_000, 6_500]), f"org-{org}")
        for location in range(LOCATIONS)
        for org in range(3)
        for n in range(rng.randint(0, 2))
    ]
    budgets = [OffSiteBudget(f"org-{org}", 2025, 50_000, rng.randrange(0, 50_000)) for org in range(3)]

    built = clock.perf_counter()
    index = BookingIndex(bookings)
    index_ms = (clock.perf_counter() - built) * 1000
    bookable = sum(
        (
            datetime.combine(date(2025, 1, 6), r.bookable_hours[0].end)
            - datetime.combine(date(2025, 1, 6), r.bookable_hours[0].start)
        )
        / QUARTER
        for r in rooms
    ) * len(working_days(NOW.date(), DAYS))
    booked = sum((b.end_utc - b.start_utc) / QUARTER for b in bookings if b.room_id is not None)
    print(
        f"data: {len(rooms)} rooms ({sum(r.fits_client_meeting(2) for r in rooms)} fit for clients, "
        f"{sum(r.quiet_room for r in rooms)} quiet), {ADVISORS} advisors, {DAYS} days, "
        f"{len(bookings)} bookings, room occupancy {booked / bookable:.0%}, {len(recent)} recent meetings"
    )
    print(f"BookingIndex build (once, reused by every search): {index_ms:.1f} ms")

    latencies_ms: list[float] = []
    kinds: Counter[str] = Counter()
    decisions = []
    for request, advisor, windows in requests:
        started = clock.perf_counter()
        decision = find_slot(
            request, rooms, index, advisor, windows, recent, NOW, SETTINGS, venues=venues, budgets=budgets
        )
        latencies_ms.append((clock.perf_counter() - started) * 1000)
        kinds[decision.kind.value] += 1
        decisions.append(decision)

    print(f"find_slot over {len(requests)} requests: decisions {dict(kinds)}")
    print(
        f"  p50 {percentile(latencies_ms, 0.50):.3f} ms  p95 {percentile(latencies_ms, 0.95):.3f} ms  "
        f"p99 {percentile(latencies_ms, 0.99):.3f} ms  max {max(latencies_ms):.3f} ms  (target p99 < 20 ms)"
    )

    request, advisor, windows = requests[0]
    started = clock.perf_counter()
    for _ in range(3):
        find_slot(
            request, rooms, bookings, advisor, windows, recent, NOW, SETTINGS, venues=venues, budgets=budgets
        )
    print(
        f"  for contrast, passing the raw booking list (index rebuilt per call): "
        f"{(clock.perf_counter() - started) * 1000 / 3:.1f} ms per call"
    )

    # Baseline on the first in-person requests, same data; answers must agree.
    picked = [
        n
        for n, (request, _, _) in enumerate(requests)
        if request.preference is MeetingMode.ON_SITE_DISCREET_ROOM
    ][:baseline_count]
    naive_ms: list[float] = []
    disagreements = 0
    for n in picked:
        request, advisor, windows = requests[n]
        started = clock.perf_counter()
        answer = naive_room_slot(request, rooms, bookings, advisor, windows, recent, NOW)
        naive_ms.append((clock.perf_counter() - started) * 1000)
        decision = decisions[n]
        expected = (decision.room_id, decision.start_utc) if decision.kind is DecisionKind.ROOM else None
        disagreements += answer != expected
    fast_ms = [latencies_ms[n] for n in picked]
    print(f"baseline (naive grid walk scanning all bookings) on {len(picked)} of the same requests:")
    print(
        f"  naive p50 {percentile(naive_ms, 0.5):.1f} ms  mean {statistics.fmean(naive_ms):.1f} ms | "
        f"find_slot p50 {percentile(fast_ms, 0.5):.3f} ms  mean {statistics.fmean(fast_ms):.3f} ms | "
        f"ratio (mean) {statistics.fmean(naive_ms) / statistics.fmean(fast_ms):.0f}x | "
        f"disagreements {disagreements}"
    )
    run.write(
        {
            "index_build_ms": index_ms,
            "decisions": dict(kinds),
            "find_slot_ms": {
                "p50": percentile(latencies_ms, 0.50),
                "p95": percentile(latencies_ms, 0.95),
                "p99": percentile(latencies_ms, 0.99),
                "max": max(latencies_ms),
            },
            "aim_p99_ms": 20,
            "naive_mean_ms": statistics.fmean(naive_ms),
            "find_slot_mean_ms_same_requests": statistics.fmean(fast_ms),
            "disagreements": disagreements,
        }
    )


if __name__ == "__main__":
    main()
