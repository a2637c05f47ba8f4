"""The case file's use cases for the case's current assignee: read it, post a message to the client.

Each decides inside the caller's unit of work. First the advisor-command gate
(shared/advisor_commands.py: the token proves the advisor signed exactly this request, and that
advisor is the case's assignee), then the lifecycle rules. A refusal of a proven advisor is
recorded as AdvisorCommandRejected; one before the token proved anyone is only answered. A case
whose key is gone (erased) is refused as `not_assignee`, like any case that is not the advisor's.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncConnection

from services.intake.adapters.assignments import current_assignee, load_case_state
from services.intake.adapters.case_file_queries import assemble_case_file, record_read
from services.intake.adapters.dialogue_messages import add_message
from services.intake.application import legal_deadlines
from services.intake.application.advisor_commands import GATE
from services.intake.application.emit import emitter_for
from services.intake.domain.lifecycle import refusal
from services.intake.domain.messages import is_message_text
from services.intake.domain.submission import PersonInvolved
from shared.advisor_commands import SignedCommand, rejection
from shared.auth import Refusal as GateRefusal
from shared.auth import VerifiedToken, peek_claims
from shared.contracts.intake import AdvisorMessagePosted, CaseFactsAmended, CaseFileRead
from shared.crypto import CaseCipher, DecryptionFailed, KeyErased, KeyNotFound, KeyStore, Sealed
from shared.emitter import Emitter
from shared.outbox import Outgoing
from shared.unit_of_work import Decision


@dataclass(frozen=True, slots=True)
class Refusal:
    reason: str
    advisor_id: str | None = None  # set when the token proved who asked
    recorded: bool = False  # True: an AdvisorCommandRejected event records (and counts) it


@dataclass(frozen=True, slots=True)
class AdvisorRequest:
    """What the advisor signed: the action on this case, with the digest over `body`."""

    token: str
    action: str
    case_id: str
    body: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class AdvisorMessage:
    text: str
    counts_as_feedback: bool

    @classmethod
    def of(cls, body: dict[str, Any] | None) -> AdvisorMessage | None:
        """The message a request body asks to post; None for a body that is not one."""
        if body is None or set(body) - {"text", "counts_as_feedback"}:
            return None
        text, feedback = body.get("text"), body.get("counts_as_feedback", False)
        return cls(text, feedback) if is_message_text(text) and isinstance(feedback, bool) else None


# The purpose routing opens amended facts with (services/routing/adapters/facts.py).
AMENDED_FACTS = "amended_facts"
MAX_ADDED_PERSONS = 10


@dataclass(frozen=True, slots=True)
class AddedPersons:
    persons: tuple[PersonInvolved, ...]

    @classmethod
    def of(cls, body: dict[str, Any] | None) -> AddedPersons | None:
        """The persons a request body adds (1 to MAX_ADDED_PERSONS, each a valid PersonInvolved with
        a role); None for a body that is not that. Nothing of the body is echoed anywhere."""
        if body is None or set(body) != {"persons_involved"}:
            return None
        raw = body["persons_involved"]
        if not isinstance(raw, list) or not 1 <= len(raw) <= MAX_ADDED_PERSONS:
            return None
        try:
            persons = tuple(PersonInvolved.model_validate_json(json.dumps(p)) for p in raw)
        except ValueError:
            return None
        return cls(persons) if all(p.role is not None for p in persons) else None

    def document(self) -> dict[str, Any]:
        return {"persons_involved": [p.model_dump(mode="json", exclude_none=True) for p in self.persons]}


@dataclass(frozen=True, slots=True)
class Amended:
    amendment_id: str


@dataclass(frozen=True, slots=True)
class Posted:
    message_id: str
    counts_as_feedback: bool


async def admit(conn: AsyncConnection, asked: AdvisorRequest, now: datetime) -> VerifiedToken | Refusal:
    """The advisor-command gate, then the lifecycle rules."""
    command = SignedCommand(asked.token, asked.action, asked.case_id, asked.body, advisor_id=None)
    admitted = await GATE.admit(conn, command, current_assignee, now=now)
    if isinstance(admitted, GateRefusal):
        if not admitted.proven:
            return Refusal(admitted.reason)
        return Refusal(admitted.reason, peek_claims(asked.token).advisor_id, recorded=True)
    reason = refusal(asked.action, admitted.advisor_id, await load_case_state(conn, asked.case_id))
    return Refusal(reason, admitted.advisor_id, recorded=True) if reason else admitted


def _recorded(emit: Emitter, asked: AdvisorRequest, refused: Refusal) -> list[Outgoing]:
    """AdvisorCommandRejected for a refusal of a proven advisor; nothing for one before the token proved anyone."""
    if not refused.recorded:
        return []
    gate_refusal = GateRefusal(refused.reason, proven=True)
    return [rejection(emit, asked.action, gate_refusal, asked.case_id, refused.advisor_id)]


class CaseFileUseCases:
    def __init__(self, keystore: KeyStore, events: Table) -> None:
        self._keystore = keystore
        self._events = events

    async def read(
        self, conn: AsyncConnection, asked: AdvisorRequest, now: datetime
    ) -> Decision[dict[str, Any] | Refusal]:
        """The case file, with this read recorded in its access log (CaseFileRead)."""
        emit = emitter_for(f"http:{uuid.uuid4()}", now)
        admitted = await admit(conn, asked, now)
        if isinstance(admitted, Refusal):
            return Decision(admitted, _recorded(emit, asked, admitted))
        try:
            file = await assemble_case_file(conn, self._keystore, self._events, asked.case_id)
        except (KeyErased, KeyNotFound, DecryptionFailed):
            gone = Refusal("not_assignee", admitted.advisor_id, recorded=True)
            return Decision(gone, _recorded(emit, asked, gone))
        file["access_log"].append(await record_read(conn, asked.case_id, admitted.advisor_id, now))
        read = CaseFileRead(case_id=asked.case_id, advisor_id=admitted.advisor_id, read_at=now)
        return Decision(file, [emit(read, asked.case_id)])

    async def post_message(
        self, conn: AsyncConnection, asked: AdvisorRequest, message: AdvisorMessage, now: datetime
    ) -> Decision[Posted | Refusal]:
        """The advisor's message to the client, sealed; it may count as the legal feedback."""
        message_id = str(uuid.uuid4())
        emit = emitter_for(f"advisor-message:{message_id}", now)
        admitted = await admit(conn, asked, now)
        if isinstance(admitted, Refusal):
            return Decision(admitted, _recorded(emit, asked, admitted))
        try:
            sealed = await CaseCipher(self._keystore).seal(asked.case_id, "dialogue", {"text": message.text})
        except (KeyErased, KeyNotFound):
            gone = Refusal("not_assignee", admitted.advisor_id, recorded=True)
            return Decision(gone, _recorded(emit, asked, gone))
        return await _post(conn, emit, asked.case_id, admitted.advisor_id, message_id, sealed, message)

    async def amend_facts(
        self, conn: AsyncConnection, asked: AdvisorRequest, added: AddedPersons, now: datetime
    ) -> Decision[Amended | Refusal]:
        return await amend_facts(self._keystore, conn, asked, added, now)


async def amend_facts(
    keystore: KeyStore, conn: AsyncConnection, asked: AdvisorRequest, added: AddedPersons, now: datetime
) -> Decision[Amended | Refusal]:
    """The assignee adds persons involved: sealed under the case key with routing's purpose and
    published as CaseFactsAmended (routing re-checks the assignment; the case file shows them)."""
    amendment_id = str(uuid.uuid4())
    emit = emitter_for(f"case-facts:{amendment_id}", now)
    admitted = await admit(conn, asked, now)
    if isinstance(admitted, Refusal):
        return Decision(admitted, _recorded(emit, asked, admitted))
    try:
        sealed = await CaseCipher(keystore).seal(asked.case_id, AMENDED_FACTS, added.document())
    except (KeyErased, KeyNotFound):
        gone = Refusal("not_assignee", admitted.advisor_id, recorded=True)
        return Decision(gone, _recorded(emit, asked, gone))
    amended = CaseFactsAmended(
        case_id=asked.case_id,
        amendment_id=amendment_id,
        advisor_id=admitted.advisor_id,
        amended_at=now,
        added_facts=sealed,
    )
    return Decision(Amended(amendment_id), [emit(amended, asked.case_id)])


async def _post(
    conn: AsyncConnection,
    emit: Emitter,
    case_id: str,
    advisor_id: str,
    message_id: str,
    sealed: Sealed,
    message: AdvisorMessage,
) -> Decision[Posted | Refusal]:
    met = await legal_deadlines.give_feedback(conn, case_id, emit) if message.counts_as_feedback else None
    counts = met is not None
    await add_message(
        conn,
        case_id,
        sealed,
        message_id=message_id,
        author="advisor",
        advisor_id=advisor_id,
        posted_at=emit.now,
        counts_as_feedback=counts,
    )
    posted = AdvisorMessagePosted(
        case_id=case_id,
        message_id=message_id,
        advisor_id=advisor_id,
        posted_at=emit.now,
        content=sealed,
        counts_as_feedback=counts,
    )
    return Decision(Posted(message_id, counts), [emit(posted, case_id), *(met or [])])
