"""The anonymous dialogue: a client follows up with nothing but the receipt code.

GET/POST /v1/dialogue/messages, POST /v1/dialogue/feedback (a 1-5 rating) and DELETE /v1/dialogue
(erase my personal data), each with header `X-Receipt-Code`. No identity is asked or kept; the
code is looked up by its hash. Messages rest sealed under the case key, and the assigned advisor
reads and answers them through the case file (the use cases: services/intake/application/follow_up.py).

A wrong code, a missing code and the code of an erased case get the same answer (404
`unknown_receipt_code`) and count towards the limits (receipt_guess_limits.py): past them a wrong code gets
429 `too_many_attempts` with Retry-After. A correct code is never refused.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from services.intake.adapters.receipt_guess_limits import GuessBudget, ReceiptGuessLimiter
from services.intake.adapters.tables import receipt_code_failures
from services.intake.application.follow_up import (
    Act,
    FollowUpUseCases,
    ReceiptCodeAccess,
    Refused,
    WrongCode,
)
from services.intake.application.retention import Erasure
from services.intake.domain.messages import is_message_text
from services.intake.entrypoints.request_bodies import json_object_body
from services.intake.metrics import IntakeMetrics
from services.intake.settings import IntakeSettings
from shared.runtime import ServiceContext
from shared.unit_of_work import UnitOfWork

RECEIPT_HEADER = "x-receipt-code"
UNKNOWN_CODE = "unknown_receipt_code"
T = TypeVar("T")


def _unknown() -> JSONResponse:
    return JSONResponse({"status": "refused", "reason": UNKNOWN_CODE}, status_code=404)


def _invalid(reason: str = "invalid_body") -> JSONResponse:
    return JSONResponse({"status": "refused", "reason": reason}, status_code=400)


def _refused(refused: Refused) -> JSONResponse:
    return JSONResponse({"status": "refused", "reason": refused.reason}, status_code=409)


def _thread(view: dict[str, Any]) -> JSONResponse:
    return JSONResponse(view, headers={"Cache-Control": "no-store"})


def _posted(message_id: str | Refused) -> JSONResponse:
    if isinstance(message_id, Refused):
        return _refused(message_id)
    return JSONResponse({"status": "posted", "message_id": message_id}, status_code=201)


def _rated(refused: Refused | None) -> JSONResponse:
    return _refused(refused) if refused is not None else JSONResponse({"status": "recorded"}, status_code=201)


def _erased(erasure: Erasure) -> JSONResponse:
    return JSONResponse(
        {"status": "erased" if erasure.outcome in ("erased", "already_erased") else "unknown"}
    )


def _rating(body: dict[str, Any] | None) -> int | None:
    rating = body.get("rating") if body else None
    if body is None or set(body) != {"rating"} or type(rating) is not int or not 1 <= rating <= 5:
        return None
    return rating


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

    def _use_cases(self) -> FollowUpUseCases:
        keystore = self._context().keystore
        assert keystore is not None
        return FollowUpUseCases(keystore)

    async def _run(self, request: Request, act: Act[T], answer: Callable[[T], JSONResponse]) -> JSONResponse:
        """`act` with the case the receipt code opens, answered; a wrong code refused."""
        ctx = self._context()
        access = ReceiptCodeAccess(UnitOfWork.of(ctx), ctx.engine, self.limiter())
        found = await access.run(request.headers.get(RECEIPT_HEADER, ""), ctx.clock(), act)
        return self._wrong_code(found) if isinstance(found, WrongCode) else answer(found)

    def _wrong_code(self, wrong: WrongCode) -> JSONResponse:
        if wrong.limited is None:
            self._count_denied("receipt_code_unknown")
            return _unknown()
        self._count_denied("receipt_rate_limited")
        retry_after = str(max(1, int(wrong.limited.retry_after + 0.999)))
        body = {"status": "refused", "reason": "too_many_attempts"}
        return JSONResponse(body, status_code=429, headers={"Retry-After": retry_after})

    async def read(self, request: Request) -> JSONResponse:
        return await self._run(request, self._use_cases().read, _thread)

    async def post(self, request: Request) -> JSONResponse:
        body = await json_object_body(request)
        text = body.get("text") if body else None
        if body is None or set(body) != {"text"} or not is_message_text(text):
            return _invalid()
        follow_up = self._use_cases()
        return await self._run(
            request, lambda conn, case, now: follow_up.post(conn, case, now, text), _posted
        )

    async def rate(self, request: Request) -> JSONResponse:
        rating = _rating(await json_object_body(request))
        if rating is None:
            return _invalid()
        follow_up = self._use_cases()
        return await self._run(
            request, lambda conn, case, now: follow_up.rate(conn, case, now, rating), _rated
        )

    async def erase(self, request: Request) -> JSONResponse:
        return await self._run(request, self._use_cases().erase, _erased)

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/v1/dialogue/messages", self.read, methods=["GET"]),
            Route("/v1/dialogue/messages", self.post, methods=["POST"]),
            Route("/v1/dialogue/feedback", self.rate, methods=["POST"]),
            Route("/v1/dialogue", self.erase, methods=["DELETE"]),
        ]
