"""Who holds a case now, as routing last decided: the one current-assignee projection.

Routing alone decides (its `routing_cases` rows are the source). Every other service that must know
"who may act on this case" (intake for the case file and the dialogue, scheduling for meetings,
the workbench for an advisor's list) keeps a copy of that decision in its own database (no service
reads another's), and builds it here: the same table, the same fold of routing.assignments.v1.

- `AdvisorAssigned` names the advisor; `CaseReassigned` names the next one, or None when nobody
  was eligible; `RoutingEscalated` means nobody (the coordinators' queue).
- The latest decision in the log wins. Routing publishes a case's decisions keyed by its case id,
  so they arrive in the order routing took them; a redelivered one is dropped by the consumer's
  inbox before it reaches the fold.

What a service adds to "may act now" stays in that service (intake: the case is not erased;
scheduling: the case was opened there) and is combined in its own `AssigneeLookup`
(shared/advisor_commands.py).

    current_assignees = define_assignee_table(metadata)          # in a service's tables.py
    ASSIGNEES = AssigneeProjection(current_assignees)
    if (change := assignee_change(event)) is not None:            # in the consumer
        previous = await ASSIGNEES.apply(conn, change)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from sqlalchemy import Column, DateTime, Insert, MetaData, Select, String, Table, Update, bindparam, select
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.contracts.routing import AdvisorAssigned, CaseReassigned, RoutingEscalated
from shared.db import insert_ignoring_duplicates, upsert
from shared.envelope import EventPayload

# The event types the projection folds (a consumer's selective decoder reads only these).
ASSIGNEE_EVENTS = (AdvisorAssigned.EVENT_TYPE, CaseReassigned.EVENT_TYPE, RoutingEscalated.EVENT_TYPE)

AssigneeState = Literal["assigned", "escalated"]
RoutingDecision = AdvisorAssigned | CaseReassigned | RoutingEscalated


@dataclass(frozen=True, slots=True)
class AssigneeChange:
    """One routing decision as the projection sees it."""

    case_id: str
    advisor_id: str | None  # None: nobody eligible, waiting in the coordinators' queue
    decided_at: datetime

    @property
    def state(self) -> AssigneeState:
        return "assigned" if self.advisor_id is not None else "escalated"

    @classmethod
    def of(cls, decision: RoutingDecision) -> AssigneeChange:
        """The change a routing decision makes to who holds its case (pure)."""
        if isinstance(decision, AdvisorAssigned):
            return cls(decision.case_id, decision.advisor_id, decision.decided_at)
        if isinstance(decision, CaseReassigned):
            return cls(decision.case_id, decision.to_advisor_id, decision.decided_at)
        return cls(decision.case_id, None, decision.escalated_at)


def assignee_change(event: EventPayload) -> AssigneeChange | None:
    """The change `event` makes to who holds its case; None for an event that is no decision."""
    return (
        AssigneeChange.of(event)
        if isinstance(event, AdvisorAssigned | CaseReassigned | RoutingEscalated)
        else None
    )


def define_assignee_table(
    metadata: MetaData, name: str = "current_assignees", *extra: Column[object]
) -> Table:
    """The projection's table in a service's metadata; `extra` columns are the service's own facts
    about the assignment (intake's acceptance), which the fold never writes."""
    return Table(
        name,
        metadata,
        Column("case_id", String(64), primary_key=True),
        Column("advisor_id", String(64), nullable=True, index=True),  # None: escalated
        Column("state", String(20), nullable=False),  # assigned | escalated
        Column("decided_at", DateTime(timezone=True), nullable=False),
        *extra,
    )


def _values(change: AssigneeChange) -> dict[str, object]:
    return {"advisor_id": change.advisor_id, "state": change.state, "decided_at": change.decided_at}


@dataclass(frozen=True, slots=True)
class _Statements:
    read: Select[tuple[str | None]]
    insert: Insert
    update: Update


@dataclass(frozen=True, slots=True)
class AssigneeProjection:
    """The fold and its queries over one service's table (see the module docstring)."""

    table: Table
    # apply's statements, built once per dialect: building one per call cost more CPU than
    # running it (issue 17).
    _built: dict[str, _Statements] = field(default_factory=dict, compare=False, repr=False)

    def _statements(self, conn: AsyncConnection) -> _Statements:
        built = self._built.get(conn.dialect.name)
        if built is None:
            t = self.table
            built = self._built[conn.dialect.name] = _Statements(
                read=select(t.c.advisor_id).where(t.c.case_id == bindparam("of_case")),
                insert=insert_ignoring_duplicates(conn, t, ["case_id"]),
                update=t.update().where(t.c.case_id == bindparam("the_case_id")),
            )
        return built

    async def record(self, conn: AsyncConnection, change: AssigneeChange) -> None:
        """`apply` for a caller that needs not know who held the case before: one statement."""
        await upsert(conn, self.table, ["case_id"], {"case_id": change.case_id, **_values(change)})

    async def apply(self, conn: AsyncConnection, change: AssigneeChange) -> str | None:
        """Record `change` in the caller's transaction; returns the advisor who held the case before
        (None when nobody did or the case was new here)."""
        statements = self._statements(conn)
        previous = (await conn.execute(statements.read, {"of_case": change.case_id})).first()
        if previous is None:
            await conn.execute(statements.insert, {"case_id": change.case_id, **_values(change)})
            return None
        await conn.execute(statements.update, {"the_case_id": change.case_id, **_values(change)})
        return str(previous.advisor_id) if previous.advisor_id is not None else None

    async def apply_many(self, conn: AsyncConnection, changes: Sequence[AssigneeChange]) -> list[str | None]:
        """`apply` for a batch, in order, in three statements at most: one read of the cases'
        rows, one multi-row INSERT of the new ones, one executemany UPDATE of the others. Returns,
        for each change, the advisor who held its case just before it (as `apply` does)."""
        if not changes:
            return []
        t = self.table
        case_ids = list(dict.fromkeys(c.case_id for c in changes))
        stored = {
            r.case_id: r.advisor_id
            for r in await conn.execute(select(t.c.case_id, t.c.advisor_id).where(t.c.case_id.in_(case_ids)))
        }
        held: dict[str, str | None] = dict(stored)
        latest: dict[str, AssigneeChange] = {}
        previous: list[str | None] = []
        for change in changes:
            previous.append(held.get(change.case_id))
            held[change.case_id] = change.advisor_id
            latest[change.case_id] = change
        new = [c for cid, c in latest.items() if cid not in stored]
        if new:
            await conn.execute(
                insert_ignoring_duplicates(conn, t, ["case_id"]),
                [{"case_id": c.case_id, **_values(c)} for c in new],
            )
        known = [c for cid, c in latest.items() if cid in stored]
        if known:
            await conn.execute(
                t.update()
                .where(t.c.case_id == bindparam("the_case_id"))
                .values(
                    advisor_id=bindparam("advisor_id"),
                    state=bindparam("state"),
                    decided_at=bindparam("decided_at"),
                ),
                [{"the_case_id": c.case_id, **_values(c)} for c in known],
            )
        return previous

    async def assignee_of(self, conn: AsyncConnection, case_id: str) -> str | None:
        """The advisor routing last assigned the case to; None when escalated or unknown here."""
        t = self.table
        return (await conn.execute(select(t.c.advisor_id).where(t.c.case_id == case_id))).scalar()

    async def cases_of(self, conn: AsyncConnection, advisor_id: str) -> list[str]:
        """The cases an advisor holds now, oldest decision first."""
        t = self.table
        query = select(t.c.case_id).where(t.c.advisor_id == advisor_id).order_by(t.c.decided_at, t.c.case_id)
        return list((await conn.execute(query)).scalars())

    async def escalated(self, conn: AsyncConnection) -> list[str]:
        """The cases nobody holds (the coordinators' queue), oldest first."""
        t = self.table
        query = select(t.c.case_id).where(t.c.state == "escalated").order_by(t.c.decided_at, t.c.case_id)
        return list((await conn.execute(query)).scalars())


__all__ = [
    "ASSIGNEE_EVENTS",
    "AssigneeChange",
    "AssigneeProjection",
    "AssigneeState",
    "RoutingDecision",
    "assignee_change",
    "define_assignee_table",
]
