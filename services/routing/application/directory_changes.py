"""Use case: directory.v1 changes applied to routing's directory, then the open cases re-checked.

An advisor's or a command signer's key goes to the advisor-command gate; the other changes go to the directory cache
(adapters/directory_projection.py), which logs them. A change that alters the directory gives a
reason to re-route (domain/reroute.py). The open cases are re-checked once per batch of changes,
not once per change: an HR bulk feed may carry thousands of changes at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from services.routing.adapters.case_rows import cases_with_status
from services.routing.adapters.directory_projection import DIRECTORY_EVENTS
from services.routing.application.router import GATE, Router
from services.routing.domain.reroute import batch_reason, reroute_reason
from shared.emitter import Emitter
from shared.outbox import Outgoing


class DirectoryChanges:
    def __init__(self, router: Router) -> None:
        self.router = router

    async def apply(self, conn: AsyncConnection, event_type: str, payload: Any, now: datetime) -> str | None:
        """Apply one change; the reason it gives to re-route open cases, None if it gives none."""
        if event_type == "AdvisorKeyRegistered":
            await GATE.record_key(conn, payload)
            return None
        if event_type == "CommandSignerRegistered":
            await GATE.record_signer(conn, payload)
            return None
        if event_type not in DIRECTORY_EVENTS:
            return None
        body = payload.model_dump(mode="json")
        if await self.router.cache.apply(conn, event_type, body, now) is None:
            return None
        return reroute_reason(event_type, body)

    async def recheck_open_cases(
        self, conn: AsyncConnection, reasons: Sequence[str], now: datetime, emit: Emitter
    ) -> list[Outgoing]:
        """One re-check of the assigned and escalated cases for the changes that gave `reasons`."""
        rows = await cases_with_status(conn, "assigned", "escalated")
        return await self.router.recheck(conn, rows, now, emit=emit, reason=batch_reason(reasons))
