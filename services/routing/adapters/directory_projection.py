"""Routing's projection of `directory.v1`: events -> the policy's Directory, persisted as a log.

The in-memory Directory is a cache of the folded `directory_log`. It is changed while a batch is
handled; if that batch's transaction does not commit, the cache is marked stale and rebuilt from
the log before the next batch, so memory never runs ahead of the database.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.routing.adapters.tables import directory_log
from services.routing.domain.directory import (
    AcquaintanceDeclared,
    Advisor,
    AdvisorLoadChanged,
    AdvisorStatusChanged,
    AdvisorUpserted,
    CoordinatorAppointed,
    Directory,
    DirectoryChange,
    DirectoryDataError,
    OrgUnit,
    Person,
    PersonUpserted,
    UnitUpserted,
)
from shared.codes import AdvisorKind, AdvisorScope, AdvisorStatus
from shared.contracts import directory as contract
from shared.locations import location_codes

DIRECTORY_EVENTS = (
    "OrgUnitUpserted",
    "PersonUpserted",
    "AdvisorUpserted",
    "AdvisorStatusChanged",
    "AcquaintanceDeclared",
    "CoordinatorAppointed",
)


def to_change(event_type: str, body: dict[str, Any], directory: Directory) -> DirectoryChange | None:
    """A directory.v1 payload (as JSON) as the policy's change record."""
    if event_type == "OrgUnitUpserted":
        p = contract.OrgUnitUpserted.model_validate(body)
        return UnitUpserted(OrgUnit(p.unit_id, p.parent_id, p.name, p.size, p.organisation_id))
    if event_type == "PersonUpserted":
        q = contract.PersonUpserted.model_validate(body)
        return PersonUpserted(Person(q.person_id, q.unit_id, q.manager_id, q.is_top_management))
    if event_type == "AdvisorUpserted":
        a = contract.AdvisorUpserted.model_validate(body)
        existing = directory.advisor(a.advisor_id)
        return AdvisorUpserted(
            Advisor(
                advisor_id=a.advisor_id,
                person_id=a.person_id,
                kind=AdvisorKind(a.kind),
                scope=AdvisorScope(a.scope),
                served_unit_ids=frozenset(a.served_unit_ids),
                organisation_id=a.organisation_id,
                languages=frozenset(a.languages),
                locations=location_codes(a.locations),
                weekly_hours=a.weekly_hours,
                term_start=a.term_start,
                term_end=a.term_end,
                status=AdvisorStatus(a.status),
                open_cases=existing.open_cases if existing else 0,
                acquaintances=existing.acquaintances if existing else frozenset(),
            )
        )
    if event_type == "AdvisorStatusChanged":
        s = contract.AdvisorStatusChanged.model_validate(body)
        return AdvisorStatusChanged(s.advisor_id, AdvisorStatus(s.status))
    if event_type == "AcquaintanceDeclared":
        d = contract.AcquaintanceDeclared.model_validate(body)
        return AcquaintanceDeclared(d.advisor_id, d.person_id)
    if event_type == "CoordinatorAppointed":
        c = contract.CoordinatorAppointed.model_validate(body)
        return CoordinatorAppointed(c.coordinator_id, frozenset(c.organisation_ids))
    return None


def fold_log(rows: list[tuple[str, str]]) -> Directory:
    """Fold (event_type, body JSON) rows, skipping changes the directory refused (as live did)."""
    directory = Directory()
    for event_type, body in rows:
        change = to_change(event_type, json.loads(body), directory)
        if change is not None:
            try:
                directory.apply(change)
            except DirectoryDataError:
                pass
    return directory


class DirectoryCache:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self.directory = Directory()
        self.revision = 0  # rows of directory_log folded in
        self.stale = True
        # The consume pipeline and the term check share this cache. Two refreshes at once let the
        # later one overwrite changes the pipeline had applied in between with an older log: its
        # decisions then recorded a revision their directory did not have (an audit mismatch).
        self._refreshing = asyncio.Lock()

    async def refresh_if_stale(self, loads: Callable[[], Awaitable[dict[str, int]]]) -> None:
        """Rebuild the directory from the log when it is stale. The advisors' loads are counted
        (`loads`, a GROUP BY over all cases) only then: while the cache is fresh, `change_load`
        keeps them, so a routed message costs no scan of the case table."""
        if not self.stale:
            return
        async with self._refreshing:
            if not self.stale:  # refreshed while this caller waited
                return
            async with self._engine.connect() as conn:
                rows = (
                    await conn.execute(
                        select(directory_log.c.event_type, directory_log.c.body).order_by(
                            directory_log.c.revision
                        )
                    )
                ).all()
            self.directory = fold_log([(r.event_type, r.body) for r in rows])
            self.revision = len(rows)
            self.set_loads(await loads())
            self.stale = False

    def set_loads(self, load: dict[str, int]) -> None:
        for advisor in self.directory.advisors():
            count = load.get(advisor.advisor_id, 0)
            if advisor.open_cases != count:
                self.directory.apply(AdvisorLoadChanged(advisor.advisor_id, count))

    def change_load(self, advisor_id: str | None, delta: int) -> None:
        advisor = self.directory.advisor(advisor_id) if advisor_id else None
        if advisor is not None:
            self.directory.apply(AdvisorLoadChanged(advisor.advisor_id, max(0, advisor.open_cases + delta)))

    async def apply(
        self, conn: AsyncConnection, event_type: str, body: dict[str, Any], now: datetime
    ) -> DirectoryChange | None:
        """Log the change and apply it to the cache. Refused changes (cycles) are logged and skipped."""
        change = to_change(event_type, body, self.directory)
        if change is None:
            return None
        if self.revision == 0:
            self.revision = int(
                (await conn.execute(select(func.count()).select_from(directory_log))).scalar() or 0
            )
        self.revision += 1
        await conn.execute(
            directory_log.insert().values(
                revision=self.revision, event_type=event_type, body=json.dumps(body), applied_at=now
            )
        )
        try:
            self.directory.apply(change)
        except DirectoryDataError:
            return None
        return change
