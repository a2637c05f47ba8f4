"""Use case: a coordinator assigns an escalated case to an advisor they choose (`AssignEscalatedCase`).

Who may act: a coordinator of the case's organisation (the directory's `CoordinatorAppointed`), and
only while the case is escalated. The advisor-command gate (shared/advisor_commands.py) asks this
(`may_act`) in place of "the current assignee", after the token proved the coordinator and before
the token is spent. What may happen: the routing policy decides again with the chosen advisor among
the candidates (domain/policy.py, step 5: the same rules, the scope widened by that one advisor);
only a decision that gives the case to them is recorded, as an `AdvisorAssigned` with
`selection_reason` `coordinator_choice`, audited and explained like any decision (application/
audit.py), the coordinator's id sealed in its `detail`.

Refusals are `CoordinatorRefusal` codes (shared/contracts/advisor_actions.py). The policy's rules
about persons are sealed in routing's decisions (docs/topics.md), so in clear they are one code.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from services.routing.adapters import case_rows
from services.routing.application.router import Router
from services.routing.domain.policy import RuleCode
from shared.auth import Refusal
from shared.contracts.advisor_actions import AssignEscalatedCase, CoordinatorRefusal
from shared.crypto import KeyErased
from shared.emitter import Emitter
from shared.outbox import Outgoing

_CONFLICT = CoordinatorRefusal.CHOSEN_ADVISOR_CONFLICT_OF_INTEREST
REFUSAL_OF_RULE: dict[RuleCode, CoordinatorRefusal] = {
    RuleCode.UNKNOWN_ADVISOR: CoordinatorRefusal.CHOSEN_ADVISOR_UNKNOWN,
    RuleCode.NOT_AVAILABLE: CoordinatorRefusal.CHOSEN_ADVISOR_UNAVAILABLE,
    RuleCode.KIND_MISMATCH: CoordinatorRefusal.CHOSEN_ADVISOR_KIND_MISMATCH,
    RuleCode.LANGUAGE_MISMATCH: CoordinatorRefusal.CHOSEN_ADVISOR_LANGUAGE_MISMATCH,
    RuleCode.EXTERNAL_ONLY: _CONFLICT,  # says top management is involved or the client asked
    RuleCode.EXCLUDED_FOR_CASE: _CONFLICT,  # the client excluded them, or they declared a conflict
    RuleCode.ADVISOR_INVOLVED: _CONFLICT,
    RuleCode.COMPLAINT_ABOUT_ADVISOR_SAME_ORGANISATION: _CONFLICT,
    RuleCode.MANAGER_LINE_UNRESOLVED: _CONFLICT,
    RuleCode.ADVISOR_IN_CHAIN_OF_INVOLVED: _CONFLICT,
    RuleCode.INVOLVED_IN_ADVISOR_CHAIN: _CONFLICT,
    RuleCode.SMALL_UNIT_SHARED: _CONFLICT,
    RuleCode.ACQUAINTANCE_DECLARED: _CONFLICT,
    RuleCode.OUT_OF_SCOPE: _CONFLICT,  # never for a coordinator's choice (step 5); conservative
}


def refusal_of_rule(rule_code: RuleCode) -> CoordinatorRefusal:
    """The clear reason code for the rule that excluded the chosen advisor."""
    return REFUSAL_OF_RULE.get(rule_code, _CONFLICT)


class CoordinatorChoices:
    def __init__(self, router: Router) -> None:
        self.router = router

    async def may_act(self, conn: AsyncConnection, case_id: str, actor_id: str) -> str | None:
        """The gate's step 2 for this command: None, or why the proven signer (`actor_id`, the
        coordinator the token names) may not act on it.

        An unknown case answers as a case of another organisation: no answer tells whether it exists."""
        row = await case_rows.case_row(conn, case_id)
        if row is None or not self.router.cache.directory.coordinates(actor_id, row.organisation_id):
            return CoordinatorRefusal.NOT_COORDINATOR.value
        if row.status != "escalated":
            return CoordinatorRefusal.CASE_NOT_ESCALATED.value
        return None

    async def assign(
        self, conn: AsyncConnection, command: AssignEscalatedCase, now: datetime, emit: Emitter
    ) -> list[Outgoing] | Refusal:
        """The admitted command carried out: the decision's events, or the (proven) refusal."""
        row = await case_rows.case_row(conn, command.case_id)
        try:
            outcome = await self.router.assign_chosen(
                conn, row, command.chosen_advisor_id, now, emit=emit, coordinator_id=command.advisor_id
            )
        except KeyErased:  # erased, and routing has not yet heard: no longer waiting for anyone
            return Refusal(CoordinatorRefusal.CASE_NOT_ESCALATED.value, proven=True)
        if isinstance(outcome, RuleCode):
            return Refusal(refusal_of_rule(outcome).value, proven=True)
        return outcome
