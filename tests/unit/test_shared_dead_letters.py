"""Dead-letter records seal the original Kafka key as they seal the value, and can still be re-driven.

A real SQLite outbox and key store, the runtime's own quarantine, a recording publisher.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from prometheus_client import CollectorRegistry
from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.crypto import CaseCipher, KeyStore, Sealed, new_master_key_b64, parse_master_key
from shared.db import create_all, make_engine
from shared.metrics import PipelineMetrics
from shared.outbox import EventStore, OutboxRelay, Outgoing, define_messaging_tables
from shared.pipeline import Decoded, EventPipeline, Inbound, PoisonMessage, Route
from shared.runtime import ServiceRuntime

pytestmark = pytest.mark.unit
NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
KEY = b"case-MARKER-key-van-Dijk"
VALUE = b"not json MARKER-value-van-Dijk"


class Recorder:
    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes, bytes]] = []

    async def publish(self, topic: str, key: bytes, body: bytes) -> Any:
        self.sent.append((topic, key, body))
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        future.set_result(None)
        return future


def refuse_everything(inbound: Inbound) -> Decoded:
    raise PoisonMessage("not_json", "test")


async def nothing(conn: AsyncConnection, message: Decoded, now: datetime) -> Sequence[Outgoing]:
    return []


async def dead_letter_once(tmp_path: Path, *, with_keystore: bool) -> tuple[Recorder, KeyStore]:
    metadata = MetaData()
    tables = define_messaging_tables(metadata)
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path}/p.db")
    await create_all(engine, metadata)
    keystore = KeyStore(
        make_engine(f"sqlite+aiosqlite:///{tmp_path}/keys.db"), parse_master_key(new_master_key_b64())
    )
    await keystore.create_schema()
    # The runtime's own quarantine, on a context that holds just what it uses.
    runtime: Any = SimpleNamespace(context=SimpleNamespace(keystore=keystore, cipher=CaseCipher(keystore)))

    async def quarantine(record_id: str, original: bytes) -> dict[str, Any]:
        return await ServiceRuntime._quarantine(runtime, record_id, original)

    recorder = Recorder()
    pipeline = EventPipeline(
        service="t",
        engine=engine,
        store=EventStore(tables),
        relay=OutboxRelay(engine, tables, recorder.publish),
        routes={"in": Route(refuse_everything, nothing)},
        metrics=PipelineMetrics.create(CollectorRegistry(), "t"),
        clock=lambda: NOW,
        quarantine=quarantine if with_keystore else None,
    )
    await pipeline.process([Inbound("in", 2, 41, KEY, VALUE)])
    return recorder, keystore


async def open_sealed(keystore: KeyStore, sealed: dict[str, Any]) -> bytes:
    box = Sealed.model_validate(sealed)
    key = await keystore.get_key(box.kid)
    return base64.b64decode(CaseCipher.open_with_key(key, box.kid, "dlq_original", box))


async def test_the_dead_letter_keeps_the_original_key_only_sealed(tmp_path: Path) -> None:
    recorder, keystore = await dead_letter_once(tmp_path, with_keystore=True)
    [(topic, kafka_key, body)] = recorder.sent
    record = json.loads(body)
    assert topic == "in.dlq"
    assert kafka_key == record["dlq_record_id"].encode()
    for clear in (kafka_key, body):
        assert b"MARKER" not in clear
    assert record["key_size_bytes"] == len(KEY)
    # Inspection and re-drive: whoever may use the key store gets key and value back.
    assert await open_sealed(keystore, record["key_sealed"]) == KEY
    assert await open_sealed(keystore, record["original_sealed"]) == VALUE
    assert (record["partition"], record["offset"]) == (2, 41)


async def test_without_a_key_store_the_dead_letter_holds_neither_key_nor_value(tmp_path: Path) -> None:
    recorder, _ = await dead_letter_once(tmp_path, with_keystore=False)
    [(_, kafka_key, body)] = recorder.sent
    record = json.loads(body)
    assert b"MARKER" not in kafka_key + body
    assert "key_sealed" not in record and "original_sealed" not in record
    # What is left points at the original record, which the source topic still holds.
    assert (record["source_topic"], record["partition"], record["offset"]) == ("in", 2, 41)
