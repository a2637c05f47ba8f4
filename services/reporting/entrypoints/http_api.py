"""Reporting's HTTP surface.

GET /v1/reports/annual?org=<organisation id|all>&year=YYYY&format=html|csv|json&lang=nl|en
    The annual report (a publication: no role needed). `org=all` is the government-wide report.
GET /v1/views/management?org=<organisation id>&year=YYYY        roles management, hr (own organisation)
    Contacts by unit and quarter, small units folded into their parent, disclosure-controlled.
GET /v1/views/coordinator?advisors=a,b&year=YYYY                role coordinator (subject: organisation)
    Hours and training of the coordinator's own advisors against the baseline.
GET /v1/views/advisor?year=YYYY[&advisor=<own id>]              role advisor (subject: advisor id)
    The advisor's own hours by quarter and activity, and training.
The views take the role and subject only from a verified `Authorization: Bearer <JWT>` (credentials.py);
no header names a role. Errors carry a reason code only: 401 without a usable credential, 403 when it
does not grant the view, 404 `unknown_organisation`, 503 when reporting cannot verify credentials.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from services.reporting.adapters.credentials import NOT_CONFIGURED, Credential, CredentialVerifier
from services.reporting.application.access_rules import (
    advisor_document,
    baseline_document,
    may_see_advisors,
    may_see_management_view,
    units_document,
)
from services.reporting.application.report_use_cases import (
    MEDIA_TYPES,
    NotReleasedYet,
    Reports,
    UnknownOrganisation,
)
from services.reporting.domain.roles import Refusal, Role, View
from services.reporting.metrics import ReportingMetrics

MIN_YEAR, MAX_YEAR = 2000, 2100


def _refuse(refusal: Refusal) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if refusal.status == 401 else None  # RFC 6750
    return JSONResponse({"error": refusal.reason}, status_code=refusal.status, headers=headers)


def _year(request: Request) -> int | Refusal:
    try:
        year = int(request.query_params.get("year", ""))
    except ValueError:
        return Refusal(400, "year_required")
    return year if MIN_YEAR <= year <= MAX_YEAR else Refusal(400, "year_out_of_range")


def reporting_routes(
    reports: Callable[[], Reports],
    metrics: Callable[[], ReportingMetrics | None],
    credentials: CredentialVerifier | None = None,
) -> list[BaseRoute]:
    """`credentials` None (no key configured): the views answer 503, the annual report is served."""

    def count(view: str, outcome: str) -> None:
        m = metrics()
        if m is not None:
            m.requests.labels(str(view), outcome).inc()

    async def annual(request: Request) -> Response:
        year = _year(request)
        fmt = request.query_params.get("format", "html")
        lang = request.query_params.get("lang", "nl")
        org = request.query_params.get("org", "")
        if isinstance(year, Refusal):
            count("annual", "refused")
            return _refuse(year)
        if fmt not in MEDIA_TYPES or lang not in ("nl", "en") or not org:
            count("annual", "refused")
            return _refuse(Refusal(400, "org_format_or_lang_invalid"))
        try:
            body = await reports().render(org, year, fmt, lang)  # type: ignore[arg-type]
        except UnknownOrganisation:
            count("annual", "unknown_organisation")
            return _refuse(Refusal(404, "unknown_organisation"))
        except NotReleasedYet:
            count("annual", "not_released")
            return _refuse(Refusal(404, "year_not_released_yet_quarters_are_published_after_they_close"))
        count("annual", fmt)
        headers = {"Content-Disposition": f'inline; filename="jaarverslag-{org}-{year}.{fmt}"'}
        return Response(body.encode("utf-8"), media_type=MEDIA_TYPES[fmt], headers=headers)

    async def caller(request: Request) -> Credential | Refusal:
        if credentials is None:
            return NOT_CONFIGURED
        return await credentials.verify_request(request.headers.get("authorization"))

    async def management(request: Request) -> Response:
        who = await caller(request)
        year = _year(request)
        org = request.query_params.get("org", "")
        refusal = who if isinstance(who, Refusal) else year if isinstance(year, Refusal) else None
        if refusal is None:
            assert isinstance(who, Credential) and isinstance(year, int)
            refusal = may_see_management_view(who.role, who.subject, org)
        if refusal is not None:
            count("management", "refused")
            return _refuse(refusal)
        assert isinstance(year, int)
        try:
            units = await reports().management_units(org, year)
        except UnknownOrganisation:
            count("management", "unknown_organisation")
            return _refuse(Refusal(404, "unknown_organisation"))
        except NotReleasedYet:
            count("management", "not_released")
            return _refuse(Refusal(404, "year_not_released_yet_quarters_are_published_after_they_close"))
        count("management", "ok")
        return JSONResponse(units_document(units))

    async def per_advisor(request: Request, view: View) -> Response:
        who = await caller(request)
        year = _year(request)
        if isinstance(who, Refusal):
            count(view, "refused")
            return _refuse(who)
        if isinstance(year, Refusal):
            count(view, "refused")
            return _refuse(year)
        role, subject = who.role, who.subject
        if view is View.ADVISOR:
            advisors = [request.query_params.get("advisor") or subject]
        else:
            advisors = sorted(
                {a.strip() for a in request.query_params.get("advisors", "").split(",") if a.strip()}
            )
        service = reports()
        homes = await service.advisor_homes() if role is Role.COORDINATOR else {}
        refusal = may_see_advisors(view, role, subject, advisors, homes)
        if refusal is not None:
            count(view, "refused")
            return _refuse(refusal)
        figures = await service.advisor_figures(advisors, year)
        documents = [
            advisor_document(f, year, service.baseline, by_quarter=view is View.ADVISOR) for f in figures
        ]
        body: dict[str, Any] = {"year": year, "baseline": baseline_document(service.baseline)}
        if view is View.ADVISOR:
            body.update(documents[0])
        else:
            body["advisors"] = documents
        count(view, "ok")
        return JSONResponse(body)

    async def coordinator(request: Request) -> Response:
        return await per_advisor(request, View.COORDINATOR)

    async def advisor(request: Request) -> Response:
        return await per_advisor(request, View.ADVISOR)

    return [
        Route("/v1/reports/annual", annual, methods=["GET"]),
        Route("/v1/views/management", management, methods=["GET"]),
        Route("/v1/views/coordinator", coordinator, methods=["GET"]),
        Route("/v1/views/advisor", advisor, methods=["GET"]),
    ]
