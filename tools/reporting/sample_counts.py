"""A simulated year of annual-report counts, for the tests and the benchmarks (never the services).

The weights are the simulated population's mix (the founding study: mostly labour conflicts with a
manager, phone and e-mail first, mostly internal advisors); `simulated_events.py` draws its event
stream from the same tables, `release_sample.py` its release inputs from `sample_counts`.
"""

from __future__ import annotations

from collections.abc import Mapping
from random import Random
from typing import TypeVar

from services.reporting.domain.annual_report_data import (
    AnnualReport,
    BaselineStatus,
    ConflictReason,
    Deadline,
    DeadlineStatus,
    DisclosurePolicy,
    FeedbackRating,
    Organisation,
    ReportCounts,
    SourcePosition,
    TrainingBaseline,
    build_annual_report,
    count_categories,
    days_bucket,
)
from services.reporting.domain.disclosure import quarters_of
from shared.codes import (
    AdvisorScope,
    Category,
    Channel,
    ClientRole,
    MeetingMode,
    Outcome,
    TimeActivity,
)

CATEGORY_WEIGHTS: dict[Category, int] = {
    Category.LABOUR_CONFLICT_WITH_MANAGER: 40,
    Category.LABOUR_LEGAL_POSITION: 8,
    Category.BULLYING: 9,
    Category.INTIMIDATION_OTHER: 6,
    Category.SEXUAL_HARASSMENT: 4,
    Category.AGGRESSION_VIOLENCE: 3,
    Category.DISCRIMINATION: 3,
    Category.WORKLOAD: 8,
    Category.OTHER: 5,
    Category.CONFLICT_OF_INTEREST: 2,
    Category.ABUSE_OF_POWER: 2,
    Category.MISUSE_OF_INFORMATION: 2,
    Category.FRAUD_THEFT: 1,
    Category.CORRUPTION: 1,
    Category.GIFTS: 1,
    Category.MISCONDUCT_PRIVATE_TIME: 1,
    Category.WASTE_POOR_PERFORMANCE: 1,
}
CHANNEL_WEIGHTS = {Channel.PHONE: 30, Channel.EMAIL: 25, Channel.WEB: 15, Channel.VIA_MANAGER: 12,
                    Channel.WALK_IN: 10, Channel.CHAT: 8}  # fmt: skip
ROLE_WEIGHTS = {ClientRole.EMPLOYEE: 80, ClientRole.MANAGER: 12, ClientRole.FORMER_EMPLOYEE: 4,
                 ClientRole.EXTERNAL_WORKER: 4}  # fmt: skip
SCOPE_WEIGHTS = {AdvisorScope.INTERNAL: 75, AdvisorScope.CROSS_UNIT: 15, AdvisorScope.EXTERNAL: 10}
MODE_WEIGHTS = {MeetingMode.ON_SITE_DISCREET_ROOM: 45, MeetingMode.PHONE: 25, MeetingMode.VIDEO: 15,
                 MeetingMode.OFF_SITE_VENUE: 15}  # fmt: skip
OUTCOME_WEIGHTS = {
    Outcome.ADVICE_GIVEN: 45, Outcome.REFERRED_LABOUR_LAW_DESK: 15, Outcome.NO_FOLLOW_UP: 12,
    Outcome.REFERRED_SOCIAL_WORKER: 8, Outcome.MEDIATION: 5, Outcome.REFERRED_COMPANY_DOCTOR: 5,
    Outcome.REFERRED_INTEGRITY_OFFICE: 4, Outcome.FORMAL_COMPLAINT: 3, Outcome.REFERRED_EXTERNAL_BODY: 2,
    Outcome.WHISTLEBLOWER_REPORT: 1,
}  # fmt: skip
_T = TypeVar("_T")
_K = TypeVar("_K")
_FEEDBACK_WEIGHTS = {
    FeedbackRating.SATISFIED: 70,
    FeedbackRating.NEUTRAL: 20,
    FeedbackRating.DISSATISFIED: 10,
}
_ACTIVITY_SHARES = {TimeActivity.CONVERSATION: 0.55, TimeActivity.ADMINISTRATION: 0.2,
                    TimeActivity.PUBLICITY: 0.1, TimeActivity.TRAINING: 0.15}  # fmt: skip


def pick_weighted(rng: Random, weights: Mapping[_T, int]) -> _T:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _bump(counter: dict[_K, int], key: _K, by: int = 1) -> None:
    counter[key] = counter.get(key, 0) + by


def sample_counts(seed: int, year: int = 2026, contacts: int | None = None) -> ReportCounts:
    """A plausible simulated year of counts (the seed study's shape: mostly labour conflicts)."""
    rng = Random(seed)
    n_contacts = contacts if contacts is not None else rng.randint(60, 180)
    quarters = quarters_of(year)
    category_lists: list[list[Category]] = []
    channel_quarter: dict[tuple[str, str], int] = {}
    roles: dict[str, int] = {}
    scopes: dict[str, int] = {}
    modes: dict[str, int] = {}
    outcomes: dict[str, int] = {}
    days: dict[str, int] = {}
    feedback: dict[str, int] = {}
    for _ in range(n_contacts):
        categories = [pick_weighted(rng, CATEGORY_WEIGHTS)]
        while rng.random() < 0.3 and len(categories) < 3:
            categories.append(pick_weighted(rng, CATEGORY_WEIGHTS))
        category_lists.append(categories)
        _bump(channel_quarter, (pick_weighted(rng, CHANNEL_WEIGHTS).value, quarters[rng.randrange(4)]))
        _bump(roles, pick_weighted(rng, ROLE_WEIGHTS))
        _bump(scopes, pick_weighted(rng, SCOPE_WEIGHTS))
        for _ in range(rng.choice((0, 1, 1, 1, 2, 2, 3))):
            _bump(modes, pick_weighted(rng, MODE_WEIGHTS))
        if rng.random() < 0.9:
            _bump(outcomes, pick_weighted(rng, OUTCOME_WEIGHTS))
        if rng.random() < 0.85:
            _bump(days, days_bucket(int(rng.expovariate(1 / 5))))
        if rng.random() < 0.35:
            _bump(feedback, pick_weighted(rng, _FEEDBACK_WEIGHTS))
    primary, mentions = count_categories(category_lists)
    reassignments: dict[str, int] = {}
    for _ in range(rng.randint(0, max(1, n_contacts // 12))):
        _bump(reassignments, rng.choice(list(ConflictReason)))
    deadlines: dict[tuple[str, str], int] = {}
    for _ in range(outcomes.get(Outcome.WHISTLEBLOWER_REPORT, 0) + rng.randint(0, 3)):
        ack = DeadlineStatus.MET if rng.random() < 0.85 else DeadlineStatus.MISSED
        _bump(deadlines, (Deadline.ACKNOWLEDGEMENT.value, ack.value))
        answer = rng.choices(list(DeadlineStatus), weights=(70, 15, 15))[0]
        _bump(deadlines, (Deadline.FEEDBACK.value, answer.value))
    advisors = rng.randint(3, 9)
    weekly_hours = [rng.uniform(1.5, 4.5) for _ in range(advisors)]
    yearly_hours = sum(weekly_hours) * 46
    baseline = TrainingBaseline()
    met = sum(1 for _ in range(advisors) if rng.random() < 0.7)
    return ReportCounts(
        contacts_by_primary_category={str(code): n for code, n in primary.items()},
        category_mentions={str(code): n for code, n in mentions.items()},
        contacts_by_channel_and_quarter=channel_quarter,
        contacts_by_client_role=roles,
        contacts_by_advisor_scope=scopes,
        conflict_reassignments_by_reason=reassignments,
        meetings_by_mode=modes,
        closed_contacts_by_outcome=outcomes,
        days_to_first_conversation=days,
        formal_report_deadlines=deadlines,
        advisor_hours_by_activity={a.value: round(yearly_hours * s, 1) for a, s in _ACTIVITY_SHARES.items()},
        advisors_recording_hours=advisors,
        advisors_by_baseline_status={BaselineStatus.MET: met, BaselineStatus.NOT_MET: advisors - met},
        training_hours_total=round(sum(rng.uniform(4, 16) for _ in range(advisors)), 1),
        supervision_sessions_total=sum(rng.randint(1, 6) for _ in range(advisors)),
        baseline=baseline,
        feedback_by_rating=feedback,
    )


def sample_report(seed: int, year: int = 2026, policy: DisclosurePolicy | None = None) -> AnnualReport:
    """The demo report: a simulated ministry's year, built exactly like a real one."""
    counts = sample_counts(seed, year)
    n_contacts = sum(counts.contacts_by_primary_category.values())
    events = n_contacts * 9 + sum(counts.meetings_by_mode.values()) * 3
    source = SourcePosition(
        event_count=events,
        last_offsets=(("intake.cases.v1/0", events // 2), ("routing.assignments.v1/0", n_contacts * 2)),
    )
    organisation = Organisation("org-demo", "Ministerie van Voorbeeldzaken")
    return build_annual_report(organisation, year, source, counts, policy)
