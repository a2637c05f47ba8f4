"""Scheduling's events carry the correlation id of what caused them (shared/emitter.py, decisions.md D23)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from shared.auth import authorize_command, unproven_cause
from shared.contracts.advisor_actions import RequestMeeting
from shared.directory_copies import directory_records
from shared.envelope import Envelope, new_envelope
from tests.support.in_process import InProcess
from tests.support.scheduling_events import start_scheduling
from tools.demo.sample_org import advisor_private_key, directory_events

pytestmark = pytest.mark.handlers

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


async def feed_directory(service: InProcess, envelopes: list[Envelope[Any]]) -> None:
    """The HR feed's directory as this service reads it: each event on its topics this service consumes."""
    await service.feed_batch(
        [
            (topic, key, value)
            for e in envelopes
            for topic, key, value in directory_records(e)
            if topic in service.consumes
        ]
    )


@pytest.fixture
async def scheduling(tmp_path: Path) -> AsyncIterator[InProcess]:
    service = await start_scheduling(tmp_path, NOW)
    try:
        await feed_directory(service, directory_events(NOW))
        yield service
    finally:
        await service.stop()


def meeting_request(*, signed: bool, correlation_id: str) -> Envelope[Any]:
    command = RequestMeeting(advisor_id="adv-anna", auth="not-a-token", issued_at=NOW, case_id="case-unknown")
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


def published(service: InProcess) -> list[dict[str, Any]]:
    return [json.loads(value) for _key, value in service.bus.topics["scheduling.meetings.v1"]]


async def test_a_refused_meeting_request_carries_its_commands_correlation_id(scheduling: InProcess) -> None:
    command = meeting_request(signed=True, correlation_id="workbench-session-7")
    await scheduling.feed("advisor.actions.v1", [(b"adv-anna", command.to_bytes())])
    [rejected] = published(scheduling)
    assert (rejected["event_type"], rejected["payload"]["reason_code"]) == (
        "AdvisorCommandRejected",
        "not_assignee",
    )
    assert (rejected["causation_id"], rejected["correlation_id"]) == (command.event_id, "workbench-session-7")


async def test_the_answer_to_an_unproven_sender_carries_none_of_its_ids(scheduling: InProcess) -> None:
    command = meeting_request(signed=False, correlation_id="sender-chosen-chain")
    await scheduling.feed("advisor.actions.v1", [(b"adv-anna", command.to_bytes())])
    [rejected] = published(scheduling)
    assert rejected["causation_id"] == rejected["correlation_id"] == unproven_cause(command.event_id)
    raw = json.dumps(rejected)
    assert "sender-chosen-chain" not in raw and command.event_id not in raw
