"""Which event types travel on which topic, and who produces them: the contract catalogue.

The AsyncAPI document and the JSON Schemas in docs/ are generated from this and from the
services' FastStream subscribers (`caseflow contracts generate`); a test fails when code and the
committed documents drift apart.
"""

from __future__ import annotations

from shared.contracts import advisor_actions, advisor_commands, directory, intake, routing, scheduling
from shared.envelope import REGISTRY, EventPayload
from shared.topics import (
    ADVISOR_ACTIONS,
    DIRECTORY,
    DIRECTORY_ADVISORS,
    DIRECTORY_UNITS,
    INTAKE_CASES,
    INTAKE_REJECTIONS,
    ROUTING_ALERTS,
    ROUTING_ASSIGNMENTS,
    SCHEDULING_MEETINGS,
    SCHEDULING_PLACES,
)

# The topic of every event type of a contract module, with the exceptions named.
_MODULE_TOPIC = {
    advisor_actions.__name__: ADVISOR_ACTIONS.name,
    directory.__name__: DIRECTORY.name,
    intake.__name__: INTAKE_CASES.name,
    routing.__name__: ROUTING_ASSIGNMENTS.name,
    scheduling.__name__: SCHEDULING_MEETINGS.name,
}
# Event types that several services emit, each on its own topic.
_SHARED = {
    advisor_commands.AdvisorCommandRejected.EVENT_TYPE: (
        INTAKE_CASES.name,
        ROUTING_ASSIGNMENTS.name,
        SCHEDULING_MEETINGS.name,
    ),
}
_EXCEPTIONS = {
    "SubmissionRejected": INTAKE_REJECTIONS.name,
    "AdvisorTermEnding": ROUTING_ALERTS.name,
    "ReflectionTalkRegistered": ROUTING_ALERTS.name,
    "RoomRegistered": SCHEDULING_PLACES.name,
    "VenueRegistered": SCHEDULING_PLACES.name,
    "OffSiteBudgetSet": SCHEDULING_PLACES.name,
}
# Who writes each topic (frontends, the workbench and the HR feed are outside the system).
PRODUCERS = {
    "intake.submissions.v1": "frontends",
    ADVISOR_ACTIONS.name: "advisors' workbench",
    DIRECTORY.name: "HR feed (caseflow directory import)",
    DIRECTORY_ADVISORS.name: "HR feed (caseflow directory import), copies of directory.v1 records",
    DIRECTORY_UNITS.name: "HR feed (caseflow directory import), copies of directory.v1 records",
    INTAKE_CASES.name: "intake",
    INTAKE_REJECTIONS.name: "intake",
    ROUTING_ASSIGNMENTS.name: "routing",
    ROUTING_ALERTS.name: "routing",
    SCHEDULING_MEETINGS.name: "scheduling",
    SCHEDULING_PLACES.name: "scheduling (caseflow rooms import)",
}


def topics_of(cls: type[EventPayload]) -> tuple[str, ...]:
    if cls.EVENT_TYPE in _SHARED:
        return _SHARED[cls.EVENT_TYPE]
    return (_EXCEPTIONS.get(cls.EVENT_TYPE) or _MODULE_TOPIC[cls.__module__],)


def events_by_topic() -> dict[str, list[type[EventPayload]]]:
    result: dict[str, list[type[EventPayload]]] = {}
    for name in sorted(REGISTRY.known_types()):
        cls = REGISTRY.payload_class(name)
        for topic in topics_of(cls):
            result.setdefault(topic, []).append(cls)
    return result
