"""A reference web intake page: an accessible form, Dutch and English, served by intake.

Progressive enhancement: the form is plain HTML that posts to intake itself (`POST /formulier`),
so it works without JavaScript, with a screen reader and with the keyboard alone. The page turns
the form into a submission (the same contract frontends publish) and runs the same use case as
`POST /v1/submissions`; the answer page shows the receipt code for anonymous follow-up.
Nothing on the page is loaded from elsewhere; it sets no cookies and keeps no analytics.
The pages are Jinja2 templates (services/intake/adapters/rendering/templates/).

Organisation, unit and advisor are chosen from lists (services/intake/adapters/form_catalogue.py):
a choice left open or not on the lists is explained on the form before anything is sent; the
chosen advisor becomes the submission's `preferred_advisor_id`, the avoided one its
`excluded_advisor_ids` (sealed in the case's routing facts, never in clear).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from services.intake.adapters.directory import RETRYABLE_REASONS
from services.intake.adapters.form_catalogue import FormCatalogue, advisor_choices, choice_problem
from services.intake.adapters.rendering.web_form_pages import (
    Problem,
    problem_of,
    render_form,
    render_received,
)
from services.intake.adapters.rendering.web_form_texts import TEXT

Submit = Callable[[bytes, Any], Awaitable[tuple[int, dict[str, Any]]]]
Catalogue = Callable[[], Awaitable[FormCatalogue]]


async def no_catalogue() -> FormCatalogue:
    return FormCatalogue()


PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
}


def _page(content: str, status_code: int = 200) -> HTMLResponse:
    return HTMLResponse(status_code=status_code, content=content, headers=PAGE_HEADERS)


def form_page(
    lang: str,
    defaults: dict[str, str],
    catalogue: FormCatalogue,
    kept: dict[str, Any] | None = None,
    problem: Problem | None = None,
    *,
    title: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """The form; after a rejection, `kept` holds what the person entered and `problem` says why."""
    values = kept if kept is not None else dict(defaults)
    title = title or str(TEXT[lang]["title"])
    content = render_form(lang, values, secrets.token_urlsafe(18), problem, title, catalogue)
    return _page(content, status_code)


def rejection_page(
    lang: str, reason: str, kept: dict[str, Any], defaults: dict[str, str], catalogue: FormCatalogue
) -> HTMLResponse:
    """Why the form was refused, in words a person can act on, above the form with their text kept
    (and a fresh submission id: nothing was opened for the refused one)."""
    # The title says first that it did not go through; a retryable refusal is a 503, as over HTTP.
    status = 503 if reason in RETRYABLE_REASONS else 422
    title = str(TEXT[lang]["rejected"])
    problem = problem_of(lang, reason)
    return form_page(lang, defaults, catalogue, kept, problem, title=title, status_code=status)


def _sent(form: dict[str, Any], now: datetime) -> dict[str, Any]:
    return {
        "schema_version": 1,
        "submission_id": form.get("submission_id", ""),
        "submitted_at": now.isoformat(),
        "channel": "web",
    }


def _answers(form: dict[str, Any], lang: str) -> dict[str, Any]:
    return {
        "organisation_id": form.get("organisation_id", ""),
        "unit_id": form.get("unit_id", ""),
        "client_role": form.get("client_role", "employee"),
        "anonymous": form.get("anonymous") == "yes",
        "categories": form.get("categories", []),
        "narrative": form.get("narrative", ""),
        "wants_external_advisor": form.get("wants_external_advisor") == "yes",
        "is_whistleblower_report": form.get("is_whistleblower_report") == "yes",
        "language": lang,
        "meeting": {
            "mode": form.get("mode", "on_site_discreet_room"),
            "location": form.get("location") or None,
        },
    }


def submission_from_form(
    form: dict[str, Any], lang: str, now: datetime, catalogue: FormCatalogue | None = None
) -> dict[str, Any]:
    doc = _sent(form, now) | _answers(form, lang) | advisor_choices(catalogue or FormCatalogue(), form)
    if not doc["anonymous"]:
        doc["contact"] = {k: form.get(k) or None for k in ("name", "email", "phone")}
    return doc


def _form_fields(body: bytes) -> dict[str, Any]:
    """application/x-www-form-urlencoded, parsed with the standard library (no multipart: no uploads)."""
    parsed = parse_qs(body.decode("utf-8", errors="replace"), keep_blank_values=True)
    fields: dict[str, Any] = {k: v[0] for k, v in parsed.items()}
    fields["categories"] = parsed.get("categories", [])
    return fields


def _lang(request: Request) -> str:
    lang = request.query_params.get("lang", "nl")
    return lang if lang in TEXT else "nl"


class WebForm:
    def __init__(
        self,
        submit: Submit,
        defaults: Callable[[], dict[str, str]] = dict,
        catalogue: Catalogue = no_catalogue,
    ) -> None:
        self._submit = submit
        self._defaults = defaults
        self._catalogue = catalogue

    async def show(self, request: Request) -> Response:
        return form_page(_lang(request), self._defaults(), await self._catalogue())

    async def post(self, request: Request) -> Response:
        lang, catalogue = _lang(request), await self._catalogue()
        fields = _form_fields(await request.body())
        problem = choice_problem(catalogue, fields)
        if problem is not None:  # a choice left open or not on the lists: nothing is sent
            return rejection_page(lang, problem, fields, self._defaults(), catalogue)
        doc = submission_from_form(fields, lang, datetime.now(UTC), catalogue)
        _status, answer = await self._submit(json.dumps(doc).encode(), doc)
        if answer.get("status") == "received":
            passed_on = bool(answer.get("passed_on", True))
            return _page(render_received(lang, str(answer["receipt_code"]), passed_on))
        return rejection_page(lang, str(answer.get("reason", "")), fields, self._defaults(), catalogue)

    async def root(self, _request: Request) -> Response:
        return RedirectResponse("/formulier", status_code=307)

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/", self.root),
            Route("/formulier", self.show, methods=["GET"]),
            Route("/formulier", self.post, methods=["POST"]),
        ]


def web_form_routes(
    submit: Submit, defaults: Callable[[], dict[str, str]] = dict, catalogue: Catalogue = no_catalogue
) -> list[BaseRoute]:
    return WebForm(submit, defaults, catalogue).routes()
