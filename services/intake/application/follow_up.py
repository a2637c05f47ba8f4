"""The client's follow-up with nothing but the receipt code: read the dialogue, post a message, rate
the help (1-5), erase the personal data.

`ReceiptCodeAccess` looks the code up by its hash and runs the use case with the case it opens, in
one unit of work. A wrong code, a missing code and the code of an erased case are all a `WrongCode`
(as is a case whose key is gone), counted towards the limits (adapters/receipt_guess_limits.py);
past them the answer says when to try again. A correct code is never refused and clears its counter.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.intake.adapters import client_follow_up as records
from services.intake.adapters.client_meetings import of_case as meetings_of_case
from services.intake.adapters.dialogue_messages import add_message, message_exists, read_thread
from services.intake.adapters.receipt_guess_limits import ReceiptGuessLimiter
from services.intake.adapters.receipt_guess_limits import Refusal as GuessRefusal
from services.intake.application.emit import emitter_for
from services.intake.application.open_case import receipt_hash
from services.intake.application.retention import Erasure, erase_case
from services.intake.domain.meetings import next_planned
from shared.contracts.intake import ClientFeedbackGiven, ClientMessagePosted
from shared.crypto import CaseCipher, DecryptionFailed, KeyErased, KeyNotFound, KeyStore
from shared.unit_of_work import Decision, UnitOfWork

T = TypeVar("T")
RESEND_NAMESPACE = uuid.UUID("5a1d3f0e-9b7c-4c21-8f5e-2d6b0a4e9c17")  # message ids of resent page forms
# A use case run with the case row the receipt code opened.
Act = Callable[[AsyncConnection, Any, datetime], Awaitable[Decision[T]]]


@dataclass(frozen=True, slots=True)
class WrongCode:
    """The code opens no live case. `limited`: past the limits, with the time to wait."""

    limited: GuessRefusal | None


@dataclass(frozen=True, slots=True)
class Refused:
    """The case is open to the code, but not to this: `case_closed`, `feedback_already_given`."""

    reason: str


class _NoCase(Exception):
    pass


@dataclass
class ReceiptCodeAccess:
    uow: UnitOfWork
    engine: AsyncEngine
    limiter: ReceiptGuessLimiter

    async def run(self, code: str, now: datetime, act: Act[T]) -> T | WrongCode:
        code_hash = receipt_hash(code[:64])
        try:
            return await self.uow.run(lambda conn: self._with_case(conn, code, code_hash, now, act))
        except _NoCase:
            pass
        async with self.engine.begin() as conn:
            return WrongCode(await self.limiter.wrong_code(conn, code_hash, now))

    async def _with_case(
        self, conn: AsyncConnection, code: str, code_hash: str, now: datetime, act: Act[T]
    ) -> Decision[T]:
        case = await records.case_by_receipt_hash(conn, code_hash) if 0 < len(code) <= 64 else None
        if case is None or case.erased_at is not None:
            raise _NoCase
        try:
            decision = await act(conn, case, now)
        except (KeyErased, KeyNotFound, DecryptionFailed):
            raise _NoCase from None
        await self.limiter.right_code(conn, code_hash)
        return decision


class FollowUpUseCases:
    def __init__(self, keystore: KeyStore) -> None:
        self._keystore = keystore

    async def read(self, conn: AsyncConnection, case: Any, now: datetime) -> Decision[dict[str, Any]]:
        """The dialogue, where the case stands and the next planned meeting, as the client sees them."""
        key = await self._keystore.get_key(case.case_id, use_cache=False)
        thread = [
            {
                "message_id": m.message_id,
                "author": m.author,
                "posted_at": m.posted_at.isoformat(),
                "text": m.text,
            }
            for m in await read_thread(conn, key, case.case_id)
        ]
        accepted = await records.accepted_at(conn, case.case_id)
        status = "closed" if case.status == "closed" else ("accepted" if accepted else "received")
        rated = await records.feedback_given(conn, case.case_id)
        meeting = next_planned(await meetings_of_case(conn, case.case_id), now)
        return Decision(
            {
                "case_ref": case.case_id,
                "status": status,
                "messages": thread,
                "feedback_given": rated,
                "next_meeting": None
                if meeting is None or status == "closed"
                else {
                    "start": meeting.start.isoformat(),
                    "end": meeting.end.isoformat(),
                    "mode": meeting.mode,
                },
            }
        )

    def and_read(self, act: Act[T]) -> Act[tuple[T, dict[str, Any]]]:
        """`act`, then the thread as it stands after it, in the same unit of work (a page that
        answers a reply or a rating shows the dialogue with it)."""

        async def both(conn: AsyncConnection, case: Any, now: datetime) -> Decision[tuple[T, dict[str, Any]]]:
            done = await act(conn, case, now)
            view = await self.read(conn, case, now)
            return Decision((done.result, view.result), done.outgoing, done.settled)

        return both

    async def post(
        self, conn: AsyncConnection, case: Any, now: datetime, text: str, resend_key: str | None = None
    ) -> Decision[str | Refused]:
        """The client's message to the advisor, sealed; its message id. A `resend_key` (the page's
        reply form carries one) makes sending the same form again post nothing new."""
        if case.status == "closed":
            return Decision(Refused("case_closed"))
        message_id = str(
            uuid.uuid5(RESEND_NAMESPACE, f"{case.case_id}:{resend_key}") if resend_key else uuid.uuid4()
        )
        if resend_key and await message_exists(conn, case.case_id, message_id):
            return Decision(message_id)
        sealed = await CaseCipher(self._keystore).seal(case.case_id, "dialogue", {"text": text})
        await add_message(
            conn, case.case_id, sealed, message_id=message_id, author="client", advisor_id=None, posted_at=now
        )
        event = ClientMessagePosted(
            case_id=case.case_id, message_id=message_id, posted_at=now, content=sealed
        )
        return Decision(message_id, [emitter_for(f"client-message:{message_id}", now)(event, case.case_id)])

    async def rate(
        self, conn: AsyncConnection, case: Any, now: datetime, rating: int
    ) -> Decision[Refused | None]:
        """The client's one rating of the help (1-5)."""
        if not await records.record_feedback(conn, case.case_id, now):
            return Decision(Refused("feedback_already_given"))
        event = ClientFeedbackGiven(case_id=case.case_id, rating=rating, given_at=now)
        return Decision(None, [emitter_for(f"client-feedback:{case.case_id}", now)(event, case.case_id)])

    async def erase(self, conn: AsyncConnection, case: Any, now: datetime) -> Decision[Erasure]:
        """Erase the case's personal data at the client's request."""
        erasure, out = await erase_case(conn, self._keystore, case.case_id, "client_request", now)
        return Decision(erasure, out)
