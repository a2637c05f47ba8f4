"""The case-lifecycle harness: intake in process on the real broker, the test playing everyone else.

The test plays routing (AdvisorAssigned / CaseReassigned on routing.assignments.v1), the HR feed
(AdvisorKeyRegistered on directory.advisors.v1) and the advisors' workbench (signed commands on
advisor.actions.v1); clients and advisors use intake's HTTP API. The clock is injected, so legal
deadlines and retention run on the test's time.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select

from services.intake.adapters.tables import advisor_keys, assignments
from services.intake.app import IntakeService, create_service
from services.intake.settings import IntakeSettings
from shared.auth import authorize_command, command_digest, issue_token, public_key_to_b64, unproven_cause
from shared.contracts.directory import AdvisorKeyRegistered
from shared.contracts.routing import AdvisorAssigned, CaseReassigned
from shared.crypto import Sealed
from shared.envelope import EventPayload, new_envelope
from tests.support import samples
from tests.support.directory import load_units
from tests.support.kafka_io import create_topics, produce
from tests.support.services import TEST_MASTER_KEY, running, wait_until

TOPICS = (
    "intake.submissions.v1",
    "intake.cases.v1",
    "intake.rejections.v1",
    "routing.assignments.v1",
    "directory.advisors.v1",
    "directory.units.v1",
    "advisor.actions.v1",
)
START = datetime(2026, 1, 24, 9, 0, tzinfo=UTC)


class FakeClock:
    def __init__(self, start: datetime = START) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now

    def set(self, moment: datetime) -> None:
        self.now = moment


def routing_extras(cls: type[EventPayload], case_id: str) -> dict[str, Any]:
    """Fields the routing contract may require beyond what intake reads (it is evolving)."""
    extras: dict[str, Any] = {}
    if "directory_revision" in cls.model_fields:
        extras["directory_revision"] = 1
    if "inputs" in cls.model_fields:
        extras["inputs"] = Sealed(kid=case_id, nonce="", ct="")
    return extras


@dataclass
class Lifecycle:
    service: IntakeService
    kafka: str
    prefix: str
    clock: FakeClock
    client: httpx.AsyncClient
    keys: dict[str, Ed25519PrivateKey] = field(default_factory=dict)
    sent: dict[str, EventPayload] = field(default_factory=dict)  # command envelope id -> command

    @property
    def ctx(self) -> Any:
        return self.service.runtime.context

    # -- the directory and routing, played by the test -----------------------------------------

    async def register_advisor(self, advisor_id: str) -> Ed25519PrivateKey:
        key = self.keys[advisor_id] = Ed25519PrivateKey.generate()
        public = public_key_to_b64(key.public_key())
        event = AdvisorKeyRegistered(
            advisor_id=advisor_id, public_key_b64=public, valid_from=self.clock() - timedelta(days=1)
        )
        await self._produce("directory.advisors.v1", event, f"advisor-key:{advisor_id}:{public}")

        async def stored() -> bool:
            async with self.ctx.engine.connect() as conn:
                rows = await conn.execute(select(advisor_keys).where(advisor_keys.c.public_key_b64 == public))
                return rows.first() is not None

        await wait_until(stored, timeout=30)
        return key

    async def assign(self, case_id: str, advisor_id: str) -> None:
        now = self.clock()
        event = AdvisorAssigned(
            case_id=case_id,
            advisor_id=advisor_id,
            scope="internal",
            policy_version="test",
            selection_reason="lowest_load",
            decided_at=now,
            case_opened_at=now,
            exclusions=Sealed(kid=case_id, nonce="", ct=""),
            **routing_extras(AdvisorAssigned, case_id),
        )
        await self._produce("routing.assignments.v1", event, case_id)
        await self.wait_for_assignee(case_id, advisor_id)

    async def reassign(self, case_id: str, to_advisor: str | None) -> None:
        """Who left is sealed on the event: intake revokes them from its own assignment state."""
        event = CaseReassigned(
            case_id=case_id,
            to_advisor_id=to_advisor,
            cause="conflict",
            scope="internal" if to_advisor else None,
            policy_version="test",
            decided_at=self.clock(),
            exclusions=Sealed(kid=case_id, nonce="", ct=""),
            **routing_extras(CaseReassigned, case_id),
        )
        await self._produce("routing.assignments.v1", event, case_id)
        await self.wait_for_assignee(case_id, to_advisor)

    async def wait_for_assignee(self, case_id: str, advisor_id: str | None) -> None:
        async def current() -> bool:
            async with self.ctx.engine.connect() as conn:
                row = (
                    await conn.execute(select(assignments).where(assignments.c.case_id == case_id))
                ).first()
            return row is not None and row.advisor_id == advisor_id

        await wait_until(current, timeout=30)

    async def _produce(self, topic: str, payload: EventPayload, key: str, event_id: str | None = None) -> str:
        env = new_envelope(
            payload,
            stream_id=key,
            producer="test",
            occurred_at=self.clock(),
            causation_id=None,
            event_id=event_id,
        )
        await produce(self.kafka, self.prefix + topic, [(key.encode(), env.to_bytes())])
        return env.event_id

    # -- clients -------------------------------------------------------------------------------

    async def open_case(self, marker: str | None = None, **overrides: Any) -> tuple[str, str]:
        doc = samples.submission(marker, submitted_at=self.clock().isoformat(), **overrides)
        answer = await self.client.post("/v1/submissions", json=doc)
        assert answer.status_code == 201, answer.text
        return answer.json()["case_ref"], answer.json()["receipt_code"]

    async def open_assigned_case(self, advisor_id: str, *, accept: bool = True, **overrides: Any) -> str:
        case_id, _code = await self.open_case(**overrides)
        await self.assign(case_id, advisor_id)
        if accept:
            outcome = await self.act(self.command("AcceptCase", advisor_id, case_id=case_id))
            assert [e["event_type"] for e in outcome][:1] == ["CaseAccepted"], outcome
        return case_id

    # -- the workbench -------------------------------------------------------------------------

    def command(
        self,
        action: str,
        advisor_id: str,
        *,
        key: Ed25519PrivateKey | None = None,
        issued_at: datetime | None = None,
        **fields: Any,
    ) -> EventPayload:
        from shared.envelope import REGISTRY

        cls = REGISTRY.payload_class(action)
        moment = issued_at or self.clock()
        doc = {"advisor_id": advisor_id, "auth": "", "issued_at": moment, **fields}
        signer = key or self.keys[advisor_id]
        return authorize_command(signer, cls.model_validate(doc), now=moment)

    async def send(self, *commands: EventPayload) -> list[str]:
        """Publish commands (each in a new envelope); returns their event ids."""
        ids = []
        for command in commands:
            stream = getattr(command, "case_id", None) or command.advisor_id  # type: ignore[attr-defined]
            ids.append(await self._produce("advisor.actions.v1", command, stream))
            self.sent[ids[-1]] = command
        return ids

    async def results(self, event_ids: list[str], timeout: float = 30) -> dict[str, list[dict[str, Any]]]:
        """The events intake emitted because of each command (its outbox, published to the broker)."""
        found: dict[str, list[dict[str, Any]]] = {}

        async def all_there() -> bool:
            nonlocal found
            found = await self.events_caused_by(event_ids)
            return all(found.get(i) for i in event_ids)

        await wait_until(all_there, timeout=timeout)
        return found

    async def act(self, command: EventPayload) -> list[dict[str, Any]]:
        [event_id] = await self.send(command)
        return (await self.results([event_id]))[event_id]

    async def events_caused_by(self, event_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
        events = self.ctx.store.tables.events
        # The answer to a command whose token proved nobody is caused by unproven_cause(its id).
        wanted = {**{i: i for i in event_ids}, **{unproven_cause(i): i for i in event_ids}}
        found: dict[str, list[dict[str, Any]]] = {}
        async with self.ctx.engine.connect() as conn:
            rows = await conn.execute(
                select(events.c.body).where(events.c.event_type != "DeadLetter").order_by(events.c.position)
            )
            for row in rows:
                doc = json.loads(row.body)
                if doc.get("causation_id") in wanted:
                    found.setdefault(wanted[doc["causation_id"]], []).append(doc)
        return found

    async def processed(self, event_id: str) -> bool:
        inbox = self.ctx.store.tables.inbox
        async with self.ctx.engine.connect() as conn:
            return (
                await conn.execute(select(inbox).where(inbox.c.message_id == event_id))
            ).first() is not None

    async def events_of(self, event_type: str, case_id: str | None = None) -> list[dict[str, Any]]:
        events = self.ctx.store.tables.events
        query = select(events.c.body).where(events.c.event_type == event_type).order_by(events.c.position)
        if case_id is not None:
            query = query.where(events.c.stream_id == case_id)
        async with self.ctx.engine.connect() as conn:
            return [json.loads(r.body) for r in await conn.execute(query)]

    # -- the case file over HTTP ---------------------------------------------------------------

    def token(
        self,
        advisor_id: str,
        action: str,
        case_id: str | None,
        body: dict[str, Any] | None = None,
        *,
        key: Ed25519PrivateKey | None = None,
        now: datetime | None = None,
    ) -> str:
        return issue_token(
            key or self.keys[advisor_id],
            advisor_id=advisor_id,
            action=action,
            case_id=case_id,
            digest=command_digest(body or {}),
            now=now or self.clock(),
        )

    async def read_file(self, case_id: str, token: str) -> httpx.Response:
        return await self.client.get(f"/v1/cases/{case_id}", headers={"Authorization": f"Bearer {token}"})

    async def read_as(self, advisor_id: str, case_id: str) -> httpx.Response:
        return await self.read_file(case_id, self.token(advisor_id, "GET /v1/cases/{id}", case_id))

    async def advisor_posts(
        self, advisor_id: str, case_id: str, body: dict[str, Any], token: str | None = None
    ) -> httpx.Response:
        token = token or self.token(advisor_id, "POST /v1/cases/{id}/messages", case_id, body)
        return await self.client.post(
            f"/v1/cases/{case_id}/messages", json=body, headers={"Authorization": f"Bearer {token}"}
        )

    def metric(self, name: str, **labels: str) -> float:
        value = self.ctx.registry.get_sample_value(name, labels)
        return float(value or 0.0)


def lifecycle_settings(
    kafka: str, prefix: str, db_url: str, tmp_path: Path, **overrides: Any
) -> IntakeSettings:
    values: dict[str, Any] = {
        "kafka_bootstrap": kafka,
        "topic_prefix": prefix,
        "database_url": db_url,
        "keystore_url": f"sqlite+aiosqlite:///{tmp_path}/keys.db",
        "master_key": TEST_MASTER_KEY,
        "key_cache_seconds": 0,
        # A group of its own: tests running at the same time must not rebalance each other.
        "consumer_group": f"intake-{prefix}",
        "max_batch": 200,
        "background_interval_seconds": 3600,
    }
    values.update(overrides)
    return IntakeSettings(**values)


async def start_lifecycle(
    kafka: str, db_url: str, tmp_path: Path, clock: FakeClock | None = None, **overrides: Any
) -> AsyncIterator[Lifecycle]:
    prefix = f"t-life-{uuid.uuid4().hex[:10]}."
    await create_topics(kafka, [prefix + t for t in TOPICS] + [prefix + t + ".dlq" for t in TOPICS])
    clock = clock or FakeClock()
    service = create_service(lifecycle_settings(kafka, prefix, db_url, tmp_path, **overrides), clock=clock)
    async with running(service.runtime):
        await load_units(kafka, prefix, service.runtime.context.engine)
        transport = httpx.ASGITransport(app=service.runtime.asgi_app())
        async with httpx.AsyncClient(transport=transport, base_url="http://intake") as client:
            yield Lifecycle(service, kafka, prefix, clock, client)
    await asyncio.sleep(0)
