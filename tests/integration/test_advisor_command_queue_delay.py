"""A queue delay does not expire an advisor command; a late publication does (shared/auth.py TOKEN_POLICY).

Intake, routing and scheduling run in process on the real broker with one shared clock. Two cases
are opened and assigned; then all three services stop. While they are stopped, advisors publish
commands with fresh 5-minute tokens (valid when published) and the same commands with tokens that
had expired 15 minutes before they were published. The services come back with their clock an
hour later, long after every token expired, and consume the waiting commands: each service
honours the first kind, judged at the record's broker timestamp, and refuses the second with
`token_expired`, naming no id the refused command supplied.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from caseflow.sample_org import advisor_private_key, directory_events
from services.intake.app import create_runtime as intake_runtime
from services.intake.assignments import load_case_state
from services.intake.settings import IntakeSettings
from services.routing.app import create_runtime as routing_runtime
from services.routing.settings import RoutingSettings
from services.scheduling import projection
from services.scheduling.app import create_runtime as scheduling_runtime
from services.scheduling.settings import SchedulingSettings
from shared.auth import TOKEN_POLICY, authorize_command, peek_claims, unproven_cause
from shared.codes import ConflictReason
from shared.contracts.advisor_actions import AcceptCase, DeclareConflict, RequestMeeting
from shared.envelope import EventPayload, new_envelope
from shared.topics import ALL_TOPICS
from tests.support import samples
from tests.support.kafka_io import create_topics, produce, read_all, read_json
from tests.support.services import TEST_MASTER_KEY, running, wait_until

pytestmark = pytest.mark.integration


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

    async def publish_command(self, command: EventPayload, stream: str) -> str:
        env = new_envelope(
            command, stream_id=stream, producer="workbench", occurred_at=datetime.now(UTC), causation_id=None
        )
        await produce(self.kafka, self.prefix + "advisor.actions.v1", [(stream.encode(), env.to_bytes())])
        return env.event_id


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
        await wait_until(ok, timeout=60, interval=0.5)
    finally:
        await engine.dispose()


@pytest.fixture
async def stack(kafka_bootstrap: str, tmp_path: Path) -> AsyncIterator[Stack]:
    prefix = f"t-queue-delay-{uuid.uuid4().hex[:8]}."
    await create_topics(
        kafka_bootstrap, [prefix + t.name for t in ALL_TOPICS] + [prefix + t.dlq for t in ALL_TOPICS]
    )
    await produce(
        kafka_bootstrap,
        prefix + "directory.v1",
        [(e.stream_id.encode(), e.to_bytes()) for e in directory_events()],
    )
    yield Stack(kafka_bootstrap, prefix, tmp_path)


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

    await wait_until(both_assigned, timeout=60, interval=0.5)

    async def intake_knows(conn: Any) -> bool:
        states = [await load_case_state(conn, case_id) for case_id in assigned]
        return all(s is not None and s.assignee == assigned[s.case_id] for s in states)

    async def scheduling_knows(conn: Any) -> bool:
        facts = [await projection.load_case(conn, case_id) for case_id in assigned]
        return all(f is not None and f.opened and f.advisor_id == assigned[f.case_id] for f in facts)

    await poll_db(stack.db("intake"), intake_knows)
    await poll_db(stack.db("scheduling"), scheduling_knows)
    return assigned


async def test_every_service_honours_a_command_that_waited_and_refuses_one_published_after_expiry(
    stack: Stack,
) -> None:
    async with AsyncExitStack() as services:
        for runtime in stack.runtimes():
            await services.enter_async_context(running(runtime))
        assigned = await open_two_assigned_cases(stack)
    # All three services are stopped now: what is published next waits in advisor.actions.v1.
    (meet_case, meet_advisor), (conflict_case, conflict_advisor) = assigned.items()
    now = datetime.now(UTC)
    too_late = now - timedelta(minutes=20)  # its 5-minute token expired 15 minutes ago

    def signed(command: EventPayload, advisor: str, at: datetime) -> EventPayload:
        return authorize_command(advisor_private_key(advisor), command, now=at)

    def accept(at: datetime) -> EventPayload:
        return signed(
            AcceptCase(advisor_id=meet_advisor, auth="", issued_at=at, case_id=meet_case), meet_advisor, at
        )

    def meeting(at: datetime) -> EventPayload:
        command = RequestMeeting(advisor_id=meet_advisor, auth="", issued_at=at, case_id=meet_case)
        return signed(command, meet_advisor, at)

    def conflict(at: datetime) -> EventPayload:
        command = DeclareConflict(
            advisor_id=conflict_advisor,
            auth="",
            issued_at=at,
            case_id=conflict_case,
            reason=ConflictReason.KNOWS_PERSON,
        )
        return signed(command, conflict_advisor, at)

    waited = {
        "intake": await stack.publish_command(accept(now), meet_case),
        "routing": await stack.publish_command(conflict(now), conflict_case),
        "scheduling": await stack.publish_command(meeting(now), meet_case),
    }
    late = {
        "intake": await stack.publish_command(accept(too_late), meet_case),
        "routing": await stack.publish_command(conflict(too_late), conflict_case),
        "scheduling": await stack.publish_command(meeting(too_late), meet_case),
    }
    # The services come back an hour later: judged at the time of processing, every token has expired.
    stack.clock.offset = timedelta(hours=1)
    token = peek_claims(str(accept(now).model_dump()["auth"]))
    assert stack.clock() > token.expires_at + TOKEN_POLICY.clock_skew
    async with AsyncExitStack() as services:
        for runtime in stack.runtimes():
            await services.enter_async_context(running(runtime))
        intake = await answers_to(stack, "intake.cases.v1", [waited["intake"], late["intake"]])
        routing = await answers_to(stack, "routing.assignments.v1", [waited["routing"], late["routing"]])
        scheduling = await answers_to(
            stack, "scheduling.meetings.v1", [waited["scheduling"], late["scheduling"]]
        )

    def types(events: list[dict[str, Any]]) -> list[str]:
        return [e["event_type"] for e in events]

    # Honoured: valid when published, processed an hour later.
    assert types(intake[waited["intake"]]) == ["CaseAccepted"]
    assert "CaseReassigned" in types(routing[waited["routing"]])
    reassigned = next(e for e in routing[waited["routing"]] if e["event_type"] == "CaseReassigned")
    assert reassigned["payload"]["to_advisor_id"] != conflict_advisor
    assert types(scheduling[waited["scheduling"]])[0] in ("MeetingScheduled", "NoSlotFound")
    # Refused: published after the token expired, with no id the command supplied.
    refusals = {
        "intake": (intake[late["intake"]], "ActionRejected", "reason_code"),
        "routing": (routing[late["routing"]], "RoutingActionRejected", "reason"),
        "scheduling": (scheduling[late["scheduling"]], "MeetingRequestRejected", "reason_code"),
    }
    for service, (events, kind, reason_field) in refusals.items():
        assert types(events) == [kind], service
        payload = events[0]["payload"]
        assert payload[reason_field] == "token_expired", service
        assert (payload["case_id"], payload["advisor_id"]) == (None, None), service
        assert meet_case not in str(events[0]) and conflict_case not in str(events[0]), service
