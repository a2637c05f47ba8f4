"""Reading a topic as published (audit verify, the marker sweep): everything, every time, and a
clear refusal when there is nothing to read."""

from __future__ import annotations

import uuid

import pytest

from devinfra.ports import free_port
from shared.log_reader import PublishedLogUnreadable, read_published
from shared.settings import ServiceSettings
from tests.support.kafka_io import create_topics, produce

pytestmark = pytest.mark.integration


async def test_every_record_up_to_the_end_is_read_on_every_attempt(kafka_bootstrap: str) -> None:
    topic = f"t-reader-{uuid.uuid4().hex[:8]}"
    await create_topics(kafka_bootstrap, [topic], partitions=3)
    sent = [(f"k{i % 7}".encode(), f"v{i}".encode()) for i in range(300)]
    await produce(kafka_bootstrap, topic, sent)
    settings = ServiceSettings(kafka_bootstrap=kafka_bootstrap)
    for _attempt in range(8):  # a reader that sometimes starts at the end would miss records here
        records = await read_published(settings, topic)
        assert sorted(r.value for r in records) == sorted(v for _k, v in sent)
        assert {r.partition for r in records} == {0, 1, 2}


async def test_an_empty_topic_reads_as_nothing(kafka_bootstrap: str) -> None:
    topic = f"t-reader-{uuid.uuid4().hex[:8]}"
    await create_topics(kafka_bootstrap, [topic], partitions=2)
    assert await read_published(ServiceSettings(kafka_bootstrap=kafka_bootstrap), topic) == []


async def test_a_missing_topic_or_broker_is_a_clear_refusal(kafka_bootstrap: str) -> None:
    with pytest.raises(PublishedLogUnreadable, match="does not exist"):
        await read_published(
            ServiceSettings(kafka_bootstrap=kafka_bootstrap), f"t-missing-{uuid.uuid4().hex}"
        )
    with pytest.raises(PublishedLogUnreadable, match="cannot reach the broker"):
        await read_published(ServiceSettings(kafka_bootstrap=f"127.0.0.1:{free_port()}"), "any", timeout=5)


async def test_several_topics_read_with_one_consumer_and_a_missing_one_is_left_out_not_created(
    kafka_bootstrap: str,
) -> None:
    from aiokafka.admin import AIOKafkaAdminClient

    from shared.log_reader import read_topics

    base = f"t-readers-{uuid.uuid4().hex[:8]}"
    full, empty, missing = f"{base}.a.dlq", f"{base}.b.dlq", f"{base}.c.dlq"
    await create_topics(kafka_bootstrap, [full, empty], partitions=3)
    sent = [(f"k{i}".encode(), f"v{i}".encode()) for i in range(40)]
    await produce(kafka_bootstrap, full, sent)
    settings = ServiceSettings(kafka_bootstrap=kafka_bootstrap)
    for _attempt in range(3):
        found = await read_topics(settings, [full, empty, missing])
        assert set(found) == {full, empty}
        assert sorted(r.value for r in found[full]) == sorted(v for _k, v in sent) and found[empty] == []
        assert found[full] == sorted(found[full], key=lambda r: (r.partition, r.offset))
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    try:
        assert missing not in await admin.list_topics()
    finally:
        await admin.close()
    assert await read_topics(settings, [missing]) == {}
    with pytest.raises(PublishedLogUnreadable, match="cannot reach the broker"):
        await read_topics(ServiceSettings(kafka_bootstrap=f"127.0.0.1:{free_port()}"), [full], timeout=5)
