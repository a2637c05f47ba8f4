"""One directory change that affects many open cases re-routes every one of them, once, in the log.

Routing in process on a real SQLite database, its pipeline publishing to a recorder: what the
recorder holds is what consumers (intake's case-file access, scheduling) would see. The oracle is
the state-versus-log check of `caseflow audit verify` plus a count of re-routes per case.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry
from sqlalchemy import select

import shared.contracts  # noqa: F401
from services.routing.adapters.directory_projection import DirectoryCache
from services.routing.adapters.tables import messaging, metadata, routing_cases
from services.routing.application.router import Router
from services.routing.domain.consistency import compare, decode_values, published_placements
from services.routing.domain.policy import PolicySettings
from services.routing.entrypoints.kafka_handlers import RoutingHandlers, routes
from shared.codes import Category, Channel, ClientRole
from shared.contracts.directory import AdvisorStatusChanged, PersonUpserted
from shared.contracts.intake import CaseOpened
from shared.crypto import CaseCipher, KeyStore, parse_master_key
from shared.db import create_all, make_engine
from shared.envelope import EventPayload, new_envelope
from shared.metrics import PipelineMetrics
from shared.outbox import EventStore, OutboxRelay
from shared.pipeline import EventPipeline, Inbound
from tests.support.services import TEST_MASTER_KEY
from tools.demo.sample_org import directory_events

pytestmark = pytest.mark.unit
NOW = datetime(2026, 3, 2, 10, tzinfo=UTC)
ANNA = "adv-anna"  # internal, person p-hr-2 in HR; the cases below prefer her


class Recorder:
    def __init__(self) -> None:
        self.sent: list[bytes] = []

    async def publish(self, topic: str, key: bytes, body: bytes) -> Any:
        if topic == "routing.assignments.v1":
            self.sent.append(body)
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        future.set_result(None)
        return future


class InProcessRouting:
    def __init__(self, directory: Path) -> None:
        self.engine = make_engine(f"sqlite+aiosqlite:///{directory}/routing.db")
        self.keys_engine = make_engine(f"sqlite+aiosqlite:///{directory}/keys.db")
        self.keystore = KeyStore(self.keys_engine, parse_master_key(TEST_MASTER_KEY))
        self.recorder = Recorder()
        self.offset = 0

    async def start(self) -> None:
        await create_all(self.engine, metadata)
        await self.keystore.create_schema()
        cipher = CaseCipher(self.keystore)
        router = Router(cipher, DirectoryCache(self.engine), PolicySettings())
        self.pipeline = EventPipeline(
            service="routing",
            engine=self.engine,
            store=EventStore(messaging),
            relay=OutboxRelay(self.engine, messaging, self.recorder.publish),
            routes=routes(RoutingHandlers(router)),
            metrics=PipelineMetrics.create(CollectorRegistry(), "routing"),
            clock=lambda: NOW,
            backoff_initial=0.001,
        )

    async def feed(self, topic: str, items: list[tuple[str, EventPayload]]) -> None:
        batch = []
        for stream, payload in items:
            env = new_envelope(
                payload, stream_id=stream, producer="test", occurred_at=NOW, causation_id=str(uuid.uuid4())
            )
            batch.append(Inbound(topic, 0, self.offset, stream.encode(), env.to_bytes()))
            self.offset += 1
        await self.pipeline.process(batch)

    async def open_cases(self, n: int, involved_manager: str) -> list[str]:
        ids = [str(uuid.uuid4()) for _ in range(n)]
        keys = await self.keystore.create_keys(ids, NOW)
        facts = {
            "client_person_id": "p-ict-1",
            "persons_involved": [{"person_id": involved_manager, "role": "direct_manager"}],
            "preferred_advisor_id": ANNA,
            "excluded_advisor_ids": [],
        }
        opened = [
            (
                case_id,
                CaseOpened(
                    case_id=case_id,
                    submission_id=f"prop-{case_id[:8]}",
                    opened_at=NOW,
                    channel=Channel.WEB,
                    organisation_id="min-bzk",
                    unit_id="bzk-dgob-ict",
                    client_role=ClientRole.EMPLOYEE,
                    anonymous=False,
                    categories=(Category.LABOUR_CONFLICT_WITH_MANAGER,),
                    personal=CaseCipher.seal_with_key(keys[case_id], case_id, "personal", {}),
                    routing_facts=CaseCipher.seal_with_key(keys[case_id], case_id, "routing_facts", facts),
                ),
            )
            for case_id in ids
        ]
        await self.feed("intake.cases.v1", opened)
        return ids

    async def state(self) -> list[Any]:
        async with self.engine.connect() as conn:
            return list(
                (
                    await conn.execute(
                        select(
                            routing_cases.c.case_id,
                            routing_cases.c.status,
                            routing_cases.c.current_advisor_id,
                        )
                    )
                ).all()
            )

    def published(self) -> list[dict[str, Any]]:
        return decode_values(self.recorder.sent)

    async def close(self) -> None:
        await self.engine.dispose()
        await self.keys_engine.dispose()


CHANGES = {
    # Anna moves into ICT, under the manager every case is about: she may keep none of them.
    "moved_under_the_involved_manager": lambda: (
        "p-hr-2",
        PersonUpserted(
            person_id="p-hr-2", unit_id="bzk-dgob-ict", manager_id="p-ict-lead", is_top_management=False
        ),
    ),
    "on_leave": lambda: (ANNA, AdvisorStatusChanged(advisor_id=ANNA, status="on_leave")),
    "departed": lambda: (ANNA, AdvisorStatusChanged(advisor_id=ANNA, status="departed")),
}


async def _run(tmp: Path, cases: int, change: str, batch_with_noise: bool) -> None:
    routing = InProcessRouting(tmp)
    await routing.start()
    try:
        await routing.feed("directory.v1", [(e.stream_id, e.payload) for e in directory_events(NOW)])
        ids = await routing.open_cases(cases, involved_manager="p-ict-lead")
        before = {r.case_id: r.current_advisor_id for r in await routing.state()}
        assert set(before.values()) == {ANNA}, before  # the precondition: all ten are Anna's
        sent_before = len(routing.published())

        stream, payload = CHANGES[change]()
        items: list[tuple[str, EventPayload]] = [(stream, payload)]
        if batch_with_noise:  # the change arrives inside a batch of unrelated directory records
            noise = [(e.stream_id, e.payload) for e in directory_events(NOW)[:5]]
            items = [*noise, *items, *noise]
        await routing.feed("directory.v1", items)

        published = routing.published()
        state = await routing.state()
        assert compare(state, published_placements(published)) == [], "routing's state differs from its log"
        rerouted = Counter(
            e["payload"]["case_id"] for e in published[sent_before:] if e["event_type"] == "CaseReassigned"
        )
        assert rerouted == Counter(ids), (
            f"every affected case gets exactly one published re-route: {rerouted}"
        )
        assert all(r.current_advisor_id != ANNA for r in state)
        assert len({e["event_id"] for e in published}) == len(published)
    finally:
        await routing.close()


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    cases=st.integers(min_value=2, max_value=12),
    change=st.sampled_from(sorted(CHANGES)),
    batch_with_noise=st.booleans(),
)
def test_a_directory_change_affecting_many_open_cases_publishes_one_re_route_per_case(
    cases: int, change: str, batch_with_noise: bool
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(_run(Path(tmp), cases, change, batch_with_noise))


def test_ten_cases_and_the_advisor_moving_under_their_manager() -> None:
    """The case found from the outside, fixed: ten open cases, one move, ten re-routes."""
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(_run(Path(tmp), 10, "moved_under_the_involved_manager", batch_with_noise=False))


def test_the_published_log_sees_what_routing_did_not_publish() -> None:
    """The check itself can fail: drop one published re-route and it names that case."""
    placements = published_placements(
        [
            {
                "event_id": "1",
                "event_type": "AdvisorAssigned",
                "sequence": 0,
                "payload": {"case_id": "c1", "advisor_id": ANNA},
            },
        ]
    )

    class Row:
        def __init__(self, case_id: str, status: str, advisor: str | None) -> None:
            self.case_id, self.status, self.current_advisor_id = case_id, status, advisor

    mismatches = compare([Row("c1", "assigned", "adv-bram")], placements)
    assert [m.case_id for m in mismatches] == ["c1"]
    assert "adv-bram" in mismatches[0].describe() and ANNA in mismatches[0].describe()
    assert json.dumps([m.describe() for m in compare([Row("c1", "assigned", ANNA)], placements)]) == "[]"
