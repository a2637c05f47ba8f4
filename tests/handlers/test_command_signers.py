"""Every service that verifies advisor commands records CommandSignerRegistered where it records
advisor keys, so a command the workbench signed for the signed-in advisor is admitted (shared/auth.py)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select
from sqlalchemy.ext.asyncio import create_async_engine

from services.intake.adapters import tables as intake_tables
from services.intake.entrypoints.directory_feed import apply_directory_event, decode_directory_record
from services.routing.adapters import tables as routing_tables
from services.routing.application.directory_changes import DirectoryChanges
from shared.auth import authorize_command, command_signers_table, public_key_to_b64
from shared.contracts.directory import CommandSignerRegistered
from shared.envelope import EventPayload, new_envelope
from shared.pipeline import Inbound
from tests.support.in_process import InProcess
from tests.support.scheduling_events import (
    ACTIONS,
    ADVISORS,
    ASSIGNMENTS,
    CASES,
    assigned,
    case_opened,
    envelope_bytes,
    key_registration,
    request_meeting,
    start_scheduling,
)

pytestmark = pytest.mark.handlers

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
WORKBENCH = Ed25519PrivateKey.generate()
REGISTERED = CommandSignerRegistered(
    signer_id="workbench",
    public_key_b64=public_key_to_b64(WORKBENCH.public_key()),
    valid_from=NOW - timedelta(days=1),
)


def record_of(event: EventPayload, topic: str = "directory.advisors.v1") -> Inbound:
    env = new_envelope(
        event, stream_id="command-signer:workbench", producer="test", occurred_at=NOW, causation_id=None
    )
    return Inbound(topic=topic, partition=0, offset=0, key=b"k", value=env.to_bytes())


async def signer_rows(engine: Any, table: Any) -> list[tuple[str, str]]:
    async with engine.connect() as conn:
        return [(r.signer_id, r.public_key_b64) for r in await conn.execute(select(table))]


async def test_intake_records_a_command_signer_from_its_directory_feed(tmp_path: Path) -> None:
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path}/intake.db")
    async with engine.begin() as conn:
        await conn.run_sync(intake_tables.metadata.create_all)
        await apply_directory_event(conn, decode_directory_record(record_of(REGISTERED)), NOW)
    table = command_signers_table(intake_tables.metadata)
    assert await signer_rows(engine, table) == [("workbench", REGISTERED.public_key_b64)]
    await engine.dispose()


async def test_routing_records_a_command_signer_from_directory_v1(tmp_path: Path) -> None:
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path}/routing.db")
    async with engine.begin() as conn:
        await conn.run_sync(routing_tables.metadata.create_all)
        reason = await DirectoryChanges(router=None).apply(conn, "CommandSignerRegistered", REGISTERED, NOW)  # type: ignore[arg-type]
    assert reason is None  # a signer's key gives no reason to re-route
    table = command_signers_table(routing_tables.metadata)
    assert await signer_rows(engine, table) == [("workbench", REGISTERED.public_key_b64)]
    await engine.dispose()


@pytest.fixture
async def scheduling(tmp_path: Path) -> AsyncIterator[InProcess]:
    service = await start_scheduling(tmp_path, NOW)
    try:
        await feed(service, ADVISORS, key_registration("adv-anna"), REGISTERED)
        await feed(service, CASES, case_opened("case-1", meeting_mode=None))
        await feed(service, ASSIGNMENTS, assigned("case-1", "adv-anna"))
        yield service
    finally:
        await service.stop()


async def feed(service: InProcess, topic: str, *payloads: EventPayload) -> None:
    await service.feed(
        topic, [(key, value) for _id, key, value in (envelope_bytes(p, now=NOW) for p in payloads)]
    )


def rejections(service: InProcess) -> list[str | None]:
    out = []
    for _key, value in service.bus.topics.get("scheduling.meetings.v1", []):
        doc: dict[str, Any] = json.loads(value)
        if doc["event_type"] == "AdvisorCommandRejected":
            out.append(doc["payload"].get("reason_code"))
    return out


async def test_scheduling_admits_a_meeting_request_the_workbench_signed(scheduling: InProcess) -> None:
    command = authorize_command(WORKBENCH, request_meeting("case-1", "adv-anna"), now=NOW, issuer="workbench")
    await feed(scheduling, ACTIONS, command)
    assert rejections(scheduling) == []
    assert answer_types(scheduling), "the request was carried out: scheduling answered it"


async def test_scheduling_refuses_a_signer_it_was_never_told_about(scheduling: InProcess) -> None:
    command = authorize_command(WORKBENCH, request_meeting("case-1", "adv-anna"), now=NOW, issuer="portal")
    await feed(scheduling, ACTIONS, command)
    assert rejections(scheduling) == ["unknown_signer"]


def answer_types(service: InProcess) -> list[str]:
    return [json.loads(v)["event_type"] for _k, v in service.bus.topics.get("scheduling.meetings.v1", [])]
