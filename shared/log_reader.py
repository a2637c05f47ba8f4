"""Read a topic as published, from its first record to the end it had when reading began.

For checks that compare a service's state with what it published (`caseflow audit verify`): the
reader joins no consumer group, commits nothing and stops at the end offsets taken at the start,
so it neither disturbs the services nor waits for records that arrive while it reads.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer

from shared.broker import aiokafka_security_options
from shared.settings import ServiceSettings


class PublishedLogUnreadable(RuntimeError):
    """The broker could not be reached or the topic does not exist: nothing can be compared."""


@dataclass(frozen=True, slots=True)
class PublishedRecord:
    partition: int
    offset: int
    key: bytes | None
    value: bytes


async def _started_consumer(settings: ServiceSettings, timeout: float) -> AIOKafkaConsumer:
    """A started consumer in no group, or PublishedLogUnreadable naming the broker and why."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap,
        group_id=None,
        # "earliest": a fetch that starts before an explicit seek must not begin at the end.
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        max_partition_fetch_bytes=10 * 1024 * 1024,
        request_timeout_ms=int(timeout * 1000),
        **aiokafka_security_options(settings),
    )
    try:
        await asyncio.wait_for(consumer.start(), timeout)
    except Exception as exc:  # noqa: BLE001  # every way of not reaching the broker means the same here
        await consumer.stop()
        # aiokafka's words name hosts and node ids, nothing read from the log.
        raise PublishedLogUnreadable(
            f"cannot reach the broker at {settings.kafka_bootstrap} ({type(exc).__name__}: {str(exc)[:160]})"
        ) from None
    return consumer


async def read_published(
    settings: ServiceSettings, topic: str, *, timeout: float = 60.0
) -> list[PublishedRecord]:
    """Every record of `topic` up to the end offsets at the time of the call, partition by partition."""
    found = await read_topics(settings, [topic], timeout=timeout)
    if topic not in found:
        raise PublishedLogUnreadable(f"topic {topic} does not exist on {settings.kafka_bootstrap}")
    return found[topic]


async def read_topics(
    settings: ServiceSettings, topics: list[str], *, timeout: float = 60.0
) -> dict[str, list[PublishedRecord]]:
    """Every record of each of `topics` that exists, up to the end offsets at the time of the call,
    with one consumer for all their partitions (no group, nothing committed). A topic that does not
    exist is left out of the answer, never created."""
    consumer = await _started_consumer(settings, timeout)
    try:
        present = await consumer.topics()  # fetches the cluster's metadata
        found = [t for t in topics if t in present]
        records: dict[str, list[PublishedRecord]] = {t: [] for t in found}
        if not found:
            return records
        # Subscribed only to topics known to exist (a subscription would make a broker with
        # auto-creation create a missing one): without a group the
        # consumer assigns itself every partition of them once their metadata arrives.
        consumer.subscribe(found)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while {tp.topic for tp in consumer.assignment()} != set(found):
            if loop.time() > deadline:
                raise PublishedLogUnreadable(
                    f"no partitions of {', '.join(found)} assigned within {timeout:.0f} s"
                )
            await asyncio.sleep(0.05)
        assigned = sorted(consumer.assignment(), key=lambda tp: (tp.topic, tp.partition))
        await consumer.seek_to_beginning(*assigned)
        ends = await consumer.end_offsets(assigned)
        remaining = {tp for tp in assigned if ends[tp] > await consumer.position(tp)}
        while remaining:
            if loop.time() > deadline:
                raise PublishedLogUnreadable(f"reading {', '.join(found)} took longer than {timeout:.0f} s")
            batch = await consumer.getmany(*remaining, timeout_ms=500)
            for tp, recs in batch.items():
                records[tp.topic] += [
                    PublishedRecord(tp.partition, r.offset, r.key, r.value)
                    for r in recs
                    if r.offset < ends[tp]
                ]
            for tp in list(remaining):
                if await consumer.position(tp) >= ends[tp]:
                    remaining.discard(tp)
        for found_records in records.values():
            found_records.sort(key=lambda r: (r.partition, r.offset))
        return records
    finally:
        await consumer.stop()
