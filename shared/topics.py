"""The topic catalogue: every topic, its owner, what it carries and how it is kept.

Names follow `<owner>.<stream>.v<N>` (ARCHITECTURE.md). Events are keyed by `stream_id` so one
case (room, advisor) stays in order within a partition. Each topic has a dead-letter twin
`<topic>.dlq` for messages that cannot be processed.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Topic:
    name: str
    owner: str
    description: str
    retention: str  # "forever", "7d", "compact"
    partitions: int = 3

    @property
    def dlq(self) -> str:
        return dlq_of(self.name)


def dlq_of(topic: str) -> str:
    return f"{topic}.dlq"


INTAKE_SUBMISSIONS = Topic(
    "intake.submissions.v1",
    "frontends",
    "Raw submissions from the web and chat frontends (contains personal data in clear; kept 7 days).",
    "7d",
)
INTAKE_CASES = Topic(
    "intake.cases.v1", "intake", "Case lifecycle events: CaseOpened, CaseClosed, ...", "forever"
)
INTAKE_REJECTIONS = Topic(
    "intake.rejections.v1", "intake", "SubmissionRejected with a reason code, no personal data.", "forever"
)
ROUTING_ASSIGNMENTS = Topic(
    "routing.assignments.v1",
    "routing",
    "AdvisorAssigned, CaseReassigned, RoutingEscalated, ReferralSuggested.",
    "forever",
)
ROUTING_ALERTS = Topic("routing.alerts.v1", "routing", "Coordinator signals: AdvisorTermEnding.", "forever")
SCHEDULING_MEETINGS = Topic(
    "scheduling.meetings.v1",
    "scheduling",
    "MeetingScheduled, MeetingCancelled, NoSlotFound, VenueBudgetReserved.",
    "forever",
)
SCHEDULING_PLACES = Topic(
    "scheduling.places.v1", "scheduling", "Rooms, venues and budgets registered.", "compact"
)
ADVISOR_ACTIONS = Topic(
    "advisor.actions.v1",
    "workbench",
    "Commands from the advisors' workbench (AcceptCase, LogTime, ...).",
    "forever",
)
DIRECTORY = Topic(
    "directory.v1", "hr-feed", "Organisation units, people, advisors (HR feed, administrators).", "compact"
)

ALL_TOPICS: tuple[Topic, ...] = (
    INTAKE_SUBMISSIONS,
    INTAKE_CASES,
    INTAKE_REJECTIONS,
    ROUTING_ASSIGNMENTS,
    ROUTING_ALERTS,
    SCHEDULING_MEETINGS,
    SCHEDULING_PLACES,
    ADVISOR_ACTIONS,
    DIRECTORY,
)


def with_prefix(name: str, prefix: str) -> str:
    """Tests and parallel demos isolate themselves with a topic prefix (`CASEFLOW_TOPIC_PREFIX`)."""
    return f"{prefix}{name}" if prefix else name
