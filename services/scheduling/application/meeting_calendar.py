"""Use case: the neutral iCalendar file of one meeting, for the advisor or for the client.

An active meeting gives its invitation, a cancelled one its cancellation (the sequence one above
the last invitation), so a calendar that fetches again removes the entry. A quiet room is the
advisor's own booking: a client asking for it is answered as for an unknown meeting. The location
is the most precise place text that gives nothing away (domain/calendar_ics.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from services.scheduling.adapters import projection
from services.scheduling.adapters.booking_ledger import StoredBooking, latest_of_meeting
from services.scheduling.domain.calendar_ics import (
    ForWhom,
    meeting_cancellation_ics,
    meeting_invitation_ics,
    neutral_location_text,
    remote_location_text,
)
from shared.codes import MeetingMode


async def neutral_location(conn: AsyncConnection, booking: StoredBooking) -> str:
    """The most precise place text that gives nothing away; a room named after its use is not named."""
    if booking.mode in (MeetingMode.PHONE, MeetingMode.VIDEO):
        return remote_location_text(booking.mode, booking.language)
    places = await projection.place_names(conn, booking.room_id, booking.venue_id)
    return neutral_location_text(places, booking.language)


@dataclass(frozen=True, slots=True)
class CalendarEntry:
    """The latest booking of a meeting and its neutral location text."""

    booking: StoredBooking
    location: str

    def ics(self, for_whom: ForWhom, now: datetime) -> bytes:
        """The invitation while the meeting is active, else its cancellation; stamped `now`."""
        b = self.booking
        if b.status == "active":
            return meeting_invitation_ics(
                b.meeting_id,
                b.start,
                b.end,
                self.location,
                for_whom,
                b.language,
                sequence=b.calendar_sequence,
                dtstamp_utc=now,
            )
        return meeting_cancellation_ics(
            b.meeting_id,
            b.start,
            b.end,
            self.location,
            for_whom,
            b.language,
            previous_sequence=b.calendar_sequence,
            dtstamp_utc=now,
        )


async def calendar_entry(conn: AsyncConnection, meeting_id: str, for_whom: ForWhom) -> CalendarEntry | None:
    """The meeting's entry, or None for a meeting that is unknown to the one who asks."""
    booking = await latest_of_meeting(conn, meeting_id)
    if booking is None or (booking.kind == "quiet" and for_whom == "client"):
        return None
    return CalendarEntry(booking, await neutral_location(conn, booking))
