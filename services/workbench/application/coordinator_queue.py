"""The coordinators' queue: the escalated cases (coded facts), the active advisors a coordinator may
choose from (id, kind, scope: no name, no case content), and what became of their last choice.

`assign` sends AssignEscalatedCase signed for the coordinator (application/advisor_commands.py,
send_signed). Routing decides: its AdvisorAssigned takes the case out of the queue, its refusal
(AdvisorCommandRejected, a CoordinatorRefusal code) is shown against the case. The checks here only
spare a command that cannot succeed; routing checks everything again.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from services.workbench.adapters import advisor_directory, coordinator_choices
from services.workbench.adapters.command_signer import CommandSigner
from services.workbench.adapters.intake_case_files import CaseFileRefused
from services.workbench.adapters.people_views import Queue
from services.workbench.application import advisor_commands
from services.workbench.application.case_lists import escalated_cases
from shared.contracts.advisor_actions import AssignEscalatedCase, CoordinatorRefusal
from shared.runtime import ServiceContext

SIGNER_MISSING = "signer_not_configured"


class ChoiceRefused(Exception):
    """The workbench did not send the choice; `reason` is a code for the page."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


async def _organisations(engine: AsyncEngine, coordinator_id: str) -> list[str]:
    async with engine.connect() as conn:
        return await advisor_directory.organisations_of(conn, coordinator_id)


async def queue_for(engine: AsyncEngine, coordinator_id: str) -> Queue:
    """The escalated cases of the organisations the coordinator coordinates (CoordinatorAppointed)."""
    lines = await escalated_cases(engine, await _organisations(engine, coordinator_id))
    async with engine.connect() as conn:
        advisors = await advisor_directory.active_advisors(conn)
        choices = await coordinator_choices.choices_of(conn, coordinator_id)
    return Queue(lines, advisors, choices)


async def assign(
    ctx: ServiceContext,
    signer: CommandSigner | None,
    coordinator_id: str,
    case_id: str,
    chosen_advisor_id: str,
    now: datetime,
) -> None:
    """Send the coordinator's choice; ChoiceRefused when the case does not wait in their queue or the
    advisor is not an active one the workbench knows."""
    theirs = await escalated_cases(ctx.engine, await _organisations(ctx.engine, coordinator_id))
    if case_id not in {line.case_id for line in theirs}:
        raise ChoiceRefused(CoordinatorRefusal.CASE_NOT_ESCALATED.value)
    async with ctx.engine.connect() as conn:
        active = {a.advisor_id for a in await advisor_directory.active_advisors(conn)}
    if chosen_advisor_id not in active:
        raise ChoiceRefused(CoordinatorRefusal.CHOSEN_ADVISOR_UNKNOWN.value)
    unsigned = AssignEscalatedCase(
        advisor_id=coordinator_id,
        auth="",
        issued_at=now,
        case_id=case_id,
        chosen_advisor_id=chosen_advisor_id,
    )
    try:
        await advisor_commands.send_signed(ctx, signer, unsigned, now)
    except CaseFileRefused as missing:
        raise ChoiceRefused(SIGNER_MISSING) from missing
    async with ctx.engine.begin() as conn:
        await coordinator_choices.record_sent(conn, coordinator_id, case_id, chosen_advisor_id, now)
