"""Contracts owned by routing, on `routing.assignments.v1` and `routing.alerts.v1`.

Rule codes, scope and policy version travel in clear: they explain a decision without naming
anyone. Which advisor was excluded for what (which reveals whose manager is involved) is sealed
under the case key, so an excluded advisor cannot learn from the log that the case exists, and
erasing the case erases those details too.
"""

from __future__ import annotations

from datetime import date, datetime

from shared.codes import AdvisorScope
from shared.crypto import Sealed
from shared.envelope import EventPayload, event_type


@event_type("AdvisorAssigned")
class AdvisorAssigned(EventPayload):
    case_id: str
    advisor_id: str
    scope: AdvisorScope
    policy_version: str
    rule_codes: dict[str, int]  # rule code -> how many candidates it excluded
    selection_reason: str  # preferred | same_location | lowest_load
    decided_at: datetime
    case_opened_at: datetime
    exclusions: Sealed  # [{advisor_id, rule_code, detail_code}] under the case key
    # For the audit: the directory revision the decision saw and the case facts it used (sealed):
    # refolding routing's directory log to that revision and deciding again must give this event.
    directory_revision: int
    inputs: Sealed


@event_type("CaseReassigned")
class CaseReassigned(EventPayload):
    case_id: str
    from_advisor_id: str
    to_advisor_id: str | None  # None: nobody eligible, escalated at the same time
    reason: str  # conflict_declared | persons_added | advisor_on_leave | advisor_departed | term_ended | org_change
    scope: AdvisorScope | None
    policy_version: str
    rule_codes: dict[str, int]
    decided_at: datetime
    exclusions: Sealed
    directory_revision: int
    inputs: Sealed


@event_type("RoutingEscalated")
class RoutingEscalated(EventPayload):
    """Nobody is eligible: the case waits in the coordinators' queue. A case is never dropped."""

    case_id: str
    organisation_id: str
    reason_codes: dict[str, int]
    policy_version: str
    escalated_at: datetime
    reason: str = "initial"  # initial | conflict_declared | persons_added | advisor_on_leave | ...
    exclusions: Sealed | None = None
    directory_revision: int = 0
    inputs: Sealed | None = None


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


@event_type("RoutingActionRejected")
class RoutingActionRejected(EventPayload):
    """A DeclareConflict or AmendCaseFacts refused: bad token, or not the case's current assignee
    (`not_assignee`, also for a case that does not exist). A command whose token did not prove its
    advisor is answered without any id it supplied: `case_id` and `advisor_id` are then null."""

    case_id: str | None
    action: str
    advisor_id: str | None
    reason: str
    rejected_at: datetime
