"""The anonymous dialogue: a client follows up with nothing but the receipt code.

GET/POST /v1/dialogue/messages, POST /v1/dialogue/feedback (a 1-5 rating) and DELETE /v1/dialogue
(erase my personal data), each with header `X-Receipt-Code`. No identity is asked or kept; the
code is looked up by its hash. Messages rest sealed under the case key, and the assigned advisor
reads and answers them through the case file.

A wrong code, a missing code and the code of an erased case get the same answer (404
`unknown_receipt_code`) and count towards the limits (receipt_guess_limits.py): past them a wrong code gets
429 `too_many_attempts` with Retry-After. A correct code is never refused.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from services.intake.adapters.receipt_guess_limits import GuessBudget, ReceiptGuessLimiter
from services.intake.adapters.tables import (
    assignments,
    cases,
    client_feedback,
    messages,
    receipt_code_failures,
)
from services.intake.application.emit import emitter_for
from services.intake.application.open_case import receipt_hash
from services.intake.application.retention import Erasure, erase_case
from services.intake.entrypoints.case_file import MAX_MESSAGE_CHARS, _json_body
from services.intake.metrics import IntakeMetrics
from services.intake.settings import IntakeSettings
from shared.contracts.intake import ClientFeedbackGiven, ClientMessagePosted
from shared.crypto import CaseCipher, DecryptionFailed, KeyErased, KeyNotFound, Sealed
from shared.db import insert_ignoring_duplicates
from shared.outbox import Outgoing
from shared.runtime import ServiceContext
from shared.unit_of_work import UnitOfWork

RECEIPT_HEADER = "x-receipt-code"
UNKNOWN_CODE = "unknown_receipt_code"


class _UnknownCode(Exception):
    """The code opens no live case (wrong, missing, or the case was erased)."""


def _unknown() -> JSONResponse:
    return JSONResponse({"status": "refused", "reason": UNKNOWN_CODE}, status_code=404)


def _invalid(reason: str = "invalid_body") -> JSONResponse:
    return JSONResponse({"status": "refused", "reason": reason}, status_code=400)


class DialogueApi:
    def __init__(
        self, context: Callable[[], ServiceContext], metrics: Callable[[], IntakeMetrics | None]
    ) -> None:
        self._context = context
        self._metrics = metrics
        self._limiter: ReceiptGuessLimiter | None = None

    def limiter(self) -> ReceiptGuessLimiter:
        if self._limiter is None:
            s = self._context().settings
            assert isinstance(s, IntakeSettings)
            budget = GuessBudget(
                per_code=s.receipt_failures_per_code,
                code_window=timedelta(seconds=s.receipt_code_window_seconds),
                global_failures=s.receipt_global_failures_per_minute,
            )
            self._limiter = ReceiptGuessLimiter(receipt_code_failures, budget)
        return self._limiter

    def _count_denied(self, reason: str) -> None:
        metrics = self._metrics()
        if metrics is not None:
            metrics.access_denied.labels(reason).inc()

    async def _run(
        self, request: Request, act: Callable[[AsyncConnection, Any, datetime], Any]
    ) -> JSONResponse:
        """Look the code up, run `act(conn, case_row, now)` in one unit of work. A correct code
        always gets there and clears its counter; a wrong one is counted (receipt_guess_limits.py)."""
        ctx = self._context()
        now = ctx.clock()
        code = request.headers.get(RECEIPT_HEADER, "")
        code_hash = receipt_hash(code[:64])

        async def work(conn: AsyncConnection) -> tuple[JSONResponse, list[Outgoing]]:
            row = None
            if 0 < len(code) <= 64:
                row = (await conn.execute(select(cases).where(cases.c.receipt_hash == code_hash))).first()
            if row is None or row.erased_at is not None:
                raise _UnknownCode
            try:
                response, out = await act(conn, row, now)
            except (KeyErased, KeyNotFound, DecryptionFailed):
                raise _UnknownCode from None
            await self.limiter().right_code(conn, code_hash)
            return response, out

        try:
            return await UnitOfWork.of(ctx).run(work)
        except _UnknownCode:
            pass
        async with ctx.engine.begin() as conn:
            refusal = await self.limiter().wrong_code(conn, code_hash, now)
        if refusal is None:
            self._count_denied("receipt_code_unknown")
            return _unknown()
        self._count_denied("receipt_rate_limited")
        return JSONResponse(
            {"status": "refused", "reason": "too_many_attempts"},
            status_code=429,
            headers={"Retry-After": str(max(1, int(refusal.retry_after + 0.999)))},
        )

    async def read(self, request: Request) -> JSONResponse:
        keystore = self._context().keystore
        assert keystore is not None

        async def act(conn: AsyncConnection, case: Any, now: datetime) -> tuple[JSONResponse, list[Outgoing]]:
            key = await keystore.get_key(case.case_id, use_cache=False)
            rows = await conn.execute(
                select(messages).where(messages.c.case_id == case.case_id).order_by(messages.c.posted_at)
            )
            thread = [
                {
                    "author": r.author,
                    "posted_at": r.posted_at.isoformat(),
                    "text": CaseCipher.open_with_key(
                        key, case.case_id, "dialogue", Sealed.model_validate_json(r.content_sealed)
                    )["text"],
                }
                for r in rows
            ]
            accepted = (
                await conn.execute(
                    select(assignments.c.accepted_at).where(assignments.c.case_id == case.case_id)
                )
            ).scalar()
            status = "closed" if case.status == "closed" else ("accepted" if accepted else "received")
            rated = (
                await conn.execute(
                    select(client_feedback.c.case_id).where(client_feedback.c.case_id == case.case_id)
                )
            ).first() is not None
            body = {"case_ref": case.case_id, "status": status, "messages": thread, "feedback_given": rated}
            return JSONResponse(body, headers={"Cache-Control": "no-store"}), []

        return await self._run(request, act)

    async def post(self, request: Request) -> JSONResponse:
        body = await _json_body(request)
        text = body.get("text") if body else None
        if (
            body is None
            or set(body) != {"text"}
            or not isinstance(text, str)
            or not 0 < len(text) <= MAX_MESSAGE_CHARS
        ):
            return _invalid()
        keystore = self._context().keystore
        assert keystore is not None

        async def act(conn: AsyncConnection, case: Any, now: datetime) -> tuple[JSONResponse, list[Outgoing]]:
            if case.status == "closed":
                return JSONResponse({"status": "refused", "reason": "case_closed"}, status_code=409), []
            sealed = await CaseCipher(keystore).seal(case.case_id, "dialogue", {"text": text})
            message_id = str(uuid.uuid4())
            await conn.execute(
                messages.insert().values(
                    message_id=message_id,
                    case_id=case.case_id,
                    author="client",
                    advisor_id=None,
                    posted_at=now,
                    content_sealed=sealed.model_dump_json(),
                    counts_as_feedback=False,
                )
            )
            event = ClientMessagePosted(
                case_id=case.case_id, message_id=message_id, posted_at=now, content=sealed
            )
            out = [emitter_for(f"client-message:{message_id}", now)(event, case.case_id)]
            return JSONResponse({"status": "posted", "message_id": message_id}, status_code=201), out

        return await self._run(request, act)

    async def rate(self, request: Request) -> JSONResponse:
        body = await _json_body(request)
        rating = body.get("rating") if body else None
        if body is None or set(body) != {"rating"} or type(rating) is not int or not 1 <= rating <= 5:
            return _invalid()
        assert isinstance(rating, int)

        async def act(conn: AsyncConnection, case: Any, now: datetime) -> tuple[JSONResponse, list[Outgoing]]:
            inserted = await conn.execute(
                insert_ignoring_duplicates(conn, client_feedback, ["case_id"]).values(
                    case_id=case.case_id, given_at=now
                )
            )
            if not inserted.rowcount:
                return JSONResponse(
                    {"status": "refused", "reason": "feedback_already_given"}, status_code=409
                ), []
            event = ClientFeedbackGiven(case_id=case.case_id, rating=rating, given_at=now)
            out = [emitter_for(f"client-feedback:{case.case_id}", now)(event, case.case_id)]
            return JSONResponse({"status": "recorded"}, status_code=201), out

        return await self._run(request, act)

    async def erase(self, request: Request) -> JSONResponse:
        keystore = self._context().keystore
        assert keystore is not None

        async def act(conn: AsyncConnection, case: Any, now: datetime) -> tuple[JSONResponse, list[Outgoing]]:
            erasure, out = await erase_case(conn, keystore, case.case_id, "client_request", now)
            return JSONResponse({"status": _erasure_status(erasure)}), out

        return await self._run(request, act)

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/v1/dialogue/messages", self.read, methods=["GET"]),
            Route("/v1/dialogue/messages", self.post, methods=["POST"]),
            Route("/v1/dialogue/feedback", self.rate, methods=["POST"]),
            Route("/v1/dialogue", self.erase, methods=["DELETE"]),
        ]


def _erasure_status(erasure: Erasure) -> str:
    return "erased" if erasure.outcome in ("erased", "already_erased") else "unknown"
