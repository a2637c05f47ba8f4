"""Routing's case rows (`routing_cases`): read one or the open ones, open one, record what changes them.

The routing decision itself updates a row's status and advisor (application/router.py); the
changes here are those that come before a decision: a case opened, a declared conflict, added
facts, a coordinator's choice of advisor, and a case's end.
"""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.routing.adapters.facts import COORDINATOR_CHOICE, coded_fields
from services.routing.adapters.tables import routing_cases
from shared.contracts.intake import CaseOpened


async def case_row(conn: AsyncConnection, case_id: str) -> Any:
    """The case's row, or None if routing has not seen it opened."""
    return (await conn.execute(select(routing_cases).where(routing_cases.c.case_id == case_id))).first()


async def cases_with_status(conn: AsyncConnection, *statuses: str) -> list[Any]:
    return list((await conn.execute(select(routing_cases).where(routing_cases.c.status.in_(statuses)))).all())


async def count_with_status(conn: AsyncConnection, status: str) -> int:
    query = select(func.count()).select_from(routing_cases).where(routing_cases.c.status == status)
    return int((await conn.execute(query)).scalar() or 0)


async def known_case_ids(conn: AsyncConnection, case_ids: list[str]) -> set[str]:
    """Which of these cases routing already has a row for (one statement for a batch)."""
    if not case_ids:
        return set()
    query = select(routing_cases.c.case_id).where(routing_cases.c.case_id.in_(case_ids))
    return set((await conn.execute(query)).scalars())


class NewCaseRow(SimpleNamespace):
    """A case row that exists only in memory so far (see `new_case`)."""


def new_case(opened: CaseOpened, now: datetime) -> NewCaseRow:
    """The row of an opened case, not yet routed and not yet stored: the decision fills in its
    status and advisor in memory (application/router.py), then `store_new_cases` writes it."""
    return NewCaseRow(
        case_id=opened.case_id,
        organisation_id=opened.organisation_id,
        unit_id=opened.unit_id,
        opened_at=opened.opened_at,
        coded=coded_fields(opened),
        routing_facts=opened.routing_facts.model_dump_json(),
        amendments=[],
        status="new",
        current_advisor_id=None,
        conflicted_advisor_ids=[],
        updated_at=now,
    )


async def store_new_cases(conn: AsyncConnection, rows: list[NewCaseRow]) -> None:
    """One multi-row INSERT for the new cases of a batch, as they stand after their first decision."""
    if rows:
        await conn.execute(routing_cases.insert(), [vars(r) for r in rows])


async def add_conflicted_advisor(conn: AsyncConnection, case_id: str, advisor_id: str) -> Any:
    """The case's row after `advisor_id` joined the advisors it may never go to."""
    row = await case_row(conn, case_id)
    conflicted = sorted({*(row.conflicted_advisor_ids or []), advisor_id})
    await conn.execute(
        routing_cases.update()
        .where(routing_cases.c.case_id == row.case_id)
        .values(conflicted_advisor_ids=conflicted)
    )
    return await case_row(conn, case_id)


async def add_amendment(conn: AsyncConnection, case_id: str, sealed_facts_json: str) -> Any:
    """The case's row after one more amendment (sealed facts, as JSON) was appended."""
    row = await case_row(conn, case_id)
    amendments = [*(row.amendments or []), sealed_facts_json]
    await conn.execute(
        routing_cases.update().where(routing_cases.c.case_id == row.case_id).values(amendments=amendments)
    )
    return await case_row(conn, case_id)


def with_coordinator_choice(row: Any, advisor_id: str) -> Any:
    """A copy of `row` in which a coordinator chose `advisor_id` (nothing stored yet: see
    `keep_coordinator_choice`)."""
    fields = dict(row._mapping)
    fields["coded"] = {**(row.coded or {}), COORDINATOR_CHOICE: advisor_id}
    return SimpleNamespace(**fields)


async def keep_coordinator_choice(conn: AsyncConnection, row: Any) -> None:
    """Store the choice `with_coordinator_choice` put in `row`: later decisions keep the advisor in scope."""
    await conn.execute(
        routing_cases.update().where(routing_cases.c.case_id == row.case_id).values(coded=row.coded)
    )


async def set_status(conn: AsyncConnection, case_id: str, status: str, now: datetime) -> None:
    await conn.execute(
        routing_cases.update().where(routing_cases.c.case_id == case_id).values(status=status, updated_at=now)
    )
