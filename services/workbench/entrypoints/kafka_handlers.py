"""The workbench's consumers: who holds each case (routing.assignments.v1, the shared projection),
each case's coded facts (intake.cases.v1), and the notices they cause (a new assignment, a client's
message, a legal deadline coming due, a moved meeting: domain/notifications.py), written in the same
transaction. Nothing sealed is opened here; other event types are skipped (shared/dispatch.py)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from services.workbench.adapters import (
    advisor_directory,
    case_summaries,
    coordinator_choices,
    given_up,
    meeting_store,
    notification_store,
    reflection_talks,
    time_store,
)
from services.workbench.adapters.meeting_store import MeetingRow
from services.workbench.domain.notifications import Reason, is_news, notice
from shared.assignee_projection import AssigneeChange
from shared.contracts.advisor_actions import DeclareConflict
from shared.contracts.advisor_commands import AdvisorCommandRejected
from shared.contracts.directory import (
    AdvisorStatusChanged,
    AdvisorUpserted,
    CoordinatorAppointed,
    OrgUnitUpserted,
)
from shared.contracts.intake import (
    CaseClosed,
    CaseOpened,
    CasePersonalDataErased,
    ClientMessagePosted,
    LegalDeadlineDue,
    TimeLogged,
)
from shared.contracts.routing import (
    AdvisorAssigned,
    CaseReassigned,
    ReflectionTalkRegistered,
    RoutingEscalated,
)
from shared.contracts.scheduling import MeetingCancelled, MeetingScheduled
from shared.dispatch import Dispatch, PayloadHandler
from shared.outbox import Outgoing
from shared.pipeline import Decoded, Route, tolerant_envelope_decoder
from shared.topics import (
    DIRECTORY_ADVISORS,
    DIRECTORY_UNITS,
    INTAKE_CASES,
    ROUTING_ALERTS,
    ROUTING_ASSIGNMENTS,
    SCHEDULING_MEETINGS,
)

CONSUMED_TOPICS = (
    INTAKE_CASES.name,
    ROUTING_ASSIGNMENTS.name,
    SCHEDULING_MEETINGS.name,
    DIRECTORY_ADVISORS.name,  # advisors' coded records, coordinators; never directory.v1 (pseudonyms)
    ROUTING_ALERTS.name,  # the coordinators' reflection talks
    DIRECTORY_UNITS.name,  # unit names for the phone and walk-in form; no people
)


async def routing_decided(
    conn: AsyncConnection,
    decision: AdvisorAssigned | CaseReassigned | RoutingEscalated,
    m: Decoded,
    now: datetime,
) -> Sequence[Outgoing]:
    change = AssigneeChange.of(decision)
    previous = await case_summaries.ASSIGNEES.apply(conn, change)
    if isinstance(decision, RoutingEscalated):
        await case_summaries.record_organisation(conn, decision.case_id, decision.organisation_id)
    if change.advisor_id != previous:
        await given_up.case_moved(conn, decision.case_id, change.advisor_id)
    if change.advisor_id is not None and change.advisor_id != previous and is_news(change.decided_at, now):
        new_case = notice(m.message_id, change.advisor_id, Reason.NEW_ASSIGNMENT)
        await notification_store.add_notice(conn, new_case, now)
    return []


async def command_rejected(
    conn: AsyncConnection, rejected: AdvisorCommandRejected, m: Decoded, now: datetime
) -> Sequence[Outgoing]:
    """A refusal of a command sent from here. A conflict declaration: the case is the advisor's again
    (given_up.py); a proven refusal names the advisor and the case, an unproven one names nobody and
    is found by its causation id, which only the sender can derive. A coordinator's choice: kept,
    coded, to show on the queue (coordinator_choices.py); a reflection talk's registration: kept to
    show on the coordinator's advisors page (reflection_talks.py). Others are not shown here."""
    if rejected.command != DeclareConflict.EVENT_TYPE:
        await coordinator_choices.record_rejection(conn, rejected)
        await reflection_talks.record_rejection(conn, rejected)
        return []
    if rejected.advisor_id and rejected.case_id:
        await given_up.refused(conn, rejected.advisor_id, rejected.case_id, rejected.reason_code, now)
    elif m.body.causation_id:
        await given_up.refused_unproven(conn, str(m.body.causation_id), rejected.reason_code, now)
    return []


async def tell_assignee(
    conn: AsyncConnection, case_id: str, m: Decoded, reason: Reason, now: datetime
) -> None:
    advisor_id = await case_summaries.ASSIGNEES.assignee_of(conn, case_id)
    if advisor_id is not None:
        await notification_store.add_notice(conn, notice(m.message_id, advisor_id, reason), now)


async def client_wrote(
    conn: AsyncConnection, posted: ClientMessagePosted, m: Decoded, now: datetime
) -> Sequence[Outgoing]:
    if is_news(posted.posted_at, now):
        await tell_assignee(conn, posted.case_id, m, Reason.CLIENT_MESSAGE, now)
    return []


async def deadline_due(
    conn: AsyncConnection, due: LegalDeadlineDue, m: Decoded, now: datetime
) -> Sequence[Outgoing]:
    if is_news(due.noticed_at, now):
        await tell_assignee(conn, due.case_id, m, Reason.DEADLINE_DUE, now)
    return []


async def meeting_scheduled(
    conn: AsyncConnection, meeting: MeetingScheduled, m: Decoded, now: datetime
) -> Sequence[Outgoing]:
    row = MeetingRow.scheduled(meeting)
    before = await meeting_store.record_scheduled(conn, row, meeting.room_id, meeting.venue_id)
    # Moved or rescheduled: news; a first booking is what the advisor asked for, and a meeting that
    # came with a reassigned case is part of the one notice of the new assignment.
    theirs = before in (None, meeting.advisor_id)
    if meeting.calendar_sequence > 0 and theirs and is_news(meeting.scheduled_at, now):
        moved = notice(m.message_id, meeting.advisor_id, Reason.MEETING_MOVED)
        await notification_store.add_notice(conn, moved, now)
    return []


async def meeting_cancelled(
    conn: AsyncConnection, cancelled: MeetingCancelled, _m: Decoded, _now: datetime
) -> Sequence[Outgoing]:
    # A reschedule is followed by a MeetingScheduled with the same id and a higher sequence,
    # which sets the row back to scheduled.
    await meeting_store.record_cancelled(conn, cancelled.meeting_id)
    return []


async def time_was_logged(
    conn: AsyncConnection, logged: TimeLogged, m: Decoded, _now: datetime
) -> Sequence[Outgoing]:
    await time_store.record(
        conn,
        m.message_id,
        logged.advisor_id,
        logged.case_id,
        logged.activity.value,
        logged.minutes,
        logged.logged_at,
    )
    return []


async def case_opened(
    conn: AsyncConnection, opened: CaseOpened, _m: Decoded, _now: datetime
) -> Sequence[Outgoing]:
    categories = [c.value for c in opened.categories]
    await case_summaries.record_opened(
        conn, opened.case_id, opened.opened_at, categories, opened.channel.value, opened.organisation_id
    )
    return []


async def case_closed(
    conn: AsyncConnection, closed: CaseClosed, _m: Decoded, _now: datetime
) -> Sequence[Outgoing]:
    await case_summaries.record_status(conn, closed.case_id, "closed")
    return []


async def case_erased(
    conn: AsyncConnection, erased: CasePersonalDataErased, _m: Decoded, _now: datetime
) -> Sequence[Outgoing]:
    await case_summaries.record_status(conn, erased.case_id, "erased")
    return []


def recorded(record: Callable[[AsyncConnection, Any], Awaitable[None]]) -> PayloadHandler:
    """A handler that only folds the payload into the workbench's tables (`record(conn, payload)`)."""

    async def handle(conn: AsyncConnection, payload: Any, _m: Decoded, _now: datetime) -> Sequence[Outgoing]:
        await record(conn, payload)
        return []

    return handle


DISPATCH = Dispatch(
    {
        AdvisorAssigned: routing_decided,
        CaseReassigned: routing_decided,
        RoutingEscalated: routing_decided,
        CaseOpened: case_opened,
        CaseClosed: case_closed,
        TimeLogged: time_was_logged,
        CasePersonalDataErased: case_erased,
        ClientMessagePosted: client_wrote,
        LegalDeadlineDue: deadline_due,
        MeetingScheduled: meeting_scheduled,
        AdvisorCommandRejected: command_rejected,
        MeetingCancelled: meeting_cancelled,
        AdvisorUpserted: recorded(advisor_directory.record_advisor),
        AdvisorStatusChanged: recorded(advisor_directory.record_status),
        CoordinatorAppointed: recorded(advisor_directory.record_coordinator),
        ReflectionTalkRegistered: recorded(reflection_talks.record_talk),
        OrgUnitUpserted: recorded(advisor_directory.record_unit),
    }
)


def workbench_routes() -> dict[str, Route]:
    return {topic: Route(decode=tolerant_envelope_decoder, handle=DISPATCH) for topic in CONSUMED_TOPICS}
