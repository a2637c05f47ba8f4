"""The views by role as use cases: a verified role and subject ask for a view of a year, and get its
document or a refusal (access_rules.py decides and shapes the documents; report_use_cases.py reads).

`UnknownOrganisation` and `NotReleasedYet` from the reports pass through to the caller.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from services.reporting.application.access_rules import (
    advisors_of_organisation,
    advisors_view_document,
    may_see_advisors,
    may_see_management_view,
    units_document,
)
from services.reporting.application.report_use_cases import Reports
from services.reporting.domain.roles import Refusal, Role, View


class RoleViews:
    """The management view and the per-advisor views (coordinator, advisor)."""

    def __init__(self, reports: Callable[[], Reports]) -> None:
        self._reports = reports

    async def management(
        self, role: Role, subject: str, organisation_id: str, year: int
    ) -> dict[str, Any] | Refusal:
        """Contacts by unit and quarter of the caller's own organisation (management and hr)."""
        refusal = may_see_management_view(role, subject, organisation_id)
        if refusal is not None:
            return refusal
        return units_document(await self._reports().management_units(organisation_id, year))

    async def advisors(
        self, view: View, role: Role, subject: str, advisors: Sequence[str], year: int
    ) -> dict[str, Any] | Refusal:
        """Hours and training of the coordinator's own advisors (the others asked for are withheld),
        or of the advisor themself."""
        reports = self._reports()
        homes = await reports.advisor_homes() if role is Role.COORDINATOR else {}
        refusal = may_see_advisors(view, role, subject, advisors, homes)
        if refusal is not None:
            return refusal
        shown = advisors_of_organisation(subject, advisors, homes) if role is Role.COORDINATOR else advisors
        withheld = sorted(set(advisors) - set(shown))
        figures = await reports.advisor_figures(list(shown), year)
        return advisors_view_document(view, figures, year, reports.baseline, withheld)
