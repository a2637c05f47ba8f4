"""Benchmark: replay N coded events into the reporting projection vs a raw aiokafka consumer.

    python bench/bench_reporting_replay.py [--events 1000000] [--kafka 127.0.0.1:19092]

1. Produces a seeded simulated population (tools/reporting/simulated_events.py) onto
   intake.cases.v1, routing.assignments.v1 and scheduling.meetings.v1 under a prefix named after N,
   once: a later run finds the topics full and reuses them.
2. Reads those three topics end to end with a bare AIOKafkaConsumer (no decoding, nothing stored):
   the ceiling any Python consumer on this machine and broker can reach.
3. Replays them with `caseflow replay`'s code into a fresh SQLite file: decode and validate every
   envelope, inbox dedupe, fold, batched writes, one transaction per batch.
4. Reads them raw once more (the mean of both raw runs is the baseline, so a busy moment on the
   shared machine hits both sides alike).
Each phase runs in its own process, so each peak RSS (getrusage ru_maxrss) is that phase's own.
Prints the rates, the ratio replay/raw (aim: >= 0.3) and the peak memory of the replay (aim: < 500 MB).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import results  # bench/results.py: a script's own folder is first on sys.path

TOPICS = ("intake.cases.v1", "routing.assignments.v1", "scheduling.meetings.v1")
EVENTS_PER_CASE = 9  # a little under the simulated mix's mean (~9.3): production stops at --events exactly


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def topic_sizes(kafka: str, prefix: str) -> int:
    from aiokafka import AIOKafkaConsumer, TopicPartition

    consumer = AIOKafkaConsumer(bootstrap_servers=kafka, group_id=None)
    await consumer.start()
    try:
        cluster = await consumer._client.fetch_all_metadata()  # the consumer's own cache knows no topic yet
        partitions = [
            TopicPartition(prefix + t, p)
            for t in TOPICS
            for p in (cluster.partitions_for_topic(prefix + t) or ())
        ]
        if not partitions:
            return 0
        ends = await consumer.end_offsets(partitions)
        return sum(ends.values())
    finally:
        await consumer.stop()


async def produce(kafka: str, prefix: str, events: int) -> dict[str, Any]:
    from aiokafka import AIOKafkaProducer
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic

    from tools.reporting.simulated_events import simulated_year

    admin = AIOKafkaAdminClient(bootstrap_servers=kafka)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        new = [NewTopic(prefix + t, 3, 1) for t in TOPICS if prefix + t not in existing]
        if new:
            await admin.create_topics(new)
    finally:
        await admin.close()
    already = await topic_sizes(kafka, prefix)
    if already >= events:
        return {"phase": "produce", "produced": 0, "reused": already}
    if already:
        raise SystemExit(f"topics under {prefix!r} hold {already} < {events} events: use a fresh --prefix")
    producer = AIOKafkaProducer(
        bootstrap_servers=kafka, acks="all", enable_idempotence=True, linger_ms=20, max_batch_size=512 * 1024
    )
    await producer.start()
    started = time.perf_counter()
    sent = 0
    pending: list[Any] = []
    try:
        cases = int(events / EVENTS_PER_CASE) + 1
        for event in simulated_year(seed=2026, year=2026, cases=cases, advisors_per_organisation=40):
            if sent >= events:
                break
            pending.append(await producer.send(prefix + event.topic, event.value, key=event.key))
            sent += 1
            if len(pending) >= 20_000:
                await asyncio.gather(*pending)
                pending.clear()
                print(f"\r  produced {sent:,}/{events:,}", end="", file=sys.stderr, flush=True)
        await asyncio.gather(*pending)
    finally:
        await producer.stop()
    print(file=sys.stderr)
    return {"phase": "produce", "produced": sent, "seconds": round(time.perf_counter() - started, 1)}


async def raw_consumer(kafka: str, prefix: str) -> dict[str, Any]:
    """What a bare aiokafka consumer does: fetch and touch every record, no decoding, no storage."""
    from services.reporting.adapters.topic_log import read_to_end
    from shared.gc_tuning import batch_friendly_gc

    started = time.perf_counter()
    records = size = 0
    with batch_friendly_gc():  # the replay's garbage-collector settings, so only the work differs
        async for batch, _total in read_to_end(kafka, [prefix + t for t in TOPICS], max_records=5000):
            records += len(batch)
            size += sum(len(r.value) for r in batch)
    seconds = time.perf_counter() - started
    return {"phase": "raw", "records": records, "bytes": size, "seconds": seconds, "rate": records / seconds,
            "peak_rss_mb": peak_rss_mb()}  # fmt: skip


async def replay_projection(kafka: str, prefix: str, workdir: Path) -> dict[str, Any]:
    from services.reporting.entrypoints.replay import replay
    from shared.db import make_engine

    path = workdir / "bench-reporting-replay.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    engine = make_engine(f"sqlite+aiosqlite:///{path}")

    def show(progress: Any) -> None:
        print(f"\r  replayed {progress.records:,}/{progress.total:,} ({progress.rate:,.0f}/s)", end="",
              file=sys.stderr, flush=True)  # fmt: skip

    try:
        result = await replay(engine, kafka, prefix, max_records=5000, on_progress=show)
    finally:
        await engine.dispose()
    print(file=sys.stderr)
    return {"phase": "replay", "records": result.records, "events_in_projection": result.events_in_projection,
            "seconds": result.seconds, "rate": result.rate, "peak_rss_mb": peak_rss_mb(),
            "db_mb": path.stat().st_size / 2**20}  # fmt: skip


def run_phase(phase: str, args: argparse.Namespace) -> dict[str, Any]:
    command = [sys.executable, __file__, "--phase", phase, "--kafka", args.kafka, "--events", str(args.events),
               "--prefix", args.prefix, "--workdir", str(args.workdir)]  # fmt: skip
    output = subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True).stdout
    return dict(json.loads(output.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--kafka", default=os.environ.get("CASEFLOW_TEST_KAFKA_BOOTSTRAP", "127.0.0.1:19092"))
    parser.add_argument("--prefix", default=None, help="topic prefix (default: bench-reporting-v2-<events>.)")
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()))
    parser.add_argument("--phase", choices=("produce", "raw", "replay"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.prefix = args.prefix or f"bench-reporting-v2-{args.events}."
    if args.phase:
        phases = {
            "produce": lambda: produce(args.kafka, args.prefix, args.events),
            "raw": lambda: raw_consumer(args.kafka, args.prefix),
            "replay": lambda: replay_projection(args.kafka, args.prefix, args.workdir),
        }
        print(json.dumps(asyncio.run(phases[args.phase]())))
        return
    produced = run_phase("produce", args)
    raw_before = run_phase("raw", args)
    replayed = run_phase("replay", args)
    raw_after = run_phase("raw", args)
    raw_rate = (raw_before["rate"] + raw_after["rate"]) / 2
    print(f"events on the topics        {replayed['records']:>12,}  ({produced})")
    print(f"raw aiokafka consumer       {raw_before['rate']:>12,.0f} /s before, {raw_after['rate']:,.0f} /s after "
          f"(peak RSS {max(raw_before['peak_rss_mb'], raw_after['peak_rss_mb']):,.0f} MB)")  # fmt: skip
    print(f"replay into the projection  {replayed['rate']:>12,.0f} /s  ({replayed['seconds']:.1f} s, "
          f"SQLite file {replayed['db_mb']:,.0f} MB, {replayed['events_in_projection']:,} events folded)")  # fmt: skip
    print(f"ratio replay / raw          {replayed['rate'] / raw_rate:>12.2f}  (aim >= 0.3)")
    print(f"peak RSS of the replay      {replayed['peak_rss_mb']:>12,.0f} MB (aim < 500 MB)")
    results.Run("reporting_replay", events=args.events).write(
        {
            "raw_before": raw_before,
            "raw_after": raw_after,
            "replay": replayed,
            "ratio": replayed["rate"] / raw_rate,
            "aim_ratio": 0.3,
            "aim_peak_rss_mb": 500,
        }
    )


if __name__ == "__main__":
    main()
