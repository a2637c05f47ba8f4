"""From projection rows to the exact counts of one organisation's (or the government's) year.

Pure: the rows (`domain/year_rows.py`) come from `queries.py`, the result goes to `report_model.build_annual_report`, which
protects every table. The counting rules (docs/reporting.md, "Counting rules"):

- A contact is a case opened (CaseOpened), counted in the quarter of `opened_at` (Europe/Amsterdam).
  It still counts after its personal data was erased: only coded fields are counted.
- Categories: each contact once under its first recorded category; "mentions" count each distinct
  category of a contact (report_model.count_categories).
- Routing scope: the scope of the advisor who took the case last (the latest AdvisorAssigned or
  CaseReassigned that names an advisor, by decision time, then event id). Contacts never assigned
  (waiting in the coordinators' queue) have no scope and are not in that table.
- Reassignments for conflicts: CaseReassigned whose cause is a conflict (report_model.ConflictReason),
  in the quarter of the decision.
- Meetings: a meeting (meeting_id) counts once, in the quarter of its start, under the mode of its
  latest version (highest calendar_sequence); a meeting whose latest cancellation is later than its
  latest version is not counted.
- Days to first conversation: from the day of the first contact to the day of the first conversation,
  which is the earlier of the start of the case's first (not cancelled) meeting and the first time an
  advisor logged conversation time on the case; contacts without either are not in that table.
- Outcomes: each closed contact once, under the final outcome of its latest CaseClosed, in the
  quarter it was closed.
- Legal deadlines (whistleblower reports), counted with the contact's year: met when met on time;
  missed when LegalDeadlineMissed was noticed or it was met late; otherwise not yet due.
- Hours: minutes logged in the year, attributed to the organisation they were spent for: time on a
  case to the case's organisation, time not tied to a case to the advisor's home organisation
  (advisors without one, such as government-wide external advisors, count in the government-wide
  report only).
- Training and supervision: per advisor of the organisation (home organisation), training hours and
  supervision sessions in the year against the baseline.
- Client feedback: ratings 4-5 satisfied, 3 neutral, 1-2 dissatisfied, in the quarter given.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

from services.reporting.adapters.projection import REPORTING_TZ, parse_stamp, quarter_of
from services.reporting.domain.annual_report_data import (
    BaselineStatus,
    DeadlineStatus,
    FeedbackRating,
    ReportCounts,
    TrainingBaseline,
    conflict_reason,
    count_categories,
    days_bucket,
)
from services.reporting.domain.disclosure import quarters_of
from services.reporting.domain.year_rows import (
    AssignmentRow,
    CaseRow,
    ClosureRow,
    DeadlineRow,
    MeetingEventRow,
    TimeRow,
    YearRows,
)
from shared.codes import Category


def _bump(counter: dict[str, int], key: str, by: int = 1) -> None:
    counter[key] = counter.get(key, 0) + by


def latest_scopes(assignments: Iterable[AssignmentRow]) -> dict[str, str]:
    """case -> scope of the last advisor routing gave the case to."""
    best: dict[str, tuple[str, str, str]] = {}
    for row in assignments:
        if row.advisor_id is None or row.scope is None:
            continue
        key = (row.decided_at, row.event_id, row.scope)
        if row.case_id not in best or key > best[row.case_id]:
            best[row.case_id] = key
    return {case: key[2] for case, key in best.items()}


@dataclass(frozen=True)
class Meeting:
    meeting_id: str
    case_id: str
    mode: str
    start: str


def active_meetings(events: Iterable[MeetingEventRow]) -> list[Meeting]:
    """Meetings whose latest version was not cancelled afterwards, sorted by id."""
    scheduled: dict[str, MeetingEventRow] = {}
    cancelled_at: dict[str, str] = {}
    for row in events:
        if row.kind == "scheduled":
            known = scheduled.get(row.meeting_id)
            if known is None or (row.calendar_sequence, row.at, row.event_id) > (
                known.calendar_sequence, known.at, known.event_id
            ):  # fmt: skip
                scheduled[row.meeting_id] = row
        elif row.at > cancelled_at.get(row.meeting_id, ""):
            cancelled_at[row.meeting_id] = row.at
    meetings = []
    for meeting_id in sorted(scheduled):
        row = scheduled[meeting_id]
        # A reschedule cancels and schedules the new version at the same moment: that one stands.
        if meeting_id in cancelled_at and cancelled_at[meeting_id] > row.at:
            continue
        assert row.mode is not None and row.start is not None
        meetings.append(Meeting(meeting_id, row.case_id, row.mode, row.start))
    return meetings


def latest_closures(closures: Iterable[ClosureRow]) -> dict[str, ClosureRow]:
    best: dict[str, ClosureRow] = {}
    for row in closures:
        known = best.get(row.case_id)
        if known is None or (row.closed_at, row.event_id) > (known.closed_at, known.event_id):
            best[row.case_id] = row
    return best


def deadline_statuses(events: Iterable[DeadlineRow]) -> dict[tuple[str, str], DeadlineStatus]:
    met_on_time: set[tuple[str, str]] = set()
    late: set[tuple[str, str]] = set()
    seen: set[tuple[str, str]] = set()
    for row in events:
        key = (row.case_id, row.deadline)
        seen.add(key)
        if row.kind == "met" and row.on_time is not False:
            met_on_time.add(key)
        elif row.kind in ("met", "missed"):
            late.add(key)
    return {
        key: DeadlineStatus.MET
        if key in met_on_time
        else DeadlineStatus.MISSED
        if key in late
        else DeadlineStatus.NOT_YET_DUE
        for key in seen
    }


def feedback_rating(rating: int) -> FeedbackRating:
    if rating >= 4:
        return FeedbackRating.SATISFIED
    return FeedbackRating.NEUTRAL if rating == 3 else FeedbackRating.DISSATISFIED


def local_day_difference(earlier: str, later: str) -> int:
    first = parse_stamp(earlier).astimezone(REPORTING_TZ).date()
    second = parse_stamp(later).astimezone(REPORTING_TZ).date()
    return (second - first).days


def hours_organisation(row: TimeRow, homes: Mapping[str, str | None]) -> str | None:
    """The organisation time was spent for (None: government-wide only)."""
    if row.case_id:
        return row.case_organisation_id
    return homes.get(row.advisor_id)


def advisors_of(rows: YearRows) -> set[str]:
    if rows.organisation_id is None:
        return set(rows.homes) | {t.advisor_id for t in rows.training} | {t.advisor_id for t in rows.time}
    return {advisor for advisor, home in rows.homes.items() if home == rows.organisation_id}


def report_counts(
    rows: YearRows, baseline: TrainingBaseline, quarters: Collection[str] | None = None
) -> ReportCounts:
    """The counts of the year, or (with `quarters`) of those quarters only: everything attributed to
    one of them by the counting rules. Releases count per quarter (quarter-additive figures) and
    over the released span (advisors by baseline status, advisors recording hours)."""
    per_quarter = quarters is not None
    year_quarters = set(quarters) if quarters is not None else set(quarters_of(rows.year))
    cases = sorted(c for c in rows.cases if c.quarter in year_quarters)
    case_ids = {c.case_id for c in cases}

    primary, mentions = count_categories([Category(code) for code in c.categories.split(",")] for c in cases)
    channel_quarter: dict[tuple[str, str], int] = {}
    roles: dict[str, int] = {}
    for case in cases:
        channel_quarter[(case.channel, case.quarter)] = (
            channel_quarter.get((case.channel, case.quarter), 0) + 1
        )
        _bump(roles, case.client_role)

    scopes: dict[str, int] = {}
    for scope in latest_scopes(a for a in rows.assignments if a.case_id in case_ids).values():
        _bump(scopes, scope)

    reasons: dict[str, int] = {}
    reassignments = (
        [r for q, r in rows.reassignments_by_quarter if q in year_quarters]
        if per_quarter
        else rows.reassignment_reasons
    )
    for reason in reassignments:
        conflict = conflict_reason(reason)
        if conflict is not None:
            _bump(reasons, conflict.value)

    modes: dict[str, int] = {}
    first_meeting: dict[str, str] = {}
    for meeting in active_meetings(rows.meeting_events):
        if quarter_of(parse_stamp(meeting.start)) in year_quarters:
            _bump(modes, meeting.mode)
        if meeting.start < first_meeting.get(meeting.case_id, "~"):
            first_meeting[meeting.case_id] = meeting.start

    days: dict[str, int] = {}
    for case in cases:
        candidates = [t for t in (first_meeting.get(case.case_id), rows.first_logged.get(case.case_id)) if t]
        if candidates:
            # Clocks of different services may disagree by a little: never count negative days.
            _bump(days, days_bucket(max(0, local_day_difference(case.opened_at, min(candidates)))).value)

    outcomes: dict[str, int] = {}
    for closure in latest_closures(rows.closures).values():
        if quarter_of(parse_stamp(closure.closed_at)) in year_quarters:
            _bump(outcomes, closure.outcome)

    deadlines: dict[tuple[str, str], int] = {}
    for (case_id, deadline), status in deadline_statuses(
        d for d in rows.deadline_events if d.case_id in case_ids
    ).items():
        deadlines[(deadline, status.value)] = deadlines.get((deadline, status.value), 0) + 1

    feedback: dict[str, int] = {}
    ratings = (
        [r for q, r in rows.feedback_by_quarter if q in year_quarters]
        if per_quarter
        else rows.feedback_ratings
    )
    for rating in ratings:
        _bump(feedback, feedback_rating(rating).value)

    minutes: dict[str, int] = {}
    contributors: set[str] = set()
    for logged in rows.time:
        if per_quarter and logged.quarter not in year_quarters:
            continue
        if rows.organisation_id is None or hours_organisation(logged, rows.homes) == rows.organisation_id:
            _bump(minutes, logged.activity, logged.minutes)
            contributors.add(logged.advisor_id)

    advisors = advisors_of(rows)
    training_centihours: dict[str, int] = {}
    sessions: dict[str, int] = {}
    for trained in rows.training:
        if trained.advisor_id not in advisors or (per_quarter and trained.quarter not in year_quarters):
            continue
        if trained.kind == "training":
            _bump(training_centihours, trained.advisor_id, trained.centihours)
        else:
            _bump(sessions, trained.advisor_id, trained.sessions)
    baseline_status: dict[str, int] = {BaselineStatus.MET.value: 0, BaselineStatus.NOT_MET.value: 0}
    for advisor in advisors:
        met = (
            training_centihours.get(advisor, 0) >= baseline.training_hours * 100
            and sessions.get(advisor, 0) >= baseline.supervision_sessions
        )
        _bump(baseline_status, (BaselineStatus.MET if met else BaselineStatus.NOT_MET).value)

    return ReportCounts(
        contacts_by_primary_category={code.value: n for code, n in primary.items()},
        category_mentions={code.value: n for code, n in mentions.items()},
        contacts_by_channel_and_quarter=channel_quarter,
        contacts_by_client_role=roles,
        contacts_by_advisor_scope=scopes,
        conflict_reassignments_by_reason=reasons,
        meetings_by_mode=modes,
        closed_contacts_by_outcome=outcomes,
        days_to_first_conversation=days,
        formal_report_deadlines=deadlines,
        advisor_hours_by_activity={activity: m / 60 for activity, m in sorted(minutes.items())},
        advisors_recording_hours=len(contributors),
        advisors_by_baseline_status=baseline_status,
        training_hours_total=sum(training_centihours.values()) / 100,
        supervision_sessions_total=sum(sessions.values()),
        baseline=baseline,
        feedback_by_rating=feedback,
    )


def unit_counts(cases: Iterable[CaseRow]) -> dict[str, dict[str, int]]:
    """Contacts per unit and quarter, before small units are folded."""
    counts: dict[str, dict[str, int]] = {}
    for case in cases:
        _bump(counts.setdefault(case.unit_id, {}), case.quarter)
    return counts
