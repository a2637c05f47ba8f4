"""Scheduling's copy of who holds a case is the shared projection (shared/assignee_projection.py,
decisions.md D36): built by its composition root on SQLite with the in-memory bus, no broker."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from shared.contracts.routing import RoutingEscalated
from shared.envelope import EventPayload
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
    reassigned,
    request_meeting,
    start_scheduling,
)

pytestmark = pytest.mark.handlers

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
async def scheduling(tmp_path: Path) -> AsyncIterator[InProcess]:
    service = await start_scheduling(tmp_path, NOW)
    try:
        await feed(service, ADVISORS, key_registration("adv-anna"), key_registration("adv-bram"))
        yield service
    finally:
        await service.stop()


async def feed(service: InProcess, topic: str, *payloads: EventPayload) -> None:
    await service.feed(
        topic, [(key, value) for _id, key, value in (envelope_bytes(p, now=NOW) for p in payloads)]
    )


def answers(service: InProcess) -> list[tuple[str, str | None]]:
    """(event type, reason code) of what scheduling published, in order."""
    out = []
    for _key, value in service.bus.topics.get("scheduling.meetings.v1", []):
        doc: dict[str, Any] = json.loads(value)
        out.append((doc["event_type"], doc["payload"].get("reason_code")))
    return out


def no_mode(case_id: str) -> EventPayload:
    return case_opened(case_id, meeting_mode=None)  # no meeting asked at intake: only commands plan


async def test_the_advisor_routing_moved_the_case_away_from_is_refused_at_once(scheduling: InProcess) -> None:
    await feed(scheduling, CASES, no_mode("case-1"))
    await feed(scheduling, ASSIGNMENTS, assigned("case-1", "adv-anna"))
    await feed(scheduling, ACTIONS, request_meeting("case-1", "adv-anna"))
    assert ("AdvisorCommandRejected", "not_assignee") not in answers(scheduling)

    await feed(scheduling, ASSIGNMENTS, reassigned("case-1", "adv-bram"))
    before = len(answers(scheduling))
    await feed(scheduling, ACTIONS, request_meeting("case-1", "adv-anna"))
    assert answers(scheduling)[before:] == [("AdvisorCommandRejected", "not_assignee")]


async def test_an_escalation_leaves_nobody_who_may_plan_a_meeting(scheduling: InProcess) -> None:
    """Routing's RoutingEscalated is folded too (it used to be skipped here)."""
    await feed(scheduling, CASES, no_mode("case-2"))
    await feed(scheduling, ASSIGNMENTS, assigned("case-2", "adv-anna"))
    escalated = RoutingEscalated.model_validate(
        {"case_id": "case-2", "organisation_id": "org-bzk", "policy_version": "test", "escalated_at": NOW}
    )
    await feed(scheduling, ASSIGNMENTS, escalated)
    before = len(answers(scheduling))
    await feed(scheduling, ACTIONS, request_meeting("case-2", "adv-anna"))
    assert answers(scheduling)[before:] == [("AdvisorCommandRejected", "not_assignee")]


async def test_a_reassignment_seen_before_the_case_opened_is_kept_not_dead_lettered(
    scheduling: InProcess,
) -> None:
    await feed(scheduling, ASSIGNMENTS, assigned("case-3", "adv-anna"), reassigned("case-3", "adv-bram"))
    assert scheduling.bus.dead_letters() == {}
    await feed(scheduling, CASES, no_mode("case-3"))
    await feed(
        scheduling, ACTIONS, request_meeting("case-3", "adv-anna"), request_meeting("case-3", "adv-bram")
    )
    said = answers(scheduling)
    assert said.count(("AdvisorCommandRejected", "not_assignee")) == 1  # anna's; bram holds the case
    assert scheduling.bus.dead_letters() == {}
