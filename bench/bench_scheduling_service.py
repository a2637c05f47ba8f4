"""Benchmark: one meeting request through the service's DB layer (lock, index, search, booking, commit).

Run: .venv/bin/python bench/bench_scheduling_service.py [requests] [--pg postgresql+asyncpg://user@host:port]

The calendar of bench_scheduling_slots.py (200 rooms, 30 advisors, 60 days, ~35k bookings) is
loaded into the scheduling tables (SQLite by default, a fresh PostgreSQL database with --pg).
Each request runs in its own transaction, as the pipeline would: take the booking lock, get the
BookingIndex, search, insert the booking (exclusion constraint / trigger), commit. Two modes:
- warm: the instance's cached index stays valid and grows with its own bookings;
- cold: the index is dropped before every request, as when another instance booked in between.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import statistics
import sys
import tempfile
import time as clock
import uuid
from typing import Any

import results  # bench/results.py: a script's own folder is first on sys.path
from bench_scheduling_slots import LOCATIONS, NOW, SEED, SETTINGS, build_advisors, build_rooms, fill_calendars
from sqlalchemy.ext.asyncio import AsyncEngine

from services.scheduling.adapters import tables
from services.scheduling.adapters.booking_ledger import BookingLedger, ensure_clock
from services.scheduling.adapters.projection import CaseFacts, register_room, set_availability
from services.scheduling.application.meetings import Emitter, MeetingScheduler
from shared.codes import MeetingMode
from shared.contracts.directory import AdvisorAvailabilitySet, LeaveSpec, WeeklyWindowSpec
from shared.contracts.scheduling import RoomRegistered
from shared.db import create_all, make_engine
from shared.locations import location_code
from shared.topics import SCHEDULING_MEETINGS


def use_bench_locations() -> None:
    """The synthetic towns `loc-N` as a location catalogue: cases and rooms meet by code."""
    path = os.path.join(tempfile.mkdtemp(), "locations.json")
    with open(path, "w", encoding="utf-8") as out:
        json.dump({f"loc_{n}": [f"loc-{n}"] for n in range(LOCATIONS)}, out)
    os.environ["CASEFLOW_LOCATIONS_FILE"] = path


async def load_calendar(engine: AsyncEngine, rng: random.Random) -> tuple[list[Any], list[Any]]:
    rooms, advisors = build_rooms(rng), build_advisors(rng)
    bookings, _recent = fill_calendars(rng, rooms, advisors)
    half_buffer = SETTINGS.privacy_buffer / 2
    async with engine.begin() as conn:
        await ensure_clock(conn)
        for room in rooms:
            spec = RoomRegistered(
                room_id=room.room_id,
                building=room.building,
                location=room.location,
                discreet=room.discreet,
                labelled_as_advisor_room=room.labelled_as_advisor_room,
                capacity=room.capacity,
                bookable_hours=tuple(
                    WeeklyWindowSpec(weekday=w.weekday, start=w.start, end=w.end) for w in room.bookable_hours
                ),
                quiet_room=room.quiet_room,
            )
            await register_room(conn, spec, NOW)
        for advisor in advisors:
            availability = AdvisorAvailabilitySet(
                advisor_id=advisor.advisor_id,
                weekly_windows=tuple(
                    WeeklyWindowSpec(weekday=w.weekday, start=w.start, end=w.end)
                    for w in advisor.weekly_windows
                ),
                leave=tuple(LeaveSpec(first_day=p.first_day, last_day=p.last_day) for p in advisor.leave),
            )
            await set_availability(conn, availability, NOW)
        rows = [
            {
                "booking_id": str(uuid.uuid4()),
                "meeting_id": str(uuid.uuid4()),
                "kind": "meeting",
                "case_id": None,
                "advisor_id": b.advisor_id,
                "room_id": b.room_id,
                "venue_id": None,
                "mode": "on_site_discreet_room",
                "starts_at": b.start_utc,
                "ends_at": b.end_utc,
                "guard_start": b.start_utc - half_buffer,
                "guard_end": b.end_utc + half_buffer,
                "status": "active",
                "reason_code": "BENCH",
                "language": "nl",
                "calendar_sequence": 0,
                "cost_cents": 0,
                "request_id": "bench",
                "created_at": NOW,
            }
            for b in bookings
        ]
        for start in range(0, len(rows), 2000):
            await conn.execute(tables.bookings.insert(), rows[start : start + 2000])
    return rooms, advisors


async def run_mode(
    engine: AsyncEngine, rooms: list[Any], advisors: list[Any], count: int, *, cold: bool, rng: random.Random
) -> tuple[list[float], int]:
    ledger = BookingLedger(SETTINGS.privacy_buffer, SETTINGS.habit_lookback)
    scheduler = MeetingScheduler(ledger, SETTINGS, attempts=8)
    client_rooms = [room for room in rooms if room.fits_client_meeting(2)]
    timings: list[float] = []
    for number in range(count):
        home = rng.choice(client_rooms)
        advisor = rng.choice(advisors)
        case = CaseFacts(
            case_id=f"bench-{uuid.uuid4().hex[:8]}",
            opened=True,
            organisation_id="org-0",
            unit_id="unit",
            location=location_code(home.location) or "",
            meeting_mode=MeetingMode.ON_SITE_DISCREET_ROOM,
            away_from_own_unit=False,
            language="nl",
            client_windows=(),
            advisor_id=advisor.advisor_id,
            auto_meeting_requested=True,
        )
        if cold:
            ledger.forget_index()
        started = clock.perf_counter()
        async with engine.begin() as conn:
            await ledger.lock(conn)
            await scheduler.schedule(
                conn,
                Emitter.of_cause(
                    f"bench-{number}", producer="scheduling", topic=SCHEDULING_MEETINGS.name, now=NOW
                ),
                case,
                advisor.advisor_id,
                NOW,
            )
        timings.append((clock.perf_counter() - started) * 1000)
    return timings, ledger.index_loads


def percentiles(timings: list[float]) -> str:
    ordered = sorted(timings)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return f"p50 {statistics.median(ordered):6.2f} ms  p99 {p99:6.2f} ms  max {ordered[-1]:6.2f} ms"


async def main() -> None:
    use_bench_locations()
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    count = int(args[0]) if args else 300
    pg_base = sys.argv[sys.argv.index("--pg") + 1] if "--pg" in sys.argv else None
    if pg_base:
        import asyncpg

        name = f"bench_sched_{uuid.uuid4().hex[:8]}"
        admin = await asyncpg.connect(pg_base.replace("postgresql+asyncpg://", "postgresql://") + "/postgres")
        await admin.execute(f'CREATE DATABASE "{name}"')
        url = f"{pg_base}/{name}"
    else:
        url = f"sqlite+aiosqlite:///{tempfile.mkdtemp()}/bench.db"
    engine = make_engine(url)
    try:
        await create_all(engine, tables.metadata)
        started = clock.perf_counter()
        rooms, advisors = await load_calendar(engine, random.Random(SEED))
        backend = "PostgreSQL" if pg_base else "SQLite"
        print(f"{backend}: calendar loaded in {clock.perf_counter() - started:.1f} s")
        run = results.Run("scheduling_service", requests=count, database=backend)
        figures: dict[str, object] = {}
        for cold in (False, True):
            timings, loads = await run_mode(
                engine, rooms, advisors, count, cold=cold, rng=random.Random(SEED + 1)
            )
            label = (
                "cold (index reloaded every request)" if cold else "warm (cached index, grown per booking)"
            )
            print(f"  {label:42s} {count} requests: {percentiles(timings)}  index loads {loads}")
            ordered = sorted(timings)
            figures["cold" if cold else "warm"] = {
                "p50_ms": statistics.median(ordered),
                "p99_ms": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))],
                "max_ms": ordered[-1],
                "index_loads": loads,
            }
        run.write(figures)
    finally:
        await engine.dispose()
        if pg_base:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await admin.close()


if __name__ == "__main__":
    asyncio.run(main())
