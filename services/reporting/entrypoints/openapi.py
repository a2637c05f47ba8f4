"""What reporting's HTTP routes mean, for its OpenAPI document (shared/openapi.py builds it from
the route table; docs/openapi/reporting.json, GET /openapi.json). `caseflow contracts generate`."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from shared.openapi import HTML, JSON, Answer, Operation, Parameter, ServiceApi

ROLE_TOKEN = "roleToken"
SECURITY = {
    ROLE_TOKEN: {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "A JWT of the identity provider with one reporting role (management, hr, "
        "coordinator, advisor) and its subject (docs/reporting.md, 'Roles and views').",
    }
}


class ReportRefusal(BaseModel):
    """A reason code only: `year_required`, `year_out_of_range`, `org_format_or_lang_invalid` (400),
    a credential problem (401), not granted (403), `unknown_organisation` (404), cannot verify (503)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    error: str


YEAR = Parameter("year", "The year (YYYY).", {"type": "integer"}, required=True)
_REFUSED = {
    400: Answer("Not a valid request.", ReportRefusal),
    401: Answer(
        "No usable credential.",
        ReportRefusal,
        headers=(Parameter("WWW-Authenticate", "Bearer", where="header"),),
    ),
    403: Answer("The credential does not grant this view.", ReportRefusal),
    404: Answer("Unknown organisation, or not released yet.", ReportRefusal),
    503: Answer("Reporting cannot verify credentials (none configured).", ReportRefusal),
}
_VIEW = Answer("The view, disclosure-controlled.", schema={"type": "object"})


def _view(path: str, summary: str, operation_id: str, *parameters: Parameter) -> Operation:
    return Operation(
        "GET",
        path,
        summary,
        {200: _VIEW, **_REFUSED},
        operation_id=operation_id,
        parameters=(YEAR, *parameters),
        security=(ROLE_TOKEN,),
        tags=("views",),
    )


REPORTING_API = ServiceApi(
    "reporting",
    "caseflow reporting: the annual report and the views by role",
    "The annual report is a publication (no role needed); the views take the role and subject only "
    "from a verified `Authorization: Bearer <JWT>`. Errors carry a reason code only.",
    (
        Operation(
            "GET",
            "/v1/reports/annual",
            "The annual report of an organisation, or `org=all` for the government-wide one",
            {
                200: Answer(
                    "The report in the format asked for.",
                    media_type=HTML,
                    schema={"type": "string"},
                    other_media_types=("text/csv; charset=utf-8", JSON),
                    headers=(
                        Parameter(
                            "Content-Disposition", "inline; jaarverslag-ORG-YEAR.FORMAT", where="header"
                        ),
                    ),
                ),
                400: _REFUSED[400],
                404: _REFUSED[404],
            },
            operation_id="annualReport",
            parameters=(
                Parameter("org", "An organisation id, or `all`.", required=True),
                YEAR,
                Parameter(
                    "format",
                    "html (default, text/html), csv (text/csv) or json (application/json).",
                    {"type": "string", "enum": ["html", "csv", "json"]},
                ),
                Parameter("lang", "nl (default) or en.", {"type": "string", "enum": ["nl", "en"]}),
            ),
            tags=("reports",),
        ),
        _view(
            "/v1/views/management",
            "Contacts by unit and quarter of the caller's own organisation (management, hr)",
            "managementView",
            Parameter("org", "The caller's own organisation id.", required=True),
        ),
        _view(
            "/v1/views/coordinator",
            "Hours and training of the coordinator's own advisors (others asked for are withheld)",
            "coordinatorView",
            Parameter("advisors", "Advisor ids, comma-separated."),
        ),
        _view(
            "/v1/views/advisor",
            "The advisor's own hours by quarter and activity, and training",
            "advisorView",
            Parameter("advisor", "The caller's own advisor id (default: the caller)."),
        ),
    ),
    SECURITY,
)
