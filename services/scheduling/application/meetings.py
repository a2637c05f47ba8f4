"""Use cases: schedule, cancel, reschedule and move meetings; book quiet rooms.

Each use case reads what it needs inside the caller's transaction (which holds the booking lock),
asks the pure slot search for a decision, books it in the ledger and returns the events to emit.
When the database refuses a booking (someone took the slot; see adapters/booking_ledger.py) the refused slot is
marked busy and the search runs again, a bounded number of times.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncConnection

from services.scheduling.adapters import projection
from services.scheduling.adapters.booking_ledger import (
    BookingLedger,
    BookingRefused,
    BudgetSpent,
    StoredBooking,
    meeting_booking_id,
    upcoming_meetings_of_case,
)
from services.scheduling.adapters.projection import CaseFacts
from services.scheduling.domain.places import Booking
from services.scheduling.domain.slots import (
    BookingIndex,
    DecisionKind,
    MeetingRequest,
    QuietRoomRequest,
    SlotDecision,
    SlotSettings,
    find_quiet_room,
    find_slot,
)
from shared.codes import MeetingMode
from shared.contracts.scheduling import (
    MeetingCancelled,
    MeetingScheduled,
    NoSlotFound,
    QuietRoomBooked,
    QuietRoomUnavailable,
    VenueBudgetReserved,
)
from shared.emitter import Emitter
from shared.outbox import Outgoing
from shared.pipeline import Decoded
from shared.topics import SCHEDULING_MEETINGS

PRODUCER = "scheduling"
# The answer when every attempt found its slot taken by a concurrent booking.
BOOKING_CONFLICT = "BOOKING_CONFLICT"


def emitter_of(message: Decoded, now: datetime) -> Emitter:
    """Scheduling's events caused by a consumed message (its id the cause, its correlation carried)."""
    return Emitter.of_message(message, producer=PRODUCER, topic=SCHEDULING_MEETINGS.name, now=now)


@dataclass(frozen=True, slots=True)
class Placement:
    """Which meeting a search is for: a new one, or an existing one that moves (same id, next sequence)."""

    meeting_id: str | None = None
    calendar_sequence: int = 0
    preference: MeetingMode | None = None
    avoid: Booking | None = None  # a reschedule does not land on the slot it leaves


class MeetingScheduler:
    def __init__(self, ledger: BookingLedger, settings: SlotSettings, attempts: int) -> None:
        self.ledger = ledger
        self.settings = settings
        self.attempts = attempts

    async def schedule(
        self,
        conn: AsyncConnection,
        emit: Emitter,
        case: CaseFacts,
        advisor_id: str,
        now: datetime,
        placement: Placement = Placement(),
        earliest: datetime | None = None,
    ) -> list[Outgoing]:
        """MeetingScheduled (with VenueBudgetReserved for a venue), or NoSlotFound with a reason."""
        preference = placement.preference or case.meeting_mode or MeetingMode.ON_SITE_DISCREET_ROOM
        rooms, client_building = await projection.rooms_for_client(conn, case)
        request = MeetingRequest(
            advisor_id=advisor_id,
            organisation_id=case.organisation_id,
            client_location=case.location,
            client_building=client_building,
            preference=preference,
            away_from_own_unit=case.away_from_own_unit,
            remote_fallback=MeetingMode.VIDEO if preference is MeetingMode.VIDEO else MeetingMode.PHONE,
            language=case.language,
        )
        availability = await projection.availability_of(conn, advisor_id)
        venues = await projection.venues_for(conn, case.organisation_id, case.location)
        search_from = max(now, earliest - self.settings.lead_time) if earliest is not None else now
        refused: list[Booking] = [placement.avoid] if placement.avoid is not None else []
        discriminator = placement.meeting_id or ""
        for _attempt in range(self.attempts):
            index = _with(await self.ledger.index(conn, now), refused)
            decision = find_slot(
                request,
                rooms,
                index,
                availability,
                case.client_windows,
                (),
                search_from,
                self.settings,
                venues=venues,
                # Read per search (a booking spends from it); without a venue nearby it decides nothing.
                budgets=await projection.budgets_of(conn, case.organisation_id) if venues else (),
            )
            if decision.kind is DecisionKind.NO_SLOT:
                return [self._no_slot(emit, case, advisor_id, decision.reason_code.value, placement, now)]
            booking = self._meeting_booking(decision, case, advisor_id, placement, preference)
            try:
                booking = await self.ledger.add(
                    conn,
                    booking,
                    request_id=emit.causation_id,
                    now=now,
                    reservation=decision.budget_reservation,
                )
            except BookingRefused:
                refused.append(booking.as_booking())
                continue
            except BudgetSpent:
                continue  # the next search reads the budget again
            return self._scheduled(emit, booking, decision, now, discriminator)
        return [self._no_slot(emit, case, advisor_id, BOOKING_CONFLICT, placement, now)]

    def _meeting_booking(
        self,
        decision: SlotDecision,
        case: CaseFacts,
        advisor_id: str,
        placement: Placement,
        preference: MeetingMode,
    ) -> StoredBooking:
        assert decision.start_utc is not None and decision.end_utc is not None
        meeting_id = placement.meeting_id or str(uuid.uuid4())
        return StoredBooking(
            booking_id=meeting_booking_id(meeting_id, placement.calendar_sequence),
            meeting_id=meeting_id,
            kind="meeting",
            case_id=case.case_id,
            advisor_id=advisor_id,
            room_id=decision.room_id,
            venue_id=decision.venue_id,
            mode=decision.mode,
            preference=placement.preference,
            start=decision.start_utc,
            end=decision.end_utc,
            status="active",
            reason_code=decision.reason_code.value,
            language=case.language,
            calendar_sequence=placement.calendar_sequence,
        )

    def _scheduled(
        self, emit: Emitter, booking: StoredBooking, decision: SlotDecision, now: datetime, discriminator: str
    ) -> list[Outgoing]:
        assert booking.case_id is not None
        events = [
            emit(
                MeetingScheduled(
                    meeting_id=booking.meeting_id,
                    case_id=booking.case_id,
                    advisor_id=booking.advisor_id,
                    start=booking.start,
                    end=booking.end,
                    mode=booking.mode,
                    room_id=booking.room_id,
                    venue_id=booking.venue_id,
                    neutral_title=decision.neutral_title,
                    reason_code=booking.reason_code,
                    scheduled_at=now,
                    calendar_sequence=booking.calendar_sequence,
                ),
                booking.case_id,
                discriminator,
            )
        ]
        reservation = decision.budget_reservation
        if reservation is not None:
            events.append(
                emit(
                    VenueBudgetReserved(
                        organisation_id=reservation.organisation_id,
                        year=reservation.year,
                        venue_id=reservation.venue_id,
                        meeting_id=booking.meeting_id,
                        cost_cents=reservation.cost_cents,
                        remaining_after_cents=reservation.remaining_after_cents,
                        reserved_at=now,
                    ),
                    booking.case_id,
                    discriminator,
                )
            )
        return events

    def _no_slot(
        self,
        emit: Emitter,
        case: CaseFacts,
        advisor_id: str,
        reason: str,
        placement: Placement,
        now: datetime,
    ) -> Outgoing:
        payload = NoSlotFound(
            case_id=case.case_id,
            advisor_id=advisor_id,
            reason_code=reason,
            decided_at=now,
            meeting_id=placement.meeting_id,
        )
        return emit(payload, case.case_id, placement.meeting_id or "")

    async def cancel(
        self, conn: AsyncConnection, emit: Emitter, booking: StoredBooking, reason: str, now: datetime
    ) -> Outgoing:
        await self.ledger.cancel(conn, booking, reason, now)
        assert booking.case_id is not None
        payload = MeetingCancelled(
            meeting_id=booking.meeting_id,
            case_id=booking.case_id,
            advisor_id=booking.advisor_id,
            reason=reason,
            cancelled_at=now,
        )
        return emit(payload, booking.case_id, booking.meeting_id)

    async def reschedule(
        self, conn: AsyncConnection, emit: Emitter, case: CaseFacts, booking: StoredBooking, now: datetime
    ) -> list[Outgoing]:
        """Same meeting, same advisor, another time (never the slot it leaves)."""
        cancelled = await self.cancel(conn, emit, booking, "rescheduled", now)
        placement = Placement(
            booking.meeting_id, booking.calendar_sequence + 1, booking.preference, avoid=booking.as_booking()
        )
        return [cancelled, *await self.schedule(conn, emit, case, booking.advisor_id, now, placement)]

    async def move_to_new_advisor(
        self, conn: AsyncConnection, emit: Emitter, case: CaseFacts, new_advisor_id: str | None, now: datetime
    ) -> list[Outgoing]:
        """Upcoming meetings leave the former advisor: re-placed with the new one, or cancelled."""
        events: list[Outgoing] = []
        for booking in await upcoming_meetings_of_case(conn, case.case_id, now):
            if booking.advisor_id == new_advisor_id:
                continue
            events.append(await self.cancel(conn, emit, booking, "case_reassigned", now))
            if new_advisor_id is not None:
                placement = Placement(booking.meeting_id, booking.calendar_sequence + 1, booking.preference)
                events += await self.schedule(conn, emit, case, new_advisor_id, now, placement)
        return events

    async def cancel_upcoming(
        self, conn: AsyncConnection, emit: Emitter, case_id: str, reason: str, now: datetime
    ) -> list[Outgoing]:
        """A closed or erased case keeps no meetings: every upcoming one is cancelled, slot freed."""
        return [
            await self.cancel(conn, emit, booking, reason, now)
            for booking in await upcoming_meetings_of_case(conn, case_id, now)
        ]

    async def book_quiet_room(
        self,
        conn: AsyncConnection,
        emit: Emitter,
        advisor_id: str,
        location: str,
        minutes: int,
        now: datetime,
    ) -> list[Outgoing]:
        rooms = await projection.quiet_rooms_at(conn, location)
        availability = await projection.availability_of(conn, advisor_id)
        request = QuietRoomRequest(advisor_id, location, duration=timedelta(minutes=minutes))
        refused: list[Booking] = []
        reason = BOOKING_CONFLICT
        for _attempt in range(self.attempts):
            index = _with(await self.ledger.index(conn, now), refused)
            decision = find_quiet_room(request, rooms, index, availability, now, self.settings)
            if decision.kind is DecisionKind.NO_SLOT:
                reason = decision.reason_code.value
                break
            assert decision.start_utc is not None and decision.end_utc is not None
            booking = StoredBooking.quiet(
                str(uuid.uuid4()),
                advisor_id=advisor_id,
                room_id=decision.room_id,
                mode=decision.mode,
                start=decision.start_utc,
                end=decision.end_utc,
                reason_code=decision.reason_code.value,
                language=request.language,
            )
            try:
                await self.ledger.add(conn, booking, request_id=emit.causation_id, now=now)
            except BookingRefused:
                refused.append(booking.as_booking())
                continue
            assert booking.room_id is not None
            booked = QuietRoomBooked(
                booking_id=booking.booking_id,
                advisor_id=advisor_id,
                room_id=booking.room_id,
                start=booking.start,
                end=booking.end,
                booked_at=now,
            )
            return [emit(booked, advisor_id)]
        unavailable = QuietRoomUnavailable(advisor_id=advisor_id, reason_code=reason, decided_at=now)
        return [emit(unavailable, advisor_id)]


def _with(index: BookingIndex, extra: Sequence[Booking]) -> BookingIndex:
    for booking in extra:
        index = index.with_booking(booking)
    return index
