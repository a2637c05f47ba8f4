"""Reporting's HTTP surface.

GET /v1/reports/annual?org=<organisation id|all>&year=YYYY&format=html|csv|json&lang=nl|en
    The annual report (a publication: no role needed). `org=all` is the government-wide report.
GET /v1/views/management?org=<organisation id>&year=YYYY        roles management, hr (own organisation)
    Contacts by unit and quarter, small units folded into their parent, disclosure-controlled.
GET /v1/views/coordinator?advisors=a,b&year=YYYY                role coordinator (subject: organisation)
    Hours and training of the coordinator's own advisors against the baseline; the advisors asked
    for whose home organisation reporting cannot confirm as the coordinator's are listed in
    `withheld` (403 when that is all of them), alike whether unknown or of another organisation.
GET /v1/views/advisor?year=YYYY[&advisor=<own id>]              role advisor (subject: advisor id)
    The advisor's own hours by quarter and activity, and training.
The views take the role and subject only from a verified `Authorization: Bearer <JWT>` (credentials.py);
no header names a role. Errors carry a reason code only: 401 without a usable credential, 403 when it
does not grant the view, 404 `unknown_organisation`, 503 when reporting cannot verify credentials.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from services.reporting.adapters.credentials import NOT_CONFIGURED, Credential, CredentialVerifier
from services.reporting.adapters.rendering.annual_report_formats import Lang
from services.reporting.application.report_use_cases import (
    MEDIA_TYPES,
    NotReleasedYet,
    ReportFormat,
    Reports,
    UnknownOrganisation,
)
from services.reporting.application.role_views import RoleViews
from services.reporting.domain.roles import Refusal, View
from services.reporting.metrics import ReportingMetrics

MIN_YEAR, MAX_YEAR = 2000, 2100
LANGS = ("nl", "en")

# What the reports raise, as the metric's outcome and the answer.
NOT_FOUND: dict[type[LookupError], tuple[str, Refusal]] = {
    UnknownOrganisation: ("unknown_organisation", Refusal(404, "unknown_organisation")),
    NotReleasedYet: (
        "not_released",
        Refusal(404, "year_not_released_yet_quarters_are_published_after_they_close"),
    ),
}


def _refuse(refusal: Refusal) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if refusal.status == 401 else None  # RFC 6750
    return JSONResponse({"error": refusal.reason}, status_code=refusal.status, headers=headers)


def _year(request: Request) -> int | Refusal:
    try:
        year = int(request.query_params.get("year", ""))
    except ValueError:
        return Refusal(400, "year_required")
    return year if MIN_YEAR <= year <= MAX_YEAR else Refusal(400, "year_out_of_range")


@dataclass(frozen=True)
class AnnualQuery:
    """`org`, `year`, `format` and `lang` of a request for the annual report."""

    org: str
    year: int
    fmt: ReportFormat
    lang: Lang

    @classmethod
    def of(cls, request: Request) -> AnnualQuery | Refusal:
        year, params = _year(request), request.query_params
        fmt, lang, org = params.get("format", "html"), params.get("lang", "nl"), params.get("org", "")
        if isinstance(year, Refusal):
            return year
        if fmt not in MEDIA_TYPES or lang not in LANGS or not org:
            return Refusal(400, "org_format_or_lang_invalid")
        return cls(org, year, fmt, lang)  # type: ignore[arg-type]

    def headers(self) -> dict[str, str]:
        return {"Content-Disposition": f'inline; filename="jaarverslag-{self.org}-{self.year}.{self.fmt}"'}


def _advisors_asked(params: QueryParams, view: View, subject: str) -> list[str]:
    """The advisor view: the advisor named (default: the caller); the coordinator view: `advisors`."""
    if view is View.ADVISOR:
        return [params.get("advisor") or subject]
    return sorted({a.strip() for a in params.get("advisors", "").split(",") if a.strip()})


class ReportingApi:
    """The annual report and the views by role; every answer is counted by view and outcome.

    `credentials` None (no key configured): the views answer 503, the annual report is served."""

    def __init__(
        self,
        reports: Callable[[], Reports],
        metrics: Callable[[], ReportingMetrics | None],
        credentials: CredentialVerifier | None = None,
    ) -> None:
        self._reports, self._metrics, self._credentials = reports, metrics, credentials
        self._views = RoleViews(reports)

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/v1/reports/annual", self.annual, methods=["GET"]),
            Route("/v1/views/management", self.management, methods=["GET"]),
            Route("/v1/views/coordinator", self.coordinator, methods=["GET"]),
            Route("/v1/views/advisor", self.advisor, methods=["GET"]),
        ]

    async def annual(self, request: Request) -> Response:
        query = AnnualQuery.of(request)
        if isinstance(query, Refusal):
            return self._refused("annual", query)
        try:
            body = await self._reports().render(query.org, query.year, query.fmt, query.lang)
        except (UnknownOrganisation, NotReleasedYet) as error:
            return self._not_found("annual", error)
        self._count("annual", query.fmt)
        return Response(body.encode("utf-8"), media_type=MEDIA_TYPES[query.fmt], headers=query.headers())

    async def management(self, request: Request) -> Response:
        asked = await self._asked(request)
        if isinstance(asked, Refusal):
            return self._refused(View.MANAGEMENT, asked)
        who, year = asked
        org = request.query_params.get("org", "")
        try:
            document = await self._views.management(who.role, who.subject, org, year)
        except (UnknownOrganisation, NotReleasedYet) as error:
            return self._not_found(View.MANAGEMENT, error)
        return self._answer(View.MANAGEMENT, document)

    async def coordinator(self, request: Request) -> Response:
        return await self._per_advisor(request, View.COORDINATOR)

    async def advisor(self, request: Request) -> Response:
        return await self._per_advisor(request, View.ADVISOR)

    async def _per_advisor(self, request: Request, view: View) -> Response:
        asked = await self._asked(request)
        if isinstance(asked, Refusal):
            return self._refused(view, asked)
        who, year = asked
        advisors = _advisors_asked(request.query_params, view, who.subject)
        return self._answer(view, await self._views.advisors(view, who.role, who.subject, advisors, year))

    async def _asked(self, request: Request) -> tuple[Credential, int] | Refusal:
        """The verified caller and the year asked for; a refusal of the credential comes first."""
        who = await self._caller(request)
        year = _year(request)
        return who if isinstance(who, Refusal) else year if isinstance(year, Refusal) else (who, year)

    async def _caller(self, request: Request) -> Credential | Refusal:
        if self._credentials is None:
            return NOT_CONFIGURED
        return await self._credentials.verify_request(request.headers.get("authorization"))

    def _answer(self, view: View, document: dict[str, Any] | Refusal) -> Response:
        if isinstance(document, Refusal):
            return self._refused(view, document)
        self._count(view, "ok")
        return JSONResponse(document)

    def _not_found(self, view: str, error: LookupError) -> JSONResponse:
        outcome, refusal = next(answer for kind, answer in NOT_FOUND.items() if isinstance(error, kind))
        return self._refused(view, refusal, outcome)

    def _refused(self, view: str, refusal: Refusal, outcome: str = "refused") -> JSONResponse:
        self._count(view, outcome)
        return _refuse(refusal)

    def _count(self, view: str, outcome: str) -> None:
        m = self._metrics()
        if m is not None:
            m.requests.labels(str(view), outcome).inc()


def reporting_routes(
    reports: Callable[[], Reports],
    metrics: Callable[[], ReportingMetrics | None],
    credentials: CredentialVerifier | None = None,
) -> list[BaseRoute]:
    """`credentials` None (no key configured): the views answer 503, the annual report is served."""
    return ReportingApi(reports, metrics, credentials).routes()
