"""Reading topics from their beginning to the end offsets of now, without a consumer group.

`read_to_end` reads every partition of the given topics from its beginning up to the end offsets
captured when it starts (records that arrive later are not read), in batches. No consumer group:
nothing is committed, and reading twice reads the same records. The replay (entrypoints/replay.py)
feeds the batches to the projection's pipeline; the export (application/export.py) collects cases.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaError

from shared.broker import MAX_REQUEST_BYTES


async def _cluster_metadata(consumer: AIOKafkaConsumer, attempts: int = 6) -> Any:
    """All topics' partitions (the consumer's own cache knows none yet); a busy broker may fail once."""
    for attempt in range(attempts):
        try:
            return await consumer._client.fetch_all_metadata()
        except KafkaError:
            if attempt == attempts - 1:
                raise
            await asyncio.sleep(0.5 * 2**attempt)
    raise AssertionError("unreachable")


@dataclass
class _LogRange:
    """The partitions being read, their end offsets captured at the start, and those not read to the end."""

    consumer: AIOKafkaConsumer
    ends: dict[Any, int]
    remaining: set[Any]
    total: int  # records between the beginnings and the captured ends

    @classmethod
    async def assign(cls, consumer: AIOKafkaConsumer, physical_topics: Sequence[str]) -> _LogRange | None:
        """Every partition of the topics, from its beginning; None when the topics have none."""
        cluster = await _cluster_metadata(consumer)
        partitions = [
            TopicPartition(topic, p)
            for topic in physical_topics
            for p in sorted(cluster.partitions_for_topic(topic) or ())
        ]
        if not partitions:
            return None
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        beginnings = await consumer.beginning_offsets(partitions)
        ends = await consumer.end_offsets(partitions)
        remaining = {tp for tp in partitions if ends[tp] > beginnings[tp]}
        return cls(consumer, ends, remaining, sum(ends[tp] - beginnings[tp] for tp in partitions))

    async def next_batch(self, max_records: int) -> list[Any]:
        """Up to `max_records` records before the captured ends, by partition (topic, then number).

        getmany hands over what the prefetch buffer holds (often one partition's worth): gather up
        to `max_records`, so each transaction carries a full batch."""
        by_partition: dict[Any, list[Any]] = {}
        gathered = 0
        while self.remaining and gathered < max_records:
            fetched = await self.consumer.getmany(
                *self.remaining, timeout_ms=50 if gathered else 500, max_records=max_records - gathered
            )
            for tp, records in fetched.items():
                wanted = [r for r in records if r.offset < self.ends[tp]]
                by_partition.setdefault(tp, []).extend(wanted)
                gathered += len(wanted)
            await self._drop_partitions_read_to_the_end()
            if not fetched:
                break
        return [
            r for tp in sorted(by_partition, key=lambda t: (t.topic, t.partition)) for r in by_partition[tp]
        ]

    async def _drop_partitions_read_to_the_end(self) -> None:
        # Compaction and transaction markers may leave gaps: ask the position, not the last offset.
        for tp in list(self.remaining):
            if await self.consumer.position(tp) >= self.ends[tp]:
                self.remaining.discard(tp)


async def read_to_end(
    kafka_bootstrap: str,
    physical_topics: Sequence[str],
    *,
    max_records: int = 5000,
    consumer_options: dict[str, Any] | None = None,
) -> AsyncIterator[tuple[list[Any], int]]:
    """Batches of records of every partition of `physical_topics`, from the beginning to the end
    offsets captured at the start, with the total number of records in that range. No consumer
    group: nothing is committed, and running twice reads the same records."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=kafka_bootstrap,
        group_id=None,
        enable_auto_commit=False,
        max_partition_fetch_bytes=MAX_REQUEST_BYTES,
        fetch_max_bytes=4 * MAX_REQUEST_BYTES,
        **(consumer_options or {}),
    )
    await consumer.start()
    try:
        log = await _LogRange.assign(consumer, physical_topics)
        while log is not None and log.remaining:
            yield await log.next_batch(max_records), log.total
    finally:
        await consumer.stop()
