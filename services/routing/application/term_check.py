"""Use case: the term check. An advisor whose term ends within the warning window is announced once
per (advisor, term end) on routing.alerts (AdvisorTermEnding); cases whose advisor's term has ended
are routed again (reason "term_ended").

One run is one correlation chain (`term-check:<day>`); each announcement is caused by its own
`term:<advisor>:<term end>`, so a second run on the same day derives the same event ids.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from services.routing.adapters.case_rows import cases_with_status
from services.routing.adapters.term_notices import first_term_notice
from services.routing.application.router import Router, emitter_for
from services.routing.domain.policy import term_endings_within
from shared.contracts.routing import AdvisorTermEnding
from shared.emitter import Emitter
from shared.outbox import Outgoing
from shared.topics import ROUTING_ALERTS
from shared.unit_of_work import Decision


def _no_gauge(_count: int) -> None:
    pass


@dataclass(frozen=True)
class TermCheck:
    router: Router
    warning_days: int
    on_endings: Callable[[int], None] = _no_gauge  # how many terms end within the window

    async def decide(self, conn: AsyncConnection, now: datetime) -> Decision[int]:
        """The announcements and re-routings of one run; its result counts them."""
        await self.router.cache.refresh_if_stale(lambda: self.router.loads(conn))
        endings = term_endings_within(self.router.cache.directory, now, self.warning_days)
        self.on_endings(len(endings))
        run = emitter_for(f"term-check:{now.date().isoformat()}", now)  # one chain per daily run
        outgoing = await self._announce(conn, endings, now, run)
        rows = await cases_with_status(conn, "assigned")
        outgoing += await self.router.recheck(conn, rows, now, emit=run, reason="term_ended")
        return Decision(len(outgoing), outgoing)

    async def _announce(
        self, conn: AsyncConnection, endings: list[tuple[str, date]], now: datetime, run: Emitter
    ) -> list[Outgoing]:
        """AdvisorTermEnding for each term ending not announced before."""
        notices: list[Outgoing] = []
        for advisor_id, term_end in endings:
            if await first_term_notice(conn, advisor_id, term_end):
                event = AdvisorTermEnding(
                    advisor_id=advisor_id,
                    term_end=term_end,
                    days_left=(term_end - now.date()).days,
                    noticed_at=now,
                )
                notice = run.to(ROUTING_ALERTS.name).caused_by(f"term:{advisor_id}:{term_end.isoformat()}")
                notices.append(notice(event, advisor_id))
        return notices
