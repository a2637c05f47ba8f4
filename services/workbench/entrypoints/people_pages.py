"""The workbench's pages about people rather than one case: the coordinators' queue, where a
coordinator gives an escalated case to an advisor of their choice.

Same rules as every page (entrypoints/http_api.py): a live session of the right role, the form's
CSRF token checked before anything is sent, refusals shown with their reason code in words. A
coordinator sees coded case facts and directory ids only, never a case's content.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from services.workbench.adapters.rendering import people
from services.workbench.application import coordinator_queue
from services.workbench.application.coordinator_queue import ChoiceRefused
from services.workbench.domain.sessions import Role
from services.workbench.entrypoints.http_api import WorkbenchPages, csrf_matches, form_field, lang_of


class PeoplePages(WorkbenchPages):
    async def queue(self, request: Request) -> Response:
        session, lang = await self._session(request), lang_of(request)
        if session is None or session.role is not Role.COORDINATOR or session.advisor_id is None:
            return self._refused(session, lang)
        queue = await coordinator_queue.queue_for(self._context().engine, session.advisor_id)
        done = request.query_params.get("klaar") == "verstuurd"
        return self.out.page(people.queue_page(lang, session, queue, done=done))

    async def assign(self, request: Request) -> Response:
        session, lang, body = await self._session(request), lang_of(request), await request.body()
        if session is None or session.role is not Role.COORDINATOR or session.advisor_id is None:
            return self._refused(session, lang)
        if not csrf_matches(session, body):
            return self._csrf_refused(session, lang)
        case_id = request.path_params["case_id"]
        try:
            await coordinator_queue.assign(
                self._context(),
                self._files.signer,
                session.advisor_id,
                case_id,
                form_field(body, "advisor"),
                self._now(),
            )
        except ChoiceRefused as refused:
            self._metrics.refusals.labels(refused.reason).inc()
            queue = await coordinator_queue.queue_for(self._context().engine, session.advisor_id)
            html = people.queue_page(lang, session, queue, refused=refused.reason)
            return self.out.page(html, status=409)
        return self.out.redirect(f"/wachtrij?lang={lang}&klaar=verstuurd")

    def people_routes(self) -> list[BaseRoute]:
        return [
            Route("/wachtrij", self.queue, methods=["GET"]),
            Route("/wachtrij/{case_id}/toewijzen", self.assign, methods=["POST"]),
        ]
