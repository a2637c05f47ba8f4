"""Intake throughput against a raw aiokafka passthrough, on the real broker, in one run.

Both read the same pre-filled topic of N submissions from offset 0 and write one message per
input with acks=all and an idempotent producer:
- baseline: a bare aiokafka consume -> produce -> commit loop (no validation, no storage);
- intake: the real intake service (validation, dedupe, per-case key, AES-GCM sealing, SQLite or
  PostgreSQL transaction, outbox, publish after commit, manual offset commit).
Prints both rates and their ratio. Usage:
    python bench/bench_intake_throughput.py [--n 5000] [--database sqlite|postgres] [--kafka HOST:PORT]
        [--gc settled|default]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[1]))  # tests.support helpers

import results  # bench/results.py: a script's own folder is first on sys.path
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from devinfra.kafka import KafkaNode
from devinfra.postgres import PostgresServer
from services.intake.app import create_runtime
from services.intake.settings import IntakeSettings
from shared.crypto import new_master_key_b64
from shared.gc_tuning import settle_after_start
from tests.support import samples
from tests.support.directory import DIRECTORY_TOPICS, load_units
from tests.support.kafka_io import create_topics, produce
from tests.support.services import running


async def count_on(bootstrap: str, topic: str, n: int, timeout: float = 600) -> tuple[float, float]:
    """(seconds until the first, seconds until the n-th message is on `topic`), polled from a reader."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"count-{uuid.uuid4().hex}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    seen = 0
    start = time.perf_counter()
    first = None
    try:
        while seen < n and time.perf_counter() - start < timeout:
            batch = await consumer.getmany(timeout_ms=50, max_records=5000)
            seen += sum(len(v) for v in batch.values())
            if seen and first is None:
                first = time.perf_counter() - start
    finally:
        await consumer.stop()
    return first or 0.0, time.perf_counter() - start


async def passthrough(bootstrap: str, source: str, target: str, n: int) -> tuple[float, float]:
    """(seconds until the first output was acknowledged, seconds until all were), from consumer start."""
    consumer = AIOKafkaConsumer(
        source,
        bootstrap_servers=bootstrap,
        group_id=f"raw-{uuid.uuid4().hex}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        max_partition_fetch_bytes=4 << 20,
    )
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await consumer.start()
    await producer.start()
    done = 0
    first = None
    start = time.perf_counter()
    try:
        while done < n:
            batch = await consumer.getmany(timeout_ms=100, max_records=500)
            futures = [
                await producer.send(target, r.value, key=r.key) for recs in batch.values() for r in recs
            ]
            await asyncio.gather(*futures)
            await consumer.commit()
            done += len(futures)
            if done and first is None:
                first = time.perf_counter() - start
        return first or 0.0, time.perf_counter() - start
    finally:
        await consumer.stop()
        await producer.stop()


async def run(
    n: int, database: str, bootstrap: str, pg: PostgresServer | None, settle_gc: bool = True
) -> None:
    prefix = f"bench-{uuid.uuid4().hex[:6]}."
    source = prefix + "intake.submissions.v1"
    await create_topics(
        bootstrap,
        [
            source,
            prefix + "raw.out",
            prefix + "intake.cases.v1",
            prefix + "intake.rejections.v1",
            source + ".dlq",
            *(prefix + t for t in DIRECTORY_TOPICS),
        ],
    )
    tmp = Path(tempfile.mkdtemp(prefix="bench-intake-"))
    db_url = (
        f"sqlite+aiosqlite:///{tmp}/intake.db" if database == "sqlite" else pg.create_database("bench_intake")
    )  # type: ignore[union-attr]
    settings = IntakeSettings(
        kafka_bootstrap=bootstrap,
        topic_prefix=prefix,
        database_url=db_url,
        keystore_url=f"sqlite+aiosqlite:///{tmp}/keys.db",
        master_key=new_master_key_b64(),
    )
    # Intake refuses submissions for units it does not know: it takes in the directory first (not
    # measured), then stops, so the measured run below still includes start-up and group join.
    print("intake takes in the sample directory ...", flush=True)
    async with running(create_runtime(settings)) as runtime:
        await load_units(bootstrap, prefix, runtime.context.engine, timeout=120)
    print(f"filling {source} with {n} submissions ...", flush=True)
    docs = [samples.to_bytes(samples.submission(f"b{i}")) for i in range(n)]
    await produce(bootstrap, source, [(None, d) for d in docs])

    print("baseline: raw aiokafka consume -> produce -> commit ...", flush=True)
    raw_first, raw_seconds = await passthrough(bootstrap, source, prefix + "raw.out", n)

    print(f"intake on {database}: submissions -> CaseOpened ...", flush=True)
    async with running(create_runtime(settings)):
        if settle_gc:  # as `caseflow serve` does once the service has started (D65)
            settle_after_start()
        intake_first, intake_seconds = await count_on(bootstrap, prefix + "intake.cases.v1", n)

    # Whole run (consumer start, group join, all n out) and steady state (first output to last).
    raw_rate, intake_rate = n / raw_seconds, n / intake_seconds
    raw_steady = (n - 1) / max(raw_seconds - raw_first, 1e-9)
    intake_steady = (n - 1) / max(intake_seconds - intake_first, 1e-9)
    print()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, load {os.getloadavg()[0]:.1f}"
    )
    print(f"messages: {n}, database: {database}, garbage collector {'settled' if settle_gc else 'default'}")
    print(f"{'':26}{'whole run':>12}{'steady':>12}")
    print(f"{'raw aiokafka passthrough':26}{raw_rate:9.0f}/s {raw_steady:9.0f}/s")
    print(f"{'intake (CaseOpened out)':26}{intake_rate:9.0f}/s {intake_steady:9.0f}/s")
    print(
        f"{'ratio intake / raw':26}{intake_rate / raw_rate:11.2f} {intake_steady / raw_steady:11.2f}   (aim >= 0.5)"
    )
    results.Run("intake_throughput", n=n, database=database).write(
        {
            "raw_per_s": raw_rate,
            "raw_steady_per_s": raw_steady,
            "intake_per_s": intake_rate,
            "intake_steady_per_s": intake_steady,
            "ratio": intake_rate / raw_rate,
            "ratio_steady": intake_steady / raw_steady,
            "aim_ratio": 0.5,
            "sqlite_threaded": os.environ.get("CASEFLOW_SQLITE_THREADED", "") not in ("", "0"),
            "gc": "settled" if settle_gc else "default",
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=5000)
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--kafka", help="use this broker instead of starting one")
    parser.add_argument(
        "--gc", choices=["settled", "default"], default="settled", help="intake's garbage collector (D65)"
    )
    args = parser.parse_args()
    node = None if args.kafka else KafkaNode()
    pg = PostgresServer() if args.database == "postgres" else None
    try:
        if node:
            node.start()
        if pg:
            pg.start()
        bootstrap = args.kafka or node.bootstrap  # type: ignore[union-attr]
        asyncio.run(run(args.n, args.database, bootstrap, pg, settle_gc=args.gc == "settled"))
    finally:
        if node:
            node.stop()
        if pg:
            pg.stop()


if __name__ == "__main__":
    main()
