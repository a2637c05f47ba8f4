"""A coordinator's "Adviseurs": the advisors of their organisation (the directory's coded records),
their hours, training and supervision against the baseline (reporting's coordinator view, asked with
the coordinator's own token: reporting only answers for advisors of the token's organisation), and
the appointments ending within six months (domain/records.py, term_ends_soon). No case appears."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from services.workbench.adapters import advisor_directory, reporting_people
from services.workbench.adapters.advisor_directory import AdvisorRow
from services.workbench.adapters.people_views import Advisors
from services.workbench.adapters.reporting_views import ViewUnavailable
from services.workbench.application.my_hours import today_of
from services.workbench.application.statistics import ProtectedFigures
from services.workbench.domain.sessions import Session


async def advisors_of(engine: AsyncEngine, organisation_id: str) -> list[AdvisorRow]:
    async with engine.connect() as conn:
        return await advisor_directory.advisors_of(conn, [organisation_id])


class CoordinatorFigures(ProtectedFigures):
    async def advisors(self, cookie: str, session: Session) -> Advisors:
        year = today_of(self.clock()).year
        if session.organisation_id is None:
            return Advisors([], {}, {}, year, "no_organisation")
        rows = await advisors_of(self.engine, session.organisation_id)
        if not rows:
            return Advisors([], {}, {}, year, None)
        try:
            token = await self._access_token(cookie)
            view = await reporting_people.coordinator_view(
                self.views, token, [r.advisor_id for r in rows], year
            )
        except ViewUnavailable as missing:
            return Advisors(rows, {}, {}, year, missing.reason)
        figures = {str(a.get("advisor_id")): a for a in view.get("advisors", [])}
        return Advisors(rows, figures, dict(view.get("baseline", {})), year, None)
