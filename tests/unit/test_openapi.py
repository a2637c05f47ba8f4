"""Every service's OpenAPI document: made from the route table it serves, committed, valid, never stale.

docs/openapi/<service>.json is what frontends and platform teams build on. Each is regenerated
here from the runtime's real Starlette route table plus the operations the service declares
(shared/openapi.py, services/<service>/entrypoints/openapi.py): a route that is served but not
documented, or documented but not served, fails. openapi-spec-validator (a third party) judges
each document; `caseflow contracts check` (contracts_doc.drift) fails when one is stale.
"""

from __future__ import annotations

import importlib
import json
import shutil
from pathlib import Path
from typing import Any

import httpx
import pytest
from openapi_spec_validator import validate
from starlette.routing import Mount, Route

from caseflow import contracts_doc
from services.intake.entrypoints.dialogue import DialogueApi
from services.intake.entrypoints.http_api import intake_routes
from services.intake.entrypoints.openapi import INTAKE_API
from shared.openapi import RouteTableMismatch, ServiceApi, openapi_document, openapi_text, route_table
from shared.runtime import ServiceRuntime
from tests.support.services import TEST_MASTER_KEY

pytestmark = pytest.mark.unit

SERVICES = ("intake", "routing", "scheduling", "reporting", "workbench")
DOCS = Path(__file__).resolve().parents[2] / "docs" / "openapi"
REGENERATE = "caseflow contracts generate"


def runtime(service: str) -> ServiceRuntime:
    runtime: ServiceRuntime = importlib.import_module(f"services.{service}.app").create_runtime()
    return runtime


def committed(service: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((DOCS / f"{service}.json").read_text(encoding="utf-8"))
    return document


def documented(document: dict[str, Any]) -> set[tuple[str, str]]:
    return {(method.upper(), path) for path, ops in document["paths"].items() for method in ops}


def test_the_http_services_are_the_services() -> None:
    assert contracts_doc.HTTP_SERVICES == SERVICES
    assert sorted(p.stem for p in DOCS.glob("*.json")) == sorted(SERVICES)


@pytest.mark.parametrize("service", SERVICES)
def test_the_committed_document_is_what_the_code_generates(service: str) -> None:
    text = (DOCS / f"{service}.json").read_text(encoding="utf-8")
    assert text == openapi_text(runtime(service).openapi_document()), f"drifted: run {REGENERATE}"


@pytest.mark.parametrize("service", SERVICES)
def test_the_committed_document_is_valid_openapi(service: str) -> None:
    document = committed(service)
    assert document["openapi"] == "3.1.0"
    validate(document)


@pytest.mark.parametrize("service", SERVICES)
def test_every_served_route_is_documented_and_every_documented_route_is_served(service: str) -> None:
    app = runtime(service).asgi_app()  # the very app uvicorn serves; nothing starts without lifespan
    assert all(isinstance(route, Route) for route in app.routes)  # no mount, nothing unwalked
    served = {
        (method, route.path)
        for route in app.routes
        if isinstance(route, Route)
        for method in (route.methods or set()) - {"HEAD"}
    }
    assert served == documented(committed(service))
    assert {"/health", "/ready", "/metrics", "/openapi.json"} <= {p for _, p in served}


def test_a_route_without_its_description_is_refused() -> None:
    async def handler(_request: Any) -> None:
        return None

    routes = runtime("scheduling").http_routes()
    api = runtime("scheduling").openapi
    with pytest.raises(RouteTableMismatch, match="served but not documented: POST /v1/meetings"):
        openapi_document(api, [*routes, Route("/v1/meetings", handler, methods=["POST"])])
    with pytest.raises(RouteTableMismatch, match="documented but not served: GET /v1/meetings/"):
        openapi_document(
            api, [r for r in routes if getattr(r, "path", "") != "/v1/meetings/{meeting_id}.ics"]
        )
    twice = ServiceApi(api.service, api.title, api.description, api.operations * 2)
    with pytest.raises(RouteTableMismatch, match="documented twice"):
        openapi_document(twice, routes)


def test_routes_under_a_mount_are_walked_too() -> None:
    async def handler(_request: Any) -> None:
        return None

    mounted = Mount("/v2", routes=[Route("/a", handler, methods=["GET", "POST"])])
    assert route_table([mounted, Route("/b", handler)]) == [
        ("GET", "/b"),
        ("GET", "/v2/a"),
        ("POST", "/v2/a"),
    ]


def test_a_stale_document_fails_the_contracts_drift_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    docs = tmp_path / "docs"
    shutil.copytree(contracts_doc.DOCS, docs)
    monkeypatch.setattr(contracts_doc, "DOCS", docs)
    assert contracts_doc.drift() == []
    stale = committed("reporting")
    stale["paths"]["/v1/reports/annual"]["get"]["summary"] = "something else"
    (docs / "openapi" / "reporting.json").write_text(openapi_text(stale), encoding="utf-8")
    (docs / "openapi" / "gone.json").write_text("{}\n", encoding="utf-8")
    (docs / "openapi" / "workbench.json").unlink()
    assert sorted(contracts_doc.drift()) == [
        "differs docs/openapi/reporting.json",
        "missing docs/openapi/workbench.json",
        "stale docs/openapi/gone.json",
    ]
    contracts_doc.write()
    assert contracts_doc.drift() == [] and not (docs / "openapi" / "gone.json").exists()


@pytest.mark.parametrize("service", SERVICES)
async def test_the_document_is_served_publicly_and_is_the_committed_one(service: str) -> None:
    transport = httpx.ASGITransport(app=runtime(service).asgi_app())  # no lifespan: nothing starts
    async with httpx.AsyncClient(transport=transport, base_url=f"http://{service}") as client:
        answer = await client.get("/openapi.json")  # no cookie, no token, no receipt code
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/json"
    assert answer.json() == committed(service)


async def test_the_served_document_holds_nothing_from_settings() -> None:
    from services.intake.app import create_runtime
    from services.intake.settings import IntakeSettings

    settings = IntakeSettings(kafka_bootstrap="127.0.0.1:9", master_key=TEST_MASTER_KEY)
    transport = httpx.ASGITransport(app=create_runtime(settings).asgi_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://intake") as client:
        answer = await client.get("/openapi.json")
    assert answer.json() == committed("intake")
    assert TEST_MASTER_KEY not in answer.text and "127.0.0.1" not in answer.text


def test_every_operation_says_its_security_and_answers_with_a_content_type_or_a_redirect() -> None:
    for service in SERVICES:
        document = committed(service)
        schemes = set(document["components"].get("securitySchemes", {}))
        for path, ops in document["paths"].items():
            for method, op in ops.items():
                assert {name for s in op["security"] for name in s} <= schemes, (service, method, path)
                for code, answer in op["responses"].items():
                    assert "content" in answer or code.startswith("3"), (service, method, path, code)


def test_pages_calendars_and_metrics_have_their_content_types() -> None:
    intake, scheduling, reporting = committed("intake"), committed("scheduling"), committed("reporting")
    assert "text/html; charset=utf-8" in intake["paths"]["/formulier"]["get"]["responses"]["200"]["content"]
    ics = scheduling["paths"]["/v1/meetings/{meeting_id}.ics"]["get"]["responses"]["200"]["content"]
    assert list(ics) == ["text/calendar; charset=utf-8"]
    assert next(iter(reporting["paths"]["/metrics"]["get"]["responses"]["200"]["content"])).startswith(
        "text/plain"
    )
    annual = reporting["paths"]["/v1/reports/annual"]["get"]["responses"]["200"]["content"]
    assert set(annual) == {"text/html; charset=utf-8", "text/csv; charset=utf-8", "application/json"}
    form = intake["paths"]["/vervolg"]["post"]["requestBody"]["content"]
    assert form["application/x-www-form-urlencoded"]["schema"]["required"] == ["code"]


# The client API (docs/follow-up.md) as the dialogue's contract makes it.


def test_the_dialogue_routes_are_the_contracts() -> None:
    served = [*DialogueApi(lambda: None, lambda: None).routes()]  # type: ignore[arg-type, return-value]
    served += [r for r in intake_routes(lambda: None) if getattr(r, "path", "") == "/v1/submissions"]  # type: ignore[arg-type, return-value]
    from_contracts = {op.key for op in INTAKE_API.operations if op.tags[0] in ("dialogue", "submissions")}
    assert set(route_table(served)) | {("GET", "/v1/submission-key")} == from_contracts


def test_the_long_poll_and_the_receipt_header_are_in_the_contract() -> None:
    doc = committed("intake")
    read = doc["paths"]["/v1/dialogue/messages"]["get"]
    assert {p["name"] for p in read["parameters"]} == {"after", "wait"}
    assert next(p for p in read["parameters"] if p["name"] == "wait")["schema"]["maximum"] == 30
    assert read["security"] == [{"receiptCode": []}]
    assert doc["components"]["securitySchemes"]["receiptCode"] == {
        "type": "apiKey",
        "in": "header",
        "name": "X-Receipt-Code",
    }
    # The code travels only in the header (or a posted form): no operation takes it in its URL.
    in_urls = {
        p["name"]
        for ops in doc["paths"].values()
        for op in ops.values()
        for p in op.get("parameters", [])
        if p["in"] in ("query", "path")
    }
    assert in_urls == {"after", "wait", "lang", "case_id"}


def test_opening_a_case_needs_no_receipt_code_and_answers_with_one() -> None:
    doc = committed("intake")
    open_case = doc["paths"]["/v1/submissions"]["post"]
    assert open_case["operationId"] == "openCase" and open_case["security"] == []
    assert [p["name"] for p in open_case["parameters"]] == ["Idempotency-Key"]
    assert open_case["parameters"][0]["in"] == "header"
    received = doc["components"]["schemas"]["Received"]
    assert set(received["required"]) == {"status", "case_ref", "receipt_code", "passed_on"}
    assert "404" not in open_case["responses"] and "Retry-After" in open_case["responses"]["503"]["headers"]
    body = open_case["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert "narrative" in doc["components"]["schemas"][body]["properties"]
