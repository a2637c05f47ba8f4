"""Intake, routing and scheduling in process on the real broker, for advisor-command tests.

One clock for all three (the wall clock plus an offset a test moves), SQLite databases in the
test's directory, topics under a fresh prefix, the sample organisation on the directory topics. A stack
can be stopped and started again over the same databases and consumer groups (`runtimes()`).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaProducer
from sqlalchemy.ext.asyncio import create_async_engine

from services.intake.adapters.assignments import load_case_state
from services.intake.app import create_runtime as intake_runtime
from services.intake.settings import IntakeSettings
from services.routing.app import create_runtime as routing_runtime
from services.routing.settings import RoutingSettings
from services.scheduling.adapters import projection
from services.scheduling.app import create_runtime as scheduling_runtime
from services.scheduling.settings import SchedulingSettings
from shared.auth import unproven_cause
from shared.envelope import EventPayload, new_envelope
from shared.topics_config import apply_topics
from tests.support import samples
from tests.support.directory import produce_directory
from tests.support.kafka_io import produce, read_all, read_json
from tests.support.services import TEST_MASTER_KEY, wait_until
from tools.demo.sample_org import directory_events


@dataclass
class ShiftedClock:
    """The wall clock plus an offset that the test moves forward ("an hour later")."""

    offset: timedelta = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


@dataclass
class Stack:
    kafka: str
    prefix: str
    tmp: Path
    clock: ShiftedClock = field(default_factory=ShiftedClock)

    def _common(self) -> dict[str, Any]:
        return {
            "kafka_bootstrap": self.kafka,
            "topic_prefix": self.prefix,
            "keystore_url": f"sqlite+aiosqlite:///{self.tmp}/keys.db",
            "master_key": TEST_MASTER_KEY,
            "key_cache_seconds": 0,
        }

    def db(self, service: str) -> str:
        return f"sqlite+aiosqlite:///{self.tmp}/{service}.db"

    def runtimes(self) -> list[Any]:
        """Fresh runtimes over the same databases and consumer groups (a restart)."""
        common = self._common()
        return [
            intake_runtime(IntakeSettings(database_url=self.db("intake"), **common), clock=self.clock),
            routing_runtime(RoutingSettings(database_url=self.db("routing"), **common), clock=self.clock),
            scheduling_runtime(
                SchedulingSettings(
                    database_url=self.db("scheduling"),
                    kafka_bootstrap=self.kafka,
                    topic_prefix=self.prefix,
                    consumer_group=f"{self.prefix}scheduling",
                ),
                clock=self.clock,
            ),
        ]

    async def topic(self, name: str) -> list[dict[str, Any]]:
        return read_json(await read_all(self.kafka, self.prefix + name, timeout=5, idle=0.5))

    async def publish_command(
        self, command: EventPayload, stream: str, *, timestamp: datetime | None = None
    ) -> str:
        env = new_envelope(
            command, stream_id=stream, producer="workbench", occurred_at=datetime.now(UTC), causation_id=None
        )
        await self.publish_raw(env.model_dump(mode="json"), timestamp=timestamp)
        return env.event_id

    async def publish_raw(self, envelope: dict[str, Any], *, timestamp: datetime | None = None) -> None:
        """An envelope as JSON, as any producer (a forger included) may write it; `timestamp` is the
        record timestamp the producer asks for (the topic's LogAppendTime overrides it)."""
        producer = AIOKafkaProducer(bootstrap_servers=self.kafka, acks="all", enable_idempotence=True)
        await producer.start()
        try:
            await producer.send_and_wait(
                self.prefix + "advisor.actions.v1",
                json.dumps(envelope).encode(),
                key=str(envelope["stream_id"]).encode(),
                timestamp_ms=None if timestamp is None else int(timestamp.timestamp() * 1000),
            )
        finally:
            await producer.stop()


async def answers_to(stack: Stack, topic: str, event_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    """The events on `topic` caused by each command, also when answered as unproven (no id echoed)."""
    wanted = {**{i: i for i in event_ids}, **{unproven_cause(i): i for i in event_ids}}
    found: dict[str, list[dict[str, Any]]] = {}

    async def all_answered() -> bool:
        nonlocal found
        found = {}
        for event in await stack.topic(topic):
            if event.get("causation_id") in wanted:
                found.setdefault(wanted[event["causation_id"]], []).append(event)
        return set(found) == set(event_ids)

    await wait_until(all_answered, timeout=90, interval=0.5)
    return found


async def poll_db(url: str, check: Callable[[Any], Awaitable[bool]]) -> None:
    engine = create_async_engine(url)

    async def ok() -> bool:
        async with engine.connect() as conn:
            return await check(conn)

    try:
        await wait_until(ok, timeout=120, interval=0.5)
    finally:
        await engine.dispose()


async def new_stack(kafka_bootstrap: str, tmp_path: Path) -> Stack:
    """Topics under a fresh prefix and the sample organisation on the directory topics; nothing running yet."""
    prefix = f"t-advisor-{uuid.uuid4().hex[:8]}."
    # As deployed (deploy/kafka/topics.yaml): advisor.actions.v1 with LogAppendTime.
    await apply_topics(kafka_bootstrap, prefix, replication_factor=1)
    await produce_directory(kafka_bootstrap, prefix, directory_events())
    return Stack(kafka_bootstrap, prefix, tmp_path)


async def open_two_assigned_cases(stack: Stack) -> dict[str, str]:
    """case id -> assigned advisor, once intake, routing and scheduling all know the assignment."""
    docs = [
        samples.submission(
            uuid.uuid4().hex[:8],
            unit_id="bzk-dgob-ict",
            client_person_id="p-ict-1",
            persons_involved=[{"person_id": "p-ict-lead", "role": "direct_manager"}],
        )
        for _ in range(2)
    ]
    await produce(
        stack.kafka, stack.prefix + "intake.submissions.v1", [(None, samples.to_bytes(d)) for d in docs]
    )
    assigned: dict[str, str] = {}

    async def both_assigned() -> bool:
        nonlocal assigned
        assigned = {
            e["payload"]["case_id"]: e["payload"]["advisor_id"]
            for e in await stack.topic("routing.assignments.v1")
            if e["event_type"] == "AdvisorAssigned"
        }
        return len(assigned) == 2

    await wait_until(both_assigned, timeout=120, interval=0.5)

    async def intake_knows(conn: Any) -> bool:
        states = [await load_case_state(conn, case_id) for case_id in assigned]
        return all(s is not None and s.assignee == assigned[s.case_id] for s in states)

    async def scheduling_knows(conn: Any) -> bool:
        facts = [await projection.load_case(conn, case_id) for case_id in assigned]
        return all(f is not None and f.opened and f.advisor_id == assigned[f.case_id] for f in facts)

    await poll_db(stack.db("intake"), intake_knows)
    await poll_db(stack.db("scheduling"), scheduling_knows)
    return assigned
