"""Stress: three scheduling processes in one consumer group on PostgreSQL, 2,000 meeting requests, 20 rooms.

Real broker, real PostgreSQL, real OS processes (`caseflow serve scheduling`). One instance is
killed with SIGKILL halfway and restarted, so partitions move and batches are redelivered.
Afterwards SQL finds no two active bookings of a room closer than the privacy buffer and no
advisor in two places at once, and every request has exactly one answer on the topic
(MeetingScheduled, NoSlotFound or MeetingRequestRejected), counted by distinct event ids.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from tests.support import scheduling_events as ev
from tests.support.kafka_io import create_topics, produce, read_all, read_json
from tests.support.processes import ServiceProcess

pytestmark = pytest.mark.e2e

REQUESTS = 2000
LOCATIONS = ("Den Haag", "Utrecht")
ROOMS_PER_LOCATION = 10
ADVISORS = 40
BUFFER_MINUTES = 15


async def _create_db(pg_url_base: str) -> tuple[str, str]:
    name = f"sched_stress_{uuid.uuid4().hex[:10]}"
    raw_base = pg_url_base.replace("postgresql+asyncpg://", "postgresql://")
    conn = await asyncpg.connect(raw_base + "/postgres")
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    return f"{pg_url_base}/{name}", f"{raw_base}/{name}"


async def _drop_db(pg_url_base: str, raw_db: str) -> None:
    raw_base = pg_url_base.replace("postgresql+asyncpg://", "postgresql://")
    conn = await asyncpg.connect(raw_base + "/postgres")
    await conn.execute(f'DROP DATABASE IF EXISTS "{raw_db.rsplit("/", 1)[1]}" WITH (FORCE)')
    await conn.close()


def _metric(instance: ServiceProcess, name: str) -> float:
    for line in instance.metrics_text().splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return 0.0


async def _until(
    db: asyncpg.Connection, sql: str, expected: int, timeout: float, procs: list[ServiceProcess]
) -> float:
    started = time.monotonic()
    while True:
        value = int(await db.fetchval(sql) or 0)
        if value >= expected:
            return time.monotonic() - started
        for proc in procs:
            if proc.proc is not None and proc.proc.poll() is not None:
                raise AssertionError(f"{proc.service} died; see {proc.log_path}")
        if time.monotonic() - started > timeout:
            raise AssertionError(f"only {value} of {expected} after {timeout}s: {sql}")
        await asyncio.sleep(0.5)


def _payloads(rng: random.Random) -> tuple[list[Any], list[Any], list[tuple[Any, Any]], list[Any]]:
    """Places, availability, (case opened, assigned) pairs, and the 2,000 requests."""
    places: list[Any] = [
        ev.room(
            f"{location[:2].lower()}-kamer-{n:02d}", location=location, building=f"{location} gebouw {n % 3}"
        )
        for location in LOCATIONS
        for n in range(ROOMS_PER_LOCATION)
    ]
    places += [ev.venue(f"venue-{loc[:2].lower()}", loc, 5_000) for loc in LOCATIONS]
    places.append(ev.budget("org-bzk", 2026, 50_000))
    places.append(ev.budget("org-bzk", 2027, 50_000))
    advisors = [f"adv-{n:02d}" for n in range(ADVISORS)]
    availability = [
        # Two advisors never have time (NoSlotFound); the others work two to five days a week.
        ev.availability(a, sorted(rng.sample(range(5), rng.randint(2, 5))), "09:00", "17:00")
        if n >= 2
        else ev.availability(a, [])
        for n, a in enumerate(advisors)
    ]
    cases, requests = [], []
    for n in range(REQUESTS):
        case_id, advisor = f"case-{n:04d}", advisors[n % ADVISORS]
        cases.append(
            (
                ev.case_opened(
                    case_id, location=LOCATIONS[n % 2], meeting_mode=None, unit_id=f"unit-{n % 7}"
                ),
                ev.assigned(case_id, advisor),
            )
        )
        # One request in forty comes from an advisor who is not the assignee: rejected.
        actor = advisors[(n + 1) % ADVISORS] if n % 40 == 39 else advisor
        requests.append(ev.request_meeting(case_id, actor))
    return places, availability, cases, requests


async def test_three_instances_answer_2000_requests_once_each_without_overlapping_bookings(
    kafka_bootstrap: str, pg_url_base: str, tmp_path: Path
) -> None:
    rng = random.Random(20190612)
    prefix = f"t-sched-stress-{uuid.uuid4().hex[:8]}."
    await create_topics(kafka_bootstrap, [prefix + t for t in ev.ALL_TOPICS], partitions=3)
    db_url, raw_db = await _create_db(pg_url_base)
    env = {
        "SCHEDULING_KAFKA_BOOTSTRAP": kafka_bootstrap,
        "SCHEDULING_TOPIC_PREFIX": prefix,
        "SCHEDULING_DATABASE_URL": db_url,
        "SCHEDULING_CONSUMER_GROUP": f"{prefix}scheduling",
        "SCHEDULING_PRIVACY_BUFFER_MINUTES": str(BUFFER_MINUTES),
        "SCHEDULING_LOG_LEVEL": "WARNING",
    }
    instances = [ServiceProcess("scheduling", env, tmp_path / f"scheduling-{n}.log") for n in range(3)]
    places, availability, cases, requests = _payloads(rng)
    db = await asyncpg.connect(raw_db)
    timings: dict[str, float] = {}
    try:
        instances[0].start()  # creates the schema; the others find it
        for instance in instances[1:]:
            instance.start()

        await ev.send(kafka_bootstrap, prefix, ev.PLACES, *places)
        await ev.send(kafka_bootstrap, prefix, ev.ADVISORS, *availability)
        await _until(db, "SELECT count(*) FROM advisor_availability", ADVISORS, 60, instances)
        await _until(db, "SELECT count(*) FROM rooms", len(LOCATIONS) * ROOMS_PER_LOCATION, 60, instances)

        await ev.send(kafka_bootstrap, prefix, ev.CASES, *(opened for opened, _ in cases))
        await ev.send(kafka_bootstrap, prefix, ev.ASSIGNMENTS, *(assigned for _, assigned in cases))
        timings["cases"] = await _until(
            db, "SELECT count(*) FROM cases WHERE opened AND advisor_id IS NOT NULL", REQUESTS, 120, instances
        )

        built = [ev.envelope_bytes(r) for r in requests]
        request_ids = [event_id for event_id, _, _ in built]
        started = time.monotonic()
        half = REQUESTS // 2
        await produce(kafka_bootstrap, prefix + ev.ACTIONS, [(k, v) for _, k, v in built[:half]])
        answers_sql = (
            "SELECT count(*) FROM events WHERE event_type IN "
            "('MeetingScheduled', 'NoSlotFound', 'MeetingRequestRejected')"
        )
        await _until(db, answers_sql, half // 2, 120, instances)
        instances[1].kill()  # SIGKILL mid-stream: its partitions move, its last batch is redelivered
        await produce(kafka_bootstrap, prefix + ev.ACTIONS, [(k, v) for _, k, v in built[half:]])
        instances[1].start(wait_ready=False)
        await asyncio.to_thread(instances[1].wait_ready, 60)
        await _until(db, answers_sql, REQUESTS, 150, instances)
        timings["requests"] = time.monotonic() - started
        await _until(
            db,
            "SELECT (count(*) FILTER (WHERE published_at IS NOT NULL) = count(*))::int FROM events",
            1,
            60,
            instances,
        )

        room_overlaps = await db.fetchval(
            """
            SELECT count(*) FROM bookings a JOIN bookings b
              ON a.room_id = b.room_id AND a.booking_id < b.booking_id
            WHERE a.status = 'active' AND b.status = 'active'
              AND a.starts_at < b.ends_at + make_interval(mins => $1)
              AND b.starts_at < a.ends_at + make_interval(mins => $1)
            """,
            BUFFER_MINUTES,
        )
        advisor_overlaps = await db.fetchval(
            """
            SELECT count(*) FROM bookings a JOIN bookings b
              ON a.advisor_id = b.advisor_id AND a.booking_id < b.booking_id
            WHERE a.status = 'active' AND b.status = 'active'
              AND a.starts_at < b.ends_at AND b.starts_at < a.ends_at
            """
        )
        active_bookings = await db.fetchval("SELECT count(*) FROM bookings WHERE status = 'active'")
        stored_events = await db.fetchval("SELECT count(*) FROM events WHERE event_type <> 'DeadLetter'")
        dead_letters = await db.fetchval("SELECT count(*) FROM events WHERE event_type = 'DeadLetter'")
        assert (room_overlaps, advisor_overlaps, dead_letters) == (0, 0, 0)

        on_topic = read_json(
            await read_all(kafka_bootstrap, prefix + ev.MEETINGS, expect=stored_events, timeout=90)
        )
        answer_ids: dict[str, set[str]] = defaultdict(set)
        kinds: Counter[str] = Counter()
        for event in on_topic:
            if event["event_type"] in ("MeetingScheduled", "NoSlotFound", "MeetingRequestRejected"):
                answer_ids[event["causation_id"]].add(event["event_id"])
        for ids in answer_ids.values():
            assert len(ids) == 1
        by_id = {e["event_id"]: e for e in on_topic}
        for ids in answer_ids.values():
            event = by_id[next(iter(ids))]
            kinds[event["payload"].get("mode") or event["payload"].get("reason_code")] += 1
        assert set(answer_ids) == set(request_ids), "every request answered, and nothing else answered"
        assert kinds["not_assignee"] == REQUESTS // 40
        assert kinds["ADVISOR_UNAVAILABLE"] >= 2 * (REQUESTS // ADVISORS)  # the two advisors without time
        scheduled = {e["event_id"] for e in on_topic if e["event_type"] == "MeetingScheduled"}
        assert active_bookings == len(scheduled)  # no cancellations here: one booking per meeting
        index_loads = sum(_metric(i, "caseflow_scheduling_booking_index_loads_total") for i in instances)
        refusals = sum(_metric(i, "caseflow_scheduling_booking_refusals_total") for i in instances)
        print(
            f"\nscheduling stress: booking index loaded {index_loads:.0f} times, {refusals:.0f} bookings refused by "
            f"the database (counters since each instance's last start);"
            f"\nscheduling stress: {REQUESTS} requests answered in {timings['requests']:.1f}s "
            f"({REQUESTS / timings['requests']:.0f}/s) by 3 instances (one SIGKILLed and restarted); "
            f"2,000 cases folded in {timings['cases']:.1f}s; outcomes {dict(kinds)}; "
            f"{len(on_topic) - len({e['event_id'] for e in on_topic})} duplicate deliveries on the topic"
        )
    finally:
        for instance in instances:
            instance.stop()
        await db.close()
        await _drop_db(pg_url_base, raw_db)
