"""Several scheduling processes in one consumer group on PostgreSQL, one SIGKILLed halfway: a scenario.

Real broker, real PostgreSQL, real OS processes (`caseflow serve scheduling`). The requests go out
in two halves; once a quarter of them is answered, one instance is killed with SIGKILL and
restarted, so partitions move and batches are redelivered. `run_scenario` returns what SQL and the
topic show afterwards (overlapping bookings, answers per request) and the timings; the e2e test
(tests/e2e/test_scheduling_instances.py) checks the properties at a small size, the benchmark
(bench/bench_scheduling_stress.py) prints the figures at 2,000 requests.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
from aiokafka.partitioner import murmur2

from tests.support import scheduling_events as ev
from tests.support.kafka_io import create_topics, produce, read_all, read_json
from tests.support.processes import ServiceProcess

LOCATIONS = ("Den Haag", "Utrecht")
# With Size.disjoint, one location per instance: the cases of partition p are at DISJOINT_LOCATIONS[p].
DISJOINT_LOCATIONS = ("Den Haag", "Utrecht", "Zwolle", "Groningen", "Maastricht")
BUFFER_MINUTES = 15
ANSWERS = ("MeetingScheduled", "NoSlotFound", "AdvisorCommandRejected")


@dataclass(frozen=True)
class Size:
    requests: int
    rooms_per_location: int
    advisors: int
    instances: int = 3
    booking_lock: str = "calendar"  # SCHEDULING_BOOKING_LOCK: calendar | case (D62)
    # Each partition's cases at its own location with its own advisors, so that the instances
    # (one partition of every topic each, until the SIGKILL moves one) book disjoint rooms.
    disjoint: bool = False

    @property
    def locations(self) -> tuple[str, ...]:
        return DISJOINT_LOCATIONS[: self.instances] if self.disjoint else LOCATIONS

    @property
    def wrong_advisor_requests(self) -> int:
        """One request in forty comes from an advisor who is not the assignee."""
        return self.requests // 40


@dataclass
class Outcome:
    request_ids: list[str]
    answer_ids: dict[str, set[str]]  # request event id -> the distinct answer event ids caused by it
    answers: dict[str, dict[str, Any]]  # request event id -> (one of) its answer(s), as on the topic
    kinds: Counter[str]  # meeting mode or reason code of each request's answer
    room_overlaps: int
    advisor_overlaps: int
    dead_letters: int
    active_bookings: int
    scheduled: int
    duplicate_deliveries: int
    index_loads: float
    refusals: float
    timings: dict[str, float] = field(default_factory=dict)
    # While the requests were answered, every LOCK_SAMPLE_S: how many of the database's backends
    # waited on a lock (the booking lock, a row, another transaction's booking).
    lock_wait_samples: list[int] = field(default_factory=list)

    @property
    def mean_waiting(self) -> float:
        return sum(self.lock_wait_samples) / len(self.lock_wait_samples) if self.lock_wait_samples else 0.0


LOCK_SAMPLE_S = 0.02
_WAITING = (
    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
)


async def _sample_lock_waits(raw_db: str, into: list[int]) -> None:
    conn = await asyncpg.connect(raw_db)
    try:
        while True:
            into.append(int(await conn.fetchval(_WAITING)))
            await asyncio.sleep(LOCK_SAMPLE_S)
    finally:
        await conn.close()


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


def _payloads(
    rng: random.Random, size: Size
) -> tuple[list[Any], list[Any], list[tuple[Any, Any]], list[Any]]:
    """Places, availability, (case opened, assigned) pairs, and the requests."""
    places: list[Any] = [
        ev.room(
            f"{location[:2].lower()}-kamer-{n:02d}", location=location, building=f"{location} gebouw {n % 3}"
        )
        for location in size.locations
        for n in range(size.rooms_per_location)
    ]
    places += [ev.venue(f"venue-{loc[:2].lower()}", loc, 5_000) for loc in size.locations]
    places.append(ev.budget("org-bzk", 2026, 50_000))
    places.append(ev.budget("org-bzk", 2027, 50_000))
    advisors = [f"adv-{n:02d}" for n in range(size.advisors)]
    availability = [
        # Two advisors never have time (NoSlotFound); the others work two to five days a week.
        ev.availability(a, sorted(rng.sample(range(5), rng.randint(2, 5))), "09:00", "17:00")
        if n >= 2
        else ev.availability(a, [])
        for n, a in enumerate(advisors)
    ]
    cases, requests = [], []
    for n in range(size.requests):
        case_id, advisor, location = f"case-{n:04d}", advisors[n % size.advisors], LOCATIONS[n % 2]
        if size.disjoint:
            # Kafka's default partitioner on the case id, the key of the case's events and commands.
            p = (murmur2(case_id.encode()) & 0x7FFFFFFF) % size.instances
            location = DISJOINT_LOCATIONS[p]
            group = advisors[p :: size.instances]
            advisor = group[(n // size.instances) % len(group)]
        cases.append(
            (
                ev.case_opened(case_id, location=location, meeting_mode=None, unit_id=f"unit-{n % 7}"),
                ev.assigned(case_id, advisor),
            )
        )
        actor = advisors[(advisors.index(advisor) + 1) % size.advisors] if n % 40 == 39 else advisor
        requests.append(ev.request_meeting(case_id, actor))
    return places, availability, cases, requests


ROOM_OVERLAPS = """
    SELECT count(*) FROM bookings a JOIN bookings b
      ON a.room_id = b.room_id AND a.booking_id < b.booking_id
    WHERE a.status = 'active' AND b.status = 'active'
      AND a.starts_at < b.ends_at + make_interval(mins => $1)
      AND b.starts_at < a.ends_at + make_interval(mins => $1)
"""
ADVISOR_OVERLAPS = """
    SELECT count(*) FROM bookings a JOIN bookings b
      ON a.advisor_id = b.advisor_id AND a.booking_id < b.booking_id
    WHERE a.status = 'active' AND b.status = 'active'
      AND a.starts_at < b.ends_at AND b.starts_at < a.ends_at
"""


async def run_scenario(
    kafka_bootstrap: str, pg_url_base: str, workdir: Path, size: Size, *, seed: int = 20190612
) -> Outcome:
    rng = random.Random(seed)
    prefix = f"t-sched-stress-{uuid.uuid4().hex[:8]}."
    await create_topics(kafka_bootstrap, [prefix + t for t in ev.ALL_TOPICS], partitions=size.instances)
    db_url, raw_db = await _create_db(pg_url_base)
    env = {
        "SCHEDULING_KAFKA_BOOTSTRAP": kafka_bootstrap,
        "SCHEDULING_TOPIC_PREFIX": prefix,
        "SCHEDULING_DATABASE_URL": db_url,
        "SCHEDULING_CONSUMER_GROUP": f"{prefix}scheduling",
        "SCHEDULING_PRIVACY_BUFFER_MINUTES": str(BUFFER_MINUTES),
        "SCHEDULING_LOG_LEVEL": "WARNING",
        "SCHEDULING_BOOKING_LOCK": size.booking_lock,
    }
    instances = [
        ServiceProcess("scheduling", env, workdir / f"scheduling-{n}.log") for n in range(size.instances)
    ]
    places, availability, cases, requests = _payloads(rng, size)
    db = await asyncpg.connect(raw_db)
    timings: dict[str, float] = {}
    lock_waits: list[int] = []
    try:
        instances[0].start()  # creates the schema; the others find it
        for instance in instances[1:]:
            instance.start()

        await ev.send(kafka_bootstrap, prefix, ev.PLACES, *places)
        await ev.send(kafka_bootstrap, prefix, ev.ADVISORS, *availability)
        await _until(db, "SELECT count(*) FROM advisor_availability", size.advisors, 60, instances)
        await _until(
            db, "SELECT count(*) FROM rooms", len(size.locations) * size.rooms_per_location, 60, instances
        )

        await ev.send(kafka_bootstrap, prefix, ev.CASES, *(opened for opened, _ in cases))
        await ev.send(kafka_bootstrap, prefix, ev.ASSIGNMENTS, *(assigned for _, assigned in cases))
        cases_sql = (
            "SELECT count(*) FROM cases c JOIN current_assignees a ON a.case_id = c.case_id"
            " WHERE c.opened AND a.advisor_id IS NOT NULL"
        )
        timings["cases"] = await _until(db, cases_sql, size.requests, 120, instances)

        built = [ev.envelope_bytes(r) for r in requests]
        request_ids = [event_id for event_id, _, _ in built]
        sampler = asyncio.ensure_future(_sample_lock_waits(raw_db, lock_waits))
        started = time.monotonic()
        half = size.requests // 2
        await produce(kafka_bootstrap, prefix + ev.ACTIONS, [(k, v) for _, k, v in built[:half]])
        answers_sql = (
            "SELECT count(*) FROM events WHERE event_type IN "
            "('MeetingScheduled', 'NoSlotFound', 'AdvisorCommandRejected')"
        )
        timings["before_kill"] = await _until(db, answers_sql, half // 2, 120, instances)
        instances[1].kill()  # SIGKILL mid-stream: its partitions move, its last batch is redelivered
        await produce(kafka_bootstrap, prefix + ev.ACTIONS, [(k, v) for _, k, v in built[half:]])
        instances[1].start(wait_ready=False)
        await asyncio.to_thread(instances[1].wait_ready, 60)
        await _until(db, answers_sql, size.requests, 150, instances)
        timings["requests"] = time.monotonic() - started
        sampler.cancel()
        published_sql = (
            "SELECT (count(*) FILTER (WHERE published_at IS NOT NULL) = count(*))::int FROM events"
        )
        await _until(db, published_sql, 1, 60, instances)

        stored_events = await db.fetchval("SELECT count(*) FROM events WHERE event_type <> 'DeadLetter'")
        on_topic = read_json(
            await read_all(kafka_bootstrap, prefix + ev.MEETINGS, expect=stored_events, timeout=90)
        )
        answer_ids: dict[str, set[str]] = defaultdict(set)
        for event in on_topic:
            if event["event_type"] in ANSWERS:
                answer_ids[event["causation_id"]].add(event["event_id"])
        by_id = {e["event_id"]: e for e in on_topic}
        kinds: Counter[str] = Counter()
        for ids in answer_ids.values():
            payload = by_id[next(iter(ids))]["payload"]
            kinds[payload.get("mode") or payload.get("reason_code")] += 1
        return Outcome(
            request_ids=request_ids,
            answer_ids=dict(answer_ids),
            answers={cause: by_id[next(iter(ids))] for cause, ids in answer_ids.items()},
            kinds=kinds,
            room_overlaps=await db.fetchval(ROOM_OVERLAPS, BUFFER_MINUTES),
            advisor_overlaps=await db.fetchval(ADVISOR_OVERLAPS),
            dead_letters=await db.fetchval("SELECT count(*) FROM events WHERE event_type = 'DeadLetter'"),
            active_bookings=await db.fetchval("SELECT count(*) FROM bookings WHERE status = 'active'"),
            scheduled=len({e["event_id"] for e in on_topic if e["event_type"] == "MeetingScheduled"}),
            duplicate_deliveries=len(on_topic) - len(by_id),
            index_loads=sum(_metric(i, "caseflow_scheduling_booking_index_loads_total") for i in instances),
            refusals=sum(_metric(i, "caseflow_scheduling_booking_refusals_total") for i in instances),
            timings=timings,
            lock_wait_samples=lock_waits,
        )
    finally:
        for instance in instances:
            instance.stop()
        await db.close()
        await _drop_db(pg_url_base, raw_db)
