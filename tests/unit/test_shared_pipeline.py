"""The consume pipeline's failure semantics, on a real SQLite database with a recording publisher."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry
from sqlalchemy import MetaData, select
from sqlalchemy import exc as sa_exc
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.contracts.intake import ClientFeedbackGiven
from shared.db import create_all, make_engine
from shared.envelope import new_envelope
from shared.metrics import PipelineMetrics
from shared.outbox import EventStore, OutboxRelay, Outgoing, define_messaging_tables
from shared.pipeline import Decoded, EventPipeline, Inbound, PoisonMessage, Route

pytestmark = pytest.mark.unit
NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


class Recorder:
    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes]] = []

    async def publish(self, topic: str, key: bytes, body: bytes) -> Any:
        self.sent.append((topic, body))
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        future.set_result(None)
        return future


def decode(inbound: Inbound) -> Decoded:
    if inbound.value.startswith(b"poison"):
        raise PoisonMessage("not_json", "test")
    return Decoded(inbound.value.decode(), inbound, inbound.value.decode())


async def make_pipeline(tmp_path: Path, handle: Any) -> tuple[EventPipeline, Recorder, Any]:
    metadata = MetaData()
    tables = define_messaging_tables(metadata)
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path}/p.db")
    await create_all(engine, metadata)
    recorder = Recorder()
    registry = CollectorRegistry()
    pipeline = EventPipeline(
        service="t",
        engine=engine,
        store=EventStore(tables),
        relay=OutboxRelay(engine, tables, recorder.publish),
        routes={"in": Route(decode, handle)},
        metrics=PipelineMetrics.create(registry, "t"),
        clock=lambda: NOW,
        backoff_initial=0.001,
    )
    return pipeline, recorder, registry


def emit(message: Decoded) -> list[Outgoing]:
    payload = ClientFeedbackGiven(case_id=message.body, rating=4, given_at=NOW)
    env = new_envelope(
        payload, stream_id=message.body, producer="t", occurred_at=NOW, causation_id=message.message_id
    )
    return [Outgoing("out", env)]


def batch(*values: bytes) -> list[Inbound]:
    return [Inbound("in", 0, i, None, v) for i, v in enumerate(values)]


async def test_a_defective_message_is_dead_lettered_after_its_attempts_and_the_rest_commit(
    tmp_path: Path,
) -> None:
    async def handle(conn: AsyncConnection, message: Decoded, now: datetime) -> Sequence[Outgoing]:
        if message.body == "bug":
            raise KeyError("a defect")
        return emit(message)

    pipeline, recorder, registry = await make_pipeline(tmp_path, handle)
    await pipeline.process(batch(b"a", b"bug", b"poison!", b"b"))
    topics = [t for t, _ in recorder.sent]
    assert topics.count("out") == 2 and topics.count("in.dlq") == 2
    reasons = sorted(json.loads(b)["reason"] for t, b in recorder.sent if t == "in.dlq")
    assert reasons == ["handler_error", "not_json"]
    assert (
        registry.get_sample_value(
            "caseflow_dlq_records_total", {"service": "t", "topic": "in", "reason": "handler_error"}
        )
        == 1
    )


async def test_a_redelivered_batch_is_recognised_and_emits_nothing_new(tmp_path: Path) -> None:
    async def handle(conn: AsyncConnection, message: Decoded, now: datetime) -> Sequence[Outgoing]:
        return emit(message)

    pipeline, recorder, registry = await make_pipeline(tmp_path, handle)
    await pipeline.process(batch(b"a", b"b"))
    await pipeline.process(batch(b"a", b"b"))
    assert len(recorder.sent) == 2
    assert (
        registry.get_sample_value("caseflow_messages_duplicate_total", {"service": "t", "topic": "in"}) == 2
    )


async def test_transient_failures_retry_with_backoff_and_lose_nothing(tmp_path: Path) -> None:
    failures = {"left": 3}

    async def handle(conn: AsyncConnection, message: Decoded, now: datetime) -> Sequence[Outgoing]:
        if failures["left"]:
            failures["left"] -= 1
            raise sa_exc.OperationalError("SELECT 1", {}, Exception("database is locked"))
        return emit(message)

    pipeline, recorder, registry = await make_pipeline(tmp_path, handle)
    sleeps: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        sleeps.append(seconds)

    pipeline._sleep = fake_sleep
    await pipeline.process(batch(b"a"))
    assert [t for t, _ in recorder.sent] == ["out"]
    assert sleeps == sorted(sleeps) and sleeps[0] < sleeps[-1]  # exponential, never a tight loop
    assert registry.get_sample_value("caseflow_transient_retries_total", {"service": "t", "topic": "in"}) == 3


async def test_rows_a_crash_left_unpublished_are_published_by_the_relay(tmp_path: Path) -> None:
    async def handle(conn: AsyncConnection, message: Decoded, now: datetime) -> Sequence[Outgoing]:
        return emit(message)

    pipeline, recorder, _ = await make_pipeline(tmp_path, handle)
    # Simulate the crash window: the transaction committed, the publish never happened.
    async with pipeline.engine.begin() as conn:
        await pipeline.store.append(conn, emit(Decoded("x", batch(b"x")[0], "x")))
    assert recorder.sent == []
    assert await pipeline.relay.backlog() == 1
    assert await pipeline.relay.flush() == 1
    assert await pipeline.relay.backlog() == 0 and len(recorder.sent) == 1
    async with pipeline.engine.connect() as conn:
        rows = (await conn.execute(select(pipeline.store.tables.events.c.published_at))).all()
    assert all(r.published_at is not None for r in rows)


async def test_two_different_events_of_one_unit_of_work_with_one_id_fail_loudly_instead_of_one_being_lost(
    tmp_path: Path,
) -> None:
    """The lost re-route: the outbox kept the first of two events that shared an id, silently."""

    async def handle(conn: AsyncConnection, message: Decoded, now: datetime) -> Sequence[Outgoing]:
        return [
            Outgoing(
                "out",
                new_envelope(
                    ClientFeedbackGiven(case_id=case, rating=4, given_at=NOW),
                    stream_id=case,
                    producer="t",
                    occurred_at=NOW,
                    causation_id=message.message_id,
                    event_id="one-id-for-two-events",  # what an id without the stream amounts to
                ),
            )
            for case in ("case-1", "case-2")
        ]

    pipeline, recorder, _ = await make_pipeline(tmp_path, handle)
    await pipeline.process(batch(b"a"))
    assert [t for t, _ in recorder.sent] == ["in.dlq"]
    record = json.loads(recorder.sent[0][1])
    assert record["reason"] == "handler_error" and record["error"] == "EventIdCollision"


async def test_one_cause_emitting_into_many_streams_publishes_one_event_per_stream(tmp_path: Path) -> None:
    async def handle(conn: AsyncConnection, message: Decoded, now: datetime) -> Sequence[Outgoing]:
        return [
            Outgoing(
                "out",
                new_envelope(
                    ClientFeedbackGiven(case_id=f"case-{n}", rating=4, given_at=NOW),
                    stream_id=f"case-{n}",
                    producer="t",
                    occurred_at=NOW,
                    causation_id=message.message_id,
                    discriminator="org_change:0",
                ),
            )
            for n in range(10)
        ]

    pipeline, recorder, _ = await make_pipeline(tmp_path, handle)
    await pipeline.process(batch(b"a"))
    assert sorted(json.loads(b)["stream_id"] for t, b in recorder.sent if t == "out") == sorted(
        f"case-{n}" for n in range(10)
    )


async def test_the_same_event_emitted_twice_in_one_unit_of_work_is_kept_once(tmp_path: Path) -> None:
    async def handle(conn: AsyncConnection, message: Decoded, now: datetime) -> Sequence[Outgoing]:
        return [*emit(message), *emit(message)]

    pipeline, recorder, _ = await make_pipeline(tmp_path, handle)
    await pipeline.process(batch(b"a"))
    assert [t for t, _ in recorder.sent] == ["out"]


async def test_a_dead_letter_that_cannot_be_written_parks_the_batch_until_it_can_and_loses_nothing(
    tmp_path: Path,
) -> None:
    async def handle(conn: AsyncConnection, message: Decoded, now: datetime) -> Sequence[Outgoing]:
        return emit(message)

    pipeline, recorder, registry = await make_pipeline(tmp_path, handle)
    original = pipeline._dead_letter
    failures = {"left": 4}

    async def failing_dead_letter(*args: Any, **kwargs: Any) -> Any:
        if failures["left"]:
            failures["left"] -= 1
            raise ValueError("injected: the dead letter cannot be built")  # not transient
        return await original(*args, **kwargs)

    pipeline._dead_letter = failing_dead_letter  # type: ignore[method-assign]
    sleeps: list[float] = []
    seen_parked: list[dict[tuple[str, int], Any]] = []

    async def fake_sleep(seconds: float) -> None:
        sleeps.append(seconds)
        seen_parked.append(dict(pipeline.parked))
        assert recorder.sent == []  # nothing after the poison record was handled meanwhile

    pipeline._sleep = fake_sleep
    await pipeline.process(batch(b"poison!", b"a"))

    # The one-transaction try, then three parked retries of the write alone, with growing waits.
    assert len(seen_parked) == 3 and sleeps == sorted(sleeps) and sleeps[0] < sleeps[-1]
    assert all(p[("in", 0)].offset == 0 and p[("in", 0)].reason == "not_json" for p in seen_parked)
    failed = registry.get_sample_value("caseflow_dlq_write_failures_total", {"service": "t", "topic": "in"})
    assert failed == 3
    assert pipeline.parked == {}
    assert registry.get_sample_value("caseflow_dlq_parked_partitions", {"service": "t", "topic": "in"}) == 0
    topics = [t for t, _ in recorder.sent]
    assert topics == ["in.dlq", "out"]  # the dead letter once, then the good record once


# -- re-driven records (`caseflow dlq redrive`: headers x-caseflow-redrive-of / -for) -------------


def redriven(value: bytes, offset: int, *, of: str = "in.dlq:0:7", service: str = "t") -> Inbound:
    return Inbound("in", 0, offset, None, value, None, of, service)


async def test_a_redriven_dead_letter_is_processed_once_whatever_its_decoder_calls_it(
    tmp_path: Path,
) -> None:
    handled: list[int] = []

    async def handle(conn: AsyncConnection, message: Decoded, now: datetime) -> Sequence[Outgoing]:
        handled.append(message.inbound.offset)
        return emit(message)

    pipeline, recorder, registry = await make_pipeline(tmp_path, handle)
    # Its id is its position, as intake's is for a submission it cannot name: each re-drive a new one.
    pipeline.routes = {"in": Route(lambda i: Decoded(f"position:{i.position}", i, "case-1"), handle)}
    await pipeline.process([redriven(b"fixed", 20)])
    await pipeline.process([redriven(b"fixed", 21)])  # the same dead letter re-driven with --force
    await pipeline.process([redriven(b"fixed", 22, of="in.dlq:0:8")])  # another dead letter
    assert handled == [20, 22]
    assert [t for t, _ in recorder.sent] == ["out", "out"]
    assert (
        registry.get_sample_value("caseflow_messages_duplicate_total", {"service": "t", "topic": "in"}) == 1
    )


async def test_a_record_redriven_for_another_service_is_settled_unread(tmp_path: Path) -> None:
    handled: list[int] = []

    async def handle(conn: AsyncConnection, message: Decoded, now: datetime) -> Sequence[Outgoing]:
        handled.append(message.inbound.offset)
        return emit(message)

    pipeline, recorder, registry = await make_pipeline(tmp_path, handle)
    await pipeline.process([redriven(b"case-1", 30, service="routing"), *batch(b"case-2")])
    assert handled == [0] and len(recorder.sent) == 1
    assert (
        registry.get_sample_value(
            "caseflow_messages_processed_total",
            {"service": "t", "topic": "in", "outcome": "redrive_for_another"},
        )
        == 1
    )


async def test_redrive_headers_reach_the_pipeline_from_the_kafka_record(tmp_path: Path) -> None:
    from types import SimpleNamespace

    from shared.pipeline import REDRIVE_FOR_HEADER, REDRIVE_OF_HEADER

    seen: list[Inbound] = []

    async def handle(conn: AsyncConnection, message: Decoded, now: datetime) -> Sequence[Outgoing]:
        seen.append(message.inbound)
        return []

    pipeline, _, _ = await make_pipeline(tmp_path, handle)
    headers = [(REDRIVE_OF_HEADER, b"in.dlq:2:5"), (REDRIVE_FOR_HEADER, b"t"), ("other", None)]
    record = SimpleNamespace(
        topic="in", partition=1, offset=3, key=b"k", value=b"a", timestamp=-1, headers=headers
    )
    await pipeline.process_records([record])
    [inbound] = seen
    assert (inbound.redrive_of, inbound.redrive_for, inbound.position) == ("in.dlq:2:5", "t", "in:1:3")
