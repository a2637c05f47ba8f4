"""Who is the case's advisor now: the shared current-assignee projection
(shared/assignee_projection.py) folded from routing.assignments.v1 (entrypoints/routing_feed.py),
read by every check.

Routing decides; intake only remembers the latest decision per case. The row is replaced in the
transaction that consumes the event, so from the next request on the former advisor is refused.
A new assignee has to accept the case again (`accepted_by` is reset): acceptance is intake's own
fact about the assignment, kept in the projection's row but never written by the shared fold.

The row also names the decision it holds (`decision_id`, the routing event's id), and keeps the
latest acceptance with the decision it accepted (`acceptance_*`) through a reassignment. Live a
decision is folded once (the inbox), so a reassignment never comes back to an accepted decision and
resets as it always did. A restored intake (D55) folds its own CaseAccepted in first and then
consumes the decisions that came before it again: away, and back to the decision accepted, which
gives the acceptance back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Boolean, bindparam, null, select
from sqlalchemy import case as sql_case
from sqlalchemy.ext.asyncio import AsyncConnection

from services.intake.adapters.tables import assignments, cases
from services.intake.domain.lifecycle import CaseState
from shared.assignee_projection import AssigneeChange, AssigneeProjection

ASSIGNEES = AssigneeProjection(assignments)


@dataclass(frozen=True, slots=True)
class Decision:
    """A routing decision as intake folds it: the change and its event id."""

    change: AssigneeChange
    event_id: str | None


_a = assignments.c
# One decision after the shared fold wrote it: the row names it; the decision the latest acceptance
# accepted gives the acceptance back; any other that changed the advisor resets it; one to the same
# advisor keeps it.
_FOLLOW = (
    assignments.update()
    .where(_a.case_id == bindparam("the_case_id"))
    .values(
        decision_id=bindparam("decision"),
        accepted_by=sql_case(
            (_a.acceptance_decision_id == bindparam("decision"), _a.acceptance_by),
            (bindparam("moved", type_=Boolean), null()),
            else_=_a.accepted_by,
        ),
        accepted_at=sql_case(
            (_a.acceptance_decision_id == bindparam("decision"), _a.acceptance_at),
            (bindparam("moved", type_=Boolean), null()),
            else_=_a.accepted_at,
        ),
    )
)


async def set_assignees(conn: AsyncConnection, decisions: Sequence[Decision]) -> None:
    """Routing decisions for a batch, in order, in two to four statements: the shared fold, then
    one executemany that follows each decision's effect on the acceptance, in the log's order."""
    if not decisions:
        return
    previous = await ASSIGNEES.apply_many(conn, [d.change for d in decisions])
    steps = [
        {"the_case_id": d.change.case_id, "decision": d.event_id, "moved": before != d.change.advisor_id}
        for d, before in zip(decisions, previous, strict=True)
    ]
    await conn.execute(_FOLLOW, steps)


async def mark_accepted(conn: AsyncConnection, case_id: str, advisor_id: str, now: datetime) -> str | None:
    """The assignee accepted the case; returns the event id of the decision accepted (None for a
    row from before decisions were named)."""
    accepted = (
        assignments.update()
        .where(_a.case_id == case_id)
        .values(
            accepted_by=advisor_id,
            accepted_at=now,
            acceptance_by=advisor_id,
            acceptance_at=now,
            acceptance_decision_id=_a.decision_id,
        )
        .returning(_a.decision_id)
    )
    decision_id: str | None = (await conn.execute(accepted)).scalar()
    return decision_id


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
