"""The OpenAPI 3.1 document of the dialogue API, generated from its contract (dialogue_contract.py).

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

REF = "#/components/schemas/{model}"
INFO = {
    "title": "caseflow intake: the client's dialogue",
    "version": "1",
    "description": "An anonymous client follows up with nothing but the receipt code, sent in the "
    "X-Receipt-Code header (never in a URL). docs/follow-up.md describes the chat contract.",
}
SECURITY = {"receiptCode": {"type": "apiKey", "in": "header", "name": "X-Receipt-Code"}}


def _models() -> list[type[BaseModel]]:
    seen: dict[str, type[BaseModel]] = {}
    for op in OPERATIONS:
        for model in [*(m for m, _ in op.answers.values()), *([op.body] if op.body else [])]:
            seen[model.__name__] = model
    return [seen[name] for name in sorted(seen)]


def _content(model: type[BaseModel]) -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": REF.format(model=model.__name__)}}}


def _answers(op: Operation) -> dict[str, Any]:
    refused: dict[int, tuple[type[BaseModel], str]] = {c: (Refusal, why) for c, why in REFUSED_CODE.items()}
    answers = {**op.answers, **refused}
    out: dict[str, Any] = {}
    for code in sorted(answers):
        model, description = answers[code]
        out[str(code)] = {"description": description, "content": _content(model)}
    out["429"]["headers"] = {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds."}}
    return out


def _operation(op: Operation) -> dict[str, Any]:
    doc: dict[str, Any] = {"operationId": op.handler, "summary": op.summary, "responses": _answers(op)}
    if op.query:
        doc["parameters"] = [
            {
                "name": p.name,
                "in": "query",
                "required": False,
                "description": p.description,
                "schema": p.schema,
            }
            for p in op.query
        ]
    if op.body is not None:
        doc["requestBody"] = {"required": True, "content": _content(op.body)}
    return doc


def openapi_document() -> dict[str, Any]:
    _, schemas = models_json_schema([(m, "validation") for m in _models()], ref_template=REF)
    paths: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
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
