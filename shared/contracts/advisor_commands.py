"""The one answer to a refused advisor command, whichever service refused it (D28).

Intake (on intake.cases.v1), routing (on routing.assignments.v1) and scheduling (on
scheduling.meetings.v1) each answer a refused command with `AdvisorCommandRejected`. Until D28
each had its own event with its own field names; records of those three types on the topics are
read as `AdvisorCommandRejected` through the aliases below (`decode_envelope` renames them), so a
reader only ever sees the one shape.
"""

from __future__ import annotations

from datetime import datetime

from shared.envelope import REGISTRY, EventPayload, JsonDict, event_type


@event_type("AdvisorCommandRejected")
class AdvisorCommandRejected(EventPayload):
    """An advisor command (or case-file request) that was not carried out, and why.

    `command`: the command's event type (AcceptCase, DeclareConflict, RequestMeeting, ...) or the
    HTTP action ("GET /v1/cases/{id}"). `reason_code`: the token's own codes (shared/auth.py),
    `not_assignee` (also for a case that does not exist), or the owning service's rule (docs/
    case-file.md, "Reason codes"; docs/scheduling.md; for a coordinator's AssignEscalatedCase the
    `CoordinatorRefusal` codes of shared/contracts/advisor_actions.py). `advisor_id` is whoever
    signed: the advisor, or the coordinator. A command whose token did not prove its
    advisor is answered without any id it supplied: `case_id` and `advisor_id` are then null."""

    command: str
    reason_code: str
    advisor_id: str | None
    case_id: str | None
    rejected_at: datetime


def _from_intake(payload: JsonDict) -> JsonDict:
    """ActionRejected v1 (intake): action_type, reason_code."""
    payload["command"] = payload.pop("action_type")
    return payload


def _from_routing(payload: JsonDict) -> JsonDict:
    """RoutingActionRejected v1 (routing): action, reason."""
    payload["command"] = payload.pop("action")
    payload["reason_code"] = payload.pop("reason")
    return payload


def _from_scheduling(payload: JsonDict) -> JsonDict:
    """MeetingRequestRejected v1 (scheduling): already command, reason_code."""
    return payload


# The three event types used before D28, each at v1, read as AdvisorCommandRejected v1.
FORMER_TYPES = {
    "ActionRejected": _from_intake,
    "RoutingActionRejected": _from_routing,
    "MeetingRequestRejected": _from_scheduling,
}
for _name, _upcast in FORMER_TYPES.items():
    REGISTRY.register_alias(_name, 1, AdvisorCommandRejected, _upcast)
