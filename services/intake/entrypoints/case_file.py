"""The case file over HTTP, for the case's current assignee only.

GET /v1/cases/{id} and POST /v1/cases/{id}/messages, each with `Authorization: Bearer <token>`
signed by the advisor for exactly this request (shared/auth.py; action "GET /v1/cases/{id}" or
"POST /v1/cases/{id}/messages", digest over the JSON body, `{}` for GET). A read returns the
decrypted personal fields, the coded fields, the dialogue and the access log, and is itself
recorded (CaseFileRead) in the access log.

Refusals carry a reason code and nothing about the case: an unknown case, someone else's case and
an erased case all answer 403 `not_assignee`. Token problems answer 401. A refusal to a proven
advisor is recorded as AdvisorCommandRejected; every refusal is counted in caseflow_access_denied_total.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from services.intake.adapters.assignments import current_assignee, load_case_state
from services.intake.adapters.tables import assignments, case_access, messages
from services.intake.adapters.tables import legal_deadlines as deadlines_table
from services.intake.application import legal_deadlines
from services.intake.application.emit import emitter_for
from services.intake.domain.lifecycle import POST_ADVISOR_MESSAGE, READ_CASE_FILE, refusal
from services.intake.entrypoints.advisor_actions import GATE
from services.intake.metrics import IntakeMetrics
from shared.advisor_commands import SignedCommand, rejection
from shared.auth import Refusal as GateRefusal
from shared.auth import VerifiedToken, command_digest, peek_claims
from shared.contracts.intake import AdvisorMessagePosted, CaseFileRead, CaseOpened
from shared.crypto import CaseCipher, DecryptionFailed, KeyErased, KeyNotFound, KeyStore, Sealed
from shared.envelope import decode_envelope
from shared.outbox import Outgoing
from shared.runtime import ServiceContext
from shared.unit_of_work import UnitOfWork

MAX_MESSAGE_CHARS = 5000
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


@dataclass(frozen=True, slots=True)
class Refusal:
    reason: str
    advisor_id: str | None = None  # set when the token proved who asked
    recorded: bool = False  # True: an AdvisorCommandRejected event records (and counts) it

    @property
    def status(self) -> int:
        if self.reason in UNAUTHENTICATED:
            return 401
        if self.reason in ("case_closed", "not_accepted"):
            return 409
        return 403


def refusal_response(reason: str) -> JSONResponse:
    refused = Refusal(reason)
    headers = {"WWW-Authenticate": 'Bearer realm="caseflow"'} if refused.status == 401 else None
    return JSONResponse({"status": "refused", "reason": reason}, status_code=refused.status, headers=headers)


def bearer_token(request: Request) -> str | None:
    value = request.headers.get("authorization", "")
    scheme, _, token = value.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


async def _case_opened(conn: AsyncConnection, case_id: str, events: Any) -> CaseOpened:
    body = (
        await conn.execute(
            select(events.c.body)
            .where(events.c.stream_id == case_id, events.c.event_type == "CaseOpened")
            .order_by(events.c.position)
            .limit(1)
        )
    ).scalar_one()
    payload = decode_envelope(body.encode()).payload
    assert isinstance(payload, CaseOpened)
    return payload


async def _thread(conn: AsyncConnection, key: bytes, case_id: str) -> list[dict[str, Any]]:
    rows = await conn.execute(
        select(messages).where(messages.c.case_id == case_id).order_by(messages.c.posted_at)
    )
    return [
        {
            "message_id": r.message_id,
            "author": r.author,
            "advisor_id": r.advisor_id,
            "posted_at": r.posted_at.isoformat(),
            "counts_as_feedback": r.counts_as_feedback,
            "text": CaseCipher.open_with_key(
                key, case_id, "dialogue", Sealed.model_validate_json(r.content_sealed)
            )["text"],
        }
        for r in rows
    ]


async def assemble_case_file(
    conn: AsyncConnection, keystore: KeyStore, ctx: ServiceContext, case_id: str
) -> dict[str, Any]:
    """Everything the assignee may see. Raises KeyErased/KeyNotFound when the key is gone."""
    key = await keystore.get_key(case_id, use_cache=False)
    opened = await _case_opened(conn, case_id, ctx.store.tables.events)
    coded = opened.model_dump(mode="json", exclude={"personal", "routing_facts"})
    assignment = (await conn.execute(select(assignments).where(assignments.c.case_id == case_id))).first()
    access = await conn.execute(
        select(case_access.c.advisor_id, case_access.c.read_at)
        .where(case_access.c.case_id == case_id)
        .order_by(case_access.c.id)
    )
    deadlines = await conn.execute(select(deadlines_table).where(deadlines_table.c.case_id == case_id))
    return {
        "case_id": case_id,
        "coded": coded,
        "personal": CaseCipher.open_with_key(key, case_id, "personal", opened.personal),
        "routing_facts": CaseCipher.open_with_key(key, case_id, "routing_facts", opened.routing_facts),
        "assignment": {
            "advisor_id": assignment.advisor_id if assignment else None,
            "accepted_at": assignment.accepted_at.isoformat()
            if assignment and assignment.accepted_at
            else None,
        },
        "messages": await _thread(conn, key, case_id),
        "access_log": [{"advisor_id": a.advisor_id, "read_at": a.read_at.isoformat()} for a in access],
        "legal_deadlines": [
            {"deadline": d.deadline, "due_on": d.due_on.isoformat(), "state": d.state} for d in deadlines
        ],
    }


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

    async def _authorised(
        self,
        conn: AsyncConnection,
        token: str,
        action: str,
        case_id: str,
        body: dict[str, Any],
        now: datetime,
    ) -> VerifiedToken | Refusal:
        """The advisor-command gate (shared/advisor_commands.py), then the lifecycle rules; a Refusal
        for a proven advisor is recorded (by the caller) as AdvisorCommandRejected."""
        request = SignedCommand(token, action, case_id, command_digest(body), advisor_id=None)
        admitted = await GATE.admit(conn, request, current_assignee, now=now)
        if isinstance(admitted, GateRefusal):
            if not admitted.proven:
                return Refusal(admitted.reason)
            return Refusal(admitted.reason, peek_claims(token).advisor_id, recorded=True)
        reason = refusal(action, admitted.advisor_id, await load_case_state(conn, case_id))
        return Refusal(reason, admitted.advisor_id, recorded=True) if reason else admitted

    async def read(self, request: Request) -> JSONResponse:
        ctx = self._context()
        case_id = request.path_params["case_id"]
        token = bearer_token(request)
        if token is None:
            return self._denied("token_missing")
        if len(case_id) > 64:
            return self._denied("not_assignee")
        now = ctx.clock()
        assert ctx.keystore is not None
        keystore = ctx.keystore

        async def work(conn: AsyncConnection) -> tuple[dict[str, Any] | Refusal, list[Outgoing]]:
            checked = await self._authorised(conn, token, READ_CASE_FILE, case_id, {}, now)
            if isinstance(checked, Refusal) and not checked.recorded:
                return checked, []
            emit = emitter_for(f"http:{uuid.uuid4()}", now)
            if isinstance(checked, Refusal):
                return checked, [
                    rejection(
                        emit,
                        READ_CASE_FILE,
                        GateRefusal(checked.reason, proven=True),
                        case_id,
                        checked.advisor_id,
                    )
                ]
            try:
                file = await assemble_case_file(conn, keystore, ctx, case_id)
            except (KeyErased, KeyNotFound, DecryptionFailed):
                refused = Refusal("not_assignee", checked.advisor_id, recorded=True)
                return refused, [
                    rejection(
                        emit,
                        READ_CASE_FILE,
                        GateRefusal(refused.reason, proven=True),
                        case_id,
                        checked.advisor_id,
                    )
                ]
            await conn.execute(
                case_access.insert().values(case_id=case_id, advisor_id=checked.advisor_id, read_at=now)
            )
            file["access_log"].append({"advisor_id": checked.advisor_id, "read_at": now.isoformat()})
            read = CaseFileRead(case_id=case_id, advisor_id=checked.advisor_id, read_at=now)
            return file, [emit(read, case_id)]

        result = await UnitOfWork.of(ctx).run(work)
        if isinstance(result, Refusal):
            return self._refused(result)
        return JSONResponse(result, headers={"Cache-Control": "no-store"})

    def _refused(self, refused: Refusal) -> JSONResponse:
        # Refusals recorded as AdvisorCommandRejected are counted from the event (IntakeMetrics.count).
        return refusal_response(refused.reason) if refused.recorded else self._denied(refused.reason)

    async def post_message(self, request: Request) -> JSONResponse:
        ctx = self._context()
        case_id = request.path_params["case_id"]
        token = bearer_token(request)
        if token is None:
            return self._denied("token_missing")
        if len(case_id) > 64:
            return self._denied("not_assignee")
        body = await _json_body(request)
        if body is None:
            return JSONResponse({"status": "refused", "reason": "invalid_body"}, status_code=400)
        text, feedback = body.get("text"), body.get("counts_as_feedback", False)
        if (
            not isinstance(text, str)
            or not 0 < len(text) <= MAX_MESSAGE_CHARS
            or not isinstance(feedback, bool)
        ):
            return JSONResponse({"status": "refused", "reason": "invalid_body"}, status_code=400)
        if set(body) - {"text", "counts_as_feedback"}:
            return JSONResponse({"status": "refused", "reason": "invalid_body"}, status_code=400)
        now = ctx.clock()
        assert ctx.keystore is not None
        keystore = ctx.keystore

        async def work(conn: AsyncConnection) -> tuple[dict[str, Any] | Refusal, list[Outgoing]]:
            checked = await self._authorised(conn, token, POST_ADVISOR_MESSAGE, case_id, body, now)
            if isinstance(checked, Refusal) and not checked.recorded:
                return checked, []
            message_id = str(uuid.uuid4())
            emit = emitter_for(f"advisor-message:{message_id}", now)
            if isinstance(checked, Refusal):
                return checked, [
                    rejection(
                        emit,
                        POST_ADVISOR_MESSAGE,
                        GateRefusal(checked.reason, proven=True),
                        case_id,
                        checked.advisor_id,
                    )
                ]
            try:
                sealed = await CaseCipher(keystore).seal(case_id, "dialogue", {"text": text})
            except (KeyErased, KeyNotFound):
                refused = Refusal("not_assignee", checked.advisor_id, recorded=True)
                return refused, [
                    rejection(
                        emit,
                        POST_ADVISOR_MESSAGE,
                        GateRefusal(refused.reason, proven=True),
                        case_id,
                        checked.advisor_id,
                    )
                ]
            out: list[Outgoing] = []
            counts = False
            if feedback:
                met = await legal_deadlines.give_feedback(conn, case_id, emit)
                counts = met is not None
                out += met or []
            await conn.execute(
                messages.insert().values(
                    message_id=message_id,
                    case_id=case_id,
                    author="advisor",
                    advisor_id=checked.advisor_id,
                    posted_at=now,
                    content_sealed=sealed.model_dump_json(),
                    counts_as_feedback=counts,
                )
            )
            posted = AdvisorMessagePosted(
                case_id=case_id,
                message_id=message_id,
                advisor_id=checked.advisor_id,
                posted_at=now,
                content=sealed,
                counts_as_feedback=counts,
            )
            out.insert(0, emit(posted, case_id))
            return {"status": "posted", "message_id": message_id, "counts_as_feedback": counts}, out

        result = await UnitOfWork.of(ctx).run(work)
        if isinstance(result, Refusal):
            return self._refused(result)
        return JSONResponse(result, status_code=201)

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/v1/cases/{case_id}", self.read, methods=["GET"]),
            Route("/v1/cases/{case_id}/messages", self.post_message, methods=["POST"]),
        ]


async def _json_body(request: Request, limit: int = 64 * 1024) -> dict[str, Any] | None:
    raw = await request.body()
    if len(raw) > limit:
        return None
    try:
        doc = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    return doc if isinstance(doc, dict) else None
