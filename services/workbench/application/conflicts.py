"""Declaring a conflict of interest from the workbench: the pure part (reading the form's coded
reason and building the unsigned DeclareConflict). The reason travels only as a ConflictReason code:
anything else is refused with `unknown_conflict_reason` before anything is built or sent."""

from __future__ import annotations

from datetime import datetime

from services.workbench.domain.forms import FormRefused
from shared.codes import ConflictReason
from shared.contracts.advisor_actions import DeclareConflict

UNKNOWN_REASON = "unknown_conflict_reason"
NOT_CONFIRMED = "conflict_not_confirmed"


def parse_reason(raw: str | None) -> ConflictReason:
    """The form's reason as a code; FormRefused(UNKNOWN_REASON) for anything that is not one."""
    try:
        return ConflictReason((raw or "").strip())
    except ValueError:
        raise FormRefused(UNKNOWN_REASON) from None


def conflict_command(
    advisor_id: str, case_id: str, raw_reason: str | None, confirmed: bool, now: datetime
) -> DeclareConflict:
    """The unsigned DeclareConflict for the signed-in advisor, once they confirmed it."""
    reason = parse_reason(raw_reason)
    if not confirmed:
        raise FormRefused(NOT_CONFIRMED)
    return DeclareConflict(advisor_id=advisor_id, auth="", issued_at=now, case_id=case_id, reason=reason)
