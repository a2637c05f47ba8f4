"""Releases: the only way statistics leave the reporting service.

A release covers a calendar year through its last CLOSED quarter: a quarter is released once it has
ended and `settle_days` have passed (late events settle). Requests between two releases get the
same release, byte for byte, so fetching, letting a case arrive and fetching again shows nothing.

Making a release (`ReleaseService.current`):
1. Count the projection per organisation and quarter (counting.report_counts), per unit, and over
   the released span.
2. Freeze: quarters an earlier release covered keep the atom values that release used (ledger). A
   late event for such a quarter (a case registered after its quarter was released) is counted in
   the last quarter of the new release: per series, that quarter gets "all counted through it" minus
   "already released", never below 0. A decrease after release (a meeting cancelled later) changes no
   released figure and is not carried. Late events after the fourth quarter was released are not
   published (the year is closed).
3. Build one protection problem over every figure of every report and management view of the
   release (release_model), add every figure of earlier releases of the year as fixed, protect it
   jointly and audit it with the exact attacker (joint_disclosure), and store it in the ledger.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from services.reporting.adapters.organisation import OrganisationModel
from services.reporting.adapters.projection import REPORTING_TZ
from services.reporting.adapters.queries import known_organisations, source_position, year_rows
from services.reporting.adapters.release_ledger import (
    Layout,
    Release,
    frozen_atoms,
    latest_release,
    record_release,
    released_figures,
    secret,
)
from services.reporting.application.counting import report_counts, unit_counts
from services.reporting.domain.annual_report_data import DisclosurePolicy, ReportCounts, TrainingBaseline
from services.reporting.domain.disclosure import quarters_of
from services.reporting.domain.joint_disclosure import protect_release
from services.reporting.domain.release_model import (
    ALL,
    ReleaseInput,
    atom_values,
    build_release_problem,
    group_units,
    released_quarters,
)
from services.reporting.domain.release_problem import Requirement


def quarter_end(year: int, quarter: int) -> datetime:
    """The first instant after the quarter, Europe/Amsterdam."""
    month = quarter * 3 + 1
    start = date(year + 1, 1, 1) if month > 12 else date(year, month, 1)
    return datetime(start.year, start.month, start.day, tzinfo=REPORTING_TZ)


def releasable_through(year: int, now: datetime, settle_days: int) -> int:
    """How many quarters of `year` are closed and settled at `now` (0..4)."""
    through = 0
    for quarter in range(1, 5):
        if now >= quarter_end(year, quarter) + timedelta(days=settle_days):
            through = quarter
    return through


def release_id(year: int, through: int) -> str:
    return f"{year:04d}-Q{through}"


def freeze(
    current: Mapping[str, int], frozen: Mapping[str, int], year: int, previous_through: int, through: int
) -> dict[str, int]:
    """Atom values for a release through `through` when quarters 1..previous_through are frozen.

    Atoms are named family|owner|period|code; span atoms (period "YYYY-Q1..Qn") belong to one release
    and are taken as they are.
    """
    quarters = quarters_of(year)
    last = quarters[through - 1]
    old = set(quarters[:previous_through])
    result: dict[str, int] = {}
    carried: dict[tuple[str, str, str], int] = {}  # (family, owner, code) -> late delta of old quarters
    names = set(current) | set(frozen)
    for atom in names:
        family, owner, period, code = atom.split("|", 3)
        if period not in quarters:  # a span atom: one release's own (advisors by baseline status)
            value = frozen.get(atom, current.get(atom))
            if value is not None:
                result[atom] = value
            continue
        series = (family, owner, code)
        if period in old:
            if atom in frozen:
                result[atom] = frozen[atom]
            carried[series] = carried.get(series, 0) + current.get(atom, 0) - frozen.get(atom, 0)
        elif quarters.index(period) < through:
            result[atom] = current.get(atom, 0)
    for (family, owner, code), delta in carried.items():
        if delta > 0:
            atom = f"{family}|{owner}|{last}|{code}"
            result[atom] = result.get(atom, 0) + delta
    return {atom: value for atom, value in result.items() if value}


@dataclass
class ReleaseService:
    engine: AsyncEngine  # the projection
    ledger: AsyncEngine
    organisation: OrganisationModel
    policy: DisclosurePolicy
    baseline: TrainingBaseline
    requirement: Requirement
    settle_days: int = 14
    min_unit_size: int = 50
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    configured_key: bytes | None = None  # a deployment's own key; else the ledger makes one

    def __post_init__(self) -> None:
        self._lock = asyncio.Lock()
        self._cache: dict[str, Release] = {}

    async def _latest(self, year: int) -> Release | None:
        async with self.ledger.connect() as conn:
            release = await latest_release(conn, year, self._cache)
        if release is not None:
            self._cache[release.release_id] = release
        return release

    async def current(self, year: int) -> Release | None:
        """The release of `year` that covers every closed quarter (made now if due); None before Q1
        of `year` is released."""
        due = releasable_through(year, self.clock(), self.settle_days)
        latest = await self._latest(year)
        if due == 0 or (latest is not None and latest.through >= due):
            return latest
        async with self._lock:
            latest = await self._latest(year)
            if latest is not None and latest.through >= due:
                return latest
            try:
                await self._make(year, due, latest)
            except IntegrityError:
                pass  # another instance made the same release first: read theirs
            return await self._latest(year)

    async def _organisations(self) -> tuple[str, ...]:
        async with self.engine.connect() as conn:
            seen = await known_organisations(conn)
        return tuple(sorted(set(self.organisation.organisations()) | set(seen)))

    async def gather(self, year: int, through: int) -> tuple[ReleaseInput, tuple[int, str]]:
        """The exact counts behind a release, read in one transaction, and the source position."""
        quarters = released_quarters(year, through)
        orgs = await self._organisations()
        quarter_counts: dict[tuple[str, str], ReportCounts] = {}
        span_counts: dict[str, ReportCounts] = {}
        units: dict[tuple[str, str], dict[str, int]] = {}
        groups: dict[str, dict[str, tuple[str, ...]]] = {}
        homes = self.organisation.advisor_organisations
        async with self.engine.connect() as conn, conn.begin():
            for org in orgs:
                rows = await year_rows(conn, org, year, homes)
                for q in quarters:
                    quarter_counts[(org, q)] = report_counts(rows, self.baseline, {q})
                span_counts[org] = report_counts(rows, self.baseline, set(quarters))
                per_unit = unit_counts(c for c in rows.cases if c.quarter in quarters)
                seen_units: set[str] = set()
                for unit, per_quarter in per_unit.items():
                    seen_units.add(unit)
                    for q, n in per_quarter.items():
                        units.setdefault((org, q), {})[unit] = n
                sizes, parent_of = self.organisation.unit_tree(org, seen_units)
                groups[org] = group_units(sizes, parent_of, self.min_unit_size)
            everyone = await year_rows(conn, None, year, homes)
            span_counts[ALL] = report_counts(everyone, self.baseline, set(quarters))
            no_home: dict[str, ReportCounts] = {}
            for q in quarters:
                whole = report_counts(everyone, self.baseline, {q})
                hours = dict(whole.advisor_hours_by_activity)
                training, sessions = whole.training_hours_total, whole.supervision_sessions_total
                for org in orgs:
                    part = quarter_counts[(org, q)]
                    for activity, value in part.advisor_hours_by_activity.items():
                        hours[activity] = hours.get(activity, 0.0) - value
                    training -= part.training_hours_total
                    sessions -= part.supervision_sessions_total
                no_home[q] = ReportCounts(
                    advisor_hours_by_activity={a: max(0.0, v) for a, v in hours.items()},
                    training_hours_total=max(0.0, training),
                    supervision_sessions_total=max(0, sessions),
                )
            source = await source_position(conn)
        data = ReleaseInput(year, through, orgs, quarter_counts, span_counts, no_home, units, groups)
        return data, (source.event_count, source.fingerprint)

    async def _make(self, year: int, through: int, previous: Release | None) -> None:
        data, (event_count, fingerprint) = await self.gather(year, through)
        async with self.ledger.begin() as conn:
            key = await secret(conn, self.configured_key or secrets.token_bytes(32))
            fixed = await released_figures(conn, year)
            frozen = await frozen_atoms(conn, year)
        previous_through = previous.through if previous is not None else 0
        atoms = freeze(atom_values(data), frozen, year, previous_through, through)
        problem = build_release_problem(data, self.policy, atoms)
        # The figures this release publishes (some repeat earlier ones), under every key they have.
        own = set(problem.figures) | set(problem.aliases)
        for figure in fixed.values():
            problem.fix(figure.spec, figure.value, figure.primary)
        # Protection solves integer programs: keep it off the event loop that also consumes.
        values = await asyncio.to_thread(protect_release, problem, self.requirement, key)
        new_values = {k: v for k, v in values.items() if k in own}
        release = Release(
            release_id(year, through), year, through, self.clock().astimezone(UTC).isoformat(),
            event_count, fingerprint, Layout(data.organisations, {o: dict(g) for o, g in data.unit_groups.items()}),
            new_values,
        )  # fmt: skip
        new_atoms = {a: v for a, v in atoms.items() if a not in frozen}
        async with self.ledger.begin() as conn:
            specs = dict(problem.figures)
            specs.update({alias: replace(specs[key], key=alias) for alias, key in problem.aliases.items()})
            primary = {k for k in new_values if problem.aliases.get(k, k) in problem.primary}
            await record_release(conn, release, specs, primary, new_atoms)
