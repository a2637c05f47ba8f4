"""A release as one protection problem: every figure of every report and view of a year so far.

`build_release_problem` turns exact counts per organisation and quarter into a
`release_problem.ReleaseProblem`: atoms per (family, organisation, quarter, code), the figures the
annual reports (each organisation and the government-wide one) and the management views (units by
quarter) publish, the lines between them and the relations a reader knows. `assemble_report` and
`assemble_units` read a protected outcome back into the shapes the renderers take, so nothing that
was not protected as a figure of the release can reach a page.

Figure keys name what a figure counts, so the same quantity in two reports is ONE figure (the
number of contacts of ministry X in Q2 is the column total of its channel table and of its units
table; the government-wide category count is the sum of the ministries'):
    <family>|<organisation or "all">|<period>|<code>
where period is a quarter ("2026-Q2") or the span a release covers ("2026-Q1..Q3").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from services.reporting.domain.annual_report_data import (
    AnnualReport,
    BaselineStatus,
    ConflictReason,
    DaysBucket,
    Deadline,
    DeadlineStatus,
    DisclosurePolicy,
    FeedbackRating,
    Figure,
    FigureKey,
    FigureUnit,
    NoteId,
    Organisation,
    Publication,
    ReportCounts,
    Section,
    SectionId,
    SourcePosition,
)
from services.reporting.domain.disclosure import (
    DisclosureError,
    ProtectedTable,
    fold_small_units,
    quarters_of,
)
from services.reporting.domain.release_problem import FigureKind, FigureSpec, Line, Relation, ReleaseProblem
from shared.codes import AdvisorScope, Category, Channel, ClientRole, MeetingMode, Outcome, TimeActivity

ALL = "all"  # the government-wide scope
NO_HOME = "_none"  # hours and training of advisors without a home organisation (government-wide only)


def span(year: int, through: int) -> str:
    """The period a release covers: quarters 1..through of `year`."""
    return f"{year:04d}-Q1..Q{through}"


def released_quarters(year: int, through: int) -> tuple[str, ...]:
    return quarters_of(year)[:through]


def _codes(enum: type[StrEnum]) -> tuple[str, ...]:
    return tuple(member.value for member in enum)


# One-way sections: (section, atom family, codes, the population its cells add up to).
# A population of "contacts" means the section's total IS the number of contacts of the period.
@dataclass(frozen=True)
class _OneWay:
    section: SectionId
    family: str
    codes: tuple[str, ...]
    field: str  # ReportCounts attribute
    contacts_total: bool = False


ONE_WAY: tuple[_OneWay, ...] = (
    _OneWay(SectionId.CONTACTS_BY_CATEGORY, "cat", _codes(Category), "contacts_by_primary_category", True),
    _OneWay(SectionId.CATEGORY_MENTIONS, "men", _codes(Category), "category_mentions"),
    _OneWay(SectionId.CONTACTS_BY_CLIENT_ROLE, "role", _codes(ClientRole), "contacts_by_client_role", True),
    _OneWay(SectionId.ROUTING_SCOPE, "scope", _codes(AdvisorScope), "contacts_by_advisor_scope"),
    _OneWay(
        SectionId.CONFLICT_REASSIGNMENTS, "conf", _codes(ConflictReason), "conflict_reassignments_by_reason"
    ),
    _OneWay(SectionId.MEETING_MODES, "meet", _codes(MeetingMode), "meetings_by_mode"),
    _OneWay(SectionId.OUTCOMES, "out", _codes(Outcome), "closed_contacts_by_outcome"),
    _OneWay(SectionId.DAYS_TO_FIRST_CONVERSATION, "days", _codes(DaysBucket), "days_to_first_conversation"),
    _OneWay(SectionId.CLIENT_FEEDBACK, "fb", _codes(FeedbackRating), "feedback_by_rating"),
)
CHANNELS = _codes(Channel)
DEADLINES = _codes(Deadline)
DEADLINE_STATUSES = _codes(DeadlineStatus)
ACTIVITIES = _codes(TimeActivity)
BASELINE = _codes(BaselineStatus)

# Structural cost of a figure as a secondary suppression: inner cells first, government-wide last.
# A table's margins and total rank 1 and 2 above its cells (organisation: 0, 1, 2; government: 3, 4, 5).
RANK_CELL, RANK_MARGIN, RANK_TOTAL, RANK_GOV_CELL = range(4)


@dataclass(frozen=True)
class ReleaseInput:
    """Exact counts behind one release. Never leaves the reporting service.

    `quarter_counts[(org, quarter)]`: counts attributed to that quarter (quarter-additive fields).
    `no_home[quarter]`: hours/training of advisors without a home organisation.
    `span_counts[org or ALL]`: counts over the whole span (advisors by baseline status and the number
    of advisors recording hours, which do not add up over quarters).
    `unit_counts[(org, quarter)]`: contacts per unit; `unit_groups[org]`: group -> units (small units
    folded by headcount, never by their counts).
    """

    year: int
    through: int
    organisations: tuple[str, ...]
    quarter_counts: Mapping[tuple[str, str], ReportCounts]
    span_counts: Mapping[str, ReportCounts]
    no_home: Mapping[str, ReportCounts] = field(default_factory=dict)
    unit_counts: Mapping[tuple[str, str], Mapping[str, int]] = field(default_factory=dict)
    unit_groups: Mapping[str, Mapping[str, tuple[str, ...]]] = field(default_factory=dict)


def whole_hours(value: float) -> int:
    """Hours are rounded per organisation and quarter before anything adds them up (exact sums)."""
    return int(value + 0.5) if value >= 0 else 0


def atom_values(data: ReleaseInput) -> dict[str, int]:
    """Every atom of the release with its exact value (zeros omitted)."""
    atoms: dict[str, int] = {}

    def put(name: str, value: int) -> None:
        if value:
            atoms[name] = value

    for (org, quarter), counts in data.quarter_counts.items():
        for section in ONE_WAY:
            for code, value in getattr(counts, section.field).items():
                put(f"{section.family}|{org}|{quarter}|{code}", int(value))
        for (channel, _), value in counts.contacts_by_channel_and_quarter.items():
            atoms[f"ch|{org}|{quarter}|{channel}"] = atoms.get(f"ch|{org}|{quarter}|{channel}", 0) + value
        for (deadline, status), value in counts.formal_report_deadlines.items():
            put(f"dl|{org}|{quarter}|{deadline}.{status}", value)
    owners = [*data.quarter_counts.items(), *(((NO_HOME, q), c) for q, c in data.no_home.items())]
    for (org, quarter), counts in owners:
        for activity, hours in counts.advisor_hours_by_activity.items():
            put(f"hrs|{org}|{quarter}|{activity}", whole_hours(hours))
        put(f"trh|{org}|{quarter}|hours", whole_hours(counts.training_hours_total))
        put(f"sup|{org}|{quarter}|sessions", counts.supervision_sessions_total)
    for org, counts in data.span_counts.items():
        for status, value in counts.advisors_by_baseline_status.items():
            put(f"base|{org}|{span(data.year, data.through)}|{status}", value)
    for (org, quarter), per_unit in data.unit_counts.items():
        for unit, value in per_unit.items():
            put(f"unit|{org}|{quarter}|{unit}", value)
    return atoms


class _Builder:
    def __init__(self, data: ReleaseInput, policy: DisclosurePolicy, atoms: Mapping[str, int] | None) -> None:
        self.data = data
        self.policy = policy
        self.quarters = released_quarters(data.year, data.through)
        self.span = span(data.year, data.through)
        self.problem = ReleaseProblem(atoms=dict(atoms) if atoms is not None else atom_values(data))

    def scopes(self) -> list[tuple[str, tuple[str, ...]]]:
        orgs = self.data.organisations
        return [*((org, (org,)) for org in orgs), (ALL, orgs)]

    def figure(
        self,
        key: str,
        atoms: Iterable[str],
        rank: int,
        kind: FigureKind = FigureKind.COUNT,
    ) -> str:
        return self.problem.add(FigureSpec(key, tuple(sorted(set(atoms))), kind, rank))

    def contacts(self, scope: str, members: Sequence[str], quarters: Sequence[str], rank: int) -> str:
        period = quarters[0] if len(quarters) == 1 else self.span
        return self.figure(
            f"contacts|{scope}|{period}",
            (f"ch|{o}|{q}|{c}" for o in members for q in quarters for c in CHANNELS),
            rank,
        )

    def one_way(self, section: _OneWay, scope: str, members: Sequence[str], gov: bool) -> None:
        base = RANK_GOV_CELL if gov else RANK_CELL
        parts = tuple(
            self.figure(
                f"{section.family}|{scope}|{self.span}|{code}",
                (f"{section.family}|{o}|{q}|{code}" for o in members for q in self.quarters),
                base,
            )
            for code in section.codes
        )
        if section.contacts_total:
            total = self.contacts(scope, members, self.quarters, base + 2)
        else:
            total = self.figure(
                f"{section.family}|{scope}|{self.span}|total",
                (
                    f"{section.family}|{o}|{q}|{c}"
                    for o in members
                    for q in self.quarters
                    for c in section.codes
                ),
                base + 2,
            )
        self.problem.lines.append(Line(total, parts))

    def channel_by_quarter(self, scope: str, members: Sequence[str], gov: bool) -> None:
        base = RANK_GOV_CELL if gov else RANK_CELL
        cells = {
            (c, q): self.figure(f"ch|{scope}|{q}|{c}", (f"ch|{o}|{q}|{c}" for o in members), base)
            for c in CHANNELS
            for q in self.quarters
        }
        row_totals = {
            c: self.figure(
                f"ch|{scope}|{self.span}|{c}",
                (f"ch|{o}|{q}|{c}" for o in members for q in self.quarters),
                base + 1,
            )
            for c in CHANNELS
        }
        col_totals = {q: self.contacts(scope, members, (q,), base + 1) for q in self.quarters}
        grand = self.contacts(scope, members, self.quarters, base + 2)
        lines = self.problem.lines
        for c in CHANNELS:
            lines.append(Line(row_totals[c], tuple(cells[(c, q)] for q in self.quarters)))
        for q in self.quarters:
            lines.append(Line(col_totals[q], tuple(cells[(c, q)] for c in CHANNELS)))
        lines.append(Line(grand, tuple(row_totals[c] for c in CHANNELS)))
        lines.append(Line(grand, tuple(col_totals[q] for q in self.quarters)))

    def deadlines(self, scope: str, members: Sequence[str], gov: bool) -> None:
        base = RANK_GOV_CELL if gov else RANK_CELL

        def atoms(deadlines: Sequence[str], statuses: Sequence[str]) -> list[str]:
            return [
                f"dl|{o}|{q}|{d}.{s}"
                for o in members
                for q in self.quarters
                for d in deadlines
                for s in statuses
            ]

        prefix = f"dl|{scope}|{self.span}"
        cells = {
            (d, s): self.figure(f"{prefix}|{d}.{s}", atoms((d,), (s,)), base)
            for d in DEADLINES
            for s in DEADLINE_STATUSES
        }
        rows = {
            d: self.figure(f"{prefix}|{d}.total", atoms((d,), DEADLINE_STATUSES), base + 1) for d in DEADLINES
        }
        cols = {
            s: self.figure(f"{prefix}|total.{s}", atoms(DEADLINES, (s,)), base + 1) for s in DEADLINE_STATUSES
        }
        grand = self.figure(f"{prefix}|total", atoms(DEADLINES, DEADLINE_STATUSES), base + 2)
        lines = self.problem.lines
        for d in DEADLINES:
            lines.append(Line(rows[d], tuple(cells[(d, s)] for s in DEADLINE_STATUSES)))
        for s in DEADLINE_STATUSES:
            lines.append(Line(cols[s], tuple(cells[(d, s)] for d in DEADLINES)))
        lines.append(Line(grand, tuple(rows.values())))
        lines.append(Line(grand, tuple(cols.values())))
        # Every formal report has both deadlines, so the two row totals are the same number: a reader
        # who sees one knows the other. As a line of one part, suppressing one suppresses the other.
        totals = [self.problem.value(rows[d]) for d in DEADLINES]
        if len(set(totals)) == 1:
            lines.append(Line(rows[DEADLINES[0]], (rows[DEADLINES[1]],)))

    def magnitudes(self, scope: str, members: Sequence[str], gov: bool) -> None:
        """Hours by activity, training hours, supervision sessions: withheld with few contributors."""
        base = RANK_GOV_CELL if gov else RANK_CELL
        owners = [*members, NO_HOME] if gov else list(members)
        counts = self.data.span_counts.get(scope, ReportCounts())
        parts = tuple(
            self.figure(
                f"hrs|{scope}|{self.span}|{a}",
                (f"hrs|{o}|{q}|{a}" for o in owners for q in self.quarters),
                base,
                FigureKind.MAGNITUDE,
            )
            for a in ACTIVITIES
        )
        total = self.figure(
            f"hrs|{scope}|{self.span}|total",
            (f"hrs|{o}|{q}|{a}" for o in owners for q in self.quarters for a in ACTIVITIES),
            base + 2,
            FigureKind.MAGNITUDE,
        )
        self.problem.lines.append(Line(total, parts))
        if counts.advisors_recording_hours < self.policy.min_contributors:
            self.problem.primary.update((*parts, total))
        advisors = sum(counts.advisors_by_baseline_status.values())
        training = [
            self.figure(
                f"{family}|{scope}|{self.span}|{unit}",
                (f"{family}|{o}|{q}|{unit}" for o in owners for q in self.quarters),
                base,
                FigureKind.MAGNITUDE,
            )
            for family, unit in (("trh", "hours"), ("sup", "sessions"))
        ]
        if advisors < self.policy.min_contributors:
            self.problem.primary.update(training)
        # Advisors by baseline status: counts of advisors over the span (not additive over quarters).
        status_owners = [scope]
        cells = tuple(
            self.figure(
                f"base|{scope}|{self.span}|{s}", (f"base|{o}|{self.span}|{s}" for o in status_owners), base
            )
            for s in BASELINE
        )
        total_advisors = self.figure(
            f"base|{scope}|{self.span}|total",
            (f"base|{o}|{self.span}|{s}" for o in status_owners for s in BASELINE),
            base + 2,
        )
        self.problem.lines.append(Line(total_advisors, cells))

    def units(self, org: str) -> None:
        groups = self.data.unit_groups.get(org, {})
        if len(groups) <= 1:
            return  # one group is the organisation's contacts by quarter, already figures of their own
        cells = {
            (g, q): self.figure(f"unit|{org}|{q}|{g}", (f"unit|{org}|{q}|{u}" for u in members), RANK_CELL)
            for g, members in groups.items()
            for q in self.quarters
        }
        rows = {
            g: self.figure(
                f"unit|{org}|{self.span}|{g}",
                (f"unit|{org}|{q}|{u}" for u in members for q in self.quarters),
                RANK_MARGIN,
            )
            for g, members in groups.items()
        }
        cols = {q: self.contacts(org, (org,), (q,), RANK_MARGIN) for q in self.quarters}
        grand = self.contacts(org, (org,), self.quarters, RANK_TOTAL)
        lines = self.problem.lines
        for g in groups:
            lines.append(Line(rows[g], tuple(cells[(g, q)] for q in self.quarters)))
        for q in self.quarters:
            lines.append(Line(cols[q], tuple(cells[(g, q)] for g in groups)))
        lines.append(Line(grand, tuple(rows.values())))

    def government_lines(self) -> None:
        """The government-wide figure is the sum of the organisations' same figure."""
        orgs = self.data.organisations
        prefix = f"|{ALL}|"
        for key in list(self.problem.figures):
            if prefix not in key:
                continue
            family, _, rest = key.partition(prefix)
            parts = tuple(f"{family}|{o}|{rest}" for o in orgs)
            if family in ("hrs", "trh", "sup", "base") or not all(p in self.problem.figures for p in parts):
                continue  # magnitudes and advisor counts also hold advisors without a home organisation
            self.problem.lines.append(Line(key, parts))

    def relations(self) -> None:
        """What a reader knows about the atoms besides the figures (only relations the data obeys)."""
        atoms = self.problem.atoms
        candidates: list[Relation] = []
        for org in self.data.organisations:
            for q in self.quarters:
                channels = tuple(f"ch|{org}|{q}|{c}" for c in CHANNELS)
                for section in ONE_WAY:
                    members = tuple(f"{section.family}|{org}|{q}|{c}" for c in section.codes)
                    if section.contacts_total:
                        candidates.append(Relation(members, channels))
                    elif section.family in ("scope", "days"):
                        candidates.append(Relation(members, channels, equal=False))  # at most one per contact
                for c in _codes(Category):
                    primary, mentioned = f"cat|{org}|{q}|{c}", f"men|{org}|{q}|{c}"
                    candidates.append(Relation((primary,), (mentioned,), equal=False))
                    candidates.append(Relation((mentioned,), channels, equal=False))
                groups = self.data.unit_groups.get(org, {})
                if len(groups) > 1:
                    units = tuple(f"unit|{org}|{q}|{u}" for members in groups.values() for u in members)
                    candidates.append(Relation(units, channels))
                # Every formal report has both deadlines.
                candidates.append(
                    Relation(
                        tuple(f"dl|{org}|{q}|acknowledgement.{s}" for s in DEADLINE_STATUSES),
                        tuple(f"dl|{org}|{q}|feedback.{s}" for s in DEADLINE_STATUSES),
                    )
                )

        def holds(relation: Relation) -> bool:
            left = sum(atoms.get(a, 0) for a in relation.left)
            right = sum(atoms.get(a, 0) for a in relation.right)
            return left == right if relation.equal else left <= right

        self.problem.relations.extend(r for r in candidates if holds(r))


def organisation_of_atom(atom: str) -> str:
    """The organisation an atom counts for (atom keys are <family>|<organisation>|<period>|<code>)."""
    return atom.split("|", 2)[1]


def build_release_problem(
    data: ReleaseInput, policy: DisclosurePolicy, atoms: Mapping[str, int] | None = None
) -> ReleaseProblem:
    """Every figure of the release, its lines and relations, with primary suppressions marked.

    `atoms` replaces the values counted from `data` (frozen quarters, releases.freeze)."""
    if not 1 <= data.through <= 4:
        raise DisclosureError("a release covers one to four quarters")
    builder = _Builder(data, policy, atoms)
    for scope, members in builder.scopes():
        gov = scope == ALL
        for section in ONE_WAY:
            builder.one_way(section, scope, members, gov)
        builder.channel_by_quarter(scope, members, gov)
        builder.deadlines(scope, members, gov)
        builder.magnitudes(scope, members, gov)
        if not gov:
            builder.units(scope)
    builder.government_lines()
    builder.relations()
    problem = builder.problem
    problem.subsystem = organisation_of_atom
    problem.primary.update(
        key
        for key, spec in problem.figures.items()
        if spec.kind is FigureKind.COUNT and 1 <= problem.value(key) <= policy.k - 1
    )
    return problem


# --------------------------------------------------------------------------------------------------
# Reading a protected outcome back into report shapes


def _rounded(value: int | None, policy: DisclosurePolicy) -> int | None:
    if value is None or policy.round_to is None:
        return value
    base = policy.round_to
    quotient, remainder = divmod(value, base)
    return (quotient + (1 if 2 * remainder >= base else 0)) * base


def _one_way_table(
    dimension: str, codes: Sequence[str], keys: Sequence[str], total: str, values: Mapping[str, int | None],
    policy: DisclosurePolicy,
) -> ProtectedTable:  # fmt: skip
    cells = tuple(_rounded(values[k], policy) for k in keys)
    return ProtectedTable(
        (dimension,),
        (),
        tuple(codes),
        (cells,),
        (),
        (),
        _rounded(values[total], policy),
        policy.k,
        policy.round_to,
    )


def _two_way_table(
    dimensions: tuple[str, str],
    row_codes: Sequence[str],
    col_codes: Sequence[str],
    cell: Mapping[tuple[str, str], str],
    row_total: Mapping[str, str],
    col_total: Mapping[str, str],
    grand: str,
    values: Mapping[str, int | None],
    policy: DisclosurePolicy,
) -> ProtectedTable:
    return ProtectedTable(
        dimensions=dimensions,
        row_keys=tuple(row_codes),
        col_keys=tuple(col_codes),
        cells=tuple(tuple(_rounded(values[cell[(r, c)]], policy) for c in col_codes) for r in row_codes),
        row_totals=tuple(_rounded(values[row_total[r]], policy) for r in row_codes),
        col_totals=tuple(_rounded(values[col_total[c]], policy) for c in col_codes),
        grand_total=_rounded(values[grand], policy),
        k=policy.k,
        round_to=policy.round_to,
    )


_DIMENSION = {
    SectionId.CONTACTS_BY_CATEGORY: "category",
    SectionId.CATEGORY_MENTIONS: "category",
    SectionId.CONTACTS_BY_CLIENT_ROLE: "client_role",
    SectionId.ROUTING_SCOPE: "advisor_scope",
    SectionId.CONFLICT_REASSIGNMENTS: "conflict_reason",
    SectionId.MEETING_MODES: "meeting_mode",
    SectionId.OUTCOMES: "outcome",
    SectionId.DAYS_TO_FIRST_CONVERSATION: "days_to_first_conversation",
    SectionId.CLIENT_FEEDBACK: "feedback",
}


def assemble_report(
    organisation: Organisation,
    scope: str,
    year: int,
    through: int,
    values: Mapping[str, int | None],
    policy: DisclosurePolicy,
    source: SourcePosition,
    publication: Publication,
    baseline: tuple[int, int],
) -> AnnualReport:
    """The annual report of `scope` (an organisation id or ALL) from a release's protected values."""
    period = span(year, through)
    quarters = released_quarters(year, through)

    def contacts(quarter: str | None) -> str:
        return f"contacts|{scope}|{quarter or period}"

    sections: dict[SectionId, Section] = {}
    for section in ONE_WAY:
        keys = [f"{section.family}|{scope}|{period}|{code}" for code in section.codes]
        total = contacts(None) if section.contacts_total else f"{section.family}|{scope}|{period}|total"
        sections[section.section] = Section(
            section.section,
            _one_way_table(_DIMENSION[section.section], section.codes, keys, total, values, policy),
        )
    by_quarter = _two_way_table(
        ("channel", "quarter"),
        CHANNELS,
        quarters,
        {(c, q): f"ch|{scope}|{q}|{c}" for c in CHANNELS for q in quarters},
        {c: f"ch|{scope}|{period}|{c}" for c in CHANNELS},
        {q: contacts(q) for q in quarters},
        contacts(None),
        values,
        policy,
    )
    prefix = f"dl|{scope}|{period}"
    deadlines = _two_way_table(
        ("deadline", "deadline_status"),
        DEADLINES,
        DEADLINE_STATUSES,
        {(d, s): f"{prefix}|{d}.{s}" for d in DEADLINES for s in DEADLINE_STATUSES},
        {d: f"{prefix}|{d}.total" for d in DEADLINES},
        {s: f"{prefix}|total.{s}" for s in DEADLINE_STATUSES},
        f"{prefix}|total",
        values,
        policy,
    )
    hours = tuple(Figure(a, values[f"hrs|{scope}|{period}|{a}"], FigureUnit.HOURS) for a in ACTIVITIES) + (
        Figure(FigureKey.HOURS_TOTAL.value, values[f"hrs|{scope}|{period}|total"], FigureUnit.HOURS),
    )
    training_hours = values[f"trh|{scope}|{period}|hours"]
    sessions = values[f"sup|{scope}|{period}|sessions"]
    training_figures = (
        Figure(FigureKey.TRAINING_HOURS_TOTAL.value, training_hours, FigureUnit.HOURS),
        Figure(FigureKey.SUPERVISION_SESSIONS_TOTAL.value, sessions, FigureUnit.SESSIONS),
        Figure(FigureKey.BASELINE_TRAINING_HOURS.value, baseline[0], FigureUnit.HOURS),
        Figure(FigureKey.BASELINE_SUPERVISION_SESSIONS.value, baseline[1], FigureUnit.SESSIONS),
    )
    baseline_table = _one_way_table(
        "baseline_status",
        BASELINE,
        [f"base|{scope}|{period}|{s}" for s in BASELINE],
        f"base|{scope}|{period}|total",
        values,
        policy,
    )

    def withheld(figures: Sequence[Figure]) -> tuple[NoteId, ...]:
        return (NoteId.FEW_CONTRIBUTORS,) if any(f.value is None for f in figures) else ()

    ordered = (
        sections[SectionId.CONTACTS_BY_CATEGORY],
        sections[SectionId.CATEGORY_MENTIONS],
        Section(SectionId.CONTACTS_BY_QUARTER, by_quarter),
        Section(SectionId.CONTACTS_BY_CHANNEL, by_quarter.row_margin()),
        sections[SectionId.CONTACTS_BY_CLIENT_ROLE],
        sections[SectionId.ROUTING_SCOPE],
        sections[SectionId.CONFLICT_REASSIGNMENTS],
        sections[SectionId.MEETING_MODES],
        sections[SectionId.OUTCOMES],
        sections[SectionId.DAYS_TO_FIRST_CONVERSATION],
        Section(SectionId.FORMAL_REPORT_DEADLINES, deadlines),
        Section(SectionId.ADVISOR_HOURS, figures=hours, notes=withheld(hours)),
        Section(
            SectionId.TRAINING_SUPERVISION,
            baseline_table,
            figures=training_figures,
            notes=withheld(training_figures[:2]),
        ),
        sections[SectionId.CLIENT_FEEDBACK],
    )
    return AnnualReport(organisation, year, source, policy, ordered, quarters, publication)


@dataclass(frozen=True)
class UnitsView:
    """Contacts by unit group and quarter of one organisation, from a release."""

    table: ProtectedTable
    members: dict[str, tuple[str, ...]]  # group -> the units folded into it (group first)


def assemble_units(
    org: str, year: int, through: int, groups: Mapping[str, Sequence[str]], values: Mapping[str, int | None],
    policy: DisclosurePolicy,
) -> UnitsView | None:  # fmt: skip
    if not groups:
        return None
    period = span(year, through)
    quarters = released_quarters(year, through)
    names = sorted(groups)

    def row(group: str, period_or_quarter: str) -> str:
        # Everything folded into one group: its row is the organisation's contacts (release_model's
        # units() publishes no unit figures of its own then).
        if len(names) == 1:
            return f"contacts|{org}|{period_or_quarter}"
        return f"unit|{org}|{period_or_quarter}|{group}"

    table = _two_way_table(
        ("unit", "quarter"),
        names,
        quarters,
        {(g, q): row(g, q) for g in names for q in quarters},
        {g: row(g, period) for g in names},
        {q: f"contacts|{org}|{q}" for q in quarters},
        f"contacts|{org}|{period}",
        values,
        policy,
    )
    return UnitsView(table, {g: tuple(groups[g]) for g in names})


def group_units(
    sizes: Mapping[str, int], parent_of: Mapping[str, str | None], min_size: int
) -> dict[str, tuple[str, ...]]:
    """Units folded by headcount (disclosure.fold_small_units) over the whole unit tree. A group is
    published under the name of its top unit and says how many it includes, so a reader never takes
    a folded unit's count for the parent's own."""
    return fold_small_units(parent_of, sizes, parent_of, min_size)
