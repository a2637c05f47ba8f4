"""The anonymous dialogue: a client follows up with nothing but the receipt code.

GET/POST /v1/dialogue/messages, POST /v1/dialogue/feedback (a 1-5 rating) and DELETE /v1/dialogue
(erase my personal data), each with header `X-Receipt-Code`. No identity is asked or kept; the
code is looked up by its hash. Messages rest sealed under the case key, and the assigned advisor
reads and answers them through the case file (the use cases: services/intake/application/follow_up.py).
`GET /v1/dialogue/messages?after=<message id>&wait=<seconds>` waits for new messages (long-poll,
application/dialogue_wait.py). The bodies and operations are dialogue_contract.py; the OpenAPI
document generated from it is openapi.py.

A wrong code, a missing code and the code of an erased case get the same answer (404
`unknown_receipt_code`) and count towards the limits (receipt_guess_limits.py): past them a wrong code gets
429 `too_many_attempts` with Retry-After. A correct code is never refused.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from services.intake.adapters.message_bell import MessageBell
from services.intake.adapters.receipt_guess_limits import GuessBudget, ReceiptGuessLimiter
from services.intake.adapters.tables import receipt_code_failures
from services.intake.application.dialogue_wait import MAX_WAIT_SECONDS, wait_for_messages
from services.intake.application.follow_up import (
    Act,
    FollowUpUseCases,
    ReceiptCodeAccess,
    Refused,
    WrongCode,
)
from services.intake.application.retention import Erasure
from services.intake.entrypoints.dialogue_contract import (
    OPERATIONS,
    Erased,
    FeedbackIn,
    MessageIn,
    Posted,
    Recorded,
    Thread,
)
from services.intake.entrypoints.request_bodies import IDEMPOTENCY_KEY, json_object_body
from services.intake.metrics import IntakeMetrics
from services.intake.settings import IntakeSettings
from shared.runtime import ServiceContext
from shared.unit_of_work import UnitOfWork

RECEIPT_HEADER = "x-receipt-code"
UNKNOWN_CODE = "unknown_receipt_code"
T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)


def _unknown() -> JSONResponse:
    return JSONResponse({"status": "refused", "reason": UNKNOWN_CODE}, status_code=404)


def _invalid(reason: str = "invalid_body") -> JSONResponse:
    return JSONResponse({"status": "refused", "reason": reason}, status_code=400)


def _refused(refused: Refused) -> JSONResponse:
    return JSONResponse({"status": "refused", "reason": refused.reason}, status_code=409)


def _thread(view: dict[str, Any]) -> JSONResponse:
    return JSONResponse(Thread.model_validate(view).model_dump(), headers={"Cache-Control": "no-store"})


def _posted(message_id: str | Refused) -> JSONResponse:
    if isinstance(message_id, Refused):
        return _refused(message_id)
    return JSONResponse(Posted(status="posted", message_id=message_id).model_dump(), status_code=201)


def _rated(refused: Refused | None) -> JSONResponse:
    if refused is not None:
        return _refused(refused)
    return JSONResponse(Recorded(status="recorded").model_dump(), status_code=201)


def _erased(erasure: Erasure) -> JSONResponse:
    erased = erasure.outcome in ("erased", "already_erased")
    return JSONResponse(Erased(status="erased" if erased else "unknown").model_dump())


async def _body(request: Request, model: type[M]) -> M | None:
    """The request's JSON object as `model`; None when it is not one (no field names echoed)."""
    body = await json_object_body(request)
    try:
        return None if body is None else model.model_validate(body)
    except ValidationError:
        return None


def _waiting(request: Request) -> tuple[str | None, float] | None:
    """`after` and `wait` of a read; None when they are not valid."""
    after, wait = request.query_params.get("after"), request.query_params.get("wait", "0")
    if not wait.isdigit() or int(wait) > MAX_WAIT_SECONDS or (after is not None and len(after) > 64):
        return None
    return after, float(wait)


class DialogueApi:
    def __init__(
        self,
        context: Callable[[], ServiceContext],
        metrics: Callable[[], IntakeMetrics | None],
        bell: MessageBell | None = None,
    ) -> None:
        self._context = context
        self._metrics = metrics
        self.bell = bell or MessageBell()
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

    def use_cases(self) -> FollowUpUseCases:
        keystore = self._context().keystore
        assert keystore is not None
        return FollowUpUseCases(keystore)

    def now(self) -> datetime:
        return self._context().clock()

    def access(self) -> ReceiptCodeAccess:
        ctx = self._context()
        return ReceiptCodeAccess(UnitOfWork.of(ctx), ctx.engine, self.limiter())

    async def _run(self, request: Request, act: Act[T], answer: Callable[[T], JSONResponse]) -> JSONResponse:
        """`act` with the case the receipt code opens, answered; a wrong code refused."""
        found = await self.access().run(request.headers.get(RECEIPT_HEADER, ""), self._context().clock(), act)
        return self._wrong_code(found) if isinstance(found, WrongCode) else answer(found)

    def count_wrong_code(self, wrong: WrongCode) -> None:
        self._count_denied("receipt_code_unknown" if wrong.limited is None else "receipt_rate_limited")

    def _wrong_code(self, wrong: WrongCode) -> JSONResponse:
        self.count_wrong_code(wrong)
        if wrong.limited is None:
            return _unknown()
        retry_after = str(max(1, int(wrong.limited.retry_after + 0.999)))
        body = {"status": "refused", "reason": "too_many_attempts"}
        return JSONResponse(body, status_code=429, headers={"Retry-After": retry_after})

    async def read(self, request: Request) -> JSONResponse:
        waiting = _waiting(request)
        if waiting is None:
            return _invalid("invalid_query")
        code, read = request.headers.get(RECEIPT_HEADER, ""), self.use_cases().read
        found = await wait_for_messages(
            lambda: self.access().run(code, self._context().clock(), read), self.bell, *waiting
        )
        return self._wrong_code(found) if isinstance(found, WrongCode) else _thread(found)

    async def post(self, request: Request) -> JSONResponse:
        message = await _body(request, MessageIn)
        if message is None:
            return _invalid()
        # A retry with the same key posts nothing new (the message id is derived from it, so none
        # of the caller's bytes are kept); without one every POST is a new message.
        resend_key = request.headers.get("idempotency-key")
        if resend_key is not None and not IDEMPOTENCY_KEY.match(resend_key):
            return _invalid("idempotency_key_invalid")
        follow_up = self.use_cases()
        return await self._run(
            request,
            lambda conn, case, now: follow_up.post(conn, case, now, message.text, resend_key),
            _posted,
        )

    async def rate(self, request: Request) -> JSONResponse:
        feedback = await _body(request, FeedbackIn)
        if feedback is None:
            return _invalid()
        follow_up = self.use_cases()
        return await self._run(
            request, lambda conn, case, now: follow_up.rate(conn, case, now, feedback.rating), _rated
        )

    async def erase(self, request: Request) -> JSONResponse:
        return await self._run(request, self.use_cases().erase, _erased)

    def routes(self) -> list[BaseRoute]:
        return [Route(op.path, getattr(self, op.handler), methods=[op.method]) for op in OPERATIONS]
