"""Profile: realistic events through the scheduling service's own pipeline, on SQLite, no broker.

Run: .venv/bin/python bench/profile_scheduling_handlers.py [--cases 500] [--batch 10]
     [--profile out.pstats] [--answers out.json] [--statements]

The organisation of bench_case_flow.py (rooms, venues, budgets, advisors' availability and keys)
is fed first; then, per chunk of `--batch` cases, one batch of CaseOpened (intake.cases.v1), one
of AdvisorAssigned (routing.assignments.v1), and for every third case a CaseClosed, as the consume
pipeline would get them (tests/support/in_process.py: decode, dedupe, handle, outbox, commit,
publish to an in-memory bus). CPU (process time, all threads: aiosqlite runs in one) is measured
per batch and reported per event type in ms per event. `--answers` writes what scheduling published
(random meeting ids replaced by their order of appearance) so two versions can be compared.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import random
import re
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import results  # bench/results.py: a script's own folder is first on sys.path

# Appended, not prepended: another checkout put first on sys.path is the one measured.
sys.path.append(str(Path(__file__).resolve().parent))
sys.path.append(str(Path(__file__).resolve().parent.parent))

from bench_case_flow import generate_org, org_envelopes
from sqlalchemy import event as sqlalchemy_event

from services.scheduling.app import create_runtime
from services.scheduling.settings import SchedulingSettings
from shared.codes import MeetingMode, Outcome
from shared.contracts.intake import CaseClosed
from shared.directory_copies import directory_records
from shared.envelope import EventPayload, new_envelope
from tests.support.in_process import Bus, InProcess
from tests.support.scheduling_events import assigned, case_opened

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
MODES = (MeetingMode.ON_SITE_DISCREET_ROOM, MeetingMode.ON_SITE_DISCREET_ROOM, MeetingMode.VIDEO, None)


def record(topic: str, payload: EventPayload, stream: str, n: int) -> tuple[str, bytes, bytes]:
    env = new_envelope(payload, stream_id=stream, producer="bench", occurred_at=NOW, causation_id=f"b:{n}")
    return topic, stream.encode(), env.to_bytes()


async def run(
    cases: int, batch: int, profile: cProfile.Profile | None, count_statements: bool = False
) -> tuple[dict[str, Any], list[Any]]:
    org = generate_org(7)
    directory, places = org_envelopes(org, NOW)
    tmp = tempfile.mkdtemp()
    settings = SchedulingSettings(
        kafka_bootstrap="127.0.0.1:9", database_url=f"sqlite+aiosqlite:///{tmp}/scheduling.db"
    )
    service = await InProcess(create_runtime(settings, clock=lambda: NOW), Bus()).start()
    cpu: dict[str, float] = defaultdict(float)
    count: dict[str, int] = defaultdict(int)
    statements: dict[str, int] = defaultdict(int)
    executed = [0]

    def one_more(*_args: Any) -> None:
        executed[0] += 1

    if count_statements:  # a listener slows every statement down: CPU figures are from runs without
        assert service.context is not None
        sqlalchemy_event.listen(service.context.engine.sync_engine, "before_cursor_execute", one_more)

    async def feed(kind: str, records: list[tuple[str, bytes, bytes]]) -> None:
        if profile is not None:
            profile.enable()
        started, before = time.process_time(), executed[0]
        await service.feed_batch(records)
        cpu[kind] += time.process_time() - started
        count[kind] += len(records)
        statements[kind] += executed[0] - before
        if profile is not None:
            profile.disable()

    try:
        advisors_copy = [
            r for env in directory for r in directory_records(env) if r[0] == "directory.advisors.v1"
        ]
        for i in range(0, len(advisors_copy), batch):
            await feed("directory.advisors", advisors_copy[i : i + batch])
        place_records = [("scheduling.places.v1", e.stream_id.encode(), e.to_bytes()) for e in places]
        for i in range(0, len(place_records), batch):
            await feed("places", place_records[i : i + batch])
        rng = random.Random(2019)
        by_org: dict[str, list[str]] = defaultdict(list)
        for a in org.advisors:
            if a.organisation_id:
                by_org[a.organisation_id].append(a.advisor_id)
        unit_of = {u[0]: u for u in org.units}
        n = 0
        for start in range(0, cases, batch):
            opened, assigns, closes = [], [], []
            for c in range(start, min(cases, start + batch)):
                _client, unit, _manager = rng.choice(org.clients)
                _uid, _parent, _size, organisation, location = unit_of[unit]
                case_id = f"case-{c}"
                payload = case_opened(
                    case_id,
                    location=location,
                    organisation_id=organisation,
                    unit_id=unit,
                    meeting_mode=rng.choice(MODES),
                    away=rng.random() < 0.1,
                )
                n += 1
                opened.append(record("intake.cases.v1", payload, case_id, n))
                n += 1
                advisor = rng.choice(by_org[organisation])
                assigns.append(record("routing.assignments.v1", assigned(case_id, advisor), case_id, n))
                if c % 3 == 0:
                    n += 1
                    closed = CaseClosed(
                        case_id=case_id, advisor_id=advisor, outcomes=(Outcome.ADVICE_GIVEN,), closed_at=NOW
                    )
                    closes.append(record("intake.cases.v1", closed, case_id, n))
            await feed("CaseOpened", opened)
            await feed("AdvisorAssigned", assigns)
            if closes:
                await feed("CaseClosed", closes)
        published = service.bus.topics.get("scheduling.meetings.v1", [])
        answers = [json.loads(value) for _key, value in published]
    finally:
        await service.stop()
    figures = {
        k: {
            "events": count[k],
            "cpu_ms_per_event": round(1000 * cpu[k] / count[k], 3),
            "statements_per_event": round(statements[k] / count[k], 2),
        }
        for k in cpu
    }
    total_cpu, total_n = sum(cpu.values()), sum(count.values())
    figures["all"] = {
        "events": total_n,
        "cpu_ms_per_event": round(1000 * total_cpu / total_n, 3),
        "statements_per_event": round(sum(statements.values()) / total_n, 2),
    }
    return figures, answers


UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def comparable(answers: list[Any]) -> list[Any]:
    """The published events with random ids (meeting ids) numbered by first appearance."""
    seen: dict[str, str] = {}

    def number(match: re.Match[str]) -> str:
        return seen.setdefault(match.group(0), f"id-{len(seen)}")

    return [
        json.loads(UUID.sub(number, json.dumps({k: a[k] for k in ("event_type", "stream_id", "payload")})))
        for a in answers
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=500)
    parser.add_argument("--batch", type=int, default=10)
    parser.add_argument("--profile")
    parser.add_argument("--answers")
    parser.add_argument("--statements", action="store_true", help="count statements (slows each one down)")
    args = parser.parse_args()
    profile = cProfile.Profile() if args.profile else None
    figures, answers = asyncio.run(run(args.cases, args.batch, profile, args.statements))
    print("CPU ms per event", json.dumps({k: v["cpu_ms_per_event"] for k, v in figures.items()}))
    if args.statements:
        print("statements per event", json.dumps({k: v["statements_per_event"] for k, v in figures.items()}))
    kinds: dict[str, int] = defaultdict(int)
    for a in answers:
        kinds[a["event_type"]] += 1
    print(dict(kinds))
    results.Run("scheduling_handlers", cases=args.cases, batch=args.batch).write(
        {"per_event_type": figures, "published": dict(kinds)}
    )
    if profile is not None:
        profile.dump_stats(args.profile)
    if args.answers:
        Path(args.answers).write_text(json.dumps(comparable(answers), indent=0, sort_keys=True))


if __name__ == "__main__":
    main()
