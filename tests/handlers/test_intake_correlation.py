"""Intake's events carry the correlation id of what caused them (shared/emitter.py, decisions.md D23).

A submission starts a chain at its cause (the submission's idempotency key), and what follows from
it in the same unit of work (the legal deadline of a whistleblower report) carries it on; an
advisor command's answer carries the command's correlation id; an unproven sender's none of its ids.
Before, intake's correlation id was the case id (a rejection's its own event id).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from services.intake.app import create_runtime
from services.intake.settings import IntakeSettings
from shared.auth import authorize_command, unproven_cause
from shared.contracts.advisor_actions import AcceptCase
from shared.directory_copies import directory_records
from shared.envelope import Envelope, new_envelope
from tests.support import samples
from tests.support.in_process import Bus, InProcess
from tests.support.services import TEST_MASTER_KEY
from tools.demo.sample_org import advisor_private_key, directory_events

pytestmark = pytest.mark.handlers


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
async def intake(tmp_path: Path) -> AsyncIterator[InProcess]:
    settings = IntakeSettings(
        kafka_bootstrap="127.0.0.1:9",
        database_url=f"sqlite+aiosqlite:///{tmp_path}/intake.db",
        keystore_url=f"sqlite+aiosqlite:///{tmp_path}/keys.db",
        master_key=TEST_MASTER_KEY,
    )
    service = await InProcess(create_runtime(settings), Bus()).start()
    try:
        await feed_directory(service, directory_events())
        yield service
    finally:
        await service.stop()


def published(service: InProcess, topic: str) -> list[dict[str, Any]]:
    return [json.loads(value) for _key, value in service.bus.topics[topic]]


def accept_case(*, signed: bool, correlation_id: str) -> Envelope[Any]:
    now = datetime.now(UTC)
    command = AcceptCase(
        advisor_id="adv-anna", auth="not-a-token", issued_at=now, case_id="case-nobody-holds"
    )
    if signed:
        command = authorize_command(advisor_private_key("adv-anna"), command, now=now)
    return new_envelope(
        command,
        stream_id="adv-anna",
        producer="workbench",
        occurred_at=now,
        causation_id=None,
        correlation_id=correlation_id,
    )


async def test_a_report_and_its_legal_deadline_share_the_submissions_chain(intake: InProcess) -> None:
    report = samples.submission(is_whistleblower_report=True)
    await intake.feed("intake.submissions.v1", [(b"k", samples.to_bytes(report))])
    opened, deadline = published(intake, "intake.cases.v1")
    assert (opened["event_type"], deadline["event_type"]) == ("CaseOpened", "LegalDeadlineSet")
    chain = f"submission:{report['submission_id']}"
    assert (opened["causation_id"], opened["correlation_id"]) == (chain, chain)
    assert (deadline["causation_id"], deadline["correlation_id"]) == (opened["event_id"], chain)


async def test_a_rejected_submission_carries_its_cause_as_correlation(intake: InProcess) -> None:
    refused = samples.submission(channel="carrier-pigeon")
    await intake.feed("intake.submissions.v1", [(b"k", samples.to_bytes(refused))])
    [rejected] = published(intake, "intake.rejections.v1")
    chain = f"submission:{refused['submission_id']}"
    assert (rejected["causation_id"], rejected["correlation_id"]) == (chain, chain)


async def test_a_refused_command_carries_its_commands_correlation_id(intake: InProcess) -> None:
    command = accept_case(signed=True, correlation_id="workbench-session-3")
    await intake.feed("advisor.actions.v1", [(b"adv-anna", command.to_bytes())])
    [rejected] = published(intake, "intake.cases.v1")
    assert (rejected["event_type"], rejected["payload"]["reason_code"]) == (
        "AdvisorCommandRejected",
        "not_assignee",
    )
    assert (rejected["causation_id"], rejected["correlation_id"]) == (command.event_id, "workbench-session-3")


async def test_the_answer_to_an_unproven_sender_carries_none_of_its_ids(intake: InProcess) -> None:
    command = accept_case(signed=False, correlation_id="sender-chosen-chain")
    await intake.feed("advisor.actions.v1", [(b"adv-anna", command.to_bytes())])
    [rejected] = published(intake, "intake.cases.v1")
    assert rejected["causation_id"] == rejected["correlation_id"] == unproven_cause(command.event_id)
    raw = json.dumps(rejected)
    assert "sender-chosen-chain" not in raw and command.event_id not in raw
