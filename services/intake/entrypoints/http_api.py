"""Intake's HTTP surface: POST /v1/submissions, the case file (case_file.py) and the anonymous
dialogue (dialogue.py).

Submissions: the same use case and the same idempotency key as the Kafka path: a frontend that
retries over HTTP (or first over Kafka, then over HTTP) gets the same case reference and receipt code.
A request's cause (`http_cause`) is a real idempotency key or a random one, never an object's id().
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from services.intake.adapters.directory import RETRYABLE_REASONS, directory_routes
from services.intake.adapters.form_catalogue import FormCatalogue, handle_key, read_catalogue
from services.intake.adapters.message_bell import MessageBell
from services.intake.application.legal_deadlines import deadlines_for_opened_cases
from services.intake.application.open_case import CaseIntake, IntakeResult
from services.intake.domain.submission import MAX_SUBMISSION_BYTES, parse_json_object, peek_submission_id
from services.intake.entrypoints.case_file import CaseFileApi
from services.intake.entrypoints.dialogue import DialogueApi
from services.intake.entrypoints.follow_up_page import FollowUpPage
from services.intake.entrypoints.request_bodies import IDEMPOTENCY_KEY
from services.intake.entrypoints.submission_consumer import submission_message_id
from services.intake.entrypoints.submission_contract import SUBMISSION_OPERATIONS, Received, SubmissionRefusal
from services.intake.entrypoints.web_form import web_form_routes
from services.intake.metrics import IntakeMetrics
from shared.runtime import ServiceContext
from shared.unit_of_work import Decision, UnitOfWork

# Once the case is committed, how long an answer waits for the broker before it says "stored,
# passed on later": the receipt code never waits for a broker that is away.
PUBLISH_WAIT_SECONDS = 1.5


class IdempotencyKeyInvalid(ValueError):
    """An `Idempotency-Key` header that is not 8-64 letters, digits, '-' or '_'."""


def http_cause(idempotency_key: str | None) -> str:
    """The cause of an HTTP submission without a valid submission id (one with an id is keyed by it,
    as on the Kafka path): the frontend's `Idempotency-Key`, so a retry is the same input, or else a
    random one, so two requests are never one. The key is hashed: none of the caller's bytes leave.

    Never `id(request)`: CPython reuses a freed object's id, so two id-less rejections derived one
    event id and the second was dropped as a duplicate.
    """
    if idempotency_key is None:
        return f"http:{uuid.uuid4()}"
    if not IDEMPOTENCY_KEY.match(idempotency_key):
        raise IdempotencyKeyInvalid(idempotency_key)
    return "http-key:" + hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]


def _refused(
    status_code: int, reason: str, more: dict[str, Any] | None = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    """A refusal as the contract's SubmissionRefusal (submission_contract.py), with the fields given."""
    given = more or {}
    refusal = SubmissionRefusal(status="rejected", reason=reason, **given)
    body = refusal.model_dump(include={"status", "reason", *given})
    return JSONResponse(body, status_code=status_code, headers=headers)


def _answer(result: IntakeResult, created: bool, passed_on: bool = True) -> JSONResponse:
    if result.rejection is not None:
        r = result.rejection
        about = {"field": r.field, "submission_id": r.submission_id}
        if r.reason in RETRYABLE_REASONS:  # nothing was kept: the same submission may be sent again
            return _refused(503, r.reason, about | {"retryable": True}, {"Retry-After": "30"})
        return _refused(422, r.reason, about)
    # passed_on False: stored safely, not yet on the broker (the relay publishes it when it can)
    received = Received(
        status="received",
        case_ref=result.case_id,
        receipt_code=result.receipt_code,
        passed_on=passed_on,
    )
    return JSONResponse(received.model_dump(), status_code=201 if created else 200)


async def _taken_in_before(
    ctx: ServiceContext, intake: CaseIntake, conn: AsyncConnection, sid: str | None, message_id: str
) -> IntakeResult | None:
    """What the same submission got when it was taken in before (a retry), or None."""
    if not sid or not await ctx.store.already_processed(conn, message_id):
        return None
    return await intake.existing(conn, sid)


class SubmissionApi:
    """POST /v1/submissions and the web form's submit: one use case, keyed like the Kafka path."""

    def __init__(self, context: Callable[[], ServiceContext]) -> None:
        self._context = context

    async def submit(self, raw: bytes, doc: Any, cause: str) -> tuple[IntakeResult, bool, bool]:
        """The HTTP use case shared by the JSON API and the web form: (result, newly created,
        passed on to the broker before the answer)."""
        work = self._decision(raw, doc, cause)
        uow = UnitOfWork.of(self._context(), publish_timeout=PUBLISH_WAIT_SECONDS)
        try:
            committed = await uow.commit(work)
        except IntegrityError:
            # The Kafka path opened the same submission at the same moment: the second attempt
            # finds that case and answers with its reference and receipt code.
            committed = await uow.commit(work)
        return *committed.result, committed.passed_on

    def _decision(
        self, raw: bytes, doc: Any, cause: str
    ) -> Callable[[AsyncConnection], Awaitable[Decision[tuple[IntakeResult, bool]]]]:
        ctx = self._context()
        assert ctx.keystore is not None and ctx.relay is not None
        intake, sid, now = CaseIntake(ctx.keystore), peek_submission_id(doc), ctx.clock()
        message_id = submission_message_id(sid, cause)

        async def work(conn: AsyncConnection) -> Decision[tuple[IntakeResult, bool]]:
            earlier = await _taken_in_before(ctx, intake, conn, sid, message_id)
            if earlier is not None:
                return Decision((earlier, False))
            result = await intake.take_in(conn, raw, doc, now=now, source="http", causation_id=message_id)
            outgoing = [*result.outgoing, *await deadlines_for_opened_cases(conn, result.outgoing, now)]
            created = result.kind in ("opened", "rejected")
            return Decision((result, created), outgoing, [(message_id, "http")])

        return work

    async def post(self, request: Request) -> JSONResponse:
        raw = await request.body()
        if len(raw) > 4 * MAX_SUBMISSION_BYTES:
            return _refused(413, "message_too_large")
        doc, problem = parse_json_object(raw)
        if problem:
            return _refused(400, problem)
        try:
            cause = http_cause(request.headers.get("idempotency-key"))
        except IdempotencyKeyInvalid:
            return _refused(400, "idempotency_key_invalid")
        return _answer(*(await self.submit(raw, doc, cause)))

    async def form(self, raw: bytes, doc: Any) -> tuple[int, dict[str, Any]]:
        answer = _answer(*(await self.submit(raw, doc, http_cause(None))))
        return answer.status_code, json.loads(bytes(answer.body))


def form_catalogue(
    context: Callable[[], ServiceContext],
    key: bytes,
    retention_days: int,
    previous_keys: Sequence[bytes] = (),
) -> Callable[[], Awaitable[FormCatalogue]]:
    """The web form's lists, read per page; advisor handles keyed with `key` (and, during a master
    key rotation, handles keyed with a previous key still understood: a form loaded before it)."""

    async def read() -> FormCatalogue:
        return await read_catalogue(context().engine, key, retention_days, previous_keys)

    return read


def intake_routes(
    context: Callable[[], ServiceContext],
    metrics: Callable[[], IntakeMetrics | None] = lambda: None,
    bell: MessageBell | None = None,
    master_key: str = "",
    retention_days: int = 365,
    previous_master_keys: str = "",
) -> list[BaseRoute]:
    """`bell` wakes the dialogue's long-polls after a commit; `master_key` (intake's, as configured)
    keys the advisor handles the web form shows (`previous_master_keys`, during a rotation, the
    handles it still accepts); `retention_days` (after closure) is what its privacy notice says."""
    previous = [handle_key(k.strip().encode()) for k in previous_master_keys.split(",") if k.strip()]
    catalogue = form_catalogue(context, handle_key(master_key.encode()), retention_days, previous)
    submissions, dialogue = SubmissionApi(context), DialogueApi(context, metrics, bell)
    return [
        *(
            Route(op.path, getattr(submissions, op.handler), methods=[op.method])
            for op in SUBMISSION_OPERATIONS
        ),
        *CaseFileApi(context, metrics).routes(),
        *dialogue.routes(),
        *FollowUpPage(dialogue).routes(),
        *directory_routes(context),
        *web_form_routes(submissions.form, lambda: {"location": "Den Haag"}, catalogue),
    ]
