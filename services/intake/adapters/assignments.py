"""Who is the case's advisor now: folded from routing.assignments.v1, read by every check.

Routing decides; intake only remembers the latest decision per case. The row is replaced in the
transaction that consumes the event, so from the next request on the former advisor is refused.
A new assignee has to accept the case again (`accepted_by` is reset).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.intake.adapters.tables import assignments, cases
from services.intake.domain.lifecycle import CaseState
from services.intake.entrypoints.decoding import selective_envelope_decoder
from shared.contracts.routing import AdvisorAssigned, CaseReassigned, RoutingEscalated
from shared.db import insert_ignoring_duplicates
from shared.outbox import Outgoing
from shared.pipeline import Decoded, Route

HANDLED = ("AdvisorAssigned", "CaseReassigned", "RoutingEscalated")


async def set_assignee(
    conn: AsyncConnection, case_id: str, advisor_id: str | None, decided_at: datetime
) -> None:
    current = (await conn.execute(select(assignments).where(assignments.c.case_id == case_id))).first()
    keep_acceptance = current is not None and advisor_id is not None and current.advisor_id == advisor_id
    values = {
        "advisor_id": advisor_id,
        "state": "assigned" if advisor_id else "escalated",
        "accepted_by": current.accepted_by if keep_acceptance and current else None,
        "accepted_at": current.accepted_at if keep_acceptance and current else None,
        "decided_at": decided_at,
    }
    if current is None:
        await conn.execute(
            insert_ignoring_duplicates(conn, assignments, ["case_id"]).values(case_id=case_id, **values)
        )
    else:
        await conn.execute(assignments.update().where(assignments.c.case_id == case_id).values(**values))


async def apply_routing_event(conn: AsyncConnection, message: Decoded, now: datetime) -> Sequence[Outgoing]:
    if message.body is None:
        return []
    event = message.body.payload
    if isinstance(event, AdvisorAssigned):
        await set_assignee(conn, event.case_id, event.advisor_id, event.decided_at)
    elif isinstance(event, CaseReassigned):
        await set_assignee(conn, event.case_id, event.to_advisor_id, event.decided_at)
    elif isinstance(event, RoutingEscalated):
        await set_assignee(conn, event.case_id, None, event.escalated_at)
    return []


def routing_route() -> Route:
    return Route(decode=selective_envelope_decoder(HANDLED), handle=apply_routing_event)


async def mark_accepted(conn: AsyncConnection, case_id: str, advisor_id: str, now: datetime) -> None:
    await conn.execute(
        assignments.update()
        .where(assignments.c.case_id == case_id)
        .values(accepted_by=advisor_id, accepted_at=now)
    )


async def load_case_state(conn: AsyncConnection, case_id: str | None) -> CaseState | None:
    """The case as the lifecycle rules see it; None for an unknown case id."""
    if case_id is None:
        return None
    query = (
        select(
            cases.c.case_id,
            cases.c.status,
            cases.c.erased_at,
            cases.c.is_whistleblower_report,
            assignments.c.advisor_id,
            assignments.c.accepted_by,
        )
        .select_from(cases.outerjoin(assignments, assignments.c.case_id == cases.c.case_id))
        .where(cases.c.case_id == case_id)
    )
    row = (await conn.execute(query)).first()
    if row is None:
        return None
    return CaseState(
        case_id=row.case_id,
        assignee=row.advisor_id,
        accepted_by=row.accepted_by,
        status="closed" if row.status == "closed" else "open",
        erased=row.erased_at is not None,
        is_whistleblower_report=bool(row.is_whistleblower_report),
    )


async def current_assignee(conn: AsyncConnection, case_id: str) -> str | None:
    """Intake's projection of who may act on a case (the advisor-command gate's lookup): its
    assignee, unless the case is unknown or erased."""
    case = await load_case_state(conn, case_id)
    return case.assignee if case is not None and not case.erased else None
