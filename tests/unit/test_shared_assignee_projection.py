"""The shared current-assignee projection on SQLite, no broker: the fold of routing's decisions,
its queries, and that intake and scheduling keep their copy through it (one rule, not two)."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from services.intake.adapters import assignments as intake_assignments
from services.intake.adapters import tables as intake_tables
from services.scheduling.adapters import projection as scheduling_projection
from services.scheduling.adapters import tables as scheduling_tables
from shared.assignee_projection import (
    ASSIGNEE_EVENTS,
    AssigneeChange,
    AssigneeProjection,
    assignee_change,
    define_assignee_table,
)
from shared.contracts.intake import CaseClosed
from shared.contracts.routing import AdvisorAssigned, CaseReassigned, ReferralSuggested, RoutingEscalated

pytestmark = pytest.mark.unit

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


@pytest.fixture
async def projection(tmp_path: Path) -> AsyncIterator[tuple[AsyncEngine, AssigneeProjection]]:
    metadata = MetaData()
    table = define_assignee_table(metadata)
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path}/assignees.db")
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    yield engine, AssigneeProjection(table)
    await engine.dispose()


def test_each_routing_decision_maps_to_one_change_and_nothing_else_does() -> None:
    assigned = AdvisorAssigned.model_construct(case_id="c1", advisor_id="adv-anna", decided_at=at(1))
    moved = CaseReassigned.model_construct(case_id="c1", to_advisor_id="adv-bram", decided_at=at(2))
    queued = CaseReassigned.model_construct(case_id="c1", to_advisor_id=None, decided_at=at(3))
    escalated = RoutingEscalated.model_construct(case_id="c2", organisation_id="o", escalated_at=at(4))
    assert assignee_change(assigned) == AssigneeChange("c1", "adv-anna", at(1))
    assert assignee_change(moved) == AssigneeChange("c1", "adv-bram", at(2))
    assert assignee_change(queued) == AssigneeChange("c1", None, at(3))
    assert assignee_change(escalated) == AssigneeChange("c2", None, at(4))
    assert [assignee_change(e).state for e in (assigned, queued)] == ["assigned", "escalated"]  # type: ignore[union-attr]
    assert assignee_change(ReferralSuggested.model_construct(case_id="c1")) is None
    assert assignee_change(CaseClosed.model_construct(case_id="c1")) is None
    assert set(ASSIGNEE_EVENTS) == {"AdvisorAssigned", "CaseReassigned", "RoutingEscalated"}


async def test_the_latest_decision_wins_and_apply_returns_who_held_the_case_before(
    projection: tuple[AsyncEngine, AssigneeProjection],
) -> None:
    engine, assignees = projection
    history = [
        (AssigneeChange("c1", "adv-anna", at(1)), None),
        (AssigneeChange("c1", "adv-bram", at(2)), "adv-anna"),  # conflict declared: moved
        (AssigneeChange("c1", None, at(3)), "adv-bram"),  # nobody eligible: escalated
        (AssigneeChange("c1", "adv-cees", at(4)), None),  # the coordinator's choice
    ]
    async with engine.begin() as conn:
        for change, held_before in history:
            assert await assignees.apply(conn, change) == held_before
            assert await assignees.assignee_of(conn, "c1") == change.advisor_id
        assert await assignees.cases_of(conn, "adv-anna") == []  # the former advisor holds nothing
        assert await assignees.cases_of(conn, "adv-cees") == ["c1"]
        assert await assignees.assignee_of(conn, "unknown") is None


async def test_lists_an_advisors_cases_and_the_coordinators_queue_oldest_first(
    projection: tuple[AsyncEngine, AssigneeProjection],
) -> None:
    engine, assignees = projection
    async with engine.begin() as conn:
        await assignees.apply(conn, AssigneeChange("c3", "adv-anna", at(3)))
        await assignees.apply(conn, AssigneeChange("c1", "adv-anna", at(1)))
        await assignees.apply(conn, AssigneeChange("c2", "adv-bram", at(2)))
        await assignees.apply(conn, AssigneeChange("c5", None, at(5)))
        await assignees.apply(conn, AssigneeChange("c4", None, at(4)))
        assert await assignees.cases_of(conn, "adv-anna") == ["c1", "c3"]
        assert await assignees.escalated(conn) == ["c4", "c5"]


async def test_replaying_the_log_from_the_start_rebuilds_the_same_rows(
    projection: tuple[AsyncEngine, AssigneeProjection],
) -> None:
    engine, assignees = projection
    log = [AssigneeChange("c1", "adv-anna", at(1)), AssigneeChange("c2", None, at(2))]
    log += [AssigneeChange("c1", "adv-bram", at(3)), AssigneeChange("c2", "adv-anna", at(4))]

    async def rows() -> list[tuple[object, ...]]:
        async with engine.connect() as conn:
            result = await conn.execute(assignees.table.select().order_by(assignees.table.c.case_id))
            return [tuple(r) for r in result]

    async with engine.begin() as conn:
        for change in log:
            await assignees.apply(conn, change)
    first = await rows()
    async with engine.begin() as conn:
        for change in log:
            await assignees.apply(conn, change)
    assert await rows() == first
    assert [r[:3] for r in first] == [("c1", "adv-bram", "assigned"), ("c2", "adv-anna", "assigned")]


def test_intake_and_scheduling_keep_their_copy_through_the_shared_projection() -> None:
    """Both services' tables are the projection's (columns and types), and both fold through an
    `AssigneeProjection` over them: the rule is written once."""
    reference = define_assignee_table(MetaData())
    for table in (intake_tables.assignments, scheduling_tables.current_assignees):
        for column in reference.columns:
            assert column.name in table.c, (table.name, column.name)
            assert type(table.c[column.name].type) is type(column.type)
        assert list(table.primary_key.columns.keys()) == ["case_id"]
    assert intake_assignments.ASSIGNEES.table is intake_tables.assignments
    assert scheduling_projection.ASSIGNEES.table is scheduling_tables.current_assignees
    assert "advisor_id" not in scheduling_tables.cases.c  # no second copy beside it


async def test_a_batch_folds_to_what_one_change_at_a_time_gives(tmp_path: Path) -> None:
    """apply_many (a few statements for a batch) and record (one upsert per change) against apply,
    over random batches of decisions on a few cases, some known before the batch, some decided twice
    or more within it."""
    rng = random.Random(59)
    advisors = ["adv-anna", "adv-bram", None]
    engines = []
    try:
        for batch_no in range(25):
            one, many, upserted = MetaData(), MetaData(), MetaData()
            t_one, t_many = define_assignee_table(one), define_assignee_table(many)
            t_upserted = define_assignee_table(upserted)
            e_one = create_async_engine(f"sqlite+aiosqlite:///{tmp_path}/one-{batch_no}.db")
            e_many = create_async_engine(f"sqlite+aiosqlite:///{tmp_path}/many-{batch_no}.db")
            e_upserted = create_async_engine(f"sqlite+aiosqlite:///{tmp_path}/upserted-{batch_no}.db")
            engines += [e_one, e_many, e_upserted]
            for engine, metadata in ((e_one, one), (e_many, many), (e_upserted, upserted)):
                async with engine.begin() as conn:
                    await conn.run_sync(metadata.create_all)
            earlier = [AssigneeChange(f"c{i}", rng.choice(advisors), at(i)) for i in range(3)]
            batch = [
                AssigneeChange(f"c{rng.randrange(6)}", rng.choice(advisors), at(10 + i))
                for i in range(rng.randrange(1, 12))
            ]
            previous_one: list[str | None] = []
            async with e_one.begin() as conn:
                for change in earlier:
                    await AssigneeProjection(t_one).apply(conn, change)
                for change in batch:
                    previous_one.append(await AssigneeProjection(t_one).apply(conn, change))
            async with e_many.begin() as conn:
                await AssigneeProjection(t_many).apply_many(conn, earlier)
                previous_many = await AssigneeProjection(t_many).apply_many(conn, batch)
            async with e_upserted.begin() as conn:
                for change in earlier + batch:
                    await AssigneeProjection(t_upserted).record(conn, change)
            assert previous_many == previous_one, batch
            rows = []
            for engine, table in ((e_one, t_one), (e_many, t_many), (e_upserted, t_upserted)):
                async with engine.connect() as conn:
                    rows.append((await conn.execute(table.select().order_by(table.c.case_id))).all())
            assert rows[0] == rows[1] == rows[2], batch
    finally:
        for engine in engines:
            await engine.dispose()
