"""Scheduling's consumers: one handler per event type, dispatched from the topics it reads.

Every handler that reads or changes cases, assignees, bookings or budgets first takes the booking
lock (adapters/booking_ledger.py), once per transaction: on SQLite the database's write lock, and
on PostgreSQL by default the one `booking_clock` row, so one scheduling transaction at a time
changes them, whichever instance runs it; with SCHEDULING_BOOKING_LOCK=case only the event's case,
so that instances working on disjoint cases and rooms do not wait on each other (D62). The
handlers of LOCK_FREE facts (rooms, venues, advisors' availability, keys, command signers) do not
take it: they read nothing and upsert only their own row, keyed by the entity; a lock holder reads
such rows but writes one only when it applies such a fact itself. So a transaction may write a
fact before it takes the lock (a batch mixes topics): a lock holder would wait on that row only
while applying an event of the same entity at the same time, which Kafka's keyed partitions rule
out outside a partition's hand-over; PostgreSQL's deadlock detector settles even that by failing
one transaction (outside any savepoint: the lock is taken, and facts written, before planning's),
and the pipeline retries that batch record by record, where no transaction mixes a fact with the
lock. Other services' topics carry event types
scheduling does not know yet (they add new ones); those are ignored, not dead-lettered. Its own
places topic is strict: an unknown type there is a defect and goes to the dead-letter topic.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from services.scheduling.adapters import projection, published_decisions
from services.scheduling.adapters.booking_ledger import (
    StoredBooking,
    latest_of_meeting,
    set_case_language,
    set_meeting_preference,
)
from services.scheduling.adapters.projection import CaseFacts
from services.scheduling.application import planning_failures
from services.scheduling.application.actors import GATE, MeetingCommand, verify_actor
from services.scheduling.application.meetings import MeetingScheduler, Placement, emitter_of
from shared.advisor_commands import rejection
from shared.assignee_projection import AssigneeChange
from shared.auth import Refusal
from shared.contracts.advisor_actions import BookQuietRoom, CancelMeeting, RequestMeeting
from shared.contracts.directory import AdvisorAvailabilitySet, AdvisorKeyRegistered, CommandSignerRegistered
from shared.contracts.intake import CaseClosed, CaseOpened, CasePersonalDataErased
from shared.contracts.routing import AdvisorAssigned, CaseReassigned, RoutingEscalated
from shared.contracts.scheduling import OffSiteBudgetSet, RoomRegistered, VenueRegistered
from shared.emitter import Emitter
from shared.envelope import EventPayload
from shared.outbox import Outgoing
from shared.pipeline import (
    IGNORED,
    Decoded,
    Inbound,
    PoisonMessage,
    Route,
    applying_alone,
    envelope_decoder,
    tolerant_envelope_decoder,
)
from shared.topics import (
    ADVISOR_ACTIONS,
    DIRECTORY_ADVISORS,
    INTAKE_CASES,
    ROUTING_ASSIGNMENTS,
    SCHEDULING_PLACES,
)

# Case events after which scheduling plans (or moves) a meeting by itself: if one fails, the
# advisor is told. (An advisor's RequestMeeting is answered by its own events, and a command's
# case id is not trusted before its token is checked.)
PLANS_A_MEETING = (CaseOpened, AdvisorAssigned, CaseReassigned)

# Facts whose handlers need no booking lock (see the module docstring). OffSiteBudgetSet is not one:
# a booking spends from the budget row it writes.
LOCK_FREE = (
    RoomRegistered,
    VenueRegistered,
    AdvisorAvailabilitySet,
    AdvisorKeyRegistered,
    CommandSignerRegistered,
)

CASE_TOPICS = (INTAKE_CASES.name, ROUTING_ASSIGNMENTS.name)
_CASE_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


@dataclass(frozen=True, slots=True)
class Unreadable:
    """A case event on intake's or routing's topic that does not decode (a value no check caught,
    or a contract mismatch): it would dead-letter, so its case is named to tell the advisor."""

    case_id: str
    event_type: str
    reason: str


def case_event_decoder(inbound: Inbound) -> Decoded:
    try:
        return tolerant_envelope_decoder(inbound)
    except PoisonMessage as exc:
        kind, case_id = _peek_case_event(inbound.value)
        if kind is None or case_id is None:
            raise
        return Decoded(f"unreadable:{inbound.position}", inbound, Unreadable(case_id, kind, exc.reason))


def _peek_case_event(value: bytes) -> tuple[str | None, str | None]:
    """(event type, case id) of a planning case event read loosely; Nones for anything else."""
    try:
        doc = json.loads(value)
    except (ValueError, RecursionError):
        return None, None
    names = {c.EVENT_TYPE for c in PLANS_A_MEETING}
    if not isinstance(doc, dict) or doc.get("event_type") not in names:
        return None, None
    payload = doc.get("payload")
    case_id = payload.get("case_id") if isinstance(payload, dict) else None
    if not isinstance(case_id, str) or not _CASE_ID.match(case_id):
        return None, None
    return str(doc["event_type"]), case_id


CONSUMED_TOPICS = (
    SCHEDULING_PLACES.name,
    DIRECTORY_ADVISORS.name,  # keys and availability; not directory.v1 (person pseudonyms)
    INTAKE_CASES.name,
    ROUTING_ASSIGNMENTS.name,
    ADVISOR_ACTIONS.name,
)


Handler = Callable[[AsyncConnection, Any, Emitter, datetime], Awaitable[list[Outgoing]]]
# Advisor commands also get their record's broker timestamp: their token is judged at it.
CommandHandler = Callable[
    [AsyncConnection, Any, Emitter, datetime, datetime | None], Awaitable[list[Outgoing]]
]


class SchedulingHandlers:
    def __init__(self, scheduler: MeetingScheduler) -> None:
        self.scheduler = scheduler
        self.ledger = scheduler.ledger
        self.folded = published_decisions.FoldedDecisions()  # what a restore folded back (D55)
        self._by_type: dict[type[EventPayload], Handler] = self._event_handlers()
        self._commands: dict[type[EventPayload], CommandHandler] = {
            RequestMeeting: self.request_meeting,
            CancelMeeting: self.cancel_meeting,
            BookQuietRoom: self.book_quiet_room,
        }

    def _event_handlers(self) -> dict[type[EventPayload], Handler]:
        return {
            RoomRegistered: self.room_registered,
            VenueRegistered: self.venue_registered,
            OffSiteBudgetSet: self.budget_set,
            AdvisorAvailabilitySet: self.availability_set,
            AdvisorKeyRegistered: self.key_registered,
            CommandSignerRegistered: self.signer_registered,
            CaseOpened: self.case_opened,
            AdvisorAssigned: self.advisor_assigned,
            CaseReassigned: self.case_reassigned,
            RoutingEscalated: self.escalated,
            CaseClosed: self.case_ended,
            CasePersonalDataErased: self.case_ended,
        }

    def routes(self) -> dict[str, Route]:
        decoders = {
            SCHEDULING_PLACES.name: envelope_decoder,
            **dict.fromkeys(CASE_TOPICS, case_event_decoder),
        }
        return {
            topic: Route(decode=decoders.get(topic, tolerant_envelope_decoder), handle=self.handle)
            for topic in CONSUMED_TOPICS
        }

    async def handle(self, conn: AsyncConnection, message: Decoded, now: datetime) -> Sequence[Outgoing]:
        if message.body is IGNORED:
            return []
        emit = emitter_of(message, now)
        if isinstance(message.body, Unreadable):
            record = message.body
            return planning_failures.unreadable(record.case_id, record.event_type, record.reason, emit, now)
        work = self._work(conn, message, emit, now)
        if work is None:
            return []  # a known event this service has no use for (OrgUnitUpserted, LogTime, ...)
        return await self._run(conn, message.body.payload, work, emit, now)

    async def _run(
        self,
        conn: AsyncConnection,
        event: Any,
        work: Callable[[], Awaitable[list[Outgoing]]],
        emit: Emitter,
        now: datetime,
    ) -> list[Outgoing]:
        if not isinstance(event, LOCK_FREE):
            # Outside the savepoint below, so that its rollback keeps the lock. A command's case id
            # is not trusted yet, but locking the case it names only makes that case's events wait.
            await self.ledger.lock(conn, getattr(event, "case_id", None))
        if not isinstance(event, PLANS_A_MEETING) or not applying_alone():
            # In a batch, planning runs without its savepoint (two statements fewer per event): a
            # failure fails the batch, which the pipeline then applies one event at a time (D64).
            return await work()
        return await planning_failures.planned_or_reported(
            conn, event, emit, now, work, partial(self.ledger.savepoint_rolled_back, conn)
        )

    def _work(
        self, conn: AsyncConnection, message: Decoded, emit: Emitter, now: datetime
    ) -> Callable[[], Awaitable[list[Outgoing]]] | None:
        """The handler of the message's payload type with its arguments bound, None if it has none."""
        payload = message.body.payload
        if (command := self._commands.get(type(payload))) is not None:
            return partial(command, conn, payload, emit, now, message.inbound.published_at)
        if (handler := self._by_type.get(type(payload))) is not None:
            return partial(handler, conn, payload, emit, now)
        return None

    # -- facts --------------------------------------------------------------------------------

    async def room_registered(
        self, conn: AsyncConnection, room: RoomRegistered, _e: Emitter, now: datetime
    ) -> list[Outgoing]:
        await projection.register_room(conn, room, now)
        return []

    async def venue_registered(
        self, conn: AsyncConnection, venue: VenueRegistered, _e: Emitter, _now: datetime
    ) -> list[Outgoing]:
        await projection.register_venue(conn, venue)
        return []

    async def budget_set(
        self, conn: AsyncConnection, budget: OffSiteBudgetSet, _e: Emitter, _now: datetime
    ) -> list[Outgoing]:
        await projection.set_budget(conn, budget)
        return []

    async def availability_set(
        self, conn: AsyncConnection, availability: AdvisorAvailabilitySet, _e: Emitter, now: datetime
    ) -> list[Outgoing]:
        await projection.set_availability(conn, availability, now)
        return []

    async def key_registered(
        self, conn: AsyncConnection, key: AdvisorKeyRegistered, _e: Emitter, _now: datetime
    ) -> list[Outgoing]:
        await GATE.record_key(conn, key)
        return []

    async def signer_registered(
        self, conn: AsyncConnection, signer: CommandSignerRegistered, _e: Emitter, _now: datetime
    ) -> list[Outgoing]:
        await GATE.record_signer(conn, signer)
        return []

    # -- cases --------------------------------------------------------------------------------

    async def case_opened(
        self, conn: AsyncConnection, opened: CaseOpened, emit: Emitter, now: datetime
    ) -> list[Outgoing]:
        await projection.record_case_opened(conn, opened)
        if await self.folded.new_meeting_published(conn, opened.case_id):
            # Its meetings were folded back by a restore before its language was known here (D55).
            await set_case_language(conn, opened.case_id, opened.language or "nl")  # as load_case reads it
        return await self._meeting_the_client_asked_for(conn, opened.case_id, emit, now)

    async def advisor_assigned(
        self, conn: AsyncConnection, assigned: AdvisorAssigned, emit: Emitter, now: datetime
    ) -> list[Outgoing]:
        await projection.record_assignee(conn, AssigneeChange.of(assigned))
        return await self._meeting_the_client_asked_for(conn, assigned.case_id, emit, now)

    async def _meeting_the_client_asked_for(
        self, conn: AsyncConnection, case_id: str, emit: Emitter, now: datetime
    ) -> list[Outgoing]:
        """Right after assignment (whichever of CaseOpened and AdvisorAssigned arrives last)."""
        case = await projection.load_case(conn, case_id)
        if case is None or not case.wants_meeting_now:
            return []
        assert case.advisor_id is not None
        await projection.mark_auto_meeting_requested(conn, case_id)
        if await self.folded.new_meeting_published(conn, case_id):
            return []  # decided before a restore, and folded back (D55): adopted, not searched again
        return await self.scheduler.schedule(conn, emit, case, case.advisor_id, now)

    async def case_reassigned(
        self, conn: AsyncConnection, reassigned: CaseReassigned, emit: Emitter, now: datetime
    ) -> list[Outgoing]:
        await projection.record_assignee(conn, AssigneeChange.of(reassigned))
        case = await projection.load_case(conn, reassigned.case_id)
        if case is None:
            return []  # not opened here yet: no meeting to move, CaseOpened plans one
        moved: list[Outgoing] = []
        if await self.folded.of_cause(conn, emit.causation_id) is None:  # else folded back (D55)
            moved = await self.scheduler.move_to_new_advisor(conn, emit, case, reassigned.to_advisor_id, now)
        return moved + await self._meeting_the_client_asked_for(conn, reassigned.case_id, emit, now)

    async def escalated(
        self, conn: AsyncConnection, escalated: RoutingEscalated, _e: Emitter, _now: datetime
    ) -> list[Outgoing]:
        await projection.record_assignee(conn, AssigneeChange.of(escalated))
        return []

    async def case_ended(
        self, conn: AsyncConnection, ended: CaseClosed | CasePersonalDataErased, emit: Emitter, now: datetime
    ) -> list[Outgoing]:
        reason = "case_closed" if isinstance(ended, CaseClosed) else "case_erased"
        return await self.scheduler.cancel_upcoming(conn, emit, ended.case_id, reason, now)

    # -- advisor commands -----------------------------------------------------------------------

    async def request_meeting(
        self,
        conn: AsyncConnection,
        command: RequestMeeting,
        emit: Emitter,
        now: datetime,
        published_at: datetime | None,
    ) -> list[Outgoing]:
        if (published := await _adopted(self.folded, conn, command, emit, now, published_at)) is not None:
            if published.meeting_id is not None:
                await set_meeting_preference(conn, published.meeting_id, command.mode)
            return []
        case = await projection.load_case(conn, command.case_id)
        if (refusal := await verify_actor(conn, command, now, published_at)) is not None:
            return [_rejected(emit, command, command.case_id, refusal)]
        assert case is not None and case.advisor_id is not None
        placement = Placement(preference=command.mode)
        return await self.scheduler.schedule(
            conn, emit, case, case.advisor_id, now, placement, command.earliest
        )

    async def cancel_meeting(
        self,
        conn: AsyncConnection,
        command: CancelMeeting,
        emit: Emitter,
        now: datetime,
        published_at: datetime | None,
    ) -> list[Outgoing]:
        if await _adopted(self.folded, conn, command, emit, now, published_at) is not None:
            return []
        case = await projection.load_case(conn, command.case_id)
        if (refusal := await verify_actor(conn, command, now, published_at)) is not None:
            return [_rejected(emit, command, command.case_id, refusal)]
        assert case is not None
        booking = await latest_of_meeting(conn, command.meeting_id)
        if (reason := _why_not_cancellable(booking, case, now)) is not None:
            return [_rejected(emit, command, command.case_id, Refusal(reason, proven=True))]
        assert booking is not None
        if command.reschedule:
            return await self.scheduler.reschedule(conn, emit, case, booking, now)
        return [await self.scheduler.cancel(conn, emit, booking, "cancelled_by_advisor", now)]

    async def book_quiet_room(
        self,
        conn: AsyncConnection,
        command: BookQuietRoom,
        emit: Emitter,
        now: datetime,
        published_at: datetime | None,
    ) -> list[Outgoing]:
        if command.location is None:  # not a location code: refused before anything, naming nothing
            return [_rejected(emit, command, None, Refusal("unknown_location_code", proven=False))]
        if await _adopted(self.folded, conn, command, emit, now, published_at) is not None:
            return []
        if (refusal := await verify_actor(conn, command, now, published_at)) is not None:
            return [_rejected(emit, command, None, refusal)]
        return await self.scheduler.book_quiet_room(
            conn, emit, command.advisor_id, command.location, command.minutes, now
        )


async def _adopted(
    folded: published_decisions.FoldedDecisions,
    conn: AsyncConnection,
    command: MeetingCommand,
    emit: Emitter,
    now: datetime,
    published_at: datetime | None,
) -> published_decisions.PublishedDecision | None:
    """The command's answer if it was published before a restore and folded back (D55), else None.

    The answer stands as published: a command it admitted spends its token again (the restored
    database is older than that), whatever the gate would answer in this interleaving; a refused
    one spent none."""
    published = await folded.of_cause(conn, emit.causation_id)
    if published is not None and not published.rejected:
        await verify_actor(conn, command, now, published_at)
    return published


def _rejected(emit: Emitter, command: EventPayload, case_id: str | None, refusal: Refusal) -> Outgoing:
    return rejection(emit, command.EVENT_TYPE, refusal, case_id, str(getattr(command, "advisor_id", "")))


def _why_not_cancellable(booking: StoredBooking | None, case: CaseFacts, now: datetime) -> str | None:
    if booking is None or booking.case_id != case.case_id or booking.kind != "meeting":
        return "meeting_unknown"
    if booking.status != "active":
        return "meeting_not_active"
    if booking.start <= now:
        return "meeting_in_past"
    return None
