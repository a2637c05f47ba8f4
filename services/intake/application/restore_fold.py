"""Intake's restore fold (D55): its own published events, written back into a restored database.

`caseflow restore` hands `shared.restore_fold.apply_published` the events intake published after
the backup's output offsets and not held by the restored `events` table; this fold writes, per
event in log order, the rows the live path wrote when it emitted it: the case with the receipt
code the client was given, its status, erasure, dialogue, access log, legal deadlines, rating and
acceptance, and the rejections. Events that change no intake table (time, outcomes, training,
supervision, amended facts: the case file reads those from `events`) are only appended.

What intake consumes from other services (assignments, meetings, the directory) is not intake's
output: the restored group offsets give it back. Its causes are the inputs whose whole effect the
events carry, so that consuming them again is a no-op: Kafka submissions (their inbox key is the
CaseOpened's or SubmissionRejected's causation) and advisor commands on advisor.actions.v1 whose
token proved the advisor (the answer's causation is the command's event id). A command refused
before its token proved anyone is answered under a one-way id of the command's (shared/auth.py
`unproven_cause`): it is not named and is refused again when consumed again, under the same event id.

The token ids (jti) the skipped commands claimed are claimed again from the commands themselves
(`SKIPPED_COMMANDS`, read from advisor.actions.v1 by the restore). Not rebuilt, because nothing
intake publishes or consumes carries it: the jti of tokens that came with HTTP requests (the
workbench's replies; a replay within the token's lifetime would be admitted once), the wrong-code
counters, and which way a case came in (an HTTP submission's inbox entry is recorded under the
submissions topic, not "http").
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.intake.adapters.client_meetings import forget_case as forget_meetings
from services.intake.adapters.directory import RETRYABLE_REASONS
from services.intake.adapters.tables import (
    assignments,
    case_access,
    cases,
    client_feedback,
    legal_deadlines,
    messages,
    rejections,
    used_tokens,
)
from services.intake.application.open_case import receipt_hash
from services.intake.domain.lifecycle import (
    ACCEPT,
    CLOSE,
    LOG_TIME,
    PROVIDE_FEEDBACK,
    RECORD_OUTCOME,
    REGISTER_SUPERVISION,
    REGISTER_TRAINING,
)
from shared.auth import AuthError, peek_claims
from shared.contracts.advisor_commands import AdvisorCommandRejected
from shared.contracts.intake import (
    AdvisorMessagePosted,
    CaseAccepted,
    CaseClosed,
    CaseFileRead,
    CaseOpened,
    CasePersonalDataErased,
    ClientFeedbackGiven,
    ClientMessagePosted,
    LegalDeadlineDue,
    LegalDeadlineMet,
    LegalDeadlineMissed,
    LegalDeadlineSet,
    OutcomeRecorded,
    SubmissionRejected,
    SupervisionRegistered,
    TimeLogged,
    TrainingRegistered,
)
from shared.crypto import CaseCipher, KeyStore, Sealed
from shared.db import insert_ignoring_duplicates
from shared.envelope import Envelope
from shared.restore_fold import Cause, PublishedEvent, SkippedInputs
from shared.topics import ADVISOR_ACTIONS, INTAKE_SUBMISSIONS

# The commands on advisor.actions.v1 intake applies (entrypoints/advisor_actions.py APPLY).
COMMANDS = frozenset(
    {ACCEPT, LOG_TIME, RECORD_OUTCOME, CLOSE, PROVIDE_FEEDBACK, REGISTER_TRAINING, REGISTER_SUPERVISION}
)
# Answers only an applied advisor command gives: their causation is the command's event id.
COMMAND_ANSWERS = (
    CaseAccepted,
    TimeLogged,
    OutcomeRecorded,
    CaseClosed,
    TrainingRegistered,
    SupervisionRegistered,
)
# The cause intake gives a message the assignee posts over HTTP (application/case_file.py).
ADVISOR_MESSAGE_CAUSE = "advisor-message:"
# The inbox keys of submissions (entrypoints/submission_consumer.py submission_message_id).
SUBMISSION_CAUSES = ("submission:", "position:")

Write = Callable[[AsyncConnection, Any], Awaitable[None]]


def cause_of(envelope: Envelope[Any]) -> Cause | None:
    """The consumed input whose whole effect `envelope` records; None for a request over HTTP, a
    job run, a follow-on event, or a command refused before its token proved anyone."""
    event, causation = envelope.payload, envelope.causation_id or ""
    if isinstance(event, CaseOpened | SubmissionRejected) and causation.startswith(SUBMISSION_CAUSES):
        http = isinstance(event, SubmissionRejected) and event.source == "http"
        return Cause(causation, "http" if http else INTAKE_SUBMISSIONS.name)
    if isinstance(event, COMMAND_ANSWERS):
        return Cause(causation, ADVISOR_ACTIONS.name)
    if isinstance(event, AdvisorCommandRejected) and event.command in COMMANDS and event.advisor_id:
        return Cause(causation, ADVISOR_ACTIONS.name)
    if isinstance(event, LegalDeadlineMet) and event.deadline == "feedback":
        # ProvideFeedback's only answer; a feedback message over HTTP has a cause of its own.
        return None if causation.startswith(ADVISOR_MESSAGE_CAUSE) else Cause(causation, ADVISOR_ACTIONS.name)
    return None


class IntakeRestoreFold:
    """The RestoreFold of intake (shared/restore_fold.py), over its key store for the receipt codes."""

    def __init__(self, keystore: KeyStore) -> None:
        self._keystore = keystore
        self._writes: dict[type[Any], Write] = {
            CaseOpened: self._opened,
            SubmissionRejected: _rejected,
            CaseAccepted: _accepted,
            CaseClosed: _closed,
            CaseFileRead: _read,
            ClientMessagePosted: _client_message,
            AdvisorMessagePosted: _advisor_message,
            ClientFeedbackGiven: _rated,
            LegalDeadlineSet: _deadline_set,
            LegalDeadlineDue: _deadline_due,
            LegalDeadlineMissed: _deadline_missed,
            LegalDeadlineMet: _deadline_met,
            CasePersonalDataErased: self._erased,
        }

    async def __call__(
        self, conn: AsyncConnection, events: Sequence[PublishedEvent], now: datetime
    ) -> list[Cause]:
        causes: list[Cause] = []
        for published in events:
            payload = published.envelope.payload
            write = self._writes.get(type(payload))
            if write is not None:
                await write(conn, payload)
            if (cause := cause_of(published.envelope)) is not None:
                causes.append(cause)
        return causes

    async def _opened(self, conn: AsyncConnection, event: CaseOpened) -> None:
        """The case row as take_in wrote it, the receipt code as the client was given it."""
        code = await self._receipt_code(event.case_id, event.receipt)
        row = {
            "case_id": event.case_id,
            "submission_id": event.submission_id,
            # A code that cannot be opened (an older record, or the key is gone) opens nothing:
            # the row looks like an erased one's, as erasure leaves it.
            "receipt_hash": f"erased:{event.case_id}" if code is None else receipt_hash(code),
            "receipt_sealed": ""
            if code is None or event.receipt is None
            else event.receipt.model_dump_json(),
            "organisation_id": event.organisation_id,
            "unit_id": event.unit_id,
            "is_whistleblower_report": event.is_whistleblower_report,
            "opened_at": event.opened_at,
            "status": "open",
        }
        await conn.execute(insert_ignoring_duplicates(conn, cases, ["case_id"]).values(**row))

    async def _receipt_code(self, case_id: str, sealed: Sealed | None) -> str | None:
        if sealed is None:
            return None
        try:
            key = await self._keystore.get_key(case_id, use_cache=False)
        except LookupError:  # erased, or a key store older than the database (D55: it must not be)
            return None
        code: str = CaseCipher.open_with_key(key, case_id, "receipt", sealed)
        return code

    async def _erased(self, conn: AsyncConnection, event: CasePersonalDataErased) -> None:
        """As retention.erase_case: the key goes (if a key store older than the erasure still held
        it), then the dialogue, the meetings and the receipt code's hash and sealed copy."""
        await self._keystore.erase(event.case_id, event.reason, event.erased_at)
        await conn.execute(messages.delete().where(messages.c.case_id == event.case_id))
        await forget_meetings(conn, event.case_id)
        await conn.execute(
            cases.update()
            .where(cases.c.case_id == event.case_id, cases.c.erased_at.is_(None))
            .values(erased_at=event.erased_at, receipt_hash=f"erased:{event.case_id}", receipt_sealed="")
        )


async def _rejected(conn: AsyncConnection, event: SubmissionRejected) -> None:
    if event.reason in RETRYABLE_REASONS:  # not kept by the live path either: a retry is judged afresh
        return
    row = {
        "submission_id": event.submission_id,
        "source": event.source,
        "source_position": event.source_position,
        "reason": event.reason,
        "field": event.field,
        "rejected_at": event.rejected_at,
    }
    await conn.execute(insert_ignoring_duplicates(conn, rejections, ["submission_id"]).values(**row))


async def _accepted(conn: AsyncConnection, event: CaseAccepted) -> None:
    """The acceptor was the assignee when it was applied (the gate checked), by the decision the
    event names. The decisions before it are consumed again after this fold: a reassignment away
    resets the acceptance and the decision it accepted gives it back (adapters/assignments.py); one
    to the same advisor keeps it. An event from before decisions were named (no `decision_id`) is
    kept only until a reassignment away (D55)."""
    accepted = {
        "accepted_by": event.advisor_id,
        "accepted_at": event.accepted_at,
        "acceptance_by": event.advisor_id,
        "acceptance_at": event.accepted_at,
        "acceptance_decision_id": event.decision_id,
    }
    held = {"advisor_id": event.advisor_id, "state": "assigned", "decision_id": event.decision_id}
    known = await conn.execute(select(assignments.c.case_id).where(assignments.c.case_id == event.case_id))
    if known.first() is None:
        await conn.execute(
            assignments.insert().values(
                case_id=event.case_id, decided_at=event.accepted_at, **held, **accepted
            )
        )
        return
    await conn.execute(
        assignments.update().where(assignments.c.case_id == event.case_id).values(**held, **accepted)
    )


async def _closed(conn: AsyncConnection, event: CaseClosed) -> None:
    await conn.execute(
        cases.update()
        .where(cases.c.case_id == event.case_id)
        .values(status="closed", closed_at=event.closed_at)
    )


async def _read(conn: AsyncConnection, event: CaseFileRead) -> None:
    await conn.execute(
        case_access.insert().values(case_id=event.case_id, advisor_id=event.advisor_id, read_at=event.read_at)
    )


async def _message(conn: AsyncConnection, row: dict[str, Any]) -> None:
    await conn.execute(insert_ignoring_duplicates(conn, messages, ["message_id"]).values(**row))


async def _client_message(conn: AsyncConnection, event: ClientMessagePosted) -> None:
    await _message(
        conn,
        {
            "message_id": event.message_id,
            "case_id": event.case_id,
            "author": "client",
            "advisor_id": None,
            "posted_at": event.posted_at,
            "content_sealed": event.content.model_dump_json(),
            "counts_as_feedback": False,
        },
    )


async def _advisor_message(conn: AsyncConnection, event: AdvisorMessagePosted) -> None:
    await _message(
        conn,
        {
            "message_id": event.message_id,
            "case_id": event.case_id,
            "author": "advisor",
            "advisor_id": event.advisor_id,
            "posted_at": event.posted_at,
            "content_sealed": event.content.model_dump_json(),
            "counts_as_feedback": event.counts_as_feedback,
        },
    )


async def _rated(conn: AsyncConnection, event: ClientFeedbackGiven) -> None:
    statement = insert_ignoring_duplicates(conn, client_feedback, ["case_id"])
    await conn.execute(statement.values(case_id=event.case_id, given_at=event.given_at))


async def _deadline_set(conn: AsyncConnection, event: LegalDeadlineSet) -> None:
    statement = insert_ignoring_duplicates(conn, legal_deadlines, ["case_id", "deadline"])
    await conn.execute(
        statement.values(
            case_id=event.case_id,
            deadline=event.deadline,
            basis_on=event.basis_on,
            due_on=event.due_on,
            state="open",
            due_noticed=False,
            missed_noticed=False,
        )
    )


async def _update_deadline(conn: AsyncConnection, case_id: str, deadline: str, **values: Any) -> None:
    ld = legal_deadlines.c
    await conn.execute(
        legal_deadlines.update().where(ld.case_id == case_id, ld.deadline == deadline).values(**values)
    )


async def _deadline_due(conn: AsyncConnection, event: LegalDeadlineDue) -> None:
    await _update_deadline(conn, event.case_id, event.deadline, due_noticed=True)


async def _deadline_missed(conn: AsyncConnection, event: LegalDeadlineMissed) -> None:
    await _update_deadline(conn, event.case_id, event.deadline, missed_noticed=True, state="missed")


async def _deadline_met(conn: AsyncConnection, event: LegalDeadlineMet) -> None:
    await _update_deadline(conn, event.case_id, event.deadline, state="met", met_at=event.met_at)


async def claim_tokens_of_skipped_commands(
    conn: AsyncConnection, commands: Sequence[Envelope[Any]], now: datetime
) -> None:
    """The token ids of the advisor commands the fold named as causes (shared.restore_fold
    SkippedInputs): they will not be consumed again, so their jti is claimed here, as the gate
    claimed it when it admitted them, and a replay of one of those tokens stays refused. The fold
    names only commands whose published answer proves the token was verified, so reading the
    claims without the signature claims nothing a forger chose."""
    for command in commands:
        token = getattr(command.payload, "auth", "")
        try:
            claims = peek_claims(token)
        except AuthError:
            continue
        await conn.execute(
            insert_ignoring_duplicates(conn, used_tokens, ["jti"]).values(
                jti=claims.jti, advisor_id=claims.advisor_id, expires_at=claims.expires_at, used_at=now
            )
        )


SKIPPED_COMMANDS = SkippedInputs((ADVISOR_ACTIONS.name,), claim_tokens_of_skipped_commands)
