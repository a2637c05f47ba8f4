"""The workbench's consumers: who holds each case (routing.assignments.v1, the shared projection)
and each case's coded facts (intake.cases.v1). Nothing sealed is opened here; other event types
are skipped (shared/dispatch.py)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from services.workbench.adapters import case_summaries
from shared.assignee_projection import AssigneeChange
from shared.contracts.intake import CaseClosed, CaseOpened, CasePersonalDataErased
from shared.contracts.routing import AdvisorAssigned, CaseReassigned, RoutingEscalated
from shared.dispatch import Dispatch
from shared.outbox import Outgoing
from shared.pipeline import Decoded, Route, tolerant_envelope_decoder
from shared.topics import INTAKE_CASES, ROUTING_ASSIGNMENTS

CONSUMED_TOPICS = (INTAKE_CASES.name, ROUTING_ASSIGNMENTS.name)


async def routing_decided(
    conn: AsyncConnection,
    decision: AdvisorAssigned | CaseReassigned | RoutingEscalated,
    _m: Decoded,
    _now: datetime,
) -> Sequence[Outgoing]:
    await case_summaries.ASSIGNEES.apply(conn, AssigneeChange.of(decision))
    return []


async def case_opened(
    conn: AsyncConnection, opened: CaseOpened, _m: Decoded, _now: datetime
) -> Sequence[Outgoing]:
    categories = [c.value for c in opened.categories]
    await case_summaries.record_opened(
        conn, opened.case_id, opened.opened_at, categories, opened.channel.value
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


DISPATCH = Dispatch(
    {
        AdvisorAssigned: routing_decided,
        CaseReassigned: routing_decided,
        RoutingEscalated: routing_decided,
        CaseOpened: case_opened,
        CaseClosed: case_closed,
        CasePersonalDataErased: case_erased,
    }
)


def workbench_routes() -> dict[str, Route]:
    return {topic: Route(decode=tolerant_envelope_decoder, handle=DISPATCH) for topic in CONSUMED_TOPICS}
