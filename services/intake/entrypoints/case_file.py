"""The case file over HTTP, for the case's current assignee only.

GET /v1/cases/{id}, POST /v1/cases/{id}/messages and POST /v1/cases/{id}/facts (persons involved
added by the assignee: `{"persons_involved": [{"role", "description"?, "person_id"?}]}`), each with `Authorization: Bearer <token>`
signed by the advisor for exactly this request (shared/auth.py; action "GET /v1/cases/{id}" or
"POST /v1/cases/{id}/messages", digest over the JSON body, `{}` for GET). A read returns the
decrypted personal fields, the coded fields, the dialogue and the access log, and is itself
recorded (CaseFileRead) in the access log (the use cases: services/intake/application/case_file.py).

Refusals carry a reason code and nothing about the case: an unknown case, someone else's case and
an erased case all answer 403 `not_assignee`. Token problems answer 401. A refusal to a proven
advisor is recorded as AdvisorCommandRejected; every refusal is counted in caseflow_access_denied_total.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from services.intake.application.case_file import (
    AddedPersons,
    AdvisorMessage,
    AdvisorRequest,
    Amended,
    CaseFileUseCases,
    Posted,
    Refusal,
)
from services.intake.domain.lifecycle import AMEND_FACTS, POST_ADVISOR_MESSAGE, READ_CASE_FILE
from services.intake.entrypoints.request_bodies import bearer_token, json_object_body
from services.intake.metrics import IntakeMetrics
from shared.runtime import ServiceContext
from shared.unit_of_work import Decision, UnitOfWork

T = TypeVar("T")
# Token problems: the request does not prove anyone. Everything else is a proven advisor refused.
UNAUTHENTICATED = frozenset(
    {
        "token_missing",
        "token_malformed",
        "signature_invalid",
        "token_expired",
        "token_not_yet_valid",
        "token_lifetime_too_long",
        "unknown_advisor",
        "token_replayed",
    }
)


def refusal_status(reason: str) -> int:
    if reason in UNAUTHENTICATED:
        return 401
    if reason in ("case_closed", "not_accepted"):
        return 409
    return 403


def refusal_response(reason: str) -> JSONResponse:
    status = refusal_status(reason)
    headers = {"WWW-Authenticate": 'Bearer realm="caseflow"'} if status == 401 else None
    return JSONResponse({"status": "refused", "reason": reason}, status_code=status, headers=headers)


def _invalid_body() -> JSONResponse:
    return JSONResponse({"status": "refused", "reason": "invalid_body"}, status_code=400)


def advisor_request(request: Request, action: str) -> AdvisorRequest | str:
    """Who asks for which case, or the reason to refuse before anything is looked up."""
    token = bearer_token(request)
    if token is None:
        return "token_missing"
    case_id = request.path_params["case_id"]
    if len(case_id) > 64:
        return "not_assignee"
    return AdvisorRequest(token, action, case_id)


def _case_file(file: dict[str, Any]) -> JSONResponse:
    return JSONResponse(file, headers={"Cache-Control": "no-store"})


def _posted(posted: Posted) -> JSONResponse:
    body = {
        "status": "posted",
        "message_id": posted.message_id,
        "counts_as_feedback": posted.counts_as_feedback,
    }
    return JSONResponse(body, status_code=201)


def _amended(amended: Amended) -> JSONResponse:
    return JSONResponse({"status": "amended", "amendment_id": amended.amendment_id}, status_code=201)


Decide = Callable[[CaseFileUseCases, AsyncConnection, datetime], Awaitable[Decision[T | Refusal]]]


class CaseFileApi:
    """The case-file endpoints; `context` yields the running service's resources."""

    def __init__(
        self, context: Callable[[], ServiceContext], metrics: Callable[[], IntakeMetrics | None]
    ) -> None:
        self._context = context
        self._metrics = metrics

    def _denied(self, reason: str) -> JSONResponse:
        metrics = self._metrics()
        if metrics is not None:
            metrics.access_denied.labels(reason).inc()
        return refusal_response(reason)

    def _refused(self, refused: Refusal) -> JSONResponse:
        # Refusals recorded as AdvisorCommandRejected are counted from the event (IntakeMetrics.count).
        return refusal_response(refused.reason) if refused.recorded else self._denied(refused.reason)

    async def _answer(self, decide: Decide[T], answer: Callable[[T], JSONResponse]) -> JSONResponse:
        """Run the use case in one unit of work; answer its result, or its refusal."""
        ctx = self._context()
        assert ctx.keystore is not None
        use_cases, now = CaseFileUseCases(ctx.keystore, ctx.store.tables.events), ctx.clock()
        result = await UnitOfWork.of(ctx).run(lambda conn: decide(use_cases, conn, now))
        return self._refused(result) if isinstance(result, Refusal) else answer(result)

    async def read(self, request: Request) -> JSONResponse:
        asked = advisor_request(request, READ_CASE_FILE)
        if isinstance(asked, str):
            return self._denied(asked)
        return await self._answer(lambda use_cases, conn, now: use_cases.read(conn, asked, now), _case_file)

    async def post_message(self, request: Request) -> JSONResponse:
        asked = advisor_request(request, POST_ADVISOR_MESSAGE)
        if isinstance(asked, str):
            return self._denied(asked)
        body = await json_object_body(request)
        message = AdvisorMessage.of(body)
        if body is None or message is None:
            return _invalid_body()
        signed = replace(asked, body=body)
        return await self._answer(lambda uc, conn, now: uc.post_message(conn, signed, message, now), _posted)

    async def amend_facts(self, request: Request) -> JSONResponse:
        asked = advisor_request(request, AMEND_FACTS)
        if isinstance(asked, str):
            return self._denied(asked)
        body = await json_object_body(request)
        added = AddedPersons.of(body)
        if body is None or added is None:
            return _invalid_body()
        signed = replace(asked, body=body)
        return await self._answer(lambda uc, conn, now: uc.amend_facts(conn, signed, added, now), _amended)

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/v1/cases/{case_id}", self.read, methods=["GET"]),
            Route("/v1/cases/{case_id}/messages", self.post_message, methods=["POST"]),
            Route("/v1/cases/{case_id}/facts", self.amend_facts, methods=["POST"]),
        ]
