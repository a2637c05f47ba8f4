"""Use cases on one case: opened (and routed), ended, an advisor's declared conflict, added facts.

A command's gate check (token, assignee, one use) comes before these, in the handler: each use case
here is what an admitted input changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from services.routing.adapters import case_rows
from services.routing.application.router import Router, published_decisions
from shared.contracts.intake import CaseClosed, CaseOpened, CasePersonalDataErased
from shared.emitter import Emitter
from shared.outbox import Outgoing


class CaseChanges:
    def __init__(self, router: Router) -> None:
        self.router = router

    async def opened(
        self, conn: AsyncConnection, opened: Sequence[tuple[CaseOpened, Emitter]], now: datetime
    ) -> list[list[Outgoing]]:
        """New cases are routed for the first time, in order (each decision counts the loads the
        ones before it gave); a case routing already has is left alone. For a run of cases, one
        look-up of the known ones, one of their keys, and one INSERT of the decided rows."""
        case_ids = [o.case_id for o, _emit in opened]
        known = await case_rows.known_case_ids(conn, case_ids)
        await self.router.cipher.warm([c for c in case_ids if c not in known])
        published = await published_decisions(
            conn, [(emit, o.case_id, "initial") for o, emit in opened if o.case_id not in known]
        )
        new_rows: list[case_rows.NewCaseRow] = []
        results: list[list[Outgoing]] = []
        for event, emit in opened:
            if event.case_id in known:
                results.append([])
                continue
            known.add(event.case_id)
            row = case_rows.new_case(event, now)
            results.append(
                await self.router.route(
                    conn,
                    row,
                    now,
                    emit=emit,
                    reason="initial",
                    opened_at=event.opened_at,
                    published=published.get(event.case_id, []),
                )
            )
            new_rows.append(row)
        await case_rows.store_new_cases(conn, new_rows)
        return results

    async def ended(
        self, conn: AsyncConnection, ended: CaseClosed | CasePersonalDataErased, now: datetime
    ) -> None:
        """A closed or erased case leaves routing: no longer open, no longer its advisor's load."""
        row = await case_rows.case_row(conn, ended.case_id)
        if row is None or row.status not in ("assigned", "escalated"):
            return
        if row.status == "assigned":
            self.router.cache.change_load(row.current_advisor_id, -1)
        status = "closed" if isinstance(ended, CaseClosed) else "erased"
        await case_rows.set_status(conn, row.case_id, status, now)

    async def conflict_declared(
        self, conn: AsyncConnection, case_id: str, advisor_id: str, now: datetime, emit: Emitter
    ) -> list[Outgoing]:
        """The advisor may never hold the case: it is routed again without them."""
        row = await case_rows.add_conflicted_advisor(conn, case_id, advisor_id)
        return await self.router.route(conn, row, now, emit=emit, reason="conflict_declared")

    async def facts_amended(
        self, conn: AsyncConnection, case_id: str, sealed_facts_json: str, now: datetime, emit: Emitter
    ) -> list[Outgoing]:
        """New facts (persons involved) may make the assignment a conflict: the case is re-checked."""
        row = await case_rows.add_amendment(conn, case_id, sealed_facts_json)
        return await self.router.recheck(conn, [row], now, emit=emit, reason="persons_added")
