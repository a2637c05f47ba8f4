"""The coded case facts the workbench lists, folded from intake.cases.v1, and the lists themselves."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.workbench.adapters.tables import case_summaries, current_assignees
from services.workbench.domain.case_list import CaseLine
from shared.assignee_projection import AssigneeProjection
from shared.db import insert_ignoring_duplicates

ASSIGNEES = AssigneeProjection(current_assignees)


async def record_opened(
    conn: AsyncConnection,
    case_id: str,
    opened_at: datetime,
    categories: list[str],
    channel: str,
    organisation_id: str,
) -> None:
    values = {
        "opened_at": opened_at,
        "categories": categories,
        "channel": channel,
        "organisation_id": organisation_id,
    }
    await _upsert(conn, case_id, values)


async def record_organisation(conn: AsyncConnection, case_id: str, organisation_id: str) -> None:
    """The case's organisation as routing's RoutingEscalated names it (routing may decide before
    intake's CaseOpened is read here)."""
    await _upsert(conn, case_id, {"organisation_id": organisation_id})


async def organisations_of_cases(conn: AsyncConnection, case_ids: list[str]) -> dict[str, str | None]:
    t = case_summaries
    rows = await conn.execute(select(t.c.case_id, t.c.organisation_id).where(t.c.case_id.in_(case_ids)))
    return {r.case_id: r.organisation_id for r in rows}


async def record_status(conn: AsyncConnection, case_id: str, status: str) -> None:
    await _upsert(conn, case_id, {"status": status})


async def _upsert(conn: AsyncConnection, case_id: str, values: dict[str, Any]) -> None:
    t = case_summaries
    exists = (await conn.execute(select(t.c.case_id).where(t.c.case_id == case_id))).first()
    if exists is None:
        insert = insert_ignoring_duplicates(conn, t, ["case_id"])
        await conn.execute(insert.values(case_id=case_id, **{"categories": [], "status": "open", **values}))
    else:
        await conn.execute(t.update().where(t.c.case_id == case_id).values(**values))


async def lines_of(conn: AsyncConnection, case_ids: list[str]) -> list[CaseLine]:
    """One line per case id, in no particular order; a case intake has not told about yet is open
    with unknown facts (routing may decide before intake's event is read here)."""
    if not case_ids:
        return []
    t = case_summaries
    rows = {r.case_id: r for r in await conn.execute(select(t).where(t.c.case_id.in_(case_ids)))}
    lines = []
    for case_id in case_ids:
        row = rows.get(case_id)
        if row is None:
            lines.append(CaseLine(case_id, None, (), None, "open"))
            continue
        opened = (
            row.opened_at.replace(tzinfo=UTC)
            if row.opened_at and row.opened_at.tzinfo is None
            else row.opened_at
        )
        lines.append(CaseLine(case_id, opened, tuple(row.categories or ()), row.channel, row.status))
    return lines
