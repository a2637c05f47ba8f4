"""Routing's events carry the correlation id of what caused them (shared/emitter.py, decisions.md D23).

Rejections used to start a chain of their own (their correlation id was their event id) and term
notices too; now a rejection carries its command's correlation id, a term notice the id of the run
that noticed it, and an answer to a sender nobody proved carries none of the sender's bytes.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from services.routing.adapters.directory_projection import DirectoryCache
from services.routing.app import create_runtime
from services.routing.application.router import Router
from services.routing.domain.policy import PolicySettings
from services.routing.entrypoints.jobs import check_terms
from services.routing.metrics import RoutingMetrics
from services.routing.settings import RoutingSettings
from shared.auth import authorize_command, unproven_cause
from shared.codes import ConflictReason
from shared.contracts.advisor_actions import DeclareConflict
from shared.envelope import Envelope, new_envelope
from tests.support.in_process import Bus, InProcess
from tests.support.services import TEST_MASTER_KEY
from tools.demo.sample_org import advisor_private_key, directory_events

pytestmark = pytest.mark.handlers

# A month before every sample advisor's term ends (2028-12-31): the term check notices them all.
NOW = datetime(2028, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
async def routing(tmp_path: Path) -> AsyncIterator[InProcess]:
    settings = RoutingSettings(
        kafka_bootstrap="127.0.0.1:9",
        database_url=f"sqlite+aiosqlite:///{tmp_path}/routing.db",
        keystore_url=f"sqlite+aiosqlite:///{tmp_path}/keys.db",
        master_key=TEST_MASTER_KEY,
    )
    service = await InProcess(create_runtime(settings, clock=lambda: NOW), Bus()).start()
    try:
        await service.feed(
            "directory.v1", [(e.stream_id.encode(), e.to_bytes()) for e in directory_events(NOW)]
        )
        yield service
    finally:
        await service.stop()


def command_from_workbench(*, signed: bool, correlation_id: str) -> Envelope[Any]:
    command = DeclareConflict(
        advisor_id="adv-anna",
        auth="not-a-token",
        issued_at=NOW,
        case_id="case-nobody-holds",
        reason=ConflictReason.KNOWS_PERSON,
    )
    if signed:
        command = authorize_command(advisor_private_key("adv-anna"), command, now=NOW)
    return new_envelope(
        command,
        stream_id="adv-anna",
        producer="workbench",
        occurred_at=NOW,
        causation_id=None,
        correlation_id=correlation_id,
    )


def published(service: InProcess, topic: str) -> list[dict[str, Any]]:
    return [json.loads(value) for _key, value in service.bus.topics[topic]]


async def test_a_rejection_carries_its_commands_correlation_id(routing: InProcess) -> None:
    command = command_from_workbench(signed=True, correlation_id="workbench-session-42")
    await routing.feed("advisor.actions.v1", [(b"adv-anna", command.to_bytes())])
    [rejected] = published(routing, "routing.assignments.v1")
    assert (rejected["event_type"], rejected["payload"]["reason_code"]) == (
        "AdvisorCommandRejected",
        "not_assignee",
    )
    assert rejected["causation_id"] == command.event_id
    assert rejected["correlation_id"] == "workbench-session-42"


async def test_the_answer_to_an_unproven_sender_carries_none_of_its_ids(routing: InProcess) -> None:
    command = command_from_workbench(signed=False, correlation_id="sender-chosen-chain")
    await routing.feed("advisor.actions.v1", [(b"adv-anna", command.to_bytes())])
    [rejected] = published(routing, "routing.assignments.v1")
    assert rejected["payload"]["reason_code"] == "token_malformed"
    assert rejected["causation_id"] == rejected["correlation_id"] == unproven_cause(command.event_id)
    raw = json.dumps(rejected)
    assert "sender-chosen-chain" not in raw and command.event_id not in raw


async def test_term_notices_carry_the_correlation_id_of_the_run_that_noticed_them(routing: InProcess) -> None:
    ctx = routing.context
    assert ctx is not None and ctx.cipher is not None
    router = Router(ctx.cipher, DirectoryCache(ctx.engine), PolicySettings())
    assert await check_terms(ctx, router, RoutingMetrics(CollectorRegistry()), warning_days=60) > 0
    events = ctx.store.tables.events
    async with ctx.engine.connect() as conn:
        rows = (await conn.execute(events.select().where(events.c.topic == "routing.alerts.v1"))).all()
    notices = [json.loads(r.body) for r in rows]
    assert notices and {n["event_type"] for n in notices} == {"AdvisorTermEnding"}
    assert {n["correlation_id"] for n in notices} == {"term-check:2028-12-01"}
    assert {n["causation_id"] for n in notices} == {
        f"term:{n['payload']['advisor_id']}:2028-12-31" for n in notices
    }
