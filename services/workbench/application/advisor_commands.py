"""What an advisor does on a case from the workbench, signed for them by the workbench's command
signer (D39). Only a case the shared projection says they hold is acted on here; every service
checks the token and the assignee again before anything happens.

- `accept`: AcceptCase on advisor.actions.v1, through the workbench's own outbox (one unit of work:
  the event is stored, then published; intake applies it when it consumes it).
- `reply`: a message to the client in the anonymous dialogue, posted to intake's case-file API
  (intake seals it and answers at once).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from services.workbench.adapters import given_up
from services.workbench.adapters.case_summaries import ASSIGNEES
from services.workbench.adapters.command_signer import CommandSigner
from services.workbench.adapters.intake_case_files import CaseFileRefused, IntakeCaseFiles
from services.workbench.application.case_files import NOT_YOURS
from services.workbench.application.conflicts import conflict_command, parse_reason
from shared.auth import authorize_command, unproven_cause
from shared.codes import InvolvedRole
from shared.contracts.advisor_actions import AcceptCase, AdvisorCommand
from shared.emitter import Emitter
from shared.outbox import Outgoing
from shared.runtime import ServiceContext
from shared.topics import ADVISOR_ACTIONS
from shared.unit_of_work import Decision, UnitOfWork

PRODUCER = "workbench"
MAX_REPLY_CHARS = 5000


async def _holds(ctx: ServiceContext, advisor_id: str, case_id: str) -> None:
    async with ctx.engine.connect() as conn:
        if await ASSIGNEES.assignee_of(conn, case_id) != advisor_id:
            raise CaseFileRefused(NOT_YOURS)
        if await given_up.gave_up(conn, advisor_id, case_id):  # a conflict declared, not yet moved
            raise CaseFileRefused(NOT_YOURS)


async def accept(
    ctx: ServiceContext, signer: CommandSigner | None, advisor_id: str, case_id: str, now: datetime
) -> None:
    """Send AcceptCase for the signed-in advisor; CaseFileRefused when it is not theirs to accept."""
    await _holds(ctx, advisor_id, case_id)
    unsigned = AcceptCase(advisor_id=advisor_id, auth="", issued_at=now, case_id=case_id)
    await send_signed(ctx, signer, unsigned, now)


async def declare_conflict(
    ctx: ServiceContext,
    signer: CommandSigner | None,
    advisor_id: str,
    case_id: str,
    raw_reason: str | None,
    confirmed: bool,
    now: datetime,
) -> None:
    """Send DeclareConflict for the signed-in advisor and, in the same unit of work, record that
    they gave the case up: from then on the workbench treats it as not theirs (like an unknown case),
    before routing's CaseReassigned arrives. CaseFileRefused for a bad reason or someone else's case."""
    unsigned = conflict_command(advisor_id, case_id, raw_reason, confirmed, now)
    reason = parse_reason(raw_reason)
    await _holds(ctx, advisor_id, case_id)

    async def give_up(conn: AsyncConnection, event_id: str) -> None:
        await given_up.record(conn, advisor_id, case_id, reason.value, now, unproven_cause(event_id))

    await send_signed(ctx, signer, unsigned, now, also=give_up)


async def send_signed(
    ctx: ServiceContext,
    signer: CommandSigner | None,
    unsigned: AdvisorCommand,
    now: datetime,
    also: Callable[[AsyncConnection, str], Awaitable[None]] | None = None,
) -> None:
    """Sign `unsigned` for its `advisor_id` (the signed-in person) and publish it on
    advisor.actions.v1 through the workbench's outbox: stored, then sent, in one unit of work. The
    owning service verifies the token and applies or refuses the command; the workbench only shows
    what the owners' events say afterwards."""
    if signer is None:
        raise CaseFileRefused("intake_not_configured")
    command = authorize_command(signer.key, unsigned, now=now, issuer=signer.signer_id)
    emit = Emitter.of_cause(
        f"workbench:{uuid.uuid4()}", producer=PRODUCER, topic=ADVISOR_ACTIONS.name, now=now
    )

    async def decide(conn: AsyncConnection) -> Decision[None]:
        outgoing: Sequence[Outgoing] = [emit(command, stream_id=unsigned.advisor_id)]
        if also is not None:  # the workbench's own change that goes with the command (its event id)
            await also(conn, outgoing[0].envelope.event_id)
        return Decision(None, outgoing)

    await UnitOfWork.of(ctx).run(decide)


MAX_PERSON_DESCRIPTION = 1000  # intake's PersonInvolved.description
UNKNOWN_PERSON_ROLE = "unknown_person_role"
PERSON_DESCRIPTION_TOO_LONG = "person_description_too_long"


async def add_person(
    ctx: ServiceContext,
    files: IntakeCaseFiles,
    advisor_id: str,
    case_id: str,
    raw_role: str | None,
    description: str | None,
    now: datetime,
) -> None:
    """Add a person involved (a role code and an optional description) to the case's facts through
    intake, which holds the case key; CaseFileRefused with a reason code otherwise."""
    try:
        role = InvolvedRole((raw_role or "").strip())
    except ValueError:
        raise CaseFileRefused(UNKNOWN_PERSON_ROLE) from None
    text = (description or "").strip()
    if len(text) > MAX_PERSON_DESCRIPTION:
        raise CaseFileRefused(PERSON_DESCRIPTION_TOO_LONG)
    await _holds(ctx, advisor_id, case_id)
    await files.add_person(advisor_id, case_id, role.value, text or None, now)


async def reply(
    ctx: ServiceContext, files: IntakeCaseFiles, advisor_id: str, case_id: str, text: str, now: datetime
) -> None:
    """Post the advisor's message to the client; CaseFileRefused with intake's reason otherwise."""
    text = text.strip()
    if not 0 < len(text) <= MAX_REPLY_CHARS:
        raise CaseFileRefused("message_empty_or_too_long")
    await _holds(ctx, advisor_id, case_id)
    await files.post_message(advisor_id, case_id, text, now)
