"""Use cases on the projection: the annual report, the management view by unit, advisors' own figures.

Everything that leaves through `annual_report` and `management_units` is a figure of a release
(releases.py: closed quarters only, protected jointly with every other report, view and earlier
release, audited by the exact attacker) and is recorded in the release ledger with its audience.
`advisor_figures` is per advisor and is only handed out by the views for advisors and their
coordinator (application/access_rules.py).
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import structlog
from sqlalchemy.ext.asyncio import AsyncEngine

from services.reporting.adapters.ledger_migrations import LEDGER_SCHEMA
from services.reporting.adapters.organisation import GOVERNMENT_WIDE, GOVERNMENT_WIDE_NAMES, OrganisationModel
from services.reporting.adapters.projection import REPORTING_TZ
from services.reporting.adapters.queries import AdvisorYear, advisor_homes, advisor_years
from services.reporting.adapters.release_ledger import Release, record_disclosure
from services.reporting.adapters.rendering.annual_report_formats import (
    Lang,
    render_csv,
    render_html,
    render_json,
)
from services.reporting.application.releases import ReleaseService
from services.reporting.domain.annual_report_data import (
    AnnualReport,
    DisclosurePolicy,
    Organisation,
    Publication,
    SourcePosition,
    TrainingBaseline,
)
from services.reporting.domain.disclosure import ProtectedTable
from services.reporting.domain.release_model import ALL, assemble_report, assemble_units
from services.reporting.domain.release_problem import Requirement
from shared import migrations
from shared.db import make_engine
from shared.periodic import every

log = structlog.get_logger(__name__)

ReportFormat = Literal["html", "csv", "json"]
MEDIA_TYPES: dict[str, str] = {
    "html": "text/html; charset=utf-8",
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
}


class UnknownOrganisation(LookupError):
    """Neither the organisation file nor any event names this organisation."""


class NotReleasedYet(LookupError):
    """No quarter of the year has closed and settled: nothing of it may be published yet."""


@dataclass(frozen=True)
class UnitsTable:
    organisation: Organisation
    year: int
    table: ProtectedTable
    unit_names: dict[str, str]
    min_unit_size: int
    release_id: str = ""


@dataclass
class Reports:
    """What leaves the service: every figure comes from a release (releases.py) and is recorded in
    the ledger with the artefact and the audience it left for."""

    engine: AsyncEngine
    organisation: OrganisationModel
    policy: DisclosurePolicy
    baseline: TrainingBaseline
    min_unit_size: int = 50
    ledger: AsyncEngine | None = None  # None: a private ledger in a temporary file (offline tools, tests)
    requirement: Requirement | None = None
    settle_days: int = 14
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    # The key of the secondary-suppression priority; None: the ledger's own (made once, random).
    release_key: bytes | None = None
    publication: Publication = field(default_factory=Publication)  # publisher and contact on the cover

    def __post_init__(self) -> None:
        self._releases: ReleaseService | None = None
        self._ready = asyncio.Lock()

    async def releases(self) -> ReleaseService:
        async with self._ready:
            if self._releases is None:
                ledger = self.ledger
                if ledger is None:
                    path = Path(tempfile.mkdtemp(prefix="caseflow-ledger-")) / "ledger.db"
                    ledger = self.ledger = make_engine(f"sqlite+aiosqlite:///{path}")
                await migrations.prepare(ledger, LEDGER_SCHEMA)
                self._releases = ReleaseService(
                    self.engine, ledger, self.organisation, self.policy, self.baseline,
                    self.requirement or Requirement(self.policy.k), self.settle_days, self.min_unit_size,
                    self.clock, self.release_key,
                )  # fmt: skip
            return self._releases

    def releaser(self, interval: float = 600.0, first_after: float = 60.0) -> Callable[[asyncio.Event], Any]:
        """A background job: make the releases that have become due (this year's and last year's),
        so that no reader's request waits for a protection run. A year that fails does not keep the
        other from its release; the failure is logged and retried with backoff; a request makes a
        due release itself all the same."""

        async def release_due_years() -> None:
            year = self.clock().astimezone(REPORTING_TZ).year
            failed: Exception | None = None
            for due_year in (year - 1, year):
                try:
                    await (await self.releases()).current(due_year)
                except Exception as error:  # noqa: BLE001 - the other year is still tried
                    log.warning("release_failed", year=due_year, error_type=type(error).__name__)
                    failed = failed or error
            if failed is not None:
                raise failed

        return every(interval, release_due_years, name="reporting_releases", first_after=first_after)

    async def release(self, year: int) -> Release:
        release = await (await self.releases()).current(year)
        if release is None:
            raise NotReleasedYet(year)
        return release

    def _organisation(self, organisation_id: str, release: Release) -> Organisation:
        if organisation_id == GOVERNMENT_WIDE:
            return Organisation(GOVERNMENT_WIDE, GOVERNMENT_WIDE_NAMES["nl"])
        if organisation_id not in release.layout.organisations or not self.organisation.may_exist(
            organisation_id
        ):
            raise UnknownOrganisation(organisation_id)
        return Organisation(organisation_id, self.organisation.organisation_name(organisation_id))

    async def _disclosed(self, release: Release, artefact: str, audience: str) -> None:
        assert self.ledger is not None
        async with self.ledger.begin() as conn:
            await record_disclosure(conn, release.release_id, artefact, audience, self.clock())

    async def annual_report(
        self, organisation_id: str, year: int, audience: str = "public", artefact: str = ""
    ) -> AnnualReport:
        """The report of one organisation, or of the whole government (`"all"`): the year's current
        release (its closed quarters only)."""
        release = await self.release(year)
        organisation = self._organisation(organisation_id, release)
        scope = ALL if organisation_id == GOVERNMENT_WIDE else organisation_id
        released_on = datetime.fromisoformat(release.released_at).astimezone(REPORTING_TZ).date()
        report = assemble_report(
            organisation, scope, year, release.through, release.values, self.policy,
            SourcePosition(release.event_count, fingerprint=release.fingerprint),
            replace(self.publication, released_on=released_on, release_id=release.release_id),
            (self.baseline.training_hours, self.baseline.supervision_sessions),
        )  # fmt: skip
        await self._disclosed(release, artefact or f"annual:{organisation_id}:model", audience)
        return report

    async def render(
        self, organisation_id: str, year: int, fmt: ReportFormat, lang: Lang = "nl", audience: str = "public"
    ) -> str:
        report = await self.annual_report(
            organisation_id, year, audience, f"annual:{organisation_id}:{fmt}:{lang}"
        )
        return render_report(report, fmt, lang)

    async def management_units(
        self, organisation_id: str, year: int, audience: str = "management"
    ) -> UnitsTable:
        """Contacts by unit and quarter from the release; small units folded by headcount."""
        if organisation_id == GOVERNMENT_WIDE:
            raise UnknownOrganisation("units are shown per organisation")
        release = await self.release(year)
        organisation = self._organisation(organisation_id, release)
        groups = release.layout.unit_groups.get(organisation_id) or {organisation_id: (organisation_id,)}
        view = assemble_units(organisation_id, year, release.through, groups, release.values, self.policy)
        if view is None:
            raise UnknownOrganisation(organisation_id)

        def name(group: str) -> str:
            own = organisation.name if group == organisation_id else self.organisation.unit_name(group)
            folded = len(view.members[group]) - 1
            return own if folded == 0 else f"{own} (+{folded})"

        await self._disclosed(release, f"management:{organisation_id}", audience)
        names = {group: name(group) for group in view.table.row_keys}
        return UnitsTable(organisation, year, view.table, names, self.min_unit_size, release.release_id)

    async def advisor_homes(self) -> dict[str, str | None]:
        async with self.engine.connect() as conn:
            return await advisor_homes(conn, self.organisation.advisor_organisations)

    async def advisor_figures(self, advisors: list[str], year: int) -> list[AdvisorYear]:
        """One advisor's own figures, for that advisor and their coordinator (application/access_rules.py): these are not
        statistics about others, so they are not part of a release's protection."""
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
