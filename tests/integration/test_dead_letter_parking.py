"""A dead letter that cannot be written parks the partition: real broker, scheduling in-process.

The fault is injected where the pipeline builds a dead-letter record (it raises a non-transient
error while `failing` is set). Before shared/pipeline.py parked, that error escaped `process()` and
the consumer went on with the next batch, committing offsets past a record that was neither
processed nor dead-lettered. Now the consumer holds the record: the committed offset stays before
it, the good records after it wait, the write is retried with growing waits, the failures are
counted and /ready names the partition; once the fault is gone the dead letter is written once
and the rest is processed once.
"""

from __future__ import annotations

import time
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from aiokafka import TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from sqlalchemy import func, select

from services.scheduling.adapters import tables
from services.scheduling.app import create_runtime
from services.scheduling.settings import SchedulingSettings
from tests.support import scheduling_events as ev
from tests.support.kafka_io import create_topics, produce, read_all, read_json
from tests.support.services import running, wait_until

pytestmark = pytest.mark.integration


async def committed(bootstrap: str, group: str, topic: str) -> int:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(group)
    finally:
        await admin.close()
    found = offsets.get(TopicPartition(topic, 0))
    return found.offset if found is not None else -1


async def processed(engine: Any, event_ids: list[str]) -> int:
    inbox = tables.messaging.inbox
    async with engine.connect() as conn:
        query = select(func.count()).select_from(inbox).where(inbox.c.message_id.in_(event_ids))
        return int((await conn.execute(query)).scalar() or 0)


async def dead_letter_rows(engine: Any) -> int:
    events = tables.messaging.events
    async with engine.connect() as conn:
        query = select(func.count()).select_from(events).where(events.c.event_type == "DeadLetter")
        return int((await conn.execute(query)).scalar() or 0)


async def test_a_dead_letter_that_cannot_be_written_parks_the_partition_until_it_is_written_once(
    kafka_bootstrap: str, unique_topic: str, tmp_path: Path
) -> None:
    prefix = unique_topic
    # One partition per topic: everything produced to a topic is one ordered log.
    await create_topics(kafka_bootstrap, [prefix + t for t in ev.ALL_TOPICS], partitions=1)
    group = f"{prefix}scheduling"
    settings = SchedulingSettings(
        kafka_bootstrap=kafka_bootstrap,
        topic_prefix=prefix,
        database_url=f"sqlite+aiosqlite:///{tmp_path}/scheduling.db",
        consumer_group=group,
        outbox_grace_seconds=3600.0,
    )
    runtime = create_runtime(settings)
    places = prefix + ev.PLACES
    async with running(runtime):
        pipeline = runtime.context.pipeline
        engine = runtime.context.engine
        assert pipeline is not None
        first = await ev.send(kafka_bootstrap, prefix, ev.PLACES, ev.room("kamer-1"))
        await wait_until(lambda: processed(engine, first), timeout=60)
        await wait_until(lambda: _at_least(committed(kafka_bootstrap, group, places), 1), timeout=30)

        original = pipeline._dead_letter
        attempts: list[float] = []
        fault = {"on": True}

        async def failing_dead_letter(*args: Any, **kwargs: Any) -> Any:
            if fault["on"]:
                attempts.append(time.monotonic())
                raise ValueError("injected: the dead-letter record cannot be built")
            return await original(*args, **kwargs)

        pipeline._dead_letter = failing_dead_letter  # type: ignore[method-assign]

        await produce(kafka_bootstrap, places, [(b"junk", b"{not json")])  # offset 1
        later = await ev.send(kafka_bootstrap, prefix, ev.PLACES, ev.room("kamer-2"), ev.room("kamer-3"))

        def failures() -> float:
            labels = {"service": "scheduling", "topic": ev.PLACES}
            return runtime.registry.get_sample_value("caseflow_dlq_write_failures_total", labels) or 0.0

        await wait_until(lambda: failures() >= 5, timeout=60)
        # Parked: the offset stays at the poison record, nothing after it was handled.
        assert await committed(kafka_bootstrap, group, places) == 1
        assert await processed(engine, later) == 0
        assert await dead_letter_rows(engine) == 0
        gauge = runtime.registry.get_sample_value(
            "caseflow_dlq_parked_partitions", {"service": "scheduling", "topic": ev.PLACES}
        )
        assert gauge == 1
        verdict = runtime.readiness()
        assert not verdict.ready
        parked = [r for r in verdict.reasons if r.startswith("dead_letter_parked")]
        assert len(parked) == 1 and f"{ev.PLACES} partition 0 at offset 1 (not_json)" in parked[0]
        assert "{not json" not in " ".join(verdict.reasons)
        gaps = [b - a for a, b in pairwise(attempts[1:])]  # between the parked retries
        assert gaps == sorted(gaps) or gaps[-1] > 2 * gaps[0], gaps  # backing off, not a tight loop
        print(f"\nparked retries {len(attempts) - 1}, waits between them: {[round(g, 2) for g in gaps]}")

        fault["on"] = False
        await wait_until(lambda: _equals(processed(engine, later), 2), timeout=60)
        await wait_until(lambda: _at_least(committed(kafka_bootstrap, group, places), 4), timeout=30)
        dead = read_json(await read_all(kafka_bootstrap, places + ".dlq", timeout=20, idle=2))
        assert [(d["reason"], d["offset"]) for d in dead] == [("not_json", 1)]
        assert await dead_letter_rows(engine) == 1
        assert (
            runtime.registry.get_sample_value(
                "caseflow_dlq_parked_partitions", {"service": "scheduling", "topic": ev.PLACES}
            )
            == 0
        )
        assert not [r for r in runtime.readiness().reasons if r.startswith("dead_letter_parked")]
        assert pipeline.parked == {}


async def _at_least(value: Any, least: int) -> bool:
    return int(await value) >= least


async def _equals(value: Any, expected: int) -> bool:
    return int(await value) == expected
