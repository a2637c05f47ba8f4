"""A queue delay does not expire an advisor command; a late publication does (shared/auth.py TOKEN_POLICY).

Intake, routing and scheduling run in process on the real broker with one shared clock. Two cases
are opened and assigned; then all three services stop. While they are stopped, advisors publish
commands with fresh 5-minute tokens (valid when published) and the same commands with tokens that
had expired 15 minutes before they were published (stamped back to when they were valid by their
producer: advisor.actions.v1 is a LogAppendTime topic, so the broker's time counts). The services come back with their clock an
hour later, long after every token expired, and consume the waiting commands: each service
honours the first kind, judged at the record's broker timestamp, and refuses the second with
`token_expired`, naming no id the refused command supplied.
"""

from __future__ import annotations

from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from shared.auth import TOKEN_POLICY, authorize_command, peek_claims
from shared.codes import ConflictReason
from shared.contracts.advisor_actions import AcceptCase, DeclareConflict, RequestMeeting
from shared.envelope import EventPayload
from tests.support.advisor_stack import Stack, answers_to, new_stack, open_two_assigned_cases
from tests.support.services import running
from tools.demo.sample_org import advisor_private_key

pytestmark = pytest.mark.integration


@pytest.fixture
async def stack(kafka_bootstrap: str, tmp_path: Path) -> Stack:
    return await new_stack(kafka_bootstrap, tmp_path)


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
    # Published now, after expiry; the producer even asks for a record timestamp from when the token
    # was valid, which the topic's LogAppendTime replaces by the broker's own.
    back = too_late + timedelta(minutes=1)
    late = {
        "intake": await stack.publish_command(accept(too_late), meet_case, timestamp=back),
        "routing": await stack.publish_command(conflict(too_late), conflict_case, timestamp=back),
        "scheduling": await stack.publish_command(meeting(too_late), meet_case, timestamp=back),
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
        "intake": (intake[late["intake"]], "AdvisorCommandRejected", "reason_code"),
        "routing": (routing[late["routing"]], "AdvisorCommandRejected", "reason_code"),
        "scheduling": (scheduling[late["scheduling"]], "AdvisorCommandRejected", "reason_code"),
    }
    for service, (events, kind, reason_field) in refusals.items():
        assert types(events) == [kind], service
        payload = events[0]["payload"]
        assert payload[reason_field] == "token_expired", service
        assert (payload["case_id"], payload["advisor_id"]) == (None, None), service
        assert meet_case not in str(events[0]) and conflict_case not in str(events[0]), service
