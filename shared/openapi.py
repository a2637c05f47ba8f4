"""OpenAPI 3.1 documents made from a service's Starlette route table plus what each route declares.

Every service declares its operations (`Operation`: summary, parameters, request body, answers with
their content types) in one `ServiceApi` table (services/<service>/entrypoints/openapi.py); the
runtime adds its own (/health, /ready, /metrics, /openapi.json: `RUNTIME_OPERATIONS`). The document
is built by walking the route table the service really serves (`route_table`): a route without a
declared operation, or an operation no route answers, is an error (`RouteTableMismatch`), so the
document can neither leave a route out nor name one that does not exist.

Request and answer bodies are JSON Schemas from pydantic models where a route reads or writes JSON
through one; HTML pages, iCalendar files, CSV and Prometheus text are declared by content type.
The document is static: nothing from settings, no secret, no personal data goes into it. Served at
`GET /openapi.json` (public) and committed as docs/openapi/<service>.json (`caseflow contracts
generate`; `caseflow contracts check` fails when a committed document is stale).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from prometheus_client import CONTENT_TYPE_LATEST
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Mount, Route

REF = "#/components/schemas/{model}"
OPENAPI_PATH = "/openapi.json"
JSON = "application/json"
HTML = "text/html; charset=utf-8"
FORM = "application/x-www-form-urlencoded"
PROMETHEUS = CONTENT_TYPE_LATEST
_PATH_PARAM = re.compile(r"{([A-Za-z_][A-Za-z0-9_]*)(?::[A-Za-z_]+)?}")

Where = Literal["query", "header", "path", "cookie"]


@dataclass(frozen=True)
class Parameter:
    name: str
    description: str
    schema: Mapping[str, Any] = field(default_factory=lambda: {"type": "string"})
    where: Where = "query"
    required: bool = False


@dataclass(frozen=True)
class Answer:
    """One answer of an operation: `model` (a pydantic model) or `schema` describes a JSON body;
    `media_type` None is an answer without a body (a redirect)."""

    description: str
    model: type[BaseModel] | None = None
    media_type: str | None = JSON
    schema: Mapping[str, Any] | None = None
    headers: tuple[Parameter, ...] = ()
    other_media_types: tuple[str, ...] = ()  # the same answer in another format (a `format` asked for)


@dataclass(frozen=True)
class Operation:
    """One (method, path) of the route table and what it means. `security` names the schemes of
    the document's `securitySchemes` one of which the operation needs; () is a public operation."""

    method: str
    path: str
    summary: str
    answers: Mapping[int, Answer]
    operation_id: str = ""
    description: str = ""
    parameters: tuple[Parameter, ...] = ()
    body: type[BaseModel] | None = None
    body_media_type: str = JSON
    body_schema: Mapping[str, Any] | None = None  # a body without a model (a form)
    security: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()

    @property
    def key(self) -> tuple[str, str]:
        return (self.method.upper(), self.path)

    def models(self) -> list[type[BaseModel]]:
        models = [a.model for a in self.answers.values() if a.model is not None]
        return models + ([self.body] if self.body is not None else [])


@dataclass(frozen=True)
class ServiceApi:
    """A service's operations and the document's front matter."""

    service: str
    title: str
    description: str
    operations: tuple[Operation, ...]
    security_schemes: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    version: str = "1"


class RouteTableMismatch(ValueError):
    """The declared operations and the served routes differ."""


def ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": REF.format(model=model.__name__)}


def form_body(fields: Mapping[str, str], required: Sequence[str] = ()) -> dict[str, Any]:
    """The schema of an application/x-www-form-urlencoded body: field name -> description."""
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {name: {"type": "string", "description": text} for name, text in fields.items()},
    }
    if required:
        schema["required"] = list(required)
    return schema


class Health(BaseModel):
    """Liveness: false when the consumer is stuck (shared/health.py)."""

    service: str
    healthy: bool
    reasons: list[str]
    lag: dict[str, int]
    member: bool


class Ready(BaseModel):
    """Readiness: broker, databases, outbox (shared/readiness.py)."""

    service: str
    ready: bool
    reasons: list[str]
    silent_for_seconds: dict[str, float]


RUNTIME_OPERATIONS = (
    Operation(
        "GET",
        "/health",
        "Liveness: is the consumer alive",
        {200: Answer("Healthy.", Health), 503: Answer("Not healthy; restart it.", Health)},
        operation_id="health",
        tags=("runtime",),
    ),
    Operation(
        "GET",
        "/ready",
        "Readiness: can it work now (broker, databases, outbox)",
        {200: Answer("Ready.", Ready), 503: Answer("Not ready; send it no traffic.", Ready)},
        operation_id="ready",
        tags=("runtime",),
    ),
    Operation(
        "GET",
        "/metrics",
        "Prometheus metrics",
        {
            200: Answer(
                "The metrics in the Prometheus text format.", media_type=PROMETHEUS, schema={"type": "string"}
            )
        },
        operation_id="metrics",
        tags=("runtime",),
    ),
    Operation(
        "GET",
        OPENAPI_PATH,
        "This document",
        {200: Answer("The OpenAPI document of this service.", schema={"type": "object"})},
        operation_id="openapi",
        tags=("runtime",),
    ),
)


def route_table(routes: Iterable[BaseRoute], prefix: str = "") -> list[tuple[str, str]]:
    """(METHOD, path) of every route, mounts followed, HEAD left out (Starlette adds it to GET)."""
    table: set[tuple[str, str]] = set()
    for route in routes:
        if isinstance(route, Mount):
            table.update(route_table(route.routes, prefix + route.path))
        elif isinstance(route, Route):
            for method in (route.methods or {"GET"}) - {"HEAD"}:
                table.add((method, prefix + route.path))
        else:
            raise RouteTableMismatch(f"a route the document cannot describe: {route!r}")
    return sorted(table)


def _operation_id(op: Operation) -> str:
    if op.operation_id:
        return op.operation_id
    words = re.findall(r"[A-Za-z0-9]+", op.path) or ["root"]
    return op.method.lower() + "".join(w[:1].upper() + w[1:] for w in words)


def _content(
    media_type: str, model: type[BaseModel] | None, schema: Mapping[str, Any] | None
) -> dict[str, Any]:
    if model is not None:
        return {media_type: {"schema": ref(model)}}
    return {media_type: {"schema": dict(schema) if schema is not None else {"type": "string"}}}


def _parameter(p: Parameter) -> dict[str, Any]:
    return {
        "name": p.name,
        "in": p.where,
        "required": p.required or p.where == "path",
        "description": p.description,
        "schema": dict(p.schema),
    }


def _answers(op: Operation) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for code in sorted(op.answers):
        answer = op.answers[code]
        doc: dict[str, Any] = {"description": answer.description}
        if answer.media_type is not None:
            doc["content"] = {
                k: v
                for media_type in (answer.media_type, *answer.other_media_types)
                for k, v in _content(media_type, answer.model, answer.schema).items()
            }
        if answer.headers:
            doc["headers"] = {
                h.name: {"description": h.description, "schema": dict(h.schema)} for h in answer.headers
            }
        out[str(code)] = doc
    return out


def _document_operation(op: Operation) -> dict[str, Any]:
    declared = {p.name for p in op.parameters if p.where == "path"}
    implied = [
        Parameter(name, f"The `{name}` of the path.", where="path", required=True)
        for name in _PATH_PARAM.findall(op.path)
        if name not in declared
    ]
    doc: dict[str, Any] = {"operationId": _operation_id(op), "summary": op.summary}
    if op.description:
        doc["description"] = op.description
    if op.tags:
        doc["tags"] = list(op.tags)
    if parameters := [_parameter(p) for p in (*implied, *op.parameters)]:
        doc["parameters"] = parameters
    if op.body is not None or op.body_schema is not None:
        doc["requestBody"] = {
            "required": True,
            "content": _content(op.body_media_type, op.body, op.body_schema),
        }
    doc["responses"] = _answers(op)
    doc["security"] = [{name: []} for name in op.security]
    return doc


def _check(api: ServiceApi, operations: Sequence[Operation], served: Sequence[tuple[str, str]]) -> None:
    declared = [op.key for op in operations]
    twice = sorted({k for k in declared if declared.count(k) > 1})
    missing = sorted(set(served) - set(declared))
    extra = sorted(set(declared) - set(served))
    unknown = sorted({s for op in operations for s in op.security} - set(api.security_schemes))
    problems = [
        *(f"served but not documented: {m} {p}" for m, p in missing),
        *(f"documented but not served: {m} {p}" for m, p in extra),
        *(f"documented twice: {m} {p}" for m, p in twice),
        *(f"unknown security scheme: {s}" for s in unknown),
    ]
    if problems:
        raise RouteTableMismatch(f"{api.service}: " + "; ".join(problems))


def openapi_document(api: ServiceApi, routes: Iterable[BaseRoute]) -> dict[str, Any]:
    """The OpenAPI 3.1 document of the routes served, described by `api` (RUNTIME_OPERATIONS added)."""
    operations = (*RUNTIME_OPERATIONS, *api.operations)
    served = route_table(routes)
    _check(api, operations, served)
    by_key = {op.key: op for op in operations}
    models: dict[str, type[BaseModel]] = {}
    for op in operations:
        for model in op.models():
            if models.setdefault(model.__name__, model) is not model:
                raise RouteTableMismatch(f"{api.service}: two models named {model.__name__}")
    _, schemas = models_json_schema([(models[n], "validation") for n in sorted(models)], ref_template=REF)
    paths: dict[str, dict[str, Any]] = {}
    for method, path in served:  # sorted: the document does not depend on the order of the routes
        paths.setdefault(path, {})[method.lower()] = _document_operation(by_key[(method, path)])
    components: dict[str, Any] = {"schemas": schemas.get("$defs", {})}
    if api.security_schemes:
        components["securitySchemes"] = {k: dict(v) for k, v in api.security_schemes.items()}
    return {
        "openapi": "3.1.0",
        "info": {"title": api.title, "version": api.version, "description": api.description},
        "paths": paths,
        "components": components,
    }


def openapi_text(document: Mapping[str, Any]) -> str:
    """The document as committed: indented JSON, keys in the order built, one final newline."""
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def openapi_route(document: Callable[[], Mapping[str, Any]]) -> Route:
    """GET /openapi.json: public, like /health (it holds nothing a caller could not read in docs/)."""

    async def serve(_request: Request) -> JSONResponse:
        return JSONResponse(document(), headers={"Cache-Control": "public, max-age=300"})

    return Route(OPENAPI_PATH, serve, methods=["GET"])
