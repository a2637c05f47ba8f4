"""The annual report (jaarverslag) of an organisation's confidential advisors, as data.

`build_annual_report` turns plain counts (`ReportCounts`, produced by the reporting projections)
into an `AnnualReport` whose every table has passed disclosure control. Renderers
(`adapters/rendering/annual_report_formats.py`) only format what is here, so nothing unprotected can reach a page.

Counting rules (repeated in the report's methodology section):
- Contacts by category: a contact may carry several categories. The main table counts each contact
  once, under its PRIMARY category (the first one recorded), so it adds up to the number of
  contacts. A separate "mentions" table counts every distinct category a contact mentions; it adds
  up to more than the number of contacts. `count_categories` implements both.
- Contacts by channel and by quarter come from ONE two-way table (channel x quarter): the channel
  section is its row margin, so the quarter breakdown cannot be differenced against it.
- Meeting modes count meetings (a contact may have several); outcomes count closed contacts, each
  under its final outcome; days to first conversation count contacts that had one.
- Formal reports (whistleblower reports): acknowledgement due 7 days after receipt; feedback due
  3 calendar months after the acknowledgement, or after the 7-day period when none was sent
  (EU Directive 2019/1937, art. 9). A deadline that has not passed at the end of the year counts
  as "not yet due". Intake keeps the deadlines (arithmetic in shared/legal_deadlines.py); reporting
  only counts the LegalDeadline* events that record them.
- Advisor hours and training are aggregates over all advisors; no per-advisor figure exists in the
  model. They are withheld when fewer than `min_contributors` advisors contribute (with fewer, an
  aggregate is one person's figure).
- `generated_from` records the event count (and a fingerprint of the set of event ids) the report
  was built from, never a wall-clock time, so a rebuild from the same log is byte-identical.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from services.reporting.domain.disclosure import (
    CountTable,
    ProtectedTable,
    check_period,
    protect,
    quarters_of,
)
from shared.codes import (
    AdvisorScope,
    Category,
    Channel,
    ClientRole,
    MeetingMode,
    Outcome,
    TimeActivity,
)
from shared.contracts.routing import CONFLICT_REASONS


class ReportInputError(ValueError):
    """Counts that do not fit the report (unknown code, wrong period, negative number)."""


class SectionId(StrEnum):
    CONTACTS_BY_CATEGORY = "contacts_by_category"
    CATEGORY_MENTIONS = "category_mentions"
    CONTACTS_BY_QUARTER = "contacts_by_quarter"
    CONTACTS_BY_CHANNEL = "contacts_by_channel"
    CONTACTS_BY_CLIENT_ROLE = "contacts_by_client_role"
    ROUTING_SCOPE = "routing_scope"
    CONFLICT_REASSIGNMENTS = "conflict_reassignments"
    MEETING_MODES = "meeting_modes"
    OUTCOMES = "outcomes"
    DAYS_TO_FIRST_CONVERSATION = "days_to_first_conversation"
    FORMAL_REPORT_DEADLINES = "formal_report_deadlines"
    ADVISOR_HOURS = "advisor_hours"
    TRAINING_SUPERVISION = "training_supervision"
    CLIENT_FEEDBACK = "client_feedback"


class Dimension(StrEnum):
    CATEGORY = "category"
    CHANNEL = "channel"
    QUARTER = "quarter"
    CLIENT_ROLE = "client_role"
    ADVISOR_SCOPE = "advisor_scope"
    CONFLICT_REASON = "conflict_reason"
    MEETING_MODE = "meeting_mode"
    OUTCOME = "outcome"
    DAYS_BUCKET = "days_to_first_conversation"
    DEADLINE = "deadline"
    DEADLINE_STATUS = "deadline_status"
    BASELINE_STATUS = "baseline_status"
    FEEDBACK = "feedback"


class ConflictReason(StrEnum):
    """CaseReassigned's coarse `cause` when it stems from a conflict of interest.

    Routing seals the precise reason (conflict_declared, persons_added, acquaintance_declared,
    org_change) under the case key; only the split conflict / other travels in clear
    (shared/contracts/routing.py, docs/decisions.md D20), so the table has one row. Reassignments
    for availability (cause `other`) are not counted.
    """

    CONFLICT = "conflict"


def conflict_reason(reassignment_reason: str) -> ConflictReason | None:
    """The conflict a CaseReassigned cause stands for, or None when it is not a conflict. Rows
    projected before the cause replaced the reason hold the precise reason: read through."""
    if reassignment_reason == ConflictReason.CONFLICT or reassignment_reason in CONFLICT_REASONS:
        return ConflictReason.CONFLICT
    return None


class DaysBucket(StrEnum):
    DAYS_0_2 = "0-2"
    DAYS_3_7 = "3-7"
    DAYS_8_14 = "8-14"
    DAYS_15_PLUS = "15+"


class Deadline(StrEnum):
    ACKNOWLEDGEMENT = "acknowledgement"  # 7 days
    FEEDBACK = "feedback"  # 3 months


class DeadlineStatus(StrEnum):
    MET = "met"
    MISSED = "missed"
    NOT_YET_DUE = "not_yet_due"


class BaselineStatus(StrEnum):
    MET = "met"
    NOT_MET = "not_met"


class FeedbackRating(StrEnum):
    SATISFIED = "satisfied"
    NEUTRAL = "neutral"
    DISSATISFIED = "dissatisfied"


class FigureUnit(StrEnum):
    HOURS = "hours"
    SESSIONS = "sessions"


class FigureKey(StrEnum):
    HOURS_TOTAL = "hours_total"
    TRAINING_HOURS_TOTAL = "training_hours_total"
    SUPERVISION_SESSIONS_TOTAL = "supervision_sessions_total"
    BASELINE_TRAINING_HOURS = "baseline_training_hours"
    BASELINE_SUPERVISION_SESSIONS = "baseline_supervision_sessions"


class NoteId(StrEnum):
    """Data-dependent notes; fixed explanations belong to the renderer."""

    FEW_CONTRIBUTORS = "few_contributors"


# --------------------------------------------------------------------------------------------------
# Counting helpers for the projections


def primary_category(categories: Sequence[Category]) -> Category:
    """The category a contact is counted under in the main table: the first one recorded."""
    if not categories:
        raise ReportInputError("a contact needs at least one category")
    return categories[0]


def count_categories(
    contacts: Iterable[Sequence[Category]],
) -> tuple[dict[Category, int], dict[Category, int]]:
    """(contacts by primary category, mentions per category) for contacts' category lists."""
    primary: dict[Category, int] = {}
    mentions: dict[Category, int] = {}
    for categories in contacts:
        first = primary_category(categories)
        primary[first] = primary.get(first, 0) + 1
        for category in dict.fromkeys(categories):  # distinct, order kept
            mentions[category] = mentions.get(category, 0) + 1
    return primary, mentions


def days_bucket(days: int) -> DaysBucket:
    if days < 0:
        raise ReportInputError("a first conversation cannot precede the first contact")
    if days <= 2:
        return DaysBucket.DAYS_0_2
    if days <= 7:
        return DaysBucket.DAYS_3_7
    if days <= 14:
        return DaysBucket.DAYS_8_14
    return DaysBucket.DAYS_15_PLUS


# --------------------------------------------------------------------------------------------------
# Input: plain counts


@dataclass(frozen=True)
class TrainingBaseline:
    """The government-wide minimum per advisor per year ("need to have")."""

    training_hours: int = 8
    supervision_sessions: int = 4


@dataclass(frozen=True)
class ReportCounts:
    """Exact counts for one organisation and one calendar year; missing keys count as 0.

    Keys are the codes of shared.codes and of this module. Quarters are period labels from
    `disclosure.period_of` ("2026-Q1"); anything finer is refused.
    """

    contacts_by_primary_category: Mapping[str, int] = field(default_factory=dict)
    category_mentions: Mapping[str, int] = field(default_factory=dict)
    contacts_by_channel_and_quarter: Mapping[tuple[str, str], int] = field(default_factory=dict)
    contacts_by_client_role: Mapping[str, int] = field(default_factory=dict)
    contacts_by_advisor_scope: Mapping[str, int] = field(default_factory=dict)
    conflict_reassignments_by_reason: Mapping[str, int] = field(default_factory=dict)
    meetings_by_mode: Mapping[str, int] = field(default_factory=dict)
    closed_contacts_by_outcome: Mapping[str, int] = field(default_factory=dict)
    days_to_first_conversation: Mapping[str, int] = field(default_factory=dict)
    formal_report_deadlines: Mapping[tuple[str, str], int] = field(default_factory=dict)
    advisor_hours_by_activity: Mapping[str, float] = field(default_factory=dict)
    advisors_recording_hours: int = 0
    advisors_by_baseline_status: Mapping[str, int] = field(default_factory=dict)
    training_hours_total: float = 0.0
    supervision_sessions_total: int = 0
    baseline: TrainingBaseline = field(default_factory=TrainingBaseline)
    feedback_by_rating: Mapping[str, int] = field(default_factory=dict)


# --------------------------------------------------------------------------------------------------
# Output: the report


@dataclass(frozen=True)
class Organisation:
    id: str
    name: str


@dataclass(frozen=True)
class SourcePosition:
    """What the report was built from: a rebuild from the same log gives the same report."""

    event_count: int
    last_offsets: tuple[tuple[str, int], ...] = ()  # ("topic/partition", offset), sorted
    # The reporting service leaves `last_offsets` empty (offsets are positions in one copy of a log,
    # not facts about the events) and cites an order-free fingerprint of the event ids instead.
    fingerprint: str = ""


@dataclass(frozen=True)
class DisclosurePolicy:
    k: int = 5
    round_to: int | None = None
    min_contributors: int = 3  # advisors needed before hours or training aggregates are shown


@dataclass(frozen=True)
class Figure:
    """A published magnitude (hours, sessions); `None` = withheld."""

    key: str  # a TimeActivity code or a FigureKey
    value: int | None
    unit: FigureUnit


@dataclass(frozen=True)
class Section:
    section_id: SectionId
    table: ProtectedTable | None = None
    figures: tuple[Figure, ...] = ()
    notes: tuple[NoteId, ...] = ()


@dataclass(frozen=True)
class Publication:
    """Who publishes the report, when, and whom a reader can contact (shown on the cover).

    `released_on` is the date of the release the report belongs to (release ledger), not the time
    of the request: the same release renders byte-identically on every request and after a replay.
    `release_id` names that release in the technical annex.
    """

    released_on: date | None = None
    release_id: str = ""
    responsible_body: tuple[str, str] = (
        "Coördinatie vertrouwenspersonen Rijksoverheid",
        "Coordination of confidential advisors, Government of the Netherlands",
    )  # (Dutch, English)
    # Set per deployment (REPORTING_PUBLICATION_CONTACT); the placeholder uses the reserved .invalid
    # domain so that it can never reach anyone.
    contact: str = "vertrouwenspersonen@rijksoverheid.invalid"


@dataclass(frozen=True)
class AnnualReport:
    organisation: Organisation
    year: int
    generated_from: SourcePosition
    policy: DisclosurePolicy
    sections: tuple[Section, ...]
    # The quarters this report covers: only quarters that are closed and released (closed periods);
    # a running year's report covers fewer than four. Empty means all four (a complete year).
    quarters: tuple[str, ...] = ()
    publication: Publication = field(default_factory=Publication)

    def section(self, section_id: SectionId) -> Section:
        for section in self.sections:
            if section.section_id == section_id:
                return section
        raise KeyError(section_id)


# --------------------------------------------------------------------------------------------------
# Building


def _codes(enum: type[StrEnum]) -> tuple[str, ...]:
    return tuple(member.value for member in enum)


def _checked_count(value: int, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ReportInputError(f"{what}: counts are non-negative integers")
    return value


def _one_way(dimension: Dimension, codes: tuple[str, ...], counts: Mapping[str, int]) -> CountTable:
    unknown = sorted(set(counts) - set(codes))
    if unknown:
        raise ReportInputError(f"{dimension}: unknown code(s) {unknown}")
    return CountTable.one_way(
        dimension.value, [(code, _checked_count(counts.get(code, 0), dimension)) for code in codes]
    )


def _two_way(
    dimensions: tuple[Dimension, Dimension],
    row_codes: tuple[str, ...],
    col_codes: tuple[str, ...],
    counts: Mapping[tuple[str, str], int],
) -> CountTable:
    unknown = sorted(f"{r}|{c}" for r, c in counts if r not in row_codes or c not in col_codes)
    if unknown:
        raise ReportInputError(f"{dimensions[0]} x {dimensions[1]}: unknown key(s) {unknown}")
    for value in counts.values():
        _checked_count(value, f"{dimensions[0]} x {dimensions[1]}")
    return CountTable.two_way((dimensions[0].value, dimensions[1].value), row_codes, col_codes, counts)


def _whole(value: float) -> int:
    if value < 0:
        raise ReportInputError("hours and sessions are non-negative")
    return int(Decimal(str(value)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def count_tables(counts: ReportCounts, year: int) -> dict[SectionId, CountTable]:
    """The exact tables of the report, one per section that has a table, keyed by section.

    Contacts by channel has no table of its own: it is the row margin of contacts by quarter
    (channel x quarter), so the two are protected together. Never publish these tables directly.
    """
    quarters = quarters_of(year)
    for _, period in counts.contacts_by_channel_and_quarter:
        check_period(period)
        if period not in quarters:
            raise ReportInputError(f"period {period} is not a quarter of {year}")
    return {
        SectionId.CONTACTS_BY_CATEGORY: _one_way(
            Dimension.CATEGORY, _codes(Category), counts.contacts_by_primary_category
        ),
        SectionId.CATEGORY_MENTIONS: _one_way(Dimension.CATEGORY, _codes(Category), counts.category_mentions),
        SectionId.CONTACTS_BY_QUARTER: _two_way(
            (Dimension.CHANNEL, Dimension.QUARTER),
            _codes(Channel),
            quarters,
            counts.contacts_by_channel_and_quarter,
        ),
        SectionId.CONTACTS_BY_CLIENT_ROLE: _one_way(
            Dimension.CLIENT_ROLE, _codes(ClientRole), counts.contacts_by_client_role
        ),
        SectionId.ROUTING_SCOPE: _one_way(
            Dimension.ADVISOR_SCOPE, _codes(AdvisorScope), counts.contacts_by_advisor_scope
        ),
        SectionId.CONFLICT_REASSIGNMENTS: _one_way(
            Dimension.CONFLICT_REASON, _codes(ConflictReason), counts.conflict_reassignments_by_reason
        ),
        SectionId.MEETING_MODES: _one_way(
            Dimension.MEETING_MODE, _codes(MeetingMode), counts.meetings_by_mode
        ),
        SectionId.OUTCOMES: _one_way(Dimension.OUTCOME, _codes(Outcome), counts.closed_contacts_by_outcome),
        SectionId.DAYS_TO_FIRST_CONVERSATION: _one_way(
            Dimension.DAYS_BUCKET, _codes(DaysBucket), counts.days_to_first_conversation
        ),
        SectionId.FORMAL_REPORT_DEADLINES: _two_way(
            (Dimension.DEADLINE, Dimension.DEADLINE_STATUS),
            _codes(Deadline),
            _codes(DeadlineStatus),
            counts.formal_report_deadlines,
        ),
        SectionId.TRAINING_SUPERVISION: _one_way(
            Dimension.BASELINE_STATUS, _codes(BaselineStatus), counts.advisors_by_baseline_status
        ),
        SectionId.CLIENT_FEEDBACK: _one_way(
            Dimension.FEEDBACK, _codes(FeedbackRating), counts.feedback_by_rating
        ),
    }


def _hour_figures(counts: ReportCounts, enough_advisors: bool) -> tuple[Figure, ...]:
    unknown = sorted(set(counts.advisor_hours_by_activity) - set(_codes(TimeActivity)))
    if unknown:
        raise ReportInputError(f"activity: unknown code(s) {unknown}")
    hours = {code: _whole(counts.advisor_hours_by_activity.get(code, 0.0)) for code in _codes(TimeActivity)}
    by_activity = tuple(
        Figure(code, value if enough_advisors else None, FigureUnit.HOURS) for code, value in hours.items()
    )
    total = Figure(
        FigureKey.HOURS_TOTAL.value, sum(hours.values()) if enough_advisors else None, FigureUnit.HOURS
    )
    return (*by_activity, total)


def _training_figures(counts: ReportCounts, enough_advisors: bool) -> tuple[Figure, ...]:
    training_hours = _whole(counts.training_hours_total)
    sessions = _checked_count(counts.supervision_sessions_total, "supervision sessions")
    return (
        Figure(
            FigureKey.TRAINING_HOURS_TOTAL.value,
            training_hours if enough_advisors else None,
            FigureUnit.HOURS,
        ),
        Figure(
            FigureKey.SUPERVISION_SESSIONS_TOTAL.value,
            sessions if enough_advisors else None,
            FigureUnit.SESSIONS,
        ),
        Figure(FigureKey.BASELINE_TRAINING_HOURS.value, counts.baseline.training_hours, FigureUnit.HOURS),
        Figure(
            FigureKey.BASELINE_SUPERVISION_SESSIONS.value,
            counts.baseline.supervision_sessions,
            FigureUnit.SESSIONS,
        ),
    )


def build_annual_report(
    organisation: Organisation,
    year: int,
    generated_from: SourcePosition,
    counts: ReportCounts,
    policy: DisclosurePolicy | None = None,
) -> AnnualReport:
    """Protect every table of `counts` and assemble the report. Pure and deterministic."""
    policy = policy or DisclosurePolicy()
    protected = {
        section_id: protect(table, policy.k, policy.round_to)
        for section_id, table in count_tables(counts, year).items()
    }
    hours_shown = counts.advisors_recording_hours >= policy.min_contributors
    training_shown = sum(counts.advisors_by_baseline_status.values()) >= policy.min_contributors

    def table_section(section_id: SectionId) -> Section:
        return Section(section_id, protected[section_id])

    def withheld_unless(shown: bool) -> tuple[NoteId, ...]:
        return () if shown else (NoteId.FEW_CONTRIBUTORS,)

    sections = (
        table_section(SectionId.CONTACTS_BY_CATEGORY),
        table_section(SectionId.CATEGORY_MENTIONS),
        table_section(SectionId.CONTACTS_BY_QUARTER),
        Section(SectionId.CONTACTS_BY_CHANNEL, protected[SectionId.CONTACTS_BY_QUARTER].row_margin()),
        table_section(SectionId.CONTACTS_BY_CLIENT_ROLE),
        table_section(SectionId.ROUTING_SCOPE),
        table_section(SectionId.CONFLICT_REASSIGNMENTS),
        table_section(SectionId.MEETING_MODES),
        table_section(SectionId.OUTCOMES),
        table_section(SectionId.DAYS_TO_FIRST_CONVERSATION),
        table_section(SectionId.FORMAL_REPORT_DEADLINES),
        Section(
            SectionId.ADVISOR_HOURS,
            figures=_hour_figures(counts, hours_shown),
            notes=withheld_unless(hours_shown),
        ),
        Section(
            SectionId.TRAINING_SUPERVISION,
            protected[SectionId.TRAINING_SUPERVISION],
            figures=_training_figures(counts, training_shown),
            notes=withheld_unless(training_shown),
        ),
        table_section(SectionId.CLIENT_FEEDBACK),
    )
    return AnnualReport(organisation, year, generated_from, policy, sections)
