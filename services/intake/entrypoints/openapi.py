"""The OpenAPI 3.1 document of intake's client API, generated from its contracts: opening a case
(submission_contract.py) and the dialogue (dialogue_contract.py).

Served at GET /openapi.json and kept as docs/openapi/intake-dialogue.json; a test regenerates it,
fails when the file drifts and checks it with a third-party validator (openapi-spec-validator).
Regenerate the file with `python -m services.intake.entrypoints.openapi > docs/openapi/intake-dialogue.json`.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from services.intake.entrypoints.dialogue_contract import OPERATIONS, REFUSED_CODE, Operation, Refusal
from services.intake.entrypoints.submission_contract import SUBMISSION_OPERATIONS

REF = "#/components/schemas/{model}"
INFO = {
    "title": "caseflow intake: opening a case and the client's dialogue",
    "version": "1",
    "description": "A frontend opens a case with POST /v1/submissions and gets a receipt code; the "
    "anonymous client then follows up with nothing but that code, sent in the X-Receipt-Code header "
    "(never in a URL). docs/follow-up.md describes the chat contract.",
}
SECURITY = {"receiptCode": {"type": "apiKey", "in": "header", "name": "X-Receipt-Code"}}


ALL_OPERATIONS = (*SUBMISSION_OPERATIONS, *OPERATIONS)


def _models() -> list[type[BaseModel]]:
    seen: dict[str, type[BaseModel]] = {}
    for op in ALL_OPERATIONS:
        for model in [*(m for m, _ in op.answers.values()), *([op.body] if op.body else [])]:
            seen[model.__name__] = model
    return [seen[name] for name in sorted(seen)]


def _content(model: type[BaseModel]) -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": REF.format(model=model.__name__)}}}


def _answers(op: Operation) -> dict[str, Any]:
    refused: dict[int, tuple[type[BaseModel], str]] = {c: (Refusal, why) for c, why in REFUSED_CODE.items()}
    answers = {**op.answers, **refused} if op.secured else dict(op.answers)
    out: dict[str, Any] = {}
    for code in sorted(answers):
        model, description = answers[code]
        out[str(code)] = {"description": description, "content": _content(model)}
    retry_after = {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds."}}
    for status in ("429", "503"):
        if status in out:
            out[status]["headers"] = retry_after
    return out


def _parameters(op: Operation) -> list[dict[str, Any]]:
    """The query and header parameters; all optional."""
    placed = [("query", p) for p in op.query] + [("header", p) for p in op.headers]
    return [
        {"name": p.name, "in": where, "required": False, "description": p.description, "schema": p.schema}
        for where, p in placed
    ]


def _operation(op: Operation) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "operationId": op.operation_id or op.handler,
        "summary": op.summary,
        "responses": _answers(op),
    }
    if parameters := _parameters(op):
        doc["parameters"] = parameters
    if not op.secured:
        doc["security"] = []  # no receipt code yet: this is where it comes from
    if op.body is not None:
        doc["requestBody"] = {"required": True, "content": _content(op.body)}
    return doc


def openapi_document() -> dict[str, Any]:
    _, schemas = models_json_schema([(m, "validation") for m in _models()], ref_template=REF)
    paths: dict[str, dict[str, Any]] = {}
    for op in ALL_OPERATIONS:
        paths.setdefault(op.path, {})[op.method.lower()] = _operation(op)
    return {
        "openapi": "3.1.0",
        "info": INFO,
        "paths": paths,
        "components": {"schemas": schemas.get("$defs", {}), "securitySchemes": SECURITY},
        "security": [{"receiptCode": []}],
    }


def openapi_text() -> str:
    return json.dumps(openapi_document(), indent=2, ensure_ascii=False) + "\n"


async def _serve(_request: Request) -> JSONResponse:
    return JSONResponse(openapi_document())


def openapi_routes() -> list[BaseRoute]:
    return [Route("/openapi.json", _serve, methods=["GET"])]


if __name__ == "__main__":
    print(openapi_text(), end="")
