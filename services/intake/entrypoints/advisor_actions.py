"""Advisor commands on advisor.actions.v1 that intake owns: verify the token, check the rules, apply.

Per command, in the pipeline's transaction: coded fields must hold codes; the advisor-command gate
(shared/advisor_commands.py: the token proves the claimed advisor signed exactly this command,
judged at the record's broker timestamp; the advisor is the case's current assignee; the token's
jti is claimed once, in the same transaction); then lifecycle.refusal decides; then the change is
applied and its events emitted. Every refusal becomes an AdvisorCommandRejected event with a reason code. A refusal before the
token proved the advisor carries no id the command supplied (no case id, no advisor id; its
envelope is caused by the record's position, not by the sender's event id).

Commands owned by routing (DeclareConflict, AmendCaseFacts) and scheduling (RequestMeeting,
CancelMeeting, BookQuietRoom, ...) are skipped without a dead-letter record.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from services.intake.adapters.assignments import current_assignee, load_case_state, mark_accepted
from services.intake.adapters.tables import cases
from services.intake.application import legal_deadlines
from services.intake.application.advisor_commands import GATE
from services.intake.application.emit import emitter_of
from services.intake.domain.lifecycle import CaseState, refusal
from services.intake.entrypoints.decoding import selective_envelope_decoder
from shared.advisor_commands import SignedCommand, rejection
from shared.auth import Refusal, VerifiedToken
from shared.contracts.advisor_actions import (
    AcceptCase,
    CloseCase,
    LogTime,
    ProvideFeedback,
    RecordOutcome,
    RegisterSupervision,
    RegisterTraining,
)
from shared.contracts.intake import (
    CaseAccepted,
    CaseClosed,
    OutcomeRecorded,
    SupervisionRegistered,
    TimeLogged,
    TrainingRegistered,
)
from shared.emitter import Emitter
from shared.outbox import Outgoing
from shared.pipeline import Decoded, Route

Apply = Callable[[AsyncConnection, Any, CaseState | None, Emitter], Awaitable[list[Outgoing]]]


class Refused(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


async def _accept(
    conn: AsyncConnection, cmd: AcceptCase, case: CaseState | None, emit: Emitter
) -> list[Outgoing]:
    assert case is not None
    acknowledges = case.is_whistleblower_report and not await legal_deadlines.is_acknowledged(
        conn, cmd.case_id
    )
    accepted = CaseAccepted(
        case_id=cmd.case_id,
        advisor_id=cmd.advisor_id,
        accepted_at=emit.now,
        acknowledges_report=acknowledges,
        decision_id=await mark_accepted(conn, cmd.case_id, cmd.advisor_id, emit.now),
    )
    out = [emit(accepted, cmd.case_id)]
    if acknowledges:
        out += await legal_deadlines.acknowledge(conn, cmd.case_id, emit)
    return out


async def _log_time(
    conn: AsyncConnection, cmd: LogTime, case: CaseState | None, emit: Emitter
) -> list[Outgoing]:
    now = emit.now
    event = TimeLogged(
        advisor_id=cmd.advisor_id,
        case_id=cmd.case_id,
        minutes=cmd.minutes,
        activity=cmd.activity,
        logged_at=now,
    )
    return [emit(event, cmd.case_id or cmd.advisor_id)]


async def _record_outcome(
    conn: AsyncConnection, cmd: RecordOutcome, case: CaseState | None, emit: Emitter
) -> list[Outgoing]:
    now = emit.now
    event = OutcomeRecorded(
        case_id=cmd.case_id, advisor_id=cmd.advisor_id, outcome=cmd.outcome, recorded_at=now
    )
    return [emit(event, cmd.case_id)]


async def _close(
    conn: AsyncConnection, cmd: CloseCase, case: CaseState | None, emit: Emitter
) -> list[Outgoing]:
    now = emit.now
    if len(set(cmd.outcomes)) != len(cmd.outcomes):
        raise Refused("duplicate_outcome")
    await conn.execute(
        cases.update().where(cases.c.case_id == cmd.case_id).values(status="closed", closed_at=now)
    )
    event = CaseClosed(case_id=cmd.case_id, advisor_id=cmd.advisor_id, outcomes=cmd.outcomes, closed_at=now)
    return [emit(event, cmd.case_id)]


async def _provide_feedback(
    conn: AsyncConnection, cmd: ProvideFeedback, case: CaseState | None, emit: Emitter
) -> list[Outgoing]:
    met = await legal_deadlines.give_feedback(conn, cmd.case_id, emit)
    if met is None:
        raise Refused("feedback_already_recorded")
    return met


async def _training(
    conn: AsyncConnection, cmd: RegisterTraining, case: CaseState | None, emit: Emitter
) -> list[Outgoing]:
    now = emit.now
    event = TrainingRegistered(
        advisor_id=cmd.advisor_id,
        hours=cmd.hours,
        kind=cmd.kind,
        completed_on=cmd.completed_on,
        registered_at=now,
    )
    return [emit(event, cmd.advisor_id)]


async def _supervision(
    conn: AsyncConnection, cmd: RegisterSupervision, case: CaseState | None, emit: Emitter
) -> list[Outgoing]:
    now = emit.now
    event = SupervisionRegistered(
        advisor_id=cmd.advisor_id, hours=cmd.hours, session_on=cmd.session_on, registered_at=now
    )
    return [emit(event, cmd.advisor_id)]


APPLY: dict[str, Apply] = {
    "AcceptCase": _accept,
    "LogTime": _log_time,
    "RecordOutcome": _record_outcome,
    "CloseCase": _close,
    "ProvideFeedback": _provide_feedback,
    "RegisterTraining": _training,
    "RegisterSupervision": _supervision,
}


async def _admit(
    conn: AsyncConnection, command: Any, message: Decoded, now: datetime
) -> VerifiedToken | Refusal:
    """The advisor-command gate, judged at the record's broker timestamp."""
    published_at = message.inbound.published_at
    return await GATE.admit(
        conn, SignedCommand.of(command), current_assignee, now=now, published_at=published_at
    )


async def _apply(conn: AsyncConnection, command: Any, case_id: str | None, emit: Emitter) -> list[Outgoing]:
    """The lifecycle rules, then the change; a refusal of the proven advisor is recorded."""
    action = command.EVENT_TYPE
    try:
        case = await load_case_state(conn, case_id)
        reason = refusal(action, command.advisor_id, case) if case_id is not None else None
        if reason is not None:
            raise Refused(reason)
        return await APPLY[action](conn, command, case, emit)
    except Refused as exc:
        return [rejection(emit, action, Refusal(exc.reason, proven=True), case_id, command.advisor_id)]


class AdvisorActionHandler:
    async def __call__(self, conn: AsyncConnection, message: Decoded, now: datetime) -> Sequence[Outgoing]:
        if message.body is None:
            return []
        command = message.body.payload
        action = command.EVENT_TYPE
        case_id: str | None = getattr(command, "case_id", None)
        emit = emitter_of(message, now)
        if isinstance(command, RegisterTraining) and command.kind is None:
            return [rejection(emit, action, Refusal("unknown_training_kind", proven=False))]
        admitted = await _admit(conn, command, message, now)
        if isinstance(admitted, Refusal):
            return [rejection(emit, action, admitted, case_id, command.advisor_id)]
        return await _apply(conn, command, case_id, emit)


def actions_route() -> Route:
    return Route(decode=selective_envelope_decoder(tuple(APPLY)), handle=AdvisorActionHandler())
