"""The advisors and coordinators the workbench knows, folded from the HR feed's narrow copy
(directory.advisors.v1: AdvisorUpserted without its person pseudonym, AdvisorStatusChanged,
CoordinatorAppointed). Coded fields only: no name, no person id, no unit a person is in.

And the units (directory.units.v1, OrgUnitUpserted: id, parent, name, organisation), for the unit
list of the phone and walk-in form: names of parts of the organisation, never of people."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import JSON, Column, Date, String, Table, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.workbench.adapters.tables import metadata
from shared.codes import AdvisorStatus
from shared.contracts.directory import (
    AdvisorStatusChanged,
    AdvisorUpserted,
    CoordinatorAppointed,
    OrgUnitUpserted,
)
from shared.db import insert_ignoring_duplicates

advisors = Table(
    "advisors",
    metadata,
    Column("advisor_id", String(64), primary_key=True),
    Column("kind", String(10), nullable=False),
    Column("scope", String(20), nullable=False),
    Column("organisation_id", String(64), nullable=True),
    Column("term_start", Date, nullable=False),
    Column("term_end", Date, nullable=True),
    Column("status", String(20), nullable=False),
)

# Which organisations' escalated cases a coordinator may assign (an empty list: no longer).
coordinators = Table(
    "coordinators",
    metadata,
    Column("coordinator_id", String(64), primary_key=True),
    Column("organisation_ids", JSON, nullable=False, default=list),
)


units = Table(
    "units",
    metadata,
    Column("unit_id", String(64), primary_key=True),
    Column("parent_id", String(64), nullable=True),
    Column("name", String(200), nullable=False),
    Column("organisation_id", String(64), nullable=False),
)


@dataclass(frozen=True, slots=True)
class UnitRow:
    unit_id: str
    parent_id: str | None
    name: str
    organisation_id: str


@dataclass(frozen=True, slots=True)
class AdvisorRow:
    advisor_id: str
    kind: str
    scope: str
    organisation_id: str | None
    term_start: date
    term_end: date | None
    status: str


async def _upsert(
    conn: AsyncConnection, table: Table, key: str, key_value: str, values: dict[str, object]
) -> None:
    column = table.c[key]
    if (await conn.execute(select(column).where(column == key_value))).first() is None:
        insert = insert_ignoring_duplicates(conn, table, [key])
        await conn.execute(insert.values({key: key_value, **values}))
    else:
        await conn.execute(table.update().where(column == key_value).values(**values))


async def record_advisor(conn: AsyncConnection, advisor: AdvisorUpserted) -> None:
    values: dict[str, object] = {
        "kind": advisor.kind.value,
        "scope": advisor.scope.value,
        "organisation_id": advisor.organisation_id,
        "term_start": advisor.term_start,
        "term_end": advisor.term_end,
        "status": advisor.status.value,
    }
    await _upsert(conn, advisors, "advisor_id", advisor.advisor_id, values)


async def record_status(conn: AsyncConnection, change: AdvisorStatusChanged) -> None:
    """A status for an advisor whose record has not arrived is dropped: the record carries one."""
    t = advisors
    await conn.execute(
        t.update().where(t.c.advisor_id == change.advisor_id).values(status=change.status.value)
    )


async def record_coordinator(conn: AsyncConnection, appointed: CoordinatorAppointed) -> None:
    values: dict[str, object] = {"organisation_ids": sorted(appointed.organisation_ids)}
    await _upsert(conn, coordinators, "coordinator_id", appointed.coordinator_id, values)


async def active_advisors(conn: AsyncConnection) -> list[AdvisorRow]:
    t = advisors
    query = select(t).where(t.c.status == AdvisorStatus.ACTIVE.value).order_by(t.c.advisor_id)
    return [AdvisorRow(**row._mapping) for row in await conn.execute(query)]


async def advisors_of(conn: AsyncConnection, organisation_ids: list[str]) -> list[AdvisorRow]:
    t = advisors
    query = select(t).where(t.c.organisation_id.in_(organisation_ids)).order_by(t.c.advisor_id)
    return [AdvisorRow(**row._mapping) for row in await conn.execute(query)]


async def organisations_of(conn: AsyncConnection, coordinator_id: str) -> list[str]:
    t = coordinators
    row = (
        await conn.execute(select(t.c.organisation_ids).where(t.c.coordinator_id == coordinator_id))
    ).first()
    return [str(o) for o in row[0]] if row is not None else []


async def record_unit(conn: AsyncConnection, unit: OrgUnitUpserted) -> None:
    values: dict[str, object] = {
        "parent_id": unit.parent_id,
        "name": unit.name,
        "organisation_id": unit.organisation_id,
    }
    await _upsert(conn, units, "unit_id", unit.unit_id, values)


async def all_units(conn: AsyncConnection) -> list[UnitRow]:
    t = units
    query = select(t).order_by(t.c.organisation_id, t.c.name, t.c.unit_id)
    return [UnitRow(**row._mapping) for row in await conn.execute(query)]
