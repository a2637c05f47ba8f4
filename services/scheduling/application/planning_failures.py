"""Use case: a case event that scheduling cannot plan a meeting for is reported, not dead-lettered.

After CaseOpened, AdvisorAssigned and CaseReassigned scheduling plans (or moves) a meeting by
itself. Such an event that fails here would dead-letter and leave the case without a meeting,
unnoticed: its changes are rolled back (a savepoint) and the advisor is told instead
(MeetingNotPlanned, "planning_failed"). One that does not even decode names its case from a loose
read, for the same answer ("event_unreadable"). Transient failures are raised: they are retried.

The savepoint is taken only when the event is applied alone (shared/pipeline.applying_alone): in a
batch the failure fails the batch, which the pipeline applies again one event at a time, so that
the batch's other events pay no savepoint (D64).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncConnection

from services.scheduling.adapters import projection
from shared.contracts.scheduling import MeetingNotPlanned
from shared.emitter import Emitter
from shared.outbox import Outgoing
from shared.pipeline import is_transient

log = structlog.get_logger(__name__)


async def planned_or_reported(
    conn: AsyncConnection,
    event: Any,
    emit: Emitter,
    now: datetime,
    plan: Callable[[], Awaitable[list[Outgoing]]],
    rolled_back: Callable[[], None] | None = None,
) -> list[Outgoing]:
    """`plan`'s events, or, if it fails, none of its changes and MeetingNotPlanned for `event`'s case.

    `rolled_back` is called when the savepoint around `plan` did not commit (state cached while
    planning may be undone)."""
    try:
        async with conn.begin_nested():
            return await plan()
    except Exception as exc:
        if rolled_back is not None:
            rolled_back()
        if is_transient(exc):
            raise
        return await not_planned(conn, event, emit, now, exc)


async def not_planned(
    conn: AsyncConnection, event: Any, emit: Emitter, now: datetime, exc: Exception
) -> list[Outgoing]:
    """MeetingNotPlanned for a case event whose planning failed, to the case's advisor if known."""
    log.error("meeting_not_planned", event_type=event.EVENT_TYPE, error_type=type(exc).__name__)
    case = await projection.load_case(conn, event.case_id)
    payload = MeetingNotPlanned(
        case_id=event.case_id,
        advisor_id=case.advisor_id if case is not None else None,
        reason_code="planning_failed",
        failed_event=event.EVENT_TYPE,
        decided_at=now,
    )
    return [emit(payload, event.case_id)]


def unreadable(case_id: str, event_type: str, reason: str, emit: Emitter, now: datetime) -> list[Outgoing]:
    """MeetingNotPlanned for a case event that does not decode (`reason` the decoder's)."""
    log.error("meeting_not_planned", event_type=event_type, error_type=reason)
    payload = MeetingNotPlanned(
        case_id=case_id,
        advisor_id=None,
        reason_code="event_unreadable",
        failed_event=event_type,
        decided_at=now,
    )
    return [emit(payload, case_id)]
