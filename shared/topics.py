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
    "Raw submissions from the frontends, sealed to intake's key at the source (kept 7 days).",
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
ROUTING_ALERTS = Topic("routing.alerts.v1", "routing", "Coordinator signals: AdvisorTermEnding, ReflectionTalkRegistered.", "forever")
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
DIRECTORY_ADVISORS = Topic(
    "directory.advisors.v1",
    "hr-feed",
    "Advisors' records, status and availability, coordinators' appointments, advisors' and command "
    "signers' public keys (copies from directory.v1), without person pseudonyms.",
    "compact",
)
DIRECTORY_UNITS = Topic(
    "directory.units.v1",
    "hr-feed",
    "The organisation's units (copies of directory.v1's OrgUnitUpserted), without person pseudonyms.",
    "compact",
)

# The HR feed publishes every directory event on directory.v1 (routing folds the whole directory,
# in order, from that one topic) and a copy of these on a narrower topic, so that a service whose
# ACL reads only the narrow topics gets what it needs and no person pseudonyms: intake (keys, units),
# scheduling (keys, availability), the workbench (advisors' coded records, coordinators).
DIRECTORY_COPIES: dict[str, Topic] = {
    "AdvisorKeyRegistered": DIRECTORY_ADVISORS,
    "CommandSignerRegistered": DIRECTORY_ADVISORS,
    "AdvisorAvailabilitySet": DIRECTORY_ADVISORS,
    "AdvisorUpserted": DIRECTORY_ADVISORS,
    "AdvisorStatusChanged": DIRECTORY_ADVISORS,
    "CoordinatorAppointed": DIRECTORY_ADVISORS,
    "OrgUnitUpserted": DIRECTORY_UNITS,
}

# Fields a copy carries as null: the person pseudonym behind an advisor stays on directory.v1
# (shared/directory_copies.py writes the copies).
DIRECTORY_COPY_WITHOUT: dict[str, tuple[str, ...]] = {"AdvisorUpserted": ("person_id",)}


def directory_topics_for(event_type: str) -> tuple[str, ...]:
    """Every topic a directory event is published on: directory.v1, and its narrow copy if any."""
    copy = DIRECTORY_COPIES.get(event_type)
    return (DIRECTORY.name, copy.name) if copy else (DIRECTORY.name,)


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
    DIRECTORY_ADVISORS,
    DIRECTORY_UNITS,
)


def with_prefix(name: str, prefix: str) -> str:
    """Tests and parallel demos isolate themselves with a topic prefix (`CASEFLOW_TOPIC_PREFIX`)."""
    return f"{prefix}{name}" if prefix else name
