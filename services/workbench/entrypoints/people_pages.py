"""The workbench's pages about people rather than one case: the coordinators' queue, where a
coordinator gives an escalated case to an advisor of their choice, the coordinator's advisors (their
figures, terms, and the yearly reflection talk with its form), and an advisor's "Mijn uren" (their
hours, training and supervision against the baseline, and the forms to record them).

Same rules as every page (entrypoints/http_api.py): a live session of the right role, the form's
CSRF token checked before anything is sent, refusals shown with their reason code in words. A
coordinator sees coded case facts and directory ids only, never a case's content.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from services.workbench.adapters.command_signer import CommandSigner
from services.workbench.adapters.rendering import people
from services.workbench.adapters.reporting_views import ViewUnavailable
from services.workbench.application import coordinator_queue, my_advisors, my_hours
from services.workbench.application.coordinator_queue import ChoiceRefused
from services.workbench.application.my_advisors import CoordinatorFigures
from services.workbench.application.my_hours import MyFigures, RecordRefused, today_of
from services.workbench.domain.sessions import Role, Session
from services.workbench.entrypoints.http_api import WorkbenchPages, form_field, lang_of
from shared.runtime import ServiceContext

Record = Callable[[ServiceContext, CommandSigner | None, str, dict[str, str], datetime], Awaitable[None]]
RECORDS: dict[str, Record] = {
    "tijd": my_hours.log_time,
    "scholing": my_hours.register_training,
    "intervisie": my_hours.register_supervision,
}


def form_fields(body: bytes) -> dict[str, str]:
    """Every field of an application/x-www-form-urlencoded body, its first value."""
    return {k: v[0] for k, v in parse_qs(body.decode("utf-8", errors="replace")).items()}


class PeoplePages(WorkbenchPages):
    async def queue(self, request: Request) -> Response:
        session, lang = await self._session(request), lang_of(request)
        if session is None or session.role is not Role.COORDINATOR or session.advisor_id is None:
            return self._refused(session, lang)
        queue = await coordinator_queue.queue_for(self._context().engine, session.advisor_id)
        done = request.query_params.get("klaar") == "verstuurd"
        return self.out.page(people.queue_page(lang, session, queue, done=done))

    async def assign(self, request: Request) -> Response:
        form = await self._advisor_form(request, Role.COORDINATOR)
        if isinstance(form, Response):
            return form
        (session, lang, body), case_id = form, request.path_params["case_id"]
        coordinator_id, chosen = session.advisor_id or "", form_field(body, "advisor")
        try:
            ctx, signer, now = self._context(), self._files.signer, self._now()
            await coordinator_queue.assign(ctx, signer, coordinator_id, case_id, chosen, now)
        except ChoiceRefused as refused:
            self._metrics.refusals.labels(refused.reason).inc()
            queue = await coordinator_queue.queue_for(self._context().engine, coordinator_id)
            html = people.queue_page(lang, session, queue, refused=refused.reason)
            return self.out.page(html, status=409)
        return self.out.redirect(f"/wachtrij?lang={lang}&klaar=verstuurd")

    async def _hours_page(
        self,
        request: Request,
        session: Session,
        lang: str,
        refused: tuple[str, str] | None = None,
        done: str | None = None,
    ) -> str:
        figures = MyFigures(self._context().engine, self._provider, self._views, self._now)
        try:
            view, reason = await figures.advisor_view(request.cookies[self.out.cookie_name], session), None
        except ViewUnavailable as missing:
            view, reason = None, missing.reason
        today = today_of(self._now())
        return people.hours_page(lang, session, view, reason, today, refused=refused, done=done)

    async def hours(self, request: Request) -> Response:
        session, lang = await self._session(request), lang_of(request)
        if session is None or session.role is not Role.ADVISOR or session.advisor_id is None:
            return self._refused(session, lang)
        done = request.query_params.get("klaar")
        return self.out.page(await self._hours_page(request, session, lang, done=done))

    async def record(self, request: Request) -> Response:
        posted = await self._advisor_form(request)
        if isinstance(posted, Response):
            return posted
        (session, lang, body), form = posted, request.path_params["form"]
        act = RECORDS.get(form)
        if act is None:
            return self.out.page(people.hours_missing_page(lang, session), status=404)
        try:
            ctx, advisor_id = self._context(), session.advisor_id or ""
            await act(ctx, self._files.signer, advisor_id, form_fields(body), self._now())
        except RecordRefused as refused:
            self._metrics.refusals.labels(refused.reason).inc()
            html = await self._hours_page(request, session, lang, refused=(form, refused.reason))
            return self.out.page(html, status=422)
        return self.out.redirect(f"/uren?lang={lang}&klaar={form}")

    async def _advisors_page(
        self, request: Request, session: Session, lang: str, refused: str | None = None, done: bool = False
    ) -> str:
        figures = CoordinatorFigures(self._context().engine, self._provider, self._views, self._now)
        advisors = await figures.advisors(request.cookies[self.out.cookie_name], session)
        return people.advisors_page(lang, session, advisors, today_of(self._now()), refused, done)

    async def advisors(self, request: Request) -> Response:
        session, lang = await self._session(request), lang_of(request)
        if session is None or session.role is not Role.COORDINATOR or session.advisor_id is None:
            return self._refused(session, lang)
        done = request.query_params.get("klaar") == "reflectiegesprek"
        return self.out.page(await self._advisors_page(request, session, lang, done=done))

    async def reflection_talk(self, request: Request) -> Response:
        posted = await self._advisor_form(request, Role.COORDINATOR)
        if isinstance(posted, Response):
            return posted
        session, lang, body = posted
        try:
            ctx, signer = self._context(), self._files.signer
            await my_advisors.register_reflection_talk(ctx, signer, session, form_fields(body), self._now())
        except RecordRefused as refused:
            self._metrics.refusals.labels(refused.reason).inc()
            html = await self._advisors_page(request, session, lang, refused=refused.reason)
            return self.out.page(html, status=422)
        return self.out.redirect(f"/adviseurs?lang={lang}&klaar=reflectiegesprek")

    def people_routes(self) -> list[BaseRoute]:
        return [
            Route("/wachtrij", self.queue, methods=["GET"]),
            Route("/wachtrij/{case_id}/toewijzen", self.assign, methods=["POST"]),
            Route("/uren", self.hours, methods=["GET"]),
            Route("/uren/{form}", self.record, methods=["POST"]),
            Route("/adviseurs", self.advisors, methods=["GET"]),
            Route("/adviseurs/reflectiegesprek", self.reflection_talk, methods=["POST"]),
        ]
