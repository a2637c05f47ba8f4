"""Use cases on the projection: the annual report, the management view by unit, advisors' own figures.

Everything that leaves through `annual_report` and `management_units` has passed disclosure control
(report_model.build_annual_report, disclosure.protect). `advisor_figures` is per advisor and is only
handed out by the views for advisors and their coordinator (views.py).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncEngine

from services.reporting.annual_report import Lang, render_csv, render_html, render_json
from services.reporting.counting import report_counts, unit_counts
from services.reporting.disclosure import CountTable, ProtectedTable, merge_small_units, protect, quarters_of
from services.reporting.organisation import GOVERNMENT_WIDE, GOVERNMENT_WIDE_NAMES, OrganisationModel
from services.reporting.queries import (
    AdvisorYear,
    advisor_homes,
    advisor_years,
    known_organisations,
    source_position,
    year_rows,
)
from services.reporting.report_model import (
    AnnualReport,
    DisclosurePolicy,
    Organisation,
    TrainingBaseline,
    build_annual_report,
)

ReportFormat = Literal["html", "csv", "json"]
MEDIA_TYPES: dict[str, str] = {
    "html": "text/html; charset=utf-8",
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
}


class UnknownOrganisation(LookupError):
    """Neither the organisation file nor any event names this organisation."""


@dataclass(frozen=True)
class UnitsTable:
    organisation: Organisation
    year: int
    table: ProtectedTable
    unit_names: dict[str, str]
    min_unit_size: int


@dataclass(frozen=True)
class Reports:
    engine: AsyncEngine
    organisation: OrganisationModel
    policy: DisclosurePolicy
    baseline: TrainingBaseline
    min_unit_size: int = 50

    async def _organisation(self, organisation_id: str) -> Organisation:
        if organisation_id == GOVERNMENT_WIDE:
            return Organisation(GOVERNMENT_WIDE, GOVERNMENT_WIDE_NAMES["nl"])
        if organisation_id not in self.organisation.organisations():
            async with self.engine.connect() as conn:
                if organisation_id not in await known_organisations(conn):
                    raise UnknownOrganisation(organisation_id)
        return Organisation(organisation_id, self.organisation.organisation_name(organisation_id))

    async def annual_report(self, organisation_id: str, year: int) -> AnnualReport:
        """The report of one organisation, or of the whole government (`"all"`), for a calendar year."""
        organisation = await self._organisation(organisation_id)
        scope = None if organisation_id == GOVERNMENT_WIDE else organisation_id
        # One read transaction: the counts and the source position describe the same events.
        async with self.engine.connect() as conn, conn.begin():
            rows = await year_rows(conn, scope, year, self.organisation.advisor_organisations)
            source = await source_position(conn)
        counts = report_counts(rows, self.baseline)
        # Protection solves small LPs: keep it off the event loop that also consumes.
        return await asyncio.to_thread(build_annual_report, organisation, year, source, counts, self.policy)

    async def render(self, organisation_id: str, year: int, fmt: ReportFormat, lang: Lang = "nl") -> str:
        report = await self.annual_report(organisation_id, year)
        return render_report(report, fmt, lang)

    async def management_units(self, organisation_id: str, year: int) -> UnitsTable:
        """Contacts by unit and quarter; units smaller than `min_unit_size` folded into their parent."""
        organisation = await self._organisation(organisation_id)
        if organisation_id == GOVERNMENT_WIDE:
            raise UnknownOrganisation("units are shown per organisation")
        async with self.engine.connect() as conn:
            rows = await year_rows(conn, organisation_id, year, self.organisation.advisor_organisations)
        by_unit = unit_counts(rows.cases)
        sizes, parent_of = self.organisation.unit_tree(organisation_id, by_unit)
        merged = merge_small_units(by_unit, sizes, parent_of, self.min_unit_size)
        quarters = quarters_of(year)
        units = sorted(merged) or [organisation_id]
        table = CountTable.two_way(
            ("unit", "quarter"), units, quarters,
            {(unit, quarter): n for unit, per in merged.items() for quarter, n in per.items()},
        )  # fmt: skip
        protected = await asyncio.to_thread(protect, table, self.policy.k, self.policy.round_to)
        names = {
            unit: (organisation.name if unit == organisation_id else self.organisation.unit_name(unit))
            for unit in units
        }
        return UnitsTable(organisation, year, protected, names, self.min_unit_size)

    async def advisor_homes(self) -> dict[str, str | None]:
        async with self.engine.connect() as conn:
            return await advisor_homes(conn, self.organisation.advisor_organisations)

    async def advisor_figures(self, advisors: list[str], year: int) -> list[AdvisorYear]:
        async with self.engine.connect() as conn:
            return await advisor_years(conn, advisors, year)


def render_report(report: AnnualReport, fmt: ReportFormat, lang: Lang = "nl") -> str:
    if fmt == "html":
        return render_html(report, lang)
    if fmt == "csv":
        return render_csv(report)
    if fmt == "json":
        return render_json(report)
    raise ValueError(f"unknown format {fmt!r}")
