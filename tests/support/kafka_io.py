"""Produce to and read back from the real broker in tests."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterable
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic


async def create_topics(bootstrap: str, names: Iterable[str], partitions: int = 3) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        new = [NewTopic(n, partitions, 1) for n in names if n not in existing]
        if new:
            await admin.create_topics(new)
    finally:
        await admin.close()


async def produce(bootstrap: str, topic: str, messages: Iterable[tuple[bytes | None, bytes]]) -> int:
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, max_request_size=10 * 1024 * 1024
    )
    await producer.start()
    try:
        futures = [await producer.send(topic, value, key=key) for key, value in messages]
        await asyncio.gather(*futures)
        return len(futures)
    finally:
        await producer.stop()


async def read_all(
    bootstrap: str, topic: str, *, expect: int | None = None, timeout: float = 30.0, idle: float = 2.0
) -> list[bytes]:
    """Every value on `topic` from the start: until `expect` messages arrived, or `idle` s of silence."""
    records = await read_records(bootstrap, topic, expect=expect, timeout=timeout, idle=idle)
    return [value for _, value in records]


async def read_records(
    bootstrap: str, topic: str, *, expect: int | None = None, timeout: float = 30.0, idle: float = 2.0
) -> list[tuple[bytes | None, bytes]]:
    """Every (key, value) on `topic` from the start, as `read_all` reads values."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"reader-{uuid.uuid4().hex}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        max_partition_fetch_bytes=10 * 1024 * 1024,
    )
    await consumer.start()
    values: list[tuple[bytes | None, bytes]] = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    last = loop.time()
    try:
        while loop.time() < deadline:
            batch = await consumer.getmany(timeout_ms=200)
            got = [(r.key, r.value) for recs in batch.values() for r in recs]
            if got:
                values.extend(got)
                last = loop.time()
            if expect is not None and len(values) >= expect:
                break
            if expect is None and values and loop.time() - last > idle:
                break
    finally:
        await consumer.stop()
    return values


def read_json(values: list[bytes]) -> list[dict[str, Any]]:
    return [json.loads(v) for v in values]
