"""The whole case flow end to end against a raw aiokafka two-hop chain, on one broker, in one run.

A single-node Kafka (512 MiB heap) and the four services as separate processes (`caseflow serve`,
started as `caseflow up` does, on SQLite) with a generated organisation: 3 ministries, 60 units,
240 people, 25 advisors, 3 coordinators, 12 rooms, deterministic from `--seed`. Sealed web
submissions (as a frontend seals them to intake's key) are published on `intake.submissions.v1` at
fixed offered rates (5/s, 50/s, then a burst as fast as possible) and read back with one consumer:
`CaseOpened`, `SubmissionRejected`, `AdvisorAssigned` / `RoutingEscalated`, `MeetingScheduled` /
`NoSlotFound` / `MeetingNotPlanned`, matched by case id (intake's `case_id_for`).

The baseline, same broker, same session, same offered rates and record values: two raw aiokafka
hops as processes (consume -> produce with acks=all, idempotent -> commit), raw.in -> raw.mid ->
raw.out, read back by the same consumer. Submission -> AdvisorAssigned is two hops too (intake,
routing); the ratio system / raw compares those.

Per phase: sustained cases/s, latency p50/p95/p99 from publish, CPU seconds per case for each
process (user + sys from /proc, before and after the phase, idle polling included), peak RSS
(VmHWM), the load average. Prints figures, asserts nothing; writes JSON. Usage:
    python bench/bench_case_flow.py [--quick] [--seed 17] [--out bench/results/case_flow-<date>.json]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.support helpers

import httpx
import results as bench_results  # bench/results.py: a script's own folder is first on sys.path
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from caseflow import stack
from devinfra.kafka import KafkaNode
from devinfra.ports import free_port
from devinfra.postgres import PostgresServer
from services.intake.application.open_case import case_id_for
from shared.contracts.directory import (
    AdvisorAvailabilitySet,
    AdvisorUpserted,
    CoordinatorAppointed,
    OrgUnitUpserted,
    PersonUpserted,
    WeeklyWindowSpec,
)
from shared.contracts.scheduling import OffSiteBudgetSet, RoomRegistered, VenueRegistered
from shared.directory_copies import directory_records
from shared.envelope import Envelope, EventPayload, new_envelope
from shared.submission_sealing import fetch_submission_key, sealed_record_bytes
from tests.support.kafka_io import create_topics
from tools.demo.sample_org import advisor_key_registered

TICK = os.sysconf("SC_CLK_TCK")
ROUTED = ("AdvisorAssigned", "RoutingEscalated")
PLANNED = ("MeetingScheduled", "NoSlotFound", "MeetingNotPlanned")
LOCATIONS = ("Den Haag", "Utrecht")

# --- the generated organisation ----------------------------------------------------------------


@dataclass
class Org:
    units: list[tuple[str, str | None, int, str, str]] = field(
        default_factory=list
    )  # id, parent, size, org, location
    persons: list[tuple[str, str, str | None, bool]] = field(default_factory=list)  # id, unit, manager, top
    advisors: list[AdvisorUpserted] = field(default_factory=list)
    coordinators: dict[str, tuple[str, ...]] = field(default_factory=dict)
    clients: list[tuple[str, str, str]] = field(default_factory=list)  # person, unit, manager
    rooms: list[RoomRegistered] = field(default_factory=list)
    venues: list[VenueRegistered] = field(default_factory=list)


def generate_org(seed: int, ministries: int = 3, dgs: int = 3, teams: int = 5) -> Org:
    """Per ministry: a root, a secretariat, `dgs` directorates of `teams` teams (20 units at the
    defaults); a manager per unit, four employees per team; seven internal advisors per ministry
    (one cross-unit) and four external ones; rooms in both locations."""
    rng = random.Random(seed)
    org = Org()
    term = (date(2024, 1, 1), date(2028, 12, 31))
    week = tuple(WeeklyWindowSpec(weekday=d, start=dtime(9), end=dtime(17)) for d in range(5))
    for m in range(1, ministries + 1):
        mid = f"min-{m}"
        home = LOCATIONS[m % 2]
        org.units.append((mid, None, rng.randint(1500, 4000), mid, home))
        org.persons.append((f"p-{mid}-lead", mid, None, True))
        org.units.append((f"{mid}-sg", mid, rng.randint(20, 60), mid, home))
        org.persons.append((f"p-{mid}-sg-lead", f"{mid}-sg", f"p-{mid}-lead", True))
        employees: list[str] = []
        for d in range(1, dgs + 1):
            dg = f"{mid}-dg{d}"
            org.units.append((dg, mid, rng.randint(200, 700), mid, home))
            org.persons.append((f"p-{dg}-lead", dg, f"p-{mid}-lead", True))
            for t in range(1, teams + 1):
                unit = f"{dg}-t{t}"
                location = home if rng.random() < 0.8 else LOCATIONS[(m + 1) % 2]
                org.units.append((unit, dg, rng.randint(8, 90), mid, location))
                lead = f"p-{unit}-lead"
                org.persons.append((lead, unit, f"p-{dg}-lead", False))
                for e in range(1, 5):
                    person = f"p-{unit}-e{e}"
                    org.persons.append((person, unit, lead, False))
                    employees.append(person)
                    org.clients.append((person, unit, lead))
        advisor_persons = rng.sample(employees, 7)
        for i, person in enumerate(advisor_persons):
            org.advisors.append(
                AdvisorUpserted(
                    advisor_id=f"adv-{m}-{i + 1}",
                    person_id=person,
                    kind=("VPIO", "VPI", "VPO")[i % 3],
                    scope="cross_unit" if i == 6 else "internal",
                    organisation_id=mid,
                    served_unit_ids=(f"min-{m % ministries + 1}",) if i == 6 else (),
                    languages=("nl", "en") if i % 4 == 0 else ("nl",),
                    locations=(home,),
                    weekly_hours=float(rng.choice((4, 8, 12, 16))),
                    term_start=term[0],
                    term_end=term[1],
                )
            )
        org.coordinators[f"coord-{m}"] = (mid,)
        for r in range(4):
            location = LOCATIONS[(m + (r == 3)) % 2]
            org.rooms.append(
                RoomRegistered(
                    room_id=f"room-{m}-{r}",
                    building=f"Building {m}{'U' if location == 'Utrecht' else 'H'}",
                    location=location,
                    discreet=r != 2,
                    capacity=rng.randint(2, 6),
                    bookable_hours=tuple(
                        WeeklyWindowSpec(weekday=d, start=dtime(8), end=dtime(18)) for d in range(5)
                    ),
                    quiet_room=r == 1,
                )
            )
        org.venues.append(
            VenueRegistered(venue_id=f"venue-{m}", location=home, cost_eur_cents=2500, organisation_id=mid)
        )
    for i in range(4):
        org.advisors.append(
            AdvisorUpserted(
                advisor_id=f"adv-ext-{i + 1}",
                person_id=None,
                kind=("VPIO", "VPI")[i % 2],
                scope="external",
                organisation_id=None,
                languages=("nl", "en"),
                locations=(LOCATIONS[i % 2],),
                weekly_hours=16.0,
                term_start=term[0],
                term_end=term[1],
            )
        )
    org.week = week  # type: ignore[attr-defined]
    return org


def org_envelopes(org: Org, now: datetime) -> tuple[list[Envelope[Any]], list[Envelope[Any]]]:
    """(directory.v1 envelopes in an order the directory accepts, scheduling.places.v1 envelopes)."""
    payloads: list[tuple[str, EventPayload]] = []
    for unit_id, parent, size, organisation, _location in org.units:
        payloads.append(
            (
                unit_id,
                OrgUnitUpserted(
                    unit_id=unit_id, parent_id=parent, name=unit_id, size=size, organisation_id=organisation
                ),
            )
        )
    for person_id, unit_id, manager, top in org.persons:
        payloads.append(
            (
                person_id,
                PersonUpserted(
                    person_id=person_id, unit_id=unit_id, manager_id=manager, is_top_management=top
                ),
            )
        )
    keys = [a.advisor_id for a in org.advisors] + list(org.coordinators)
    for a in org.advisors:
        payloads.append((a.advisor_id, a))
        payloads.append(
            (
                f"availability:{a.advisor_id}",
                AdvisorAvailabilitySet(advisor_id=a.advisor_id, weekly_windows=org.week),  # type: ignore[attr-defined]
            )
        )
    for coordinator_id, organisation_ids in org.coordinators.items():
        payloads.append(
            (
                f"coordinator:{coordinator_id}",
                CoordinatorAppointed(coordinator_id=coordinator_id, organisation_ids=organisation_ids),
            )
        )
    payloads += [advisor_key_registered(who) for who in keys]
    directory = [
        new_envelope(p, stream_id=s, producer="hr-feed", occurred_at=now, causation_id=f"bench-org:{s}:{i}")
        for i, (s, p) in enumerate(payloads)
    ]
    places_payloads: list[tuple[str, EventPayload]] = [(r.room_id, r) for r in org.rooms]
    places_payloads += [(v.venue_id, v) for v in org.venues]
    places_payloads += [
        (f"budget-{o}-{now.year}", OffSiteBudgetSet(organisation_id=o, year=now.year, budget_cents=50000))
        for orgs in org.coordinators.values()
        for o in orgs
    ]
    places = [
        new_envelope(
            p, stream_id=s, producer="rooms-import", occurred_at=now, causation_id=f"bench-places:{s}"
        )
        for s, p in places_payloads
    ]
    return directory, places


def submission(org: Org, rng: random.Random, submission_id: str, now: datetime) -> dict[str, Any]:
    """A web submission of a plausible mix: mostly a conflict with the own manager."""
    client, unit, manager = rng.choice(org.clients)
    organisation = unit.split("-dg")[0]
    location = next(u[4] for u in org.units if u[0] == unit)
    kind = rng.choices(("manager", "bullying", "integrity", "workload"), (55, 20, 10, 15))[0]
    categories, involved, whistle = {
        "manager": (
            ["labour.conflict_with_manager"],
            [{"person_id": manager, "role": "direct_manager"}],
            False,
        ),
        "bullying": (["unwanted_behaviour.bullying"], [{"role": "colleague"}], False),
        "integrity": (["integrity.fraud_theft"], [{"role": "colleague"}], True),
        "workload": (["workload"], [], False),
    }[kind]
    start = (now + timedelta(days=rng.randint(1, 5))).replace(hour=8, minute=0, second=0, microsecond=0)
    anonymous = rng.random() < 0.2
    doc: dict[str, Any] = {
        "schema_version": 1,
        "submission_id": submission_id,
        "submitted_at": now.isoformat(),
        "channel": rng.choice(("web", "chat")),
        "organisation_id": organisation,
        "unit_id": unit,
        "client_role": "employee",
        "anonymous": anonymous,
        "categories": categories,
        "narrative": f"(benchmark) {kind}: a story only the assigned advisor may read.",
        "persons_involved": involved,
        "is_whistleblower_report": whistle,
        "language": "en" if rng.random() < 0.05 else "nl",
        "meeting": {
            "mode": rng.choices(
                ("on_site_discreet_room", "phone", "video", "off_site_venue"), (60, 15, 10, 15)
            )[0],
            "location": location,
            "availability": [{"start": start.isoformat(), "end": (start + timedelta(hours=9)).isoformat()}],
        },
    }
    if not anonymous:
        doc["contact"] = {"name": "(benchmark client)", "email": f"{submission_id}@example.org"}
        doc["client_person_id"] = client
    return doc


# --- measuring processes -----------------------------------------------------------------------


def descendants(pid: int) -> list[int]:
    """`pid` and every process under it (a service's process is `caseflow serve`; the broker a JVM)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def cpu_seconds(pid: int) -> float:
    total = 0
    for p in descendants(pid):
        with contextlib.suppress(OSError, IndexError):
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / TICK


def peak_rss_mib(pid: int) -> float:
    """The sum over the process tree of VmHWM (each process's peak resident set)."""
    total = 0
    for p in descendants(pid):
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    total += int(line.split()[1])
    return total / 1024


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(q / 100 * len(s) + 0.5) - 1))]


def latency_summary(values: list[float]) -> dict[str, float | None]:
    return {
        f"p{q}_ms": (v * 1000 if (v := percentile(values, q)) is not None else None) for q in (50, 95, 99)
    }


# --- the reader: every outcome, by case id -----------------------------------------------------


class Reader:
    def __init__(self, bootstrap: str, prefix: str) -> None:
        self.prefix = prefix
        self.consumer = AIOKafkaConsumer(
            *(
                prefix + t
                for t in (
                    "intake.cases.v1",
                    "intake.rejections.v1",
                    "routing.assignments.v1",
                    "scheduling.meetings.v1",
                    "raw.out",
                )
            ),
            bootstrap_servers=bootstrap,
            group_id=f"bench-reader-{uuid.uuid4().hex}",
            auto_offset_reset="earliest",
            enable_auto_commit=False,
        )
        self.seen: dict[str, dict[str, float]] = {}  # case id or raw key -> event type -> first seen
        self.kinds: dict[str, dict[str, int]] = {}
        self.case_of_submission: dict[str, str] = {}

    async def run(self) -> None:
        await self.consumer.start()
        raw_topic = self.prefix + "raw.out"
        try:
            while True:
                batch = await self.consumer.getmany(timeout_ms=20, max_records=2000)
                now = time.perf_counter()
                for tp, records in batch.items():
                    for r in records:
                        if tp.topic == raw_topic:
                            self.seen.setdefault(r.key.decode(), {}).setdefault("raw", now)
                            continue
                        event = json.loads(r.value)
                        payload = event["payload"]
                        kind = event["event_type"]
                        ident = payload.get("case_id") or (
                            case_id_for(payload["submission_id"]) if payload.get("submission_id") else None
                        )
                        if ident is not None:
                            self.seen.setdefault(ident, {}).setdefault(kind, now)
        finally:
            await self.consumer.stop()


# --- phases ------------------------------------------------------------------------------------


@dataclass
class Phase:
    name: str
    rate: float | None  # None: as fast as possible
    count: int


def done(events: dict[str, float] | None, chain: str) -> bool:
    if not events:
        return False
    if chain == "raw":
        return "raw" in events
    if "SubmissionRejected" in events or "RoutingEscalated" in events:
        return True
    return "AdvisorAssigned" in events and any(k in events for k in PLANNED)


async def publish_phase(
    producer: AIOKafkaProducer, topic: str, records: list[tuple[str, bytes]], rate: float | None
) -> dict[str, float]:
    """Send at the offered rate (send at i / rate), the time of each send kept; wait for the acks."""
    sent: dict[str, float] = {}
    futures = []
    start = time.perf_counter()
    for i, (key, value) in enumerate(records):
        if rate is not None:
            pause = start + i / rate - time.perf_counter()
            if pause > 0:
                await asyncio.sleep(pause)
        sent[key] = time.perf_counter()
        futures.append(await producer.send(topic, value, key=key.encode()))
    await asyncio.gather(*futures)
    return sent


async def run_phase(
    phase: Phase,
    chain: str,
    producer: AIOKafkaProducer,
    topic: str,
    records: list[tuple[str, bytes]],
    reader: Reader,
    pids: dict[str, int],
    ident: dict[str, str],
    drain_timeout: float,
) -> dict[str, Any]:
    """One phase: CPU and load before, publish, wait until every case is done (or stalls), CPU after."""
    load_before = os.getloadavg()
    cpu_before = {n: cpu_seconds(p) for n, p in pids.items()}
    started = time.perf_counter()
    sent = await publish_phase(producer, topic, records, phase.rate)
    published = time.perf_counter()
    ids = [ident[k] for k in sent]
    last_progress, last_done = time.perf_counter(), -1
    while True:
        n_done = sum(done(reader.seen.get(i), chain) for i in ids)
        if n_done == len(ids):
            break
        if n_done != last_done:
            last_done, last_progress = n_done, time.perf_counter()
        if time.perf_counter() - last_progress > drain_timeout:
            print(f"    stalled: {n_done}/{len(ids)} done after {drain_timeout:.0f}s without progress")
            break
        await asyncio.sleep(0.05)
    finished = time.perf_counter()
    cpu_after = {n: cpu_seconds(p) for n, p in pids.items()}
    load_after = os.getloadavg()
    n = len(ids)
    result: dict[str, Any] = {
        "phase": phase.name,
        "chain": chain,
        "offered_per_s": phase.rate,
        "published": n,
        "publish_seconds": published - started,
        "seconds": finished - started,
        "load_before": load_before,
        "load_after": load_after,
        "cpu_ms_per_case": {k: (cpu_after[k] - cpu_before[k]) / n * 1000 for k in pids},
        "cpu_seconds": {k: cpu_after[k] - cpu_before[k] for k in pids},
    }
    if chain == "raw":
        lat = [
            reader.seen[ident[k]]["raw"] - t
            for k, t in sent.items()
            if "raw" in reader.seen.get(ident[k], {})
        ]
        outs = sorted(reader.seen[ident[k]]["raw"] for k in sent if "raw" in reader.seen.get(ident[k], {}))
        result["delivered"] = len(lat)
        result["latency_two_hops"] = latency_summary(lat)
        result["sustained_per_s"] = len(outs) / max(outs[-1] - started, 1e-9) if outs else 0.0
        return result
    counts = {k: 0 for k in ("CaseOpened", "SubmissionRejected", *ROUTED, *PLANNED)}
    to_opened, to_assigned, to_meeting, assigned_at = [], [], [], []
    for key, t in sent.items():
        events = reader.seen.get(ident[key], {})
        for k in counts:
            counts[k] += k in events
        if "CaseOpened" in events:
            to_opened.append(events["CaseOpened"] - t)
        if "AdvisorAssigned" in events:
            to_assigned.append(events["AdvisorAssigned"] - t)
        routed = [events[k] for k in ROUTED if k in events]
        if routed:
            assigned_at.append(min(routed))
        if "MeetingScheduled" in events:
            to_meeting.append(events["MeetingScheduled"] - t)
    assigned_at.sort()
    result["outcomes"] = counts
    result["latency_to_case_opened"] = latency_summary(to_opened)
    result["latency_to_assigned"] = latency_summary(to_assigned)
    result["latency_to_meeting"] = latency_summary(to_meeting)
    # Sustained: cases routed (assigned or escalated) per second from the first publish to the last routed.
    result["sustained_per_s"] = (
        len(assigned_at) / max(assigned_at[-1] - started, 1e-9) if assigned_at else 0.0
    )
    return result


def start_hop(bootstrap: str, source: str, target: str, log: Path) -> subprocess.Popen[bytes]:
    with open(log, "ab") as out:
        return subprocess.Popen(
            [sys.executable, __file__, "--raw-hop", source, target, "--kafka", bootstrap],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def stop_process(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)


async def raw_hop(bootstrap: str, source: str, target: str) -> None:
    """One raw hop: consume -> produce (acks=all, idempotent) -> commit, as the services' pipeline
    delivers (at least once, commit after the outputs are acknowledged)."""
    consumer = AIOKafkaConsumer(
        source,
        bootstrap_servers=bootstrap,
        group_id=f"raw-hop-{source}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await consumer.start()
    await producer.start()
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    try:
        while not stop.is_set():
            batch = await consumer.getmany(timeout_ms=100, max_records=500)
            futures = [
                await producer.send(target, r.value, key=r.key) for recs in batch.values() for r in recs
            ]
            if futures:
                await asyncio.gather(*futures)
                await consumer.commit()
    finally:
        await consumer.stop()
        await producer.stop()


# --- the run -----------------------------------------------------------------------------------


async def seed_org(bootstrap: str, prefix: str, org: Org, intake_url: str) -> None:
    directory, places = org_envelopes(org, datetime.now(UTC))
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        for env in directory:
            for topic, key, value in directory_records(env):
                await producer.send(prefix + topic, value, key=key)
        for env in places:
            await producer.send(prefix + "scheduling.places.v1", env.to_bytes(), key=env.stream_id.encode())
        await producer.flush()
    finally:
        await producer.stop()
    async with httpx.AsyncClient(base_url=intake_url, timeout=5) as client:
        deadline = time.monotonic() + 120
        while True:
            with contextlib.suppress(httpx.TransportError):
                answer = await client.get("/v1/directory")
                if answer.status_code == 200 and answer.json()["units"] >= len(org.units):
                    return
            if time.monotonic() > deadline:
                raise TimeoutError("intake did not take in the generated directory")
            await asyncio.sleep(0.5)


async def session(
    bootstrap: str,
    state: stack.StackState,
    kafka_pid: int,
    phases: list[Phase],
    seed: int,
    work: Path,
    database_pids: dict[str, int] | None = None,
) -> dict[str, Any]:
    prefix = state.topic_prefix
    intake_url = state.url("intake")
    assert intake_url is not None
    org = generate_org(seed)
    print(
        f"organisation: {len(org.coordinators)} ministries, {len(org.units)} units, {len(org.persons)} people, "
        f"{len(org.advisors)} advisors, {len(org.rooms)} rooms"
    )
    await create_topics(bootstrap, [prefix + "raw.in", prefix + "raw.mid", prefix + "raw.out"])
    await seed_org(bootstrap, prefix, org, intake_url)
    async with httpx.AsyncClient(timeout=10) as client:
        key = await fetch_submission_key(client, intake_url)
    rng = random.Random(seed)
    now = datetime.now(UTC)

    def records(tag: str, n: int) -> list[tuple[str, bytes]]:
        # Sealed before the phase: the publisher's own work stays out of the measured window.
        out = []
        tag = tag.replace("/", "-")  # a submission id is [A-Za-z0-9_-]
        for i in range(n):
            sid = f"bench-{tag}-{i:05d}"
            out.append((sid, sealed_record_bytes(submission(org, rng, sid, now), key)))
        return out

    reader = Reader(bootstrap, prefix)
    reading = asyncio.create_task(reader.run())
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=0)
    await producer.start()
    hops: list[subprocess.Popen[bytes]] = []
    pids = {p.name: p.pid for p in state.processes if p.name in stack.SERVICES} | {"kafka": kafka_pid}
    pids |= database_pids or {}  # PostgreSQL's server and its backends: CPU the services cause there
    results: dict[str, Any] = {"phases": []}
    try:
        print("warm-up: 30 cases at 10/s (not measured) ...", flush=True)
        warm = records("warm", 30)
        ident = {k: case_id_for(k) for k, _ in warm}
        w = await run_phase(
            Phase("warm-up", 10, 30),
            "system",
            producer,
            prefix + "intake.submissions.v1",
            warm,
            reader,
            pids,
            ident,
            60,
        )
        print(f"  outcomes {w['outcomes']}")
        if w["outcomes"]["CaseOpened"] == 0:
            raise SystemExit("no case opened in the warm-up: see the service logs under " + state.home)
        for phase in phases:
            recs = records(phase.name, phase.count)
            ident = {k: case_id_for(k) for k, _ in recs}
            print(f"system, {phase.name}: {phase.count} submissions ...", flush=True)
            r = await run_phase(
                phase, "system", producer, prefix + "intake.submissions.v1", recs, reader, pids, ident, 30
            )
            r["peak_rss_mib"] = {n: peak_rss_mib(p) for n, p in pids.items()}
            print_phase(r)
            results["phases"].append(r)
        # The baseline after the system (the services stay up, idle): two raw hops as processes.
        hops = [
            start_hop(bootstrap, prefix + "raw.in", prefix + "raw.mid", work / "hop1.log"),
            start_hop(bootstrap, prefix + "raw.mid", prefix + "raw.out", work / "hop2.log"),
        ]
        raw_pids = {"hop1": hops[0].pid, "hop2": hops[1].pid, "kafka": kafka_pid}
        warm = [(f"raw-warm-{i}", v) for i, (_, v) in enumerate(records("rawwarm", 30))]
        print("raw chain warm-up: 30 records at 10/s ...", flush=True)
        await run_phase(
            Phase("warm-up", 10, 30),
            "raw",
            producer,
            prefix + "raw.in",
            warm,
            reader,
            raw_pids,
            {k: k for k, _ in warm},
            60,
        )
        for phase in phases:
            recs = [
                (f"raw-{phase.name}-{i}", v)
                for i, (_, v) in enumerate(records("raw" + phase.name, phase.count))
            ]
            print(f"raw two-hop chain, {phase.name}: {phase.count} records ...", flush=True)
            r = await run_phase(
                phase, "raw", producer, prefix + "raw.in", recs, reader, raw_pids, {k: k for k, _ in recs}, 30
            )
            r["peak_rss_mib"] = {n: peak_rss_mib(p) for n, p in raw_pids.items()}
            print_phase(r)
            results["phases"].append(r)
    finally:
        for hop in hops:
            stop_process(hop)
        await producer.stop()
        reading.cancel()
        with contextlib.suppress(BaseException):
            await reading
    results["organisation"] = {
        "ministries": len(org.coordinators),
        "units": len(org.units),
        "people": len(org.persons),
        "advisors": len(org.advisors),
        "rooms": len(org.rooms),
        "seed": seed,
    }
    return results


def fmt(v: float | None, unit: str = "ms") -> str:
    return "-" if v is None else f"{v:,.0f} {unit}" if v >= 100 else f"{v:.1f} {unit}"


def print_phase(r: dict[str, Any]) -> None:
    load = "/".join(f"{x:.1f}" for x in r["load_after"])
    print(
        f"  {r['sustained_per_s']:.1f} /s sustained in {r['seconds']:.1f}s (published in {r['publish_seconds']:.1f}s), load {load}"
    )
    if r["chain"] == "raw":
        lat = r["latency_two_hops"]
        print(
            f"  two hops: p50 {fmt(lat['p50_ms'])}, p95 {fmt(lat['p95_ms'])}, p99 {fmt(lat['p99_ms'])}; delivered {r['delivered']}"
        )
    else:
        print(f"  outcomes {r['outcomes']}")
        for label, key in (
            ("CaseOpened", "latency_to_case_opened"),
            ("AdvisorAssigned", "latency_to_assigned"),
            ("MeetingScheduled", "latency_to_meeting"),
        ):
            lat = r[key]
            print(
                f"  -> {label:<16} p50 {fmt(lat['p50_ms']):>10}  p95 {fmt(lat['p95_ms']):>10}  p99 {fmt(lat['p99_ms']):>10}"
            )
    cpu = ", ".join(f"{k} {v:.2f}" for k, v in r["cpu_ms_per_case"].items())
    print(f"  CPU ms per case: {cpu}")
    rss = ", ".join(f"{k} {v:.0f}" for k, v in r.get("peak_rss_mib", {}).items())
    print(f"  peak RSS MiB: {rss}", flush=True)


def print_ratios(results: dict[str, Any]) -> None:
    by = {(r["chain"], r["phase"]): r for r in results["phases"]}
    print()
    print(
        f"{'phase':<10}{'system /s':>11}{'raw /s':>10}{'ratio':>8}{'assigned p99':>14}{'raw p99':>10}{'p99 ratio':>11}"
    )
    for (chain, name), s in by.items():
        if chain != "system" or ("raw", name) not in by:
            continue
        raw = by[("raw", name)]
        sp99, rp99 = s["latency_to_assigned"]["p99_ms"], raw["latency_two_hops"]["p99_ms"]
        ratio = s["sustained_per_s"] / raw["sustained_per_s"] if raw["sustained_per_s"] else 0.0
        lat_ratio = sp99 / rp99 if sp99 and rp99 else None
        s["ratio_to_raw"] = {"throughput": ratio, "p99_latency": lat_ratio}
        print(
            f"{name:<10}{s['sustained_per_s']:>11.1f}{raw['sustained_per_s']:>10.1f}{ratio:>8.2f}{fmt(sp99):>14}{fmt(rp99):>10}"
            f"{'-' if lat_ratio is None else f'{lat_ratio:.1f}x':>11}"
        )


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def postgres_env(server: PostgresServer) -> dict[str, str]:
    """Start `server` and give every service a database of its own on it, and the key holders one
    key store there (as a production deployment would: intake and routing share it)."""
    print("starting PostgreSQL (fsync on) ...", flush=True)
    server.start()
    env = {f"{svc.upper()}_DATABASE_URL": server.create_database(f"bench_{svc}") for svc in stack.SERVICES}
    keystore = server.create_database("bench_keystore")
    return env | {"INTAKE_KEYSTORE_URL": keystore, "ROUTING_KEYSTORE_URL": keystore}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="small phases (about two minutes in all)")
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--out", type=Path, help="default bench/results/case_flow-<date>-<time>.json")
    parser.add_argument(
        "--database",
        choices=("sqlite", "postgres"),
        default="sqlite",
        help="postgres: a PostgreSQL started for the run (fsync on) holds every service's database and the key store",
    )
    parser.add_argument("--kafka", help=argparse.SUPPRESS)
    parser.add_argument("--raw-hop", nargs=2, metavar=("SOURCE", "TARGET"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.raw_hop:
        asyncio.run(raw_hop(args.kafka, *args.raw_hop))
        return
    phases = (
        [Phase("5/s", 5, 40), Phase("50/s", 50, 300), Phase("max", None, 600)]
        if args.quick
        else [Phase("5/s", 5, 150), Phase("50/s", 50, 2000), Phase("max", None, 3000)]
    )
    stamp = datetime.now(UTC)
    out = args.out or Path(__file__).resolve().parent / "results" / f"case_flow-{stamp:%Y-%m-%d-%H%M}.json"
    work = Path(tempfile.mkdtemp(prefix="bench-case-flow-"))
    # SIGTERM as Ctrl-C: the finally blocks stop every process this run started.
    signal.signal(signal.SIGTERM, _interrupt)
    node = KafkaNode(port=free_port(), data_dir=work / "kafka", heap="512m")
    postgres = PostgresServer(fsync=True) if args.database == "postgres" else None
    started_stack = False
    try:
        print(f"starting Kafka (512 MiB heap) under {work} ...", flush=True)
        node.start()
        assert node.pid is not None
        database_env = postgres_env(postgres) if postgres is not None else {}
        started_stack = True
        state = stack.up(
            work / "stack", kafka_bootstrap=node.bootstrap, topic_prefix="bench.", extra_env=database_env
        )
        begun = time.perf_counter()
        database_pids = {"postgres": postgres.postmaster_pid()} if postgres is not None else None
        results = asyncio.run(
            session(node.bootstrap, state, node.pid, phases, args.seed, work, database_pids)
        )
        print_ratios(results)
        results |= {
            "benchmark": "case_flow",
            "date": stamp.isoformat(),
            "quick": args.quick,
            "machine": bench_results.machine(database=args.database),
            "measured_seconds": time.perf_counter() - begun,
            "load_at_end": os.getloadavg(),
        }
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(results, indent=2) + "\n")
        print(f"\nwritten {out}")
    except BaseException:
        print(f"stopped; the broker's and the services' logs stay under {work}", file=sys.stderr)
        raise
    finally:
        if started_stack:
            stack.down(work / "stack", say=lambda _line: None)
        node.stop()
        if postgres is not None:
            postgres.stop()
    shutil.rmtree(work, ignore_errors=True)  # only after a run that ended well: logs stay otherwise


if __name__ == "__main__":
    main()
