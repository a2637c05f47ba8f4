"""Legal deadlines of whistleblower reports: stored per case, met by advisor actions, watched by a job.

The rules are in shared/legal_deadlines.py. Here: the `legal_deadlines` rows, the events that
record them, and the background job that emits LegalDeadlineDue / LegalDeadlineMissed once each
and keeps the alerting gauges current. Ordinary contacts get no legal deadline.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.intake.adapters.tables import legal_deadlines
from services.intake.application.emit import emitter_after, emitter_for
from shared import legal_deadlines as rules
from shared.contracts.intake import (
    CaseOpened,
    LegalDeadlineDue,
    LegalDeadlineMet,
    LegalDeadlineMissed,
    LegalDeadlineSet,
)
from shared.db import insert_ignoring_duplicates, is_postgres
from shared.emitter import Emitter
from shared.outbox import Outgoing
from shared.periodic import every
from shared.pipeline import Decoded, Route
from shared.unit_of_work import UnitOfWork

ACK: rules.Deadline = "acknowledgement"
FEEDBACK: rules.Deadline = "feedback"


async def _set(
    conn: AsyncConnection,
    case_id: str,
    deadline: rules.Deadline,
    basis_on: date,
    due_on: date,
    emit: Emitter,
) -> list[Outgoing]:
    now = emit.now
    result = await conn.execute(
        insert_ignoring_duplicates(conn, legal_deadlines, ["case_id", "deadline"]).values(
            case_id=case_id,
            deadline=deadline,
            basis_on=basis_on,
            due_on=due_on,
            state="open",
            due_noticed=False,
            missed_noticed=False,
        )
    )
    if not result.rowcount:
        return []
    event = LegalDeadlineSet(case_id=case_id, deadline=deadline, basis_on=basis_on, due_on=due_on, set_at=now)
    return [emit(event, case_id, deadline)]


async def start_acknowledgement(
    conn: AsyncConnection, case_id: str, received_at: datetime, emit: Emitter
) -> list[Outgoing]:
    """A whistleblower report came in: acknowledge within 7 days."""
    basis = rules.local_date(received_at)
    return await _set(conn, case_id, ACK, basis, rules.acknowledgement_due(received_at), emit)


async def _row(conn: AsyncConnection, case_id: str, deadline: str) -> Any:
    query = select(legal_deadlines).where(
        legal_deadlines.c.case_id == case_id, legal_deadlines.c.deadline == deadline
    )
    return (await conn.execute(query)).first()


async def _meet(conn: AsyncConnection, row: Any, emit: Emitter) -> list[Outgoing]:
    now = emit.now
    await conn.execute(
        legal_deadlines.update()
        .where(legal_deadlines.c.case_id == row.case_id, legal_deadlines.c.deadline == row.deadline)
        .values(state="met", met_at=now)
    )
    on_time = rules.met_on_time(row.due_on, now)
    event = LegalDeadlineMet(
        case_id=row.case_id, deadline=row.deadline, due_on=row.due_on, met_at=now, on_time=on_time
    )
    return [emit(event, row.case_id, row.deadline)]


async def acknowledge(conn: AsyncConnection, case_id: str, emit: Emitter) -> list[Outgoing]:
    """AcceptCase on a whistleblower report: the acknowledgement is met; feedback is due 3 months on.

    If the acknowledgement came late, the feedback deadline was already set from the end of the
    7 days when it was missed (the earlier, stricter basis), and stays.
    """
    row = await _row(conn, case_id, ACK)
    if row is None or row.state == "met":
        return []
    out = await _meet(conn, row, emit)
    basis = min(rules.local_date(emit.now), row.due_on)
    out += await _set(conn, case_id, FEEDBACK, basis, rules.feedback_due(basis), emit)
    return out


async def is_acknowledged(conn: AsyncConnection, case_id: str) -> bool:
    row = await _row(conn, case_id, ACK)
    return row is not None and row.state == "met"


async def give_feedback(conn: AsyncConnection, case_id: str, emit: Emitter) -> list[Outgoing] | None:
    """The legal feedback was given. None when there is no feedback deadline left to meet."""
    row = await _row(conn, case_id, FEEDBACK)
    if row is None or row.state == "met":
        return None
    return await _meet(conn, row, emit)


def _status(row: Any) -> rules.DeadlineStatus:
    return rules.DeadlineStatus(row.deadline, row.due_on, row.state, row.due_noticed, row.missed_noticed)


async def _notice(conn: AsyncConnection, row: Any, transition: str, now: datetime) -> list[Outgoing]:
    where = and_(legal_deadlines.c.case_id == row.case_id, legal_deadlines.c.deadline == row.deadline)
    emit = emitter_for(f"legal-deadline:{row.case_id}:{row.deadline}:{transition}", now)
    event: Any
    if transition == "due":
        await conn.execute(legal_deadlines.update().where(where).values(due_noticed=True))
        event = LegalDeadlineDue(
            case_id=row.case_id,
            deadline=row.deadline,
            due_on=row.due_on,
            days_left=rules.days_left(row.due_on, now),
            noticed_at=now,
        )
        return [emit(event, row.case_id)]
    await conn.execute(legal_deadlines.update().where(where).values(missed_noticed=True, state="missed"))
    event = LegalDeadlineMissed(case_id=row.case_id, deadline=row.deadline, due_on=row.due_on, noticed_at=now)
    out = [emit(event, row.case_id)]
    if row.deadline == ACK:
        # No acknowledgement within 7 days: feedback is due 3 months after the end of the 7 days.
        out += await _set(conn, row.case_id, FEEDBACK, row.due_on, rules.feedback_due(row.due_on), emit)
    return out


class LegalDeadlineJob:
    """Emits due and missed events once each, and sets the at-risk and overdue gauges."""

    def __init__(
        self,
        uow: UnitOfWork,
        clock: Callable[[], datetime],
        *,
        warning_days: int,
        interval: float,
        gauges: Callable[[dict[str, int], dict[str, int]], None] | None = None,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._warning_days = warning_days
        self._interval = interval
        self._gauges = gauges

    async def tick(self) -> int:
        """One look at all open deadlines; returns how many events it emitted."""
        now = self._clock()
        horizon = rules.local_date(now) + timedelta(days=self._warning_days)

        async def work(conn: AsyncConnection) -> tuple[int, list[Outgoing]]:
            query = select(legal_deadlines).where(
                legal_deadlines.c.state == "open", legal_deadlines.c.due_on <= horizon
            )
            if is_postgres(conn):
                query = query.with_for_update(skip_locked=True)
            out: list[Outgoing] = []
            for row in (await conn.execute(query)).all():
                for transition in rules.transitions(_status(row), now, self._warning_days):
                    out += await _notice(conn, row, transition, now)
            return len(out), out

        emitted = await self._uow.run(work)
        await self._update_gauges(now)
        return emitted

    async def _update_gauges(self, now: datetime) -> None:
        if self._gauges is None:
            return
        today = rules.local_date(now)
        at_risk: dict[str, int] = {ACK: 0, FEEDBACK: 0}
        overdue: dict[str, int] = {ACK: 0, FEEDBACK: 0}
        ld = legal_deadlines.c
        async with self._uow.engine.connect() as conn:
            risk_rows = await conn.execute(
                select(ld.deadline, func.count())
                .where(
                    ld.state == "open",
                    ld.due_on >= today,
                    ld.due_on <= today + timedelta(days=self._warning_days),
                )
                .group_by(ld.deadline)
            )
            for deadline, count in risk_rows:
                at_risk[deadline] = int(count)
            late_rows = await conn.execute(
                select(ld.deadline, func.count())
                .where(ld.state.in_(("open", "missed")), ld.due_on < today)
                .group_by(ld.deadline)
            )
            for deadline, count in late_rows:
                overdue[deadline] = int(count)
        self._gauges(at_risk, overdue)

    async def run(self, stop: asyncio.Event) -> None:
        await every(self._interval, self.tick, name="legal_deadlines")(stop)


async def deadlines_for_opened_cases(
    conn: AsyncConnection, outgoing: Sequence[Outgoing], now: datetime
) -> list[Outgoing]:
    """The acknowledgement deadline of every whistleblower report among freshly opened cases."""
    out: list[Outgoing] = []
    for item in outgoing:
        opened = item.envelope.payload
        if isinstance(opened, CaseOpened) and opened.is_whistleblower_report:
            out += await start_acknowledgement(
                conn, opened.case_id, opened.opened_at, emitter_after(item.envelope, now)
            )
    return out


def with_legal_deadlines(route: Route) -> Route:
    """The submissions route, plus the legal deadline of each whistleblower report it opens."""

    async def handle_batch(
        conn: AsyncConnection, messages: Sequence[Decoded], now: datetime
    ) -> list[Sequence[Outgoing]]:
        results = await route.run(conn, messages, now)
        return [[*result, *await deadlines_for_opened_cases(conn, result, now)] for result in results]

    return Route(decode=route.decode, handle_batch=handle_batch)
