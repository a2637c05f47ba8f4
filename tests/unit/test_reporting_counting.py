"""The counting rules: from projection rows to the exact counts of one organisation's year."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.reporting.adapters.projection import quarter_of, stamp
from services.reporting.application.counting import (
    active_meetings,
    deadline_statuses,
    feedback_rating,
    latest_closures,
    latest_scopes,
    local_day_difference,
    report_counts,
)
from services.reporting.domain.annual_report_data import (
    ConflictReason,
    DeadlineStatus,
    FeedbackRating,
    TrainingBaseline,
    conflict_reason,
)
from services.reporting.domain.year_rows import (
    AssignmentRow,
    CaseRow,
    ClosureRow,
    DeadlineRow,
    MeetingEventRow,
    TimeRow,
    TrainingRow,
    YearRows,
)

pytestmark = pytest.mark.unit

BASELINE = TrainingBaseline(training_hours=8, supervision_sessions=4)


def at(text: str) -> str:
    return stamp(datetime.fromisoformat(text).replace(tzinfo=UTC))


def case(case_id: str, opened: str = "2026-02-10T10:00:00", org: str = "min-bzk", categories: str = "workload",
         channel: str = "phone", role: str = "employee") -> CaseRow:  # fmt: skip
    moment = datetime.fromisoformat(opened).replace(tzinfo=UTC)
    return CaseRow(case_id, org, "bzk-dgob", stamp(moment), quarter_of(moment), channel, role, categories)


def test_a_contact_at_half_past_midnight_on_new_years_day_belongs_to_the_new_year_in_amsterdam() -> None:
    assert quarter_of(datetime(2026, 12, 31, 23, 30, tzinfo=UTC)) == "2027-Q1"
    assert quarter_of(datetime(2026, 3, 31, 21, 59, tzinfo=UTC)) == "2026-Q1"
    assert quarter_of(datetime(2026, 3, 31, 22, 0, tzinfo=UTC)) == "2026-Q2"  # CEST: 00:00 on 1 April


def test_scope_is_that_of_the_last_advisor_and_a_reassignment_to_nobody_does_not_count() -> None:
    rows = [
        AssignmentRow("e1", "c1", "adv-a", "internal", at("2026-01-01T10:00:00")),
        AssignmentRow("e2", "c1", "adv-x", "external", at("2026-01-05T10:00:00")),
        AssignmentRow("e3", "c1", None, None, at("2026-01-09T10:00:00")),
        AssignmentRow("e4", "c2", "adv-b", "cross_unit", at("2026-01-01T10:00:00")),
    ]
    assert latest_scopes(reversed(rows)) == {"c1": "external", "c2": "cross_unit"}


def test_a_rescheduled_meeting_counts_once_with_its_last_version_and_a_cancelled_one_not_at_all() -> None:
    rows = [
        MeetingEventRow("a1", "m-moved", "c1", "scheduled", 0, "phone", at("2026-02-01T09:00:00"), at("2026-01-20T08:00:00")),
        MeetingEventRow("a2", "m-moved", "c1", "cancelled", -1, None, None, at("2026-01-25T08:00:00")),
        MeetingEventRow("a3", "m-moved", "c1", "scheduled", 1, "video", at("2026-02-03T09:00:00"), at("2026-01-25T08:00:00")),
        MeetingEventRow("b1", "m-off", "c1", "scheduled", 0, "phone", at("2026-02-05T09:00:00"), at("2026-01-20T08:00:00")),
        MeetingEventRow("b2", "m-off", "c1", "cancelled", -1, None, None, at("2026-01-21T08:00:00")),
    ]  # fmt: skip
    meetings = active_meetings(reversed(rows))
    assert [(m.meeting_id, m.mode, m.start) for m in meetings] == [
        ("m-moved", "video", at("2026-02-03T09:00:00"))
    ]


def test_the_latest_closure_of_a_case_counts() -> None:
    closures = [ClosureRow("e2", "c1", at("2026-05-01T00:00:00"), "mediation"),
                ClosureRow("e1", "c1", at("2026-03-01T00:00:00"), "advice_given")]  # fmt: skip
    assert latest_closures(closures)["c1"].outcome == "mediation"


def test_a_deadline_is_met_on_time_missed_when_noticed_or_late_and_otherwise_not_yet_due() -> None:
    rows = [
        DeadlineRow("c1", "acknowledgement", "set", None), DeadlineRow("c1", "acknowledgement", "met", True),
        DeadlineRow("c2", "acknowledgement", "missed", None), DeadlineRow("c2", "acknowledgement", "met", False),
        DeadlineRow("c3", "feedback", "met", False),
        DeadlineRow("c4", "feedback", "set", None),
    ]  # fmt: skip
    assert deadline_statuses(rows) == {
        ("c1", "acknowledgement"): DeadlineStatus.MET,
        ("c2", "acknowledgement"): DeadlineStatus.MISSED,
        ("c3", "feedback"): DeadlineStatus.MISSED,
        ("c4", "feedback"): DeadlineStatus.NOT_YET_DUE,
    }


@pytest.mark.parametrize(
    ("rating", "expected"),
    [(5, "satisfied"), (4, "satisfied"), (3, "neutral"), (2, "dissatisfied"), (1, "dissatisfied")],
)
def test_ratings_map_onto_three_feedback_codes(rating: int, expected: str) -> None:
    assert feedback_rating(rating) is FeedbackRating(expected)


def test_days_are_counted_in_amsterdam_calendar_days() -> None:
    # 23:30 UTC on 10 Feb is 00:30 on 11 Feb in Amsterdam; a talk at 08:00 UTC on 11 Feb is the same day.
    assert local_day_difference(at("2026-02-10T23:30:00"), at("2026-02-11T08:00:00")) == 0
    assert local_day_difference(at("2026-02-10T12:00:00"), at("2026-02-11T08:00:00")) == 1


def test_only_conflict_causes_are_conflicts() -> None:
    assert conflict_reason("conflict") is ConflictReason.CONFLICT
    # rows projected before routing sealed the reason hold the precise reason: still conflicts
    assert conflict_reason("conflict_declared") is ConflictReason.CONFLICT
    assert conflict_reason("persons_added") is ConflictReason.CONFLICT
    for not_a_conflict in (
        "other",
        "advisor_on_leave",
        "advisor_departed",
        "term_ended",
        "escalation_retry",
        "advisor_changed",
    ):
        assert conflict_reason(not_a_conflict) is None


def sample_rows(organisation: str | None = "min-bzk") -> YearRows:
    cases = [
        case(
            "c1", "2026-02-10T10:00:00", categories="labour.conflict_with_manager,unwanted_behaviour.bullying"
        ),
        case("c2", "2026-05-10T10:00:00", categories="unwanted_behaviour.bullying", channel="web"),
        case("c3", "2026-08-10T10:00:00", categories="labour.conflict_with_manager", role="manager"),
    ]
    return YearRows(
        year=2026,
        organisation_id=organisation,
        cases=cases,
        assignments=[
            AssignmentRow("a1", "c1", "adv-in", "internal", at("2026-02-10T10:05:00")),
            AssignmentRow("a2", "c2", "adv-ext", "external", at("2026-05-10T10:05:00")),
        ],
        reassignment_reasons=["conflict", "other", "conflict", "conflict"],
        meeting_events=[
            MeetingEventRow(
                "m1",
                "meet-1",
                "c1",
                "scheduled",
                0,
                "on_site_discreet_room",
                at("2026-02-13T09:00:00"),
                at("2026-02-10T11:00:00"),
            ),
            MeetingEventRow(
                "m2",
                "meet-2",
                "c2",
                "scheduled",
                0,
                "phone",
                at("2027-01-05T09:00:00"),
                at("2026-12-20T11:00:00"),
            ),
        ],
        first_logged={"c1": at("2026-02-12T15:00:00"), "c3": at("2026-08-30T15:00:00")},
        closures=[ClosureRow("x1", "c1", at("2026-03-01T10:00:00"), "advice_given")],
        deadline_events=[DeadlineRow("c3", "acknowledgement", "met", True)],
        feedback_ratings=[5, 3, 1],
        time=[
            TimeRow("adv-in", "c1", "conversation", 90, "min-bzk"),
            TimeRow("adv-ext", "c2", "conversation", 60, "min-bzk"),
            TimeRow("adv-in", "", "publicity", 30, None),
            TimeRow("adv-ext", "", "training", 120, None),
            TimeRow("adv-other", "c9", "conversation", 45, "min-fin"),
        ],
        training=[
            TrainingRow("adv-in", "training", 800, 1),
            TrainingRow("adv-in", "supervision", 600, 4),
            TrainingRow("adv-ext", "training", 1600, 2),
        ],
        homes={"adv-in": "min-bzk", "adv-ext": None, "adv-other": "min-fin", "adv-in-2": "min-bzk"},
    )


def test_report_counts_follow_the_rules() -> None:
    counts = report_counts(sample_rows(), BASELINE)
    assert counts.contacts_by_primary_category == {
        "labour.conflict_with_manager": 2,
        "unwanted_behaviour.bullying": 1,
    }
    assert counts.category_mentions == {"labour.conflict_with_manager": 2, "unwanted_behaviour.bullying": 2}
    assert counts.contacts_by_channel_and_quarter == {
        ("phone", "2026-Q1"): 1,
        ("web", "2026-Q2"): 1,
        ("phone", "2026-Q3"): 1,
    }
    assert counts.contacts_by_client_role == {"employee": 2, "manager": 1}
    assert counts.contacts_by_advisor_scope == {"internal": 1, "external": 1}
    assert counts.conflict_reassignments_by_reason == {"conflict": 3}
    assert counts.meetings_by_mode == {"on_site_discreet_room": 1}  # the 2027 meeting belongs to 2027
    # c1: conversation logged on 12 Feb, before its meeting on 13 Feb: 2 days. c2: its only meeting is in
    # January 2027; c3: logged 20 days after the contact.
    assert counts.days_to_first_conversation == {"0-2": 1, "15+": 2}
    assert counts.closed_contacts_by_outcome == {"advice_given": 1}
    assert counts.formal_report_deadlines == {("acknowledgement", "met"): 1}
    assert counts.feedback_by_rating == {"satisfied": 1, "neutral": 1, "dissatisfied": 1}
    # Case time goes to the case's organisation, other time to the advisor's home organisation:
    # adv-ext's 120 training minutes have no home organisation and adv-other's case is min-fin's.
    assert counts.advisor_hours_by_activity == {"conversation": 2.5, "publicity": 0.5}
    assert counts.advisors_recording_hours == 2
    # Advisors of min-bzk: adv-in (meets the baseline) and adv-in-2 (registered nothing).
    assert counts.advisors_by_baseline_status == {"met": 1, "not_met": 1}
    assert counts.training_hours_total == 8.0 and counts.supervision_sessions_total == 4


def test_the_government_wide_counts_include_everyone() -> None:
    counts = report_counts(sample_rows(organisation=None), BASELINE)
    assert counts.advisor_hours_by_activity == {"conversation": 3.25, "publicity": 0.5, "training": 2.0}
    assert counts.advisors_recording_hours == 3
    assert sum(counts.advisors_by_baseline_status.values()) == 4
    assert counts.training_hours_total == 24.0
