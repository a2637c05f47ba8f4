"""Who may do what to a case, as named rules over the case's current state (pure, no I/O).

The token already proved who is acting (shared/auth.py); these rules decide whether that advisor
may do this now. A refusal is a reason code a person can act on. An advisor who is not the
current assignee learns nothing more than `not_assignee`, whether or not the case exists, and an
erased case answers the same (routing and scheduling use the same code: shared/auth.NOT_ASSIGNEE).
Only the case's own assignee hears more about it (`case_closed`, `not_accepted`, ...).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

# Actions intake applies, by the name the token carries.
ACCEPT = "AcceptCase"
LOG_TIME = "LogTime"
RECORD_OUTCOME = "RecordOutcome"
CLOSE = "CloseCase"
PROVIDE_FEEDBACK = "ProvideFeedback"
REGISTER_TRAINING = "RegisterTraining"
REGISTER_SUPERVISION = "RegisterSupervision"
READ_CASE_FILE = "GET /v1/cases/{id}"
POST_ADVISOR_MESSAGE = "POST /v1/cases/{id}/messages"
AMEND_FACTS = "POST /v1/cases/{id}/facts"  # before acceptance too: a person added may be a conflict

CASE_ACTIONS = frozenset(
    {
        ACCEPT,
        LOG_TIME,
        RECORD_OUTCOME,
        CLOSE,
        PROVIDE_FEEDBACK,
        READ_CASE_FILE,
        POST_ADVISOR_MESSAGE,
        AMEND_FACTS,
    }
)
# Actions that need the case taken on first (reading the file does not: the advisor reads it to
# decide whether to accept or to declare a conflict).
NEEDS_ACCEPTANCE = frozenset({LOG_TIME, RECORD_OUTCOME, CLOSE, PROVIDE_FEEDBACK, POST_ADVISOR_MESSAGE})
# Closed cases stay readable for their assignee until erased; nothing else happens to them.
ALLOWED_WHEN_CLOSED = frozenset({READ_CASE_FILE})

Status = Literal["open", "closed"]


@dataclass(frozen=True, slots=True)
class CaseState:
    case_id: str
    assignee: str | None  # None: unassigned or escalated to the coordinators' queue
    accepted_by: str | None  # the assignee who accepted; reset by reassignment
    status: Status
    erased: bool
    is_whistleblower_report: bool


def refusal(action: str, advisor_id: str, case: CaseState | None) -> str | None:
    """The reason code why `advisor_id` may not do `action` on `case` now, or None if allowed.

    `case` is None for an unknown case id: the answer is then the same as for someone else's case.
    """
    if action not in CASE_ACTIONS:
        return None
    if case is None or case.assignee is None or case.assignee != advisor_id:
        return "not_assignee"
    if case.erased:
        # An erased case answers like an unknown case, whatever is asked of it.
        return "not_assignee"
    if case.status == "closed" and action not in ALLOWED_WHEN_CLOSED:
        return "case_closed"
    if action == ACCEPT and case.accepted_by == advisor_id:
        return "already_accepted"
    if action in NEEDS_ACCEPTANCE and case.accepted_by != advisor_id:
        return "not_accepted"
    if action == PROVIDE_FEEDBACK and not case.is_whistleblower_report:
        return "not_a_formal_report"
    return None
