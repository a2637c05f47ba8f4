"""The development infrastructure starts a real Kafka broker, a real PostgreSQL server and a real Keycloak."""

from __future__ import annotations

import asyncio
import os

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from devinfra.kafka import MAX_MESSAGE_BYTES, create_topics
from devinfra.keycloak import KeycloakNode, dist_dir
from devinfra.postgres import PostgresServer

pytestmark = pytest.mark.integration


async def _round_trip(bootstrap: str, topic: str, value: bytes, key: bytes) -> bytes:
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        acks="all",
        enable_idempotence=True,
        max_request_size=MAX_MESSAGE_BYTES,
    )
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"{topic}group",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await producer.start()
    try:
        metadata = await asyncio.wait_for(producer.send_and_wait(topic, value, key=key), timeout=30)
        assert metadata.offset == 0
    finally:
        await producer.stop()
    await consumer.start()
    try:
        record = await asyncio.wait_for(consumer.getone(), timeout=30)
        await consumer.commit()
    finally:
        await consumer.stop()
    assert record.key == key
    received: bytes = record.value
    return received


async def test_broker_delivers_a_produced_message_to_a_consumer_group(
    kafka_bootstrap: str, unique_topic: str
) -> None:
    topic = f"{unique_topic}intake.cases.v1"
    await create_topics(kafka_bootstrap, [topic], partitions=3)

    received = await _round_trip(kafka_bootstrap, topic, b'{"event_type": "CaseOpened"}', key=b"case-1")

    assert received == b'{"event_type": "CaseOpened"}'


async def test_a_five_megabyte_message_round_trips(kafka_bootstrap: str, unique_topic: str) -> None:
    # An auto-created topic: the broker-wide message.max.bytes must admit the message.
    payload = os.urandom(5 * 1024 * 1024)

    received = await _round_trip(kafka_bootstrap, f"{unique_topic}big", payload, key=b"big")

    assert received == payload


async def test_postgres_accepts_a_transaction_through_sqlalchemy_asyncpg(
    postgres_server: PostgresServer,
) -> None:
    url = postgres_server.create_database("devinfra_tx")
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE inbox (event_id text PRIMARY KEY)"))
            await conn.execute(text("INSERT INTO inbox VALUES ('e-1')"))
        async with engine.connect() as conn:
            assert (await conn.execute(text("SELECT count(*) FROM inbox"))).scalar_one() == 1
    finally:
        await engine.dispose()


async def test_db_url_yields_a_working_engine(db_url: str) -> None:
    engine = create_async_engine(db_url)
    try:
        async with engine.connect() as conn:
            assert (await conn.execute(text("SELECT 1"))).scalar_one() == 1
    finally:
        await engine.dispose()


def _users(node: KeycloakNode, username: str) -> list[dict[str, object]]:
    answer = httpx.get(
        f"{node.base_url}/admin/realms/caseflow/users",
        params={"username": username, "exact": "true"},
        headers={"Authorization": f"Bearer {node.admin_token()}"},
        timeout=15,
    )
    answer.raise_for_status()
    users: list[dict[str, object]] = answer.json()
    return users


def test_a_keycloak_node_has_state_of_its_own_and_leaves_nothing_behind(keycloak_node: KeycloakNode) -> None:
    with KeycloakNode() as other:
        created = httpx.post(
            f"{other.base_url}/admin/realms/caseflow/users",
            json={"username": "only-on-the-other-node", "enabled": True},
            headers={"Authorization": f"Bearer {other.admin_token()}"},
            timeout=15,
        )
        assert created.status_code == 201
        assert _users(other, "only-on-the-other-node")
        assert not _users(keycloak_node, "only-on-the-other-node")
        # Its home writes nothing into the shared cache: data and the dev build are its own.
        assert not (other.home / "data").is_symlink() and not (other.home / "lib" / "quarkus").is_symlink()
        assert not (dist_dir() / "data").exists()
        pid, data_dir = other.pid, other.data_dir
    assert pid is not None
    assert not data_dir.exists()
    with pytest.raises(ProcessLookupError):  # kc.sh and its JVM: the whole process group is gone
        os.killpg(pid, 0)
