"""An acceptance is of one routing decision (D55): intake's assignment row names the decision it
holds, and keeps the latest acceptance with the decision it accepted through a reassignment.

Live, a decision is folded once, so a reassignment away and back still needs a new acceptance. A
restored intake folds its own CaseAccepted first and then consumes the decisions before it again;
it must end where the live run ended, however those decisions are split into batches. The
property test plays both against a model of the rule, one decision at a time, on SQLite and
PostgreSQL.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from services.intake.adapters import tables
from services.intake.adapters.assignments import Decision, mark_accepted, set_assignees
from services.intake.application.restore_fold import _accepted
from shared.assignee_projection import AssigneeChange
from shared.contracts.intake import CaseAccepted
from shared.db import make_engine

pytestmark = pytest.mark.integration

CASE = "case-1"
T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
async def engine(db_url: str) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(db_url)
    async with engine.begin() as conn:
        await conn.run_sync(tables.metadata.create_all)
    yield engine
    await engine.dispose()


def decision(advisor: str | None, n: int, case_id: str = CASE) -> Decision:
    """A routing decision; the same `decided_at` for all, so only the event id tells them apart."""
    return Decision(AssigneeChange(case_id, advisor, T0), f"evt-{n}-{uuid.uuid4().hex[:8]}")


def for_case(d: Decision, case_id: str) -> Decision:
    return Decision(AssigneeChange(case_id, d.change.advisor_id, d.change.decided_at), d.event_id)


async def fold(engine: AsyncEngine, batches: Sequence[Sequence[Decision]]) -> None:
    for batch in batches:
        async with engine.begin() as conn:
            await set_assignees(conn, batch)


async def accept(engine: AsyncEngine, advisor: str, at: datetime, case_id: str = CASE) -> str | None:
    async with engine.begin() as conn:
        return await mark_accepted(conn, case_id, advisor, at)


async def acceptance(
    engine: AsyncEngine, case_id: str = CASE
) -> tuple[str | None, str | None, datetime | None]:
    a = tables.assignments.c
    async with engine.connect() as conn:
        query = select(a.advisor_id, a.accepted_by, a.accepted_at).where(a.case_id == case_id)
        row = (await conn.execute(query)).one()
    at = (
        row.accepted_at.replace(tzinfo=UTC)
        if row.accepted_at and row.accepted_at.tzinfo is None
        else row.accepted_at
    )
    return row.advisor_id, row.accepted_by, at


async def test_live_a_reassignment_away_and_back_needs_a_new_acceptance(engine: AsyncEngine) -> None:
    first = decision("adv-a", 1)
    await fold(engine, [[first]])
    assert await accept(engine, "adv-a", T0) == first.event_id
    await fold(engine, [[decision("adv-b", 2)], [decision("adv-a", 3)]])
    assert await acceptance(engine) == ("adv-a", None, None)


async def test_a_decision_to_the_same_advisor_keeps_the_acceptance(engine: AsyncEngine) -> None:
    await fold(engine, [[decision("adv-a", 1)]])
    await accept(engine, "adv-a", T0)
    await fold(engine, [[decision("adv-a", 2)]])
    assert await acceptance(engine) == ("adv-a", "adv-a", T0)


async def test_the_accepted_decision_followed_in_its_batch_by_one_to_the_same_advisor_keeps_it(
    engine: AsyncEngine,
) -> None:
    """The last decision that changed the advisor decides, not the batch's last decision."""
    before, accepted, same_advisor = decision("adv-b", 1), decision("adv-a", 2), decision("adv-a", 3)
    await fold(engine, [[before]])
    async with engine.begin() as conn:  # the restore's fold of intake's own CaseAccepted
        event = CaseAccepted(case_id=CASE, advisor_id="adv-a", accepted_at=T0, decision_id=accepted.event_id)
        await _accepted(conn, event)
    await fold(engine, [[before, accepted, same_advisor]])
    assert await acceptance(engine) == ("adv-a", "adv-a", T0)


@dataclass(frozen=True)
class Step:
    advisor: str | None  # a decision to this advisor (None: escalated)
    accept_after: bool  # and the assignee accepts it (when there is one)


steps = st.lists(
    st.builds(Step, st.sampled_from(["adv-a", "adv-b", "adv-c", None]), st.booleans()), min_size=1, max_size=8
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
# Found by this test on PostgreSQL: the decision accepted keeps the advisor of the one before it, so
# consumed again after a reassignment away it changes nothing, and must still give the acceptance back.
@example(
    plan=[Step("adv-a", False), Step("adv-a", False), Step("adv-b", False), Step("adv-b", True)],
    cut=0,
    splits=[1] * 8,
)
@given(plan=steps, cut=st.integers(0, 7), splits=st.lists(st.integers(1, 3), min_size=8, max_size=8))
async def test_a_restore_ends_where_the_live_run_ended_however_the_decisions_are_batched(
    engine: AsyncEngine, plan: list[Step], cut: int, splits: list[int]
) -> None:
    """Live: each decision in its own batch, acceptances between them. Restore: the decisions up to
    `cut` were in the backup; every acceptance after it is folded in first (the last one wins, as
    live), then the decisions after `cut` are consumed again in batches of `splits`. The two runs
    are two cases of one database, fresh for each example."""
    live, restored = f"live-{uuid.uuid4().hex[:8]}", f"restored-{uuid.uuid4().hex[:8]}"
    decisions = [decision(s.advisor, n, live) for n, s in enumerate(plan)]
    cut = min(cut, len(plan) - 1)
    accepted_after_cut: list[CaseAccepted] = []
    for n, (step, made) in enumerate(zip(plan, decisions, strict=True)):
        await fold(engine, [[made]])
        if n <= cut:
            await fold(engine, [[for_case(made, restored)]])
        if step.accept_after and step.advisor is not None:
            at = T0 + timedelta(minutes=n)
            accepted_id = await accept(engine, step.advisor, at, live)
            assert accepted_id == made.event_id
            if n <= cut:
                await accept(engine, step.advisor, at, restored)
            else:
                accepted_after_cut.append(
                    CaseAccepted(
                        case_id=restored, advisor_id=step.advisor, accepted_at=at, decision_id=accepted_id
                    )
                )
    async with engine.begin() as conn:
        for event in accepted_after_cut:
            await _accepted(conn, event)
    rest, batches = [for_case(d, restored) for d in decisions[cut + 1 :]], []
    for size in splits:
        if rest:
            batches.append(rest[:size])
            rest = rest[size:]
    await fold(engine, batches)
    assert await acceptance(engine, restored) == await acceptance(engine, live) == model(plan)


def model(plan: Sequence[Step]) -> tuple[str | None, str | None, datetime | None]:
    """The live rule, one decision at a time: a new advisor must accept again; the same keeps it."""
    advisor: str | None = None
    accepted: tuple[str | None, datetime | None] = (None, None)
    for n, step in enumerate(plan):
        if step.advisor != advisor:
            accepted = (None, None)
        advisor = step.advisor
        if step.accept_after and advisor is not None:
            accepted = (advisor, T0 + timedelta(minutes=n))
    return advisor, *accepted
