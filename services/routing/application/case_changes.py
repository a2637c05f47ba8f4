"""Use cases on one case: opened (and routed), ended, an advisor's declared conflict, added facts.

A command's gate check (token, assignee, one use) comes before these, in the handler: each use case
here is what an admitted input changes.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from services.routing.adapters import case_rows
from services.routing.application.router import Router
from shared.contracts.intake import CaseClosed, CaseOpened, CasePersonalDataErased
from shared.emitter import Emitter
from shared.outbox import Outgoing


class CaseChanges:
    def __init__(self, router: Router) -> None:
        self.router = router

    async def opened(
        self, conn: AsyncConnection, opened: CaseOpened, now: datetime, emit: Emitter
    ) -> list[Outgoing]:
        """A new case is routed for the first time; a case routing already has is left alone."""
        row = await case_rows.open_case(conn, opened, now)
        if row is None:
            return []
        return await self.router.route(
            conn, row, now, emit=emit, reason="initial", opened_at=opened.opened_at
        )

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
