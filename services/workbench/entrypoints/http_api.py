"""The workbench's pages: sign in and out, an advisor's cases, the coordinators' queue.

Every page is server-rendered and works without JavaScript. Each handler reads the request, calls
one use case (application/), and answers with a page or a redirect. The session cookie is
HttpOnly, SameSite=Lax and (by default) Secure with the `__Host-` prefix; every form carries the
session's CSRF token, checked before anything changes. A page for another role answers 403, a
request without a live session is sent to the start page.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import parse_qs, urlsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from services.workbench.adapters import intake_submissions
from services.workbench.adapters.case_activity import activity_of
from services.workbench.adapters.command_signer import CommandSigner
from services.workbench.adapters.intake_case_files import CaseFileRefused, IntakeCaseFiles
from services.workbench.adapters.oidc import OidcProvider, SignInFailed
from services.workbench.adapters.rendering import pages
from services.workbench.adapters.rendering.texts import TEXT
from services.workbench.adapters.reporting_views import ReportingViews, ViewUnavailable
from services.workbench.application import advisor_commands, case_actions, case_lists, contacts, preferences
from services.workbench.application.case_files import NOT_YOURS, open_case
from services.workbench.application.sign_in import SignIn
from services.workbench.application.statistics import ProtectedFigures
from services.workbench.domain.forms import FormRefused
from services.workbench.domain.sessions import Role, Session
from services.workbench.metrics import WorkbenchMetrics
from services.workbench.settings import WorkbenchSettings
from shared.runtime import ServiceContext

CALLBACK_PATH = "/auth/callback"
CaseCommand = Callable[[Session, str, bytes], Awaitable[None]]
Form = dict[str, list[str]]
CaseAction = Callable[[str, str, Form, datetime], Awaitable[None]]
HOME = {Role.ADVISOR: "/zaken", Role.COORDINATOR: "/wachtrij", Role.MANAGEMENT: "/statistieken"}


def lang_of(request: Request) -> str:
    return "en" if request.query_params.get("lang") == "en" else "nl"


@dataclass(frozen=True)
class PageResponses:
    """Headers every page gets, and the cookie's name and attributes."""

    settings: WorkbenchSettings

    @property
    def cookie_name(self) -> str:
        return "__Host-caseflow-session" if self.settings.cookie_secure else "caseflow-session"

    def headers(self) -> dict[str, str]:
        issuer = urlsplit(self.settings.oidc_issuer)
        provider = f"{issuer.scheme}://{issuer.netloc}" if issuer.netloc else ""
        return {
            "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
            f"form-action 'self' {provider}; frame-ancestors 'none'; base-uri 'none'",
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
        }

    def page(self, html: str, status: int = 200) -> HTMLResponse:
        return HTMLResponse(html, status_code=status, headers=self.headers())

    def redirect(self, url: str) -> RedirectResponse:
        return RedirectResponse(url, status_code=303, headers=self.headers())

    def with_session(self, response: Response, cookie: str) -> Response:
        max_age = self.settings.session_max_hours * 3600
        response.set_cookie(
            self.cookie_name,
            cookie,
            max_age=max_age,
            path="/",
            secure=self.settings.cookie_secure,
            httponly=True,
            samesite="lax",
        )
        return response

    @property
    def sign_in_cookie_name(self) -> str:
        return "__Host-caseflow-sign-in" if self.settings.cookie_secure else "caseflow-sign-in"

    def with_sign_in(self, response: Response, value: str) -> Response:
        """The cookie that binds a sign-in to this browser; Lax, so it comes back on the provider's
        top-level redirect to the callback."""
        response.set_cookie(
            self.sign_in_cookie_name,
            value,
            max_age=600,
            path="/",
            secure=self.settings.cookie_secure,
            httponly=True,
            samesite="lax",
        )
        return response

    def without_sign_in(self, response: Response) -> Response:
        response.delete_cookie(
            self.sign_in_cookie_name, path="/", secure=self.settings.cookie_secure, httponly=True
        )
        return response

    def without_session(self, response: Response) -> Response:
        response.delete_cookie(self.cookie_name, path="/", secure=self.settings.cookie_secure, httponly=True)
        return response


class WorkbenchPages:
    def __init__(
        self,
        settings: WorkbenchSettings,
        provider: OidcProvider,
        metrics: WorkbenchMetrics,
        views: ReportingViews,
        files: IntakeCaseFiles,
        context: Callable[[], ServiceContext],
    ) -> None:
        self._files = files
        self._settings = settings
        self._metrics = metrics
        self._views = views
        self._provider = provider
        self._context = context
        self.out = PageResponses(settings)

    def _sign_in(self) -> SignIn:
        return SignIn(self._context().engine, self._provider, self._settings.session_policy())

    def _now(self) -> datetime:
        return self._context().clock()

    def _redirect_uri(self, request: Request) -> str:
        base = self._settings.public_url or str(request.base_url)
        return base.rstrip("/") + CALLBACK_PATH

    async def _session(self, request: Request) -> Session | None:
        return await self._sign_in().current(request.cookies.get(self.out.cookie_name), self._now())

    async def start(self, request: Request) -> Response:
        session, lang = await self._session(request), lang_of(request)
        if session is not None:
            return self.out.redirect(f"{HOME[session.role]}?lang={lang}")
        return self.out.page(pages.start_page(lang))

    async def sign_in(self, request: Request) -> Response:
        lang = lang_of(request)
        try:
            started = await self._sign_in().start(self._redirect_uri(request), lang, self._now())
        except SignInFailed as failed:
            return self.out.page(pages.problem_page(lang, failed.reason), status=503)
        return self.out.with_sign_in(self.out.redirect(started.provider_url), started.browser_cookie)

    async def callback(self, request: Request) -> Response:
        state, code = request.query_params.get("state", ""), request.query_params.get("code", "")
        if request.query_params.get("error") or not state or not code:
            return self.out.page(pages.problem_page(lang_of(request), "sign_in_cancelled"), status=400)
        browser = request.cookies.get(self.out.sign_in_cookie_name, "")
        try:
            done = await self._sign_in().finish(
                self._redirect_uri(request), state, code, browser, self._now()
            )
        except SignInFailed as failed:
            self._metrics.sign_ins.labels(failed.reason).inc()
            return self.out.page(pages.problem_page(lang_of(request), failed.reason), status=401)
        self._metrics.sign_ins.labels("signed_in").inc()
        response = self.out.redirect(f"{HOME[done.session.role]}?lang={done.lang}")
        return self.out.without_sign_in(self.out.with_session(response, done.cookie))

    async def sign_out(self, request: Request) -> Response:
        session, lang = await self._session(request), lang_of(request)
        if session is None:
            return self.out.without_session(self.out.redirect(f"/?lang={lang}"))
        if not csrf_matches(session, await request.body()):
            return self._csrf_refused(session, lang)
        hint = await self._sign_in().end(request.cookies[self.out.cookie_name])
        after = (self._settings.public_url or str(request.base_url)).rstrip("/") + "/"
        try:
            logout = await self._provider.logout_url(after, hint)
        except SignInFailed:  # the provider is unreachable: signed out here, its session ends on its own
            logout = None
        return self.out.without_session(self.out.redirect(logout or f"/?lang={lang}"))

    async def my_cases(self, request: Request) -> Response:
        session, lang = await self._session(request), lang_of(request)
        if session is None or session.role is not Role.ADVISOR or session.advisor_id is None:
            return self._refused(session, lang)
        lines = await case_lists.my_cases(self._context().engine, session.advisor_id, self._now())
        refused = await case_lists.refused_conflicts(self._context().engine, session.advisor_id)
        done = request.query_params.get("klaar")
        return self.out.page(pages.case_list_page(lang, session, "/zaken", lines, done, refused))

    async def case(self, request: Request) -> Response:
        session, lang = await self._session(request), lang_of(request)
        if session is None or session.role is not Role.ADVISOR or session.advisor_id is None:
            return self._refused(session, lang)
        case_id = request.path_params["case_id"]
        try:
            file = await open_case(
                self._context().engine, self._files, session.advisor_id, case_id, self._now()
            )
        except CaseFileRefused as refused:
            status = 404 if refused.reason == NOT_YOURS else 503
            return self.out.page(pages.case_page(lang, session, None, refused.reason), status=status)
        done = request.query_params.get("klaar")
        activity = await activity_of(self._context().engine, case_id)
        return self.out.page(pages.case_page(lang, session, file, None, done, activity))

    async def accept(self, request: Request) -> Response:
        return await self._case_command(
            request,
            lambda session, case_id, _body: advisor_commands.accept(
                self._context(), self._files.signer, session.advisor_id or "", case_id, self._now()
            ),
            "accepted",
        )

    async def reply(self, request: Request) -> Response:
        return await self._case_command(
            request,
            lambda session, case_id, body: advisor_commands.reply(
                self._context(),
                self._files,
                session.advisor_id or "",
                case_id,
                form_field(body, "text"),
                self._now(),
            ),
            "sent",
        )

    async def add_person(self, request: Request) -> Response:
        async def add(session: Session, case_id: str, body: bytes) -> None:
            role, description = form_field(body, "role"), form_field(body, "description")
            ctx, now = self._context(), self._now()
            await advisor_commands.add_person(
                ctx, self._files, session.advisor_id or "", case_id, role, description, now
            )

        return await self._case_command(request, add, "person_added")

    async def contact(self, request: Request) -> Response:
        session, lang = await self._session(request), lang_of(request)
        if session is None or session.role is not Role.ADVISOR or session.advisor_id is None:
            return self._refused(session, lang)
        done, (units, _) = (
            request.query_params.get("klaar"),
            await contacts.unit_catalogue(self._context().engine),
        )
        return self.out.page(pages.contact_page(lang, session, contacts.new_form_id(), units, None, done))

    async def register_contact(self, request: Request) -> Response:
        """A phone call or walk-in as a submission to intake, preferring the signed-in advisor."""
        form = await self._advisor_form(request)
        if isinstance(form, Response):
            return form
        (session, lang, body), (units, placed) = form, await contacts.unit_catalogue(self._context().engine)
        try:
            advisor_id, now = session.advisor_id or "", self._now()
            key, doc = contacts.contact_submission(contact_form(body), advisor_id, now, placed)
            await intake_submissions.submit(self._files, doc, key)
        except intake_submissions.ContactRefused as refused:
            page = pages.contact_page(lang, session, contacts.new_form_id(), units, refused.reason)
            return self.out.page(page, status=503 if refused.reason.startswith("intake_") else 422)
        return self.out.redirect(f"/contact?lang={lang}&klaar=registered")

    async def declare_conflict(self, request: Request) -> Response:
        """Give up a case for a conflict of interest: gone from this advisor at once, then back to
        their list with a status message (routing reassigns it). Bad input answers 400."""

        async def declare(session: Session, case_id: str, body: bytes) -> None:
            reason, confirmed = form_field(body, "reason"), form_field(body, "confirm") == "yes"
            ctx, signer, now = self._context(), self._files.signer, self._now()
            advisor_id = session.advisor_id or ""
            await advisor_commands.declare_conflict(ctx, signer, advisor_id, case_id, reason, confirmed, now)

        return await self._case_command(request, declare, "conflict", True)

    def _case_action(self, action: CaseAction, done: str) -> Callable[[Request], Awaitable[Response]]:
        """A case-page form whose fields `action` parses; FormRefused answers 400 with its reason."""

        async def handle(request: Request) -> Response:
            async def act(session: Session, case_id: str, body: bytes) -> None:
                form = parse_qs(body.decode("utf-8", errors="replace"))
                await action(session.advisor_id or "", case_id, form, self._now())

            return await self._case_command(request, act, done)

        return handle

    def _signer(self) -> CommandSigner | None:
        return self._files.signer

    async def log_time(self, advisor_id: str, case_id: str, form: Form, now: datetime) -> None:
        await case_actions.log_time(self._context(), self._signer(), advisor_id, case_id, first(form), now)

    async def request_meeting(self, advisor_id: str, case_id: str, form: Form, now: datetime) -> None:
        await case_actions.request_meeting(
            self._context(), self._signer(), advisor_id, case_id, first(form), now
        )

    async def move_meeting(self, advisor_id: str, case_id: str, form: Form, now: datetime) -> None:
        await case_actions.cancel_meeting(
            self._context(), self._signer(), advisor_id, case_id, first(form), now, reschedule=True
        )

    async def cancel_meeting(self, advisor_id: str, case_id: str, form: Form, now: datetime) -> None:
        await case_actions.cancel_meeting(
            self._context(), self._signer(), advisor_id, case_id, first(form), now, reschedule=False
        )

    async def book_quiet_room(self, advisor_id: str, case_id: str, form: Form, now: datetime) -> None:
        await case_actions.book_quiet_room(
            self._context(), self._signer(), advisor_id, case_id, first(form), now
        )

    async def record_outcome(self, advisor_id: str, case_id: str, form: Form, now: datetime) -> None:
        await case_actions.record_outcome(
            self._context(), self._signer(), advisor_id, case_id, form.get("outcome", []), now
        )

    async def close_case(self, advisor_id: str, case_id: str, form: Form, now: datetime) -> None:
        await case_actions.close_case(
            self._context(), self._signer(), advisor_id, case_id, form.get("outcomes", []), now
        )

    async def meeting_invitation(self, request: Request) -> Response:
        """The meeting's .ics, for the case's current assignee only; anything else as unknown."""
        session, lang = await self._session(request), lang_of(request)
        if session is None or session.role is not Role.ADVISOR or session.advisor_id is None:
            return self._refused(session, lang)
        case_id, meeting_id = request.path_params["case_id"], request.path_params["meeting_id"]
        try:
            engine, now = self._context().engine, self._now()
            title = TEXT[lang]["case_ics_title"]
            ics = await case_actions.invitation(engine, session.advisor_id, case_id, meeting_id, title, now)
        except CaseFileRefused as refused:
            return self.out.page(pages.case_page(lang, session, None, refused.reason), status=404)
        headers = {**self.out.headers(), "Content-Disposition": 'attachment; filename="afspraak.ics"'}
        return Response(ics, media_type="text/calendar", headers=headers)

    async def _case_command(
        self, request: Request, act: CaseCommand, done: str, to_list: bool = False
    ) -> Response:
        """A case-page form: session, role and CSRF first, then the command, then back to the case
        (`to_list`: to the advisor's list)."""
        form = await self._advisor_form(request)
        if isinstance(form, Response):
            return form
        session, lang, body = form
        case_id = request.path_params["case_id"]
        try:
            await act(session, case_id, body)
        except CaseFileRefused as refused:
            status = 404 if refused.reason == NOT_YOURS else 409
            return self.out.page(pages.case_page(lang, session, None, refused.reason), status=status)
        except FormRefused as refused:
            self._metrics.refusals.labels(refused.reason).inc()
            html = pages.case_page(lang, session, None, refused.reason, back_to=case_id)
            return self.out.page(html, status=400)
        return self.out.redirect(f"{'/zaken' if to_list else f'/zaken/{case_id}'}?lang={lang}&klaar={done}")

    async def preferences(self, request: Request) -> Response:
        session, lang = await self._session(request), lang_of(request)
        if session is None or session.role is not Role.ADVISOR or session.advisor_id is None:
            return self._refused(session, lang)
        choice = await preferences.choice_of(self._context().engine, session.advisor_id)
        return self.out.page(pages.preferences_page(lang, session, choice))

    async def choose_preferences(self, request: Request) -> Response:
        session, lang, body = await self._session(request), lang_of(request), await request.body()
        if session is None or session.role is not Role.ADVISOR or session.advisor_id is None:
            return self._refused(session, lang)
        if not csrf_matches(session, body):
            return self._csrf_refused(session, lang)
        on = form_field(body, "email") != "off"
        await preferences.choose(self._context().engine, session.advisor_id, on, self._now())
        return self.out.redirect(f"/meldingen?lang={lang}")

    async def statistics(self, request: Request) -> Response:
        session, lang = await self._session(request), lang_of(request)
        if session is None or session.role is not Role.MANAGEMENT:
            return self._refused(session, lang)
        figures = ProtectedFigures(self._context().engine, self._provider, self._views, self._now)
        try:
            view = await figures.management_view(request.cookies[self.out.cookie_name], session)
        except ViewUnavailable as missing:
            return self.out.page(pages.statistics_page(lang, session, None, missing.reason), status=503)
        return self.out.page(pages.statistics_page(lang, session, view, None))

    def _case_forms(self) -> list[tuple[str, CaseAction, str]]:
        """The case page's forms: path under /zaken/{id}/, what it does, the status code after."""
        return [
            ("tijd", self.log_time, "time_logged"),
            ("afspraak", self.request_meeting, "meeting_requested"),
            ("afspraak/verzetten", self.move_meeting, "meeting_moving"),
            ("afspraak/annuleren", self.cancel_meeting, "meeting_cancelling"),
            ("stilteruimte", self.book_quiet_room, "quiet_room_requested"),
            ("uitkomst", self.record_outcome, "outcome_recorded"),
            ("sluiten", self.close_case, "closing"),
        ]

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/", self.start, methods=["GET"]),
            Route("/inloggen", self.sign_in, methods=["GET"]),
            Route(CALLBACK_PATH, self.callback, methods=["GET"]),
            Route("/uitloggen", self.sign_out, methods=["POST"]),
            *self._case_routes(),
            Route("/meldingen", self.preferences, methods=["GET"]),
            Route("/meldingen", self.choose_preferences, methods=["POST"]),
            Route("/statistieken", self.statistics, methods=["GET"]),
        ]

    def _case_routes(self) -> list[BaseRoute]:
        return [
            Route("/zaken", self.my_cases, methods=["GET"]),
            Route("/zaken/{case_id}", self.case, methods=["GET"]),
            Route("/zaken/{case_id}/aannemen", self.accept, methods=["POST"]),
            Route("/zaken/{case_id}/bericht", self.reply, methods=["POST"]),
            Route("/zaken/{case_id}/belangenconflict", self.declare_conflict, methods=["POST"]),
            Route("/zaken/{case_id}/betrokkene", self.add_person, methods=["POST"]),
            Route("/contact", self.contact, methods=["GET"]),
            Route("/contact", self.register_contact, methods=["POST"]),
            *(
                Route(f"/zaken/{{case_id}}/{path}", self._case_action(action, done), methods=["POST"])
                for path, action, done in self._case_forms()
            ),
            Route("/zaken/{case_id}/afspraken/{meeting_id}.ics", self.meeting_invitation, methods=["GET"]),
        ]

    async def _advisor_form(
        self, request: Request, role: Role = Role.ADVISOR
    ) -> tuple[Session, str, bytes] | Response:
        """A signed-in form of `role` (with the id it acts under) carrying the session's CSRF token,
        or the refusal to answer with."""
        session, lang, body = await self._session(request), lang_of(request), await request.body()
        if session is None or session.role is not role or session.advisor_id is None:
            return self._refused(session, lang)
        if not csrf_matches(session, body):
            return self._csrf_refused(session, lang)
        return session, lang, body

    def _csrf_refused(self, session: Session, lang: str) -> Response:
        self._metrics.refusals.labels("csrf_mismatch").inc()
        return self.out.page(pages.notice_page(lang, session, "/", "csrf_title", "csrf_body"), status=403)

    def _refused(self, session: Session | None, lang: str) -> Response:
        self._metrics.refusals.labels("no_session" if session is None else "wrong_role").inc()
        if session is None:
            return self.out.without_session(self.out.redirect(f"/?lang={lang}"))
        html = pages.notice_page(lang, session, "/", "forbidden_title", "forbidden_body")
        return self.out.page(html, status=403)


def form_field(body: bytes, name: str) -> str:
    """One field of an application/x-www-form-urlencoded body ("" when absent)."""
    return parse_qs(body.decode("utf-8", errors="replace")).get(name, [""])[0]


def first(form: Form) -> dict[str, str]:
    """Each field's first value."""
    return {name: values[0] for name, values in form.items() if values}


CONTACT_FIELDS = (
    *("form_id", "channel", "client_role", "category", "organisation_id", "unit_id"),
    *("narrative", "anonymous", "name", "email", "phone"),
)


def contact_form(body: bytes) -> dict[str, str]:
    """The /contact form's fields (application/contacts.py reads them)."""
    return {name: form_field(body, name) for name in CONTACT_FIELDS}


def csrf_matches(session: Session, body: bytes) -> bool:
    """The form's `csrf` field is the session's token (compared in constant time)."""
    sent = form_field(body, "csrf")
    return hmac.compare_digest(sent.encode(), session.csrf_token.encode())


def workbench_routes(
    settings: WorkbenchSettings,
    provider: OidcProvider,
    metrics: WorkbenchMetrics,
    views: ReportingViews,
    files: IntakeCaseFiles,
) -> Callable[[Callable[[], ServiceContext]], list[BaseRoute]]:
    from services.workbench.entrypoints.people_pages import PeoplePages  # it builds on this module

    def routes(context: Callable[[], ServiceContext]) -> list[BaseRoute]:
        # The coordinators' and the hours pages build on the case pages (people_pages.py).
        pages = PeoplePages(settings, provider, metrics, views, files, context)
        return pages.routes() + pages.people_routes()

    return routes
