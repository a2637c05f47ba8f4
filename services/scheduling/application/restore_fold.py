"""Use case: a restored scheduling database gets its own published decisions back (D55).

Rooms and slots are searched against what is already booked, and meeting ids are random: deciding
again after a restore, in another interleaving of the inputs, books other rooms and slots under
new ids than the ones everyone was told. So before the restored service consumes again, its
events published after the backup are folded in (shared/restore_fold.py):

- every booking they record is put back as the live path wrote it: the meeting's id, its booking
  id (derived from meeting and calendar sequence), room or venue, slot, mode, calendar sequence,
  the venue's cost spent from the budget, and, for one moved or cancelled since, its cancellation;
  so no input consumed again can take a slot a published meeting holds;
- each decision is remembered by its cause (adapters/published_decisions.py). The cause is
  consumed again, since the case's facts, the assignee, a command's token and the mode it asked
  for are not on scheduling's events; its handler stores those and adopts the decision instead of
  searching (entrypoints/kafka_handlers.py);
- places read back from scheduling.places.v1 are registered, and those events are the causes
  returned: registering is their whole effect. So is MeetingNotPlanned's, for the input it names:
  a failed planning rolls that input's changes back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from services.scheduling.adapters import projection, published_decisions
from services.scheduling.adapters.booking_ledger import (
    BookingLedger,
    StoredBooking,
    active_booking_of_meeting,
    latest_of_meeting,
    meeting_booking_id,
)
from services.scheduling.adapters.published_decisions import PublishedDecision
from services.scheduling.domain.slots import NEUTRAL_TITLES, ReasonCode
from shared.codes import MeetingMode
from shared.contracts.advisor_commands import AdvisorCommandRejected
from shared.contracts.intake import CaseOpened
from shared.contracts.routing import AdvisorAssigned, CaseReassigned
from shared.contracts.scheduling import (
    MeetingCancelled,
    MeetingNotPlanned,
    MeetingScheduled,
    NoSlotFound,
    OffSiteBudgetSet,
    QuietRoomBooked,
    QuietRoomUnavailable,
    RoomRegistered,
    VenueBudgetReserved,
    VenueRegistered,
)
from shared.restore_fold import Cause, PublishedEvent
from shared.topics import INTAKE_CASES, ROUTING_ASSIGNMENTS, SCHEDULING_MEETINGS, SCHEDULING_PLACES


@dataclass(slots=True)
class _PutBack:
    """A booking made after the backup, as the fold will insert it."""

    booking: StoredBooking
    request_id: str
    created_at: datetime
    cancelled: tuple[datetime, str] | None = None


@dataclass(slots=True)
class _Bookings:
    """The bookings the folded events make, in memory until all are read: inserted cancelled ones
    first, then active ones, so that the database's overlap rule sees only the final active set
    (events of different cases come from different partitions, in no common order)."""

    made: dict[str, _PutBack]
    active: dict[str, str]  # meeting id -> booking id of its active booking among `made`

    def previous(self, meeting_id: str) -> StoredBooking | None:
        latest = [p.booking for p in self.made.values() if p.booking.meeting_id == meeting_id]
        return max(latest, key=lambda b: b.calendar_sequence) if latest else None


class SchedulingRestoreFold:
    """The RestoreFold of scheduling (shared/restore_fold.py); `caseflow restore` calls it."""

    def __init__(self, ledger: BookingLedger) -> None:
        self.ledger = ledger

    async def __call__(
        self, conn: AsyncConnection, events: Sequence[PublishedEvent], now: datetime
    ) -> Sequence[Cause]:
        causes = [await _register_place(conn, e, now) for e in events if e.topic == SCHEDULING_PLACES.name]
        bookings = _Bookings({}, {})
        for event in events:
            if event.topic == SCHEDULING_MEETINGS.name:
                causes += await self._fold(conn, event, bookings, now)
        made = sorted(bookings.made.values(), key=lambda p: p.cancelled is None)
        for put in made:
            await self.ledger.put_back(
                conn,
                put.booking,
                request_id=put.request_id,
                created_at=put.created_at,
                cancelled=put.cancelled,
            )
        return [c for c in causes if c is not None]

    async def _fold(
        self, conn: AsyncConnection, event: PublishedEvent, bookings: _Bookings, now: datetime
    ) -> list[Cause]:
        cause, p = event.envelope.causation_id, event.envelope.payload
        if cause is None:
            return []
        if isinstance(p, MeetingScheduled):
            booking = await _booking_of(conn, p, bookings)
            bookings.made[booking.booking_id] = _PutBack(booking, cause, p.scheduled_at)
            bookings.active[p.meeting_id] = booking.booking_id
            new = p.calendar_sequence == 0
            await _remember(
                conn, cause, p.case_id, now, new_meeting=new, meeting_id=p.meeting_id if new else None
            )
        elif isinstance(p, VenueBudgetReserved):
            if (booking_id := bookings.active.get(p.meeting_id)) is not None:
                put = bookings.made[booking_id]
                put.booking = replace(
                    put.booking,
                    organisation_id=p.organisation_id,
                    budget_year=p.year,
                    cost_cents=p.cost_cents,
                )
        elif isinstance(p, MeetingCancelled):
            await self._cancel(conn, p, bookings)
            await _remember(conn, cause, p.case_id, now)
        elif isinstance(p, NoSlotFound):
            await _remember(conn, cause, p.case_id, now, new_meeting=p.meeting_id is None)
        elif isinstance(p, QuietRoomBooked):
            booking = _quiet_booking(p)
            bookings.made[booking.booking_id] = _PutBack(booking, cause, p.booked_at)
            await _remember(conn, cause, None, now)
        elif isinstance(p, QuietRoomUnavailable):
            await _remember(conn, cause, None, now)
        elif isinstance(p, AdvisorCommandRejected) and p.advisor_id is not None:
            # (An unproven command's answer has another cause and no ids: answered alike again.)
            await _remember(conn, cause, p.case_id, now, rejected=True)
        elif isinstance(p, MeetingNotPlanned) and (topic := _FAILED_EVENT_TOPICS.get(p.failed_event)):
            return [Cause(cause, topic)]
        return []

    async def _cancel(self, conn: AsyncConnection, cancelled: MeetingCancelled, bookings: _Bookings) -> None:
        """The meeting's active booking: one folded in this run, or one the backup holds."""
        if (booking_id := bookings.active.pop(cancelled.meeting_id, None)) is not None:
            bookings.made[booking_id].cancelled = (cancelled.cancelled_at, cancelled.reason)
            return
        held = await active_booking_of_meeting(conn, cancelled.meeting_id)
        if held is not None:
            await self.ledger.cancel(conn, held, cancelled.reason, cancelled.cancelled_at)


# MeetingNotPlanned names the input whose planning failed by its type.
_FAILED_EVENT_TOPICS = {
    CaseOpened.EVENT_TYPE: INTAKE_CASES.name,
    AdvisorAssigned.EVENT_TYPE: ROUTING_ASSIGNMENTS.name,
    CaseReassigned.EVENT_TYPE: ROUTING_ASSIGNMENTS.name,
}


async def _register_place(conn: AsyncConnection, event: PublishedEvent, now: datetime) -> Cause | None:
    p = event.envelope.payload
    if isinstance(p, RoomRegistered):
        await projection.register_room(conn, p, now)
    elif isinstance(p, VenueRegistered):
        await projection.register_venue(conn, p)
    elif isinstance(p, OffSiteBudgetSet):
        await projection.set_budget(conn, p)
    else:
        return None
    return Cause(event.envelope.event_id, SCHEDULING_PLACES.name)


async def _remember(
    conn: AsyncConnection,
    cause: str,
    case_id: str | None,
    now: datetime,
    *,
    new_meeting: bool = False,
    meeting_id: str | None = None,
    rejected: bool = False,
) -> None:
    await published_decisions.record(
        conn, PublishedDecision(cause, case_id, new_meeting, meeting_id, rejected), now
    )


async def _booking_of(
    conn: AsyncConnection, scheduled: MeetingScheduled, bookings: _Bookings
) -> StoredBooking:
    """The booking the live path stored for a published MeetingScheduled.

    What the event does not carry is the meeting's own (the mode an advisor asked for, the case's
    language), so a moved meeting takes it from its previous booking. A new meeting's preference
    is None until its RequestMeeting, consumed again, adopts it; its language is the case's."""
    previous = bookings.previous(scheduled.meeting_id) or await latest_of_meeting(conn, scheduled.meeting_id)
    if previous is not None:
        preference, language = previous.preference, previous.language
    else:
        preference, language = None, await _language_of(conn, scheduled)
    return StoredBooking(
        booking_id=meeting_booking_id(scheduled.meeting_id, scheduled.calendar_sequence),
        meeting_id=scheduled.meeting_id,
        kind="meeting",
        case_id=scheduled.case_id,
        advisor_id=scheduled.advisor_id,
        room_id=scheduled.room_id,
        venue_id=scheduled.venue_id,
        mode=scheduled.mode,
        preference=preference,
        start=scheduled.start,
        end=scheduled.end,
        status="active",
        reason_code=scheduled.reason_code,
        language=language,
        calendar_sequence=scheduled.calendar_sequence,
    )


async def _language_of(conn: AsyncConnection, scheduled: MeetingScheduled) -> str:
    """The case's language, or, for a case opened after the backup, the one its neutral title is in
    (nl for a language without its own title: CaseOpened, consumed again, sets the case's)."""
    case = await projection.load_case(conn, scheduled.case_id)
    if case is not None and case.opened:
        return case.language
    by_title = {title: lang for lang, title in NEUTRAL_TITLES.items()}
    return by_title.get(scheduled.neutral_title, "nl")


def _quiet_booking(booked: QuietRoomBooked) -> StoredBooking:
    return StoredBooking.quiet(
        booked.booking_id,
        advisor_id=booked.advisor_id,
        room_id=booked.room_id,
        mode=MeetingMode.ON_SITE_DISCREET_ROOM,
        start=booked.start,
        end=booked.end,
        reason_code=ReasonCode.QUIET_ROOM.value,
        language="nl",
    )
