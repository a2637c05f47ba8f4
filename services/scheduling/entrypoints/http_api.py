"""GET /v1/meetings/{meeting_id}.ics?for=advisor|client: the neutral iCalendar invitation.

Title, description, location and file name say nothing about why two people meet (calendar_ics.py).
The meeting id is a random UUID that only the advisor and the client are given; the endpoint
serves nothing else (no case, no advisor, no category). A cancelled meeting serves its
cancellation, so a calendar that fetches again removes the entry.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from services.scheduling.adapters import projection
from services.scheduling.adapters.booking_ledger import StoredBooking, latest_of_meeting
from services.scheduling.domain.calendar_ics import (
    ForWhom,
    meeting_cancellation_ics,
    meeting_invitation_ics,
    remote_location_text,
    reveals_purpose,
)
from shared.codes import MeetingMode
from shared.runtime import ServiceContext

_LOCATION_FOLLOWS = {"nl": "Locatie volgt", "en": "Location to follow"}


async def neutral_location(conn: AsyncConnection, booking: StoredBooking) -> str:
    """The most precise place text that gives nothing away; a room named after its use is not named."""
    lang = booking.language
    if booking.mode in (MeetingMode.PHONE, MeetingMode.VIDEO):
        return remote_location_text(booking.mode, lang)
    candidates: list[str] = []
    if booking.room_id is not None:
        found = await projection.load_room(conn, booking.room_id)
        if found is not None:
            room, _units = found
            candidates += [f"{room.building}, {room.room_id}", room.building]
    elif booking.venue_id is not None:
        where = await projection.venue_location(conn, booking.venue_id)
        candidates += [f"{booking.venue_id}, {where}" if where else booking.venue_id, where or ""]
    for text in candidates:
        if text and not reveals_purpose(text):
            return text
    return _LOCATION_FOLLOWS.get(lang, _LOCATION_FOLLOWS["nl"])


def scheduling_routes(context: Callable[[], ServiceContext]) -> list[BaseRoute]:
    async def meeting_ics(request: Request) -> Response:
        asked_for = request.query_params.get("for", "")
        if asked_for not in ("advisor", "client"):
            return JSONResponse({"error": "for_must_be_advisor_or_client"}, status_code=400)
        for_whom: ForWhom = "advisor" if asked_for == "advisor" else "client"
        ctx = context()
        async with ctx.engine.connect() as conn:
            booking = await latest_of_meeting(conn, request.path_params["meeting_id"])
            if booking is None or (booking.kind == "quiet" and for_whom == "client"):
                return JSONResponse({"error": "meeting_unknown"}, status_code=404)
            location = await neutral_location(conn, booking)
        now = ctx.clock()
        if booking.status == "active":
            body = meeting_invitation_ics(
                booking.meeting_id,
                booking.start,
                booking.end,
                location,
                for_whom,
                booking.language,
                sequence=booking.calendar_sequence,
                dtstamp_utc=now,
            )
        else:
            body = meeting_cancellation_ics(
                booking.meeting_id,
                booking.start,
                booking.end,
                location,
                for_whom,
                booking.language,
                previous_sequence=booking.calendar_sequence,
                dtstamp_utc=now,
            )
        return Response(
            body,
            media_type="text/calendar; charset=utf-8",
            headers={
                "Content-Disposition": 'attachment; filename="afspraak.ics"',
                "Cache-Control": "no-store",
            },
        )

    return [Route("/v1/meetings/{meeting_id}.ics", meeting_ics, methods=["GET"])]
