"""Who is the case's advisor now: the shared current-assignee projection
(shared/assignee_projection.py) folded from routing.assignments.v1 (entrypoints/routing_feed.py),
read by every check.

Routing decides; intake only remembers the latest decision per case. The row is replaced in the
transaction that consumes the event, so from the next request on the former advisor is refused.
A new assignee has to accept the case again (`accepted_by` is reset): acceptance is intake's own
fact about the assignment, kept in the projection's row but never written by the fold.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.intake.adapters.tables import assignments, cases
from services.intake.domain.lifecycle import CaseState
from shared.assignee_projection import AssigneeChange, AssigneeProjection

ASSIGNEES = AssigneeProjection(assignments)


async def set_assignee(conn: AsyncConnection, change: AssigneeChange) -> None:
    """Fold one routing decision; a different advisor (or none) must accept the case again."""
    previous = await ASSIGNEES.apply(conn, change)
    if previous != change.advisor_id:
        await conn.execute(
            assignments.update()
            .where(assignments.c.case_id == change.case_id)
            .values(accepted_by=None, accepted_at=None)
        )


async def set_assignees(conn: AsyncConnection, changes: Sequence[AssigneeChange]) -> None:
    """`set_assignee` for a batch of routing decisions, in order, in a few statements."""
    previous = await ASSIGNEES.apply_many(conn, changes)
    moved = sorted({c.case_id for c, before in zip(changes, previous, strict=True) if before != c.advisor_id})
    if moved:
        await conn.execute(
            assignments.update()
            .where(assignments.c.case_id.in_(moved))
            .values(accepted_by=None, accepted_at=None)
        )


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
