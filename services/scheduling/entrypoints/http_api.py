"""GET /v1/meetings/{meeting_id}.ics?for=advisor|client: the neutral iCalendar invitation.

Title, description, location and file name say nothing about why two people meet (calendar_ics.py).
The meeting id is a random UUID that only the advisor and the client are given; the endpoint
serves nothing else (no case, no advisor, no category). A cancelled meeting serves its
cancellation, so a calendar that fetches again removes the entry (application/meeting_calendar.py).
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from services.scheduling.application.meeting_calendar import calendar_entry
from services.scheduling.domain.calendar_ics import ForWhom
from shared.runtime import ServiceContext

_ICS_HEADERS = {"Content-Disposition": 'attachment; filename="afspraak.ics"', "Cache-Control": "no-store"}


def _for_whom(asked_for: str) -> ForWhom | None:
    if asked_for == "advisor":
        return "advisor"
    if asked_for == "client":
        return "client"
    return None


class MeetingCalendarApi:
    """GET /v1/meetings/{meeting_id}.ics: one use case (application/meeting_calendar.py), one handler."""

    def __init__(self, context: Callable[[], ServiceContext]) -> None:
        self._context = context

    async def ics(self, request: Request) -> Response:
        for_whom = _for_whom(request.query_params.get("for", ""))
        if for_whom is None:
            return JSONResponse({"error": "for_must_be_advisor_or_client"}, status_code=400)
        ctx = self._context()
        async with ctx.engine.connect() as conn:
            entry = await calendar_entry(conn, request.path_params["meeting_id"], for_whom)
        if entry is None:
            return JSONResponse({"error": "meeting_unknown"}, status_code=404)
        body = entry.ics(for_whom, ctx.clock())
        return Response(body, media_type="text/calendar; charset=utf-8", headers=_ICS_HEADERS)


def scheduling_routes(context: Callable[[], ServiceContext]) -> list[BaseRoute]:
    return [Route("/v1/meetings/{meeting_id}.ics", MeetingCalendarApi(context).ics, methods=["GET"])]
