"""Real envelopes for the scheduling service's input topics, and reading its answers back."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

import shared.contracts  # noqa: F401  (registers the event types)
from services.scheduling.adapters.booking_ledger import StoredBooking
from services.scheduling.app import create_runtime
from services.scheduling.settings import SchedulingSettings
from shared.auth import authorize_command, public_key_to_b64
from shared.codes import AdvisorScope, Category, Channel, ClientRole, MeetingMode
from shared.contracts.advisor_actions import BookQuietRoom, CancelMeeting, RequestMeeting
from shared.contracts.directory import (
    AdvisorAvailabilitySet,
    AdvisorKeyRegistered,
    LeaveSpec,
    WeeklyWindowSpec,
)
from shared.contracts.intake import AvailabilityWindow, CaseOpened
from shared.contracts.routing import AdvisorAssigned, CaseReassigned
from shared.contracts.scheduling import OffSiteBudgetSet, RoomRegistered, VenueRegistered
from shared.crypto import Sealed
from shared.envelope import EventPayload, new_envelope
from shared.locations import location_code
from tests.support.in_process import Bus, InProcess
from tests.support.kafka_io import produce
from tools.demo.sample_org import advisor_private_key

# Advisors' keys and availability reach scheduling on the directory's narrow copy (not directory.v1).
PLACES, ADVISORS, CASES = "scheduling.places.v1", "directory.advisors.v1", "intake.cases.v1"
ASSIGNMENTS, ACTIONS, MEETINGS = "routing.assignments.v1", "advisor.actions.v1", "scheduling.meetings.v1"
CONSUMED = (PLACES, ADVISORS, CASES, ASSIGNMENTS, ACTIONS)
ALL_TOPICS = (*CONSUMED, MEETINGS, *(f"{t}.dlq" for t in CONSUMED))
ANSWER_TYPES = (
    "MeetingScheduled",
    "NoSlotFound",
    "AdvisorCommandRejected",
    "QuietRoomBooked",
    "QuietRoomUnavailable",
)
WEEKDAYS = range(5)
UNSIGNED = "unsigned: signed when sent"
EPOCH = datetime(2025, 1, 1, tzinfo=UTC)


def sealed(case_id: str) -> Sealed:
    """Ciphertext-shaped filler: scheduling never opens sealed fields."""
    return Sealed(kid=case_id, nonce="bm9uY2U=", ct="Y2lwaGVydGV4dA==")


def windows(days: Iterable[int], start: str, end: str) -> tuple[WeeklyWindowSpec, ...]:
    return tuple(
        WeeklyWindowSpec(weekday=d, start=time.fromisoformat(start), end=time.fromisoformat(end))
        for d in days
    )


def room(
    room_id: str, location: str = "Den Haag", building: str = "Turfmarkt 147", **overrides: Any
) -> RoomRegistered:
    fields: dict[str, Any] = {
        "room_id": room_id,
        "building": building,
        "location": location,
        "discreet": True,
        "labelled_as_advisor_room": False,
        "capacity": 4,
        "bookable_hours": windows(WEEKDAYS, "08:00", "18:00"),
        "quiet_room": False,
    }
    fields.update(overrides)
    return RoomRegistered(**fields)


def availability(
    advisor_id: str,
    days: Iterable[int] = WEEKDAYS,
    start: str = "09:00",
    end: str = "17:00",
    leave: Sequence[tuple[date, date]] = (),
) -> AdvisorAvailabilitySet:
    return AdvisorAvailabilitySet(
        advisor_id=advisor_id,
        weekly_windows=windows(days, start, end),
        leave=tuple(LeaveSpec(first_day=a, last_day=b) for a, b in leave),
    )


def case_opened(
    case_id: str,
    *,
    location: str = "Den Haag",
    meeting_mode: MeetingMode | None = MeetingMode.ON_SITE_DISCREET_ROOM,
    organisation_id: str = "org-bzk",
    unit_id: str = "bzk-dgob",
    away: bool = False,
    client_windows: Sequence[tuple[datetime, datetime]] = (),
    language: str = "nl",
    categories: tuple[Category, ...] = (Category.LABOUR_CONFLICT_WITH_MANAGER,),
) -> CaseOpened:
    return CaseOpened(
        case_id=case_id,
        submission_id=f"sub-{case_id}",
        opened_at=EPOCH,
        channel=Channel.WEB,
        organisation_id=organisation_id,
        unit_id=unit_id,
        client_role=ClientRole.EMPLOYEE,
        anonymous=False,
        categories=categories,
        language=language,
        location_code=location_code(location),
        meeting_mode=meeting_mode,
        away_from_own_unit=away,
        availability=tuple(AvailabilityWindow(start=a, end=b) for a, b in client_windows),
        personal=sealed(case_id),
        routing_facts=sealed(case_id),
    )


def _completed(cls: type[EventPayload], fields: dict[str, Any]) -> dict[str, Any]:
    """Routing's contracts grow audit fields scheduling does not read: fill required ones it lacks."""
    fillers: dict[Any, Any] = {int: 0, str: "test", Sealed: sealed(str(fields.get("case_id", "")))}
    for name, info in cls.model_fields.items():
        if name not in fields and info.is_required() and info.annotation in fillers:
            fields[name] = fillers[info.annotation]
    return fields


def assigned(case_id: str, advisor_id: str) -> AdvisorAssigned:
    return AdvisorAssigned.model_validate(
        _completed(
            AdvisorAssigned,
            {
                "case_id": case_id,
                "advisor_id": advisor_id,
                "scope": AdvisorScope.INTERNAL,
                "policy_version": "test",
                "selection_reason": "lowest_load",
                "decided_at": EPOCH,
                "case_opened_at": EPOCH,
                "exclusions": sealed(case_id),
            },
        )
    )


def reassigned(case_id: str, to_advisor: str | None) -> CaseReassigned:
    """Who left is not on the event (sealed in `detail`): scheduling knows them from its state."""
    return CaseReassigned.model_validate(
        _completed(
            CaseReassigned,
            {
                "case_id": case_id,
                "to_advisor_id": to_advisor,
                "cause": "conflict",
                "scope": AdvisorScope.INTERNAL if to_advisor else None,
                "policy_version": "test",
                "decided_at": EPOCH,
                "exclusions": sealed(case_id),
            },
        )
    )


def request_meeting(case_id: str, advisor_id: str, mode: MeetingMode | None = None) -> RequestMeeting:
    return RequestMeeting(advisor_id=advisor_id, auth=UNSIGNED, issued_at=EPOCH, case_id=case_id, mode=mode)


def cancel_meeting(case_id: str, advisor_id: str, meeting_id: str, reschedule: bool = False) -> CancelMeeting:
    return CancelMeeting(
        advisor_id=advisor_id,
        auth=UNSIGNED,
        issued_at=EPOCH,
        case_id=case_id,
        meeting_id=meeting_id,
        reschedule=reschedule,
    )


def book_quiet_room(advisor_id: str, location: str, minutes: int = 60) -> BookQuietRoom:
    return BookQuietRoom(
        advisor_id=advisor_id, auth=UNSIGNED, issued_at=EPOCH, location=location, minutes=minutes
    )


def stream_of(payload: EventPayload) -> str:
    for name in ("case_id", "room_id", "venue_id", "advisor_id"):
        value = getattr(payload, name, None)
        if isinstance(value, str):
            return value
    if isinstance(payload, OffSiteBudgetSet):
        return f"budget:{payload.organisation_id}:{payload.year}"
    return str(uuid.uuid4())


def key_registration(advisor_id: str) -> AdvisorKeyRegistered:
    """The advisor's public key (the demo's deterministic key pair), as the HR feed publishes it."""
    public = public_key_to_b64(advisor_private_key(advisor_id).public_key())
    return AdvisorKeyRegistered(
        advisor_id=advisor_id, public_key_b64=public, valid_from=EPOCH, valid_until=None
    )


def signed(payload: EventPayload, now: datetime | None) -> EventPayload:
    """Advisor commands travel with a token signed by the advisor's key, as the workbench sends them."""
    if isinstance(payload, (RequestMeeting, CancelMeeting, BookQuietRoom)) and payload.auth == UNSIGNED:
        return authorize_command(
            advisor_private_key(payload.advisor_id), payload, now=now or datetime.now(UTC)
        )
    return payload


def envelope_bytes(
    payload: EventPayload, producer: str = "test", now: datetime | None = None
) -> tuple[str, bytes, bytes]:
    """(event_id, key, value) of a fresh envelope; commands are signed at `now` (default: the wall clock)."""
    payload = signed(payload, now)
    stream = stream_of(payload)
    env = new_envelope(
        payload, stream_id=stream, producer=producer, occurred_at=datetime.now(UTC), causation_id=None
    )
    return env.event_id, stream.encode(), env.to_bytes()


async def send(
    kafka: str, prefix: str, topic: str, *payloads: EventPayload, now: datetime | None = None
) -> list[str]:
    """Produce payloads as envelopes; returns their event ids.

    An advisor's availability goes out with the advisor's public key, so that the commands signed
    later can be verified; keys are not counted among the returned ids.
    """
    keys = [key_registration(p.advisor_id) for p in payloads if isinstance(p, AdvisorAvailabilitySet)]
    if keys:
        await produce(kafka, prefix + topic, [(k, v) for _, k, v in (envelope_bytes(p) for p in keys)])
    built = [envelope_bytes(p, now=now) for p in payloads]
    await produce(kafka, prefix + topic, [(key, value) for _, key, value in built])
    return [event_id for event_id, _, _ in built]


async def emitted(engine: AsyncEngine, types: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """The service's emitted events (its outbox), oldest first, as decoded envelopes."""
    from services.scheduling.adapters.tables import messaging

    events = messaging.events
    query = select(events.c.body).where(events.c.event_type != "DeadLetter").order_by(events.c.position)
    if types is not None:
        query = query.where(events.c.event_type.in_(list(types)))
    async with engine.connect() as conn:
        return [json.loads(r.body) for r in await conn.execute(query)]


def venue(venue_id: str, location: str, cost: int, organisation_id: str = "org-bzk") -> VenueRegistered:
    return VenueRegistered(
        venue_id=venue_id, location=location, cost_eur_cents=cost, organisation_id=organisation_id
    )


def budget(organisation_id: str, year: int, cents: int) -> OffSiteBudgetSet:
    return OffSiteBudgetSet(organisation_id=organisation_id, year=year, budget_cents=cents)


async def start_scheduling(tmp_path: Path, now: datetime) -> InProcess:
    """An in-process scheduling service on SQLite under `tmp_path`, its clock fixed at `now`."""
    settings = SchedulingSettings(
        kafka_bootstrap="127.0.0.1:9", database_url=f"sqlite+aiosqlite:///{tmp_path}/scheduling.db"
    )
    return await InProcess(create_runtime(settings, clock=lambda: now), Bus()).start()


def stored_meeting(n: int, *, start: datetime, room: str, advisor: str, case: str) -> StoredBooking:
    """An hour's active meeting booking as the ledger stores it, for tests of the ledger itself."""
    return StoredBooking(
        booking_id=f"booking-{n}",
        meeting_id=f"meeting-{n}",
        kind="meeting",
        case_id=case,
        advisor_id=advisor,
        room_id=room,
        venue_id=None,
        mode=MeetingMode.ON_SITE_DISCREET_ROOM,
        preference=None,
        start=start,
        end=start + timedelta(hours=1),
        status="active",
        reason_code="test",
        language="nl",
        calendar_sequence=0,
    )
