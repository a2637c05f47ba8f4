"""Stress: three scheduling processes in one consumer group on PostgreSQL, 2,000 meeting requests, 20 rooms.

    python bench/bench_scheduling_stress.py [--requests 2000] [--rooms-per-location 10] [--advisors 40]
                                            [--booking-lock calendar|case] [--disjoint]
                                            [--kafka HOST:PORT] [--pg postgresql+asyncpg://user@host:port]

The scenario of tests/e2e/test_scheduling_instances.py (tests/support/scheduling_stress.py) at full
size: real broker, real PostgreSQL, `caseflow serve scheduling` as OS processes, one SIGKILLed
halfway and restarted. Prints how long the cases took to fold and the requests to be answered, the
throughput, how often the booking index was reloaded and how many bookings the database refused,
and the properties the test holds (no overlaps, one answer per request); exits 1 when one fails.
Starts its own Kafka node and PostgreSQL server unless given --kafka / --pg.
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import sys
import tempfile
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.support helpers
import results  # bench/results.py: a script's own folder is first on sys.path

from devinfra.kafka import KafkaNode
from devinfra.postgres import PostgresServer
from tests.support.scheduling_stress import Outcome, Size, run_scenario


def report(size: Size, outcome: Outcome) -> bool:
    t = outcome.timings
    print(
        f"python {platform.python_version()} on {platform.machine()}, {size.instances} instances, "
        f"booking lock: {size.booking_lock}{', disjoint rooms' if size.disjoint else ''}"
    )
    print(
        f"{size.requests} cases folded in {t['cases']:.1f}s; {size.requests} requests answered in "
        f"{t['requests']:.1f}s ({size.requests / t['requests']:.0f}/s), one instance SIGKILLed and restarted"
    )
    quarter = size.requests // 4
    print(
        f"before the SIGKILL: {quarter} answered in {t['before_kill']:.1f}s ({quarter / t['before_kill']:.0f}/s); "
        f"backends waiting on a lock: {outcome.mean_waiting:.2f} on average over "
        f"{len(outcome.lock_wait_samples)} samples, {sum(1 for n in outcome.lock_wait_samples if n)} with a wait"
    )
    print(
        f"booking index loaded {outcome.index_loads:.0f} times, {outcome.refusals:.0f} bookings refused by the "
        f"database (counters since each instance's last start)"
    )
    print(f"outcomes {dict(outcome.kinds)}; {outcome.duplicate_deliveries} duplicate deliveries on the topic")
    checks = {
        "no room overlaps (buffer included)": outcome.room_overlaps == 0,
        "no advisor overlaps": outcome.advisor_overlaps == 0,
        "no dead letters": outcome.dead_letters == 0,
        "one answer per request": all(len(ids) == 1 for ids in outcome.answer_ids.values()),
        "every request answered, nothing else": set(outcome.answer_ids) == set(outcome.request_ids),
        "one booking per meeting": outcome.active_bookings == outcome.scheduled,
    }
    for name, ok in checks.items():
        print(f"  {'ok  ' if ok else 'FAIL'} {name}")
    return all(checks.values())


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--rooms-per-location", type=int, default=10)
    parser.add_argument("--advisors", type=int, default=40)
    parser.add_argument("--booking-lock", choices=("calendar", "case"), default="calendar")
    parser.add_argument(
        "--disjoint", action="store_true", help="each instance's cases at their own location (disjoint rooms)"
    )
    parser.add_argument("--kafka", help="use this broker instead of starting one")
    parser.add_argument("--pg", help="use this PostgreSQL (URL base) instead of starting one")
    args = parser.parse_args()
    size = Size(
        args.requests,
        args.rooms_per_location,
        args.advisors,
        booking_lock=args.booking_lock,
        disjoint=args.disjoint,
    )
    node = None if args.kafka else KafkaNode()
    pg = None if args.pg else PostgresServer()
    try:
        if node:
            node.start()
        if pg:
            pg.start()
        kafka = args.kafka or node.bootstrap  # type: ignore[union-attr]
        pg_url_base = args.pg or pg.url_base  # type: ignore[union-attr]
        with tempfile.TemporaryDirectory(prefix="bench-sched-") as workdir:
            outcome = asyncio.run(run_scenario(kafka, pg_url_base, Path(workdir), size))
        ok = report(size, outcome)
        run = results.Run("scheduling_stress", **vars(args))
        # The latest run, and a dated copy per booking lock and layout (docs/benchmarks.md cites them).
        layout = "-disjoint" if size.disjoint else ""
        dated = (
            results.RESULTS
            / f"scheduling_stress-{size.booking_lock}{layout}-{datetime.now():%Y-%m-%d-%H%M}.json"
        )
        figures = {
            "instances": size.instances,
            "booking_lock": size.booking_lock,
            "disjoint": size.disjoint,
            "timings_s": outcome.timings,
            "requests_per_s": size.requests / outcome.timings["requests"],
            "requests_per_s_before_kill": size.requests // 4 / outcome.timings["before_kill"],
            "mean_backends_waiting_on_a_lock": outcome.mean_waiting,
            "lock_wait_samples": len(outcome.lock_wait_samples),
            "samples_with_a_lock_wait": sum(1 for n in outcome.lock_wait_samples if n),
            "index_loads": outcome.index_loads,
            "refusals": outcome.refusals,
            "outcomes": dict(outcome.kinds),
            "room_overlaps": outcome.room_overlaps,
            "advisor_overlaps": outcome.advisor_overlaps,
            "dead_letters": outcome.dead_letters,
            "checks_passed": ok,
        }
        for path in (None, dated):
            run.write(figures, path)
    finally:
        if node:
            node.stop()
        if pg:
            pg.stop()
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
