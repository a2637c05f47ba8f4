"""Contracts owned by routing, on `routing.assignments.v1` and `routing.alerts.v1`.

In clear: the case, the advisor now assigned (intake grants access, scheduling plans meetings),
scope, policy version, selection reason and a coarse `cause` of a reassignment or escalation
(`conflict` or `other`, or `initial`), which reporting counts. Sealed under the case key: which
advisor was excluded for what (reveals whose manager is involved), the rule-code counts
(`R1_ADVISOR_INVOLVED` says the case is about an advisor, `R5_EXTERNAL_ONLY` that top management
is involved or the client asked for an external advisor), and for a reassignment the advisor who
left and the precise reason (`detail`). Erasing the case erases all of these. docs/topics.md lists
every topic's clear fields and why.

Version 2 of the three decision events moved `rule_codes`/`reason_codes`, `from_advisor_id` and
`reason` into `detail`; the upcasters drop them from version 1 records (keeping only the coarse
`cause`), so no reader stores or re-publishes them in clear.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from shared.codes import AdvisorScope
from shared.crypto import Sealed
from shared.envelope import EventPayload, JsonDict, event_type, upcaster

# Routing's re-routing reasons that stem from a conflict of interest; the rest (advisor_on_leave,
# advisor_departed, advisor_status, advisor_changed, term_ended, escalation_retry) are availability
# or housekeeping. Only this split travels in clear (`cause`); the reason itself is sealed.
CONFLICT_REASONS = frozenset({"conflict_declared", "persons_added", "acquaintance_declared", "org_change"})
ReassignmentCause = Literal["conflict", "other"]
EscalationCause = Literal["initial", "conflict", "other"]


def cause_of(reason: str) -> Literal["initial", "conflict", "other"]:
    """The coarse, clear cause of a decision made for `reason` (sealed in the event's `detail`)."""
    if reason == "initial":
        return "initial"
    return "conflict" if reason in CONFLICT_REASONS else "other"


def reassignment_cause(reason: str) -> ReassignmentCause:
    return "conflict" if reason in CONFLICT_REASONS else "other"


@event_type("AdvisorAssigned", version=2)
class AdvisorAssigned(EventPayload):
    case_id: str
    advisor_id: str
    scope: AdvisorScope
    policy_version: str
    selection_reason: str  # preferred | current | same_location | lowest_load | coordinator_choice
    decided_at: datetime
    case_opened_at: datetime
    exclusions: Sealed  # [{advisor_id, rule_code, detail_code}] under the case key
    # For the audit: the directory revision the decision saw and the case facts it used (sealed):
    # refolding routing's directory log to that revision and deciding again must give this event.
    directory_revision: int
    inputs: Sealed
    # {"rule_codes": {rule code: how many candidates it excluded}} under the case key.
    # None only in records upcast from version 1 (which carried the counts in clear).
    detail: Sealed | None = None


@upcaster("AdvisorAssigned", from_version=1)
def _advisor_assigned_v1_to_v2(payload: JsonDict) -> JsonDict:
    payload.pop("rule_codes", None)
    payload.setdefault("detail", None)
    return payload


@event_type("CaseReassigned", version=2)
class CaseReassigned(EventPayload):
    """The case moved to another advisor (or to the coordinators' queue, `to_advisor_id` None).

    Who left and why is sealed in `detail`; a consumer that must act on the advisor who left
    (intake revokes their access, scheduling moves their meetings) knows them from its own state.
    """

    case_id: str
    to_advisor_id: str | None  # None: nobody eligible, escalated at the same time
    cause: ReassignmentCause
    scope: AdvisorScope | None
    policy_version: str
    decided_at: datetime
    exclusions: Sealed
    directory_revision: int
    inputs: Sealed
    # {"rule_codes": {...}, "from_advisor_id": ..., "reason": conflict_declared | persons_added |
    # advisor_on_leave | advisor_departed | term_ended | org_change | ...} under the case key.
    detail: Sealed | None = None


@upcaster("CaseReassigned", from_version=1)
def _case_reassigned_v1_to_v2(payload: JsonDict) -> JsonDict:
    payload["cause"] = reassignment_cause(payload.pop("reason", ""))
    payload.pop("from_advisor_id", None)
    payload.pop("rule_codes", None)
    payload.setdefault("detail", None)
    return payload


@event_type("RoutingEscalated", version=2)
class RoutingEscalated(EventPayload):
    """Nobody is eligible: the case waits in the coordinators' queue. A case is never dropped."""

    case_id: str
    organisation_id: str
    policy_version: str
    escalated_at: datetime
    cause: EscalationCause = "initial"
    exclusions: Sealed | None = None
    directory_revision: int = 0
    inputs: Sealed | None = None
    # {"rule_codes": {...}, "reason": initial | conflict_declared | ...} under the case key.
    detail: Sealed | None = None


@upcaster("RoutingEscalated", from_version=1)
def _routing_escalated_v1_to_v2(payload: JsonDict) -> JsonDict:
    payload["cause"] = cause_of(payload.pop("reason", "initial"))
    payload.pop("reason_codes", None)
    payload.setdefault("detail", None)
    return payload


@event_type("ReferralSuggested")
class ReferralSuggested(EventPayload):
    case_id: str
    referral: str  # an outcome code, e.g. referred.labour_law_desk
    reason: str
    suggested_at: datetime


@event_type("AdvisorTermEnding")
class AdvisorTermEnding(EventPayload):
    """For the coordinator: an appointment ends within the warning period (reappointment check)."""

    advisor_id: str
    term_end: date
    days_left: int
    noticed_at: datetime


@event_type("ReflectionTalkRegistered")
class ReflectionTalkRegistered(EventPayload):
    """For the coordinator's overview: the yearly reflection talk with an advisor was held on
    `held_on` (RegisterReflectionTalk, admitted by routing). A date and two ids, nothing said in it."""

    advisor_id: str
    coordinator_id: str
    held_on: date
    registered_at: datetime
