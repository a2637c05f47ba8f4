"""The facts scheduling folds from other services' events, and their reading back as domain values.

Rooms, venues and budgets (scheduling.places.v1), advisors' availability (directory.advisors.v1), the
client's meeting wishes (intake.cases.v1) and the current assignee (routing.assignments.v1, the
shared projection of shared/assignee_projection.py).
Every write is an idempotent upsert keyed by the entity, so replaying a topic from offset 0
rebuilds the same rows.
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import RowMapping, bindparam, select
from sqlalchemy.engine import Transaction
from sqlalchemy.ext.asyncio import AsyncConnection

from services.scheduling.adapters import tables
from services.scheduling.domain.places import (
    AdvisorAvailability,
    ClientWindow,
    LeavePeriod,
    OffSiteBudget,
    Room,
    Venue,
    WeeklyWindow,
)
from shared.assignee_projection import AssigneeChange, AssigneeProjection
from shared.codes import MeetingMode
from shared.contracts.directory import AdvisorAvailabilitySet, WeeklyWindowSpec
from shared.contracts.intake import CaseOpened
from shared.contracts.scheduling import OffSiteBudgetSet, RoomRegistered, VenueRegistered
from shared.db import upsert
from shared.locations import UNKNOWN, is_known, location_code


@dataclass(slots=True)
class _Read:
    """Facts a transaction has read, kept until it ends: rooms, venues by organisation,
    availability by advisor (a batch of bookings reads them once, not once per booking).

    Only this module writes their tables, and each write forgets what it changes in its own
    transaction. Another transaction's write that commits meanwhile (PostgreSQL) is ordered after
    this one, as if its event had come a moment later: those writers take no lock and read
    nothing (entrypoints/kafka_handlers.py)."""

    rooms: tuple[list[Room], list[RowMapping]] | None = None
    venues: dict[str, list[Any]] = field(default_factory=dict)
    availability: dict[str, AdvisorAvailability] = field(default_factory=dict)


_read_in: weakref.WeakKeyDictionary[Transaction, _Read] = weakref.WeakKeyDictionary()


def _memo(conn: AsyncConnection) -> _Read | None:
    """What `conn`'s transaction has read of the facts (None outside a transaction)."""
    sync = conn.sync_connection
    root = sync.get_transaction() if sync is not None else None
    if root is None:
        return None
    memo = _read_in.get(root)
    if memo is None:
        memo = _read_in[root] = _Read()
    return memo


def _windows_json(windows: Sequence[WeeklyWindowSpec]) -> list[dict[str, Any]]:
    return [{"weekday": w.weekday, "start": w.start.isoformat(), "end": w.end.isoformat()} for w in windows]


def _windows(doc: Sequence[Mapping[str, Any]]) -> tuple[WeeklyWindow, ...]:
    return tuple(
        WeeklyWindow(int(w["weekday"]), time.fromisoformat(w["start"]), time.fromisoformat(w["end"]))
        for w in doc
    )


# -- writing facts ------------------------------------------------------------------------------


async def register_room(conn: AsyncConnection, room: RoomRegistered, now: datetime) -> None:
    if (memo := _memo(conn)) is not None:
        memo.rooms = None
    await upsert(
        conn,
        tables.rooms,
        ["room_id"],
        {
            "room_id": room.room_id,
            "building": room.building,
            "location": room.location,
            "discreet": room.discreet,
            "labelled_as_advisor_room": room.labelled_as_advisor_room,
            "capacity": room.capacity,
            "quiet_room": room.quiet_room,
            "bookable_hours": _windows_json(room.bookable_hours),
            "unit_ids": list(room.unit_ids),
            "registered_at": now,
        },
    )


async def register_venue(conn: AsyncConnection, venue: VenueRegistered) -> None:
    if (memo := _memo(conn)) is not None:
        memo.venues.clear()  # a venue may move to another organisation
    await upsert(
        conn,
        tables.venues,
        ["venue_id"],
        {
            "venue_id": venue.venue_id,
            "location": venue.location,
            "cost_eur_cents": venue.cost_eur_cents,
            "organisation_id": venue.organisation_id,
        },
    )


async def set_budget(conn: AsyncConnection, budget: OffSiteBudgetSet) -> None:
    """The yearly amount; what was already spent stays spent."""
    await upsert(
        conn,
        tables.offsite_budgets,
        ["organisation_id", "year"],
        {"organisation_id": budget.organisation_id, "year": budget.year, "budget_cents": budget.budget_cents},
    )


async def set_availability(
    conn: AsyncConnection, availability: AdvisorAvailabilitySet, now: datetime
) -> None:
    if (memo := _memo(conn)) is not None:
        memo.availability.pop(availability.advisor_id, None)
    await upsert(
        conn,
        tables.advisors,
        ["advisor_id"],
        {
            "advisor_id": availability.advisor_id,
            "weekly_windows": _windows_json(availability.weekly_windows),
            "leave": [[p.first_day.isoformat(), p.last_day.isoformat()] for p in availability.leave],
            "updated_at": now,
        },
    )


async def record_case_opened(conn: AsyncConnection, opened: CaseOpened) -> None:
    await upsert(
        conn,
        tables.cases,
        ["case_id"],
        {
            "case_id": opened.case_id,
            "opened": True,
            "organisation_id": opened.organisation_id,
            "unit_id": opened.unit_id,
            "location": opened.location_code,  # a code (shared/locations.py), never the town as typed
            "meeting_mode": opened.meeting_mode.value if opened.meeting_mode else None,
            "away_from_own_unit": opened.away_from_own_unit,
            "language": opened.language,
            "client_windows": [[w.start.isoformat(), w.end.isoformat()] for w in opened.availability],
        },
    )


async def code_stored_locations(conn: AsyncConnection) -> int:
    """Rows written before location codes hold the client's town as typed: replace it by its code
    (decision D20). Idempotent; run at start-up. Returns how many rows it changed."""
    rows = (
        await conn.execute(
            select(tables.cases.c.case_id, tables.cases.c.location).where(
                tables.cases.c.location.is_not(None)
            )
        )
    ).all()
    changed = [
        (r.case_id, location_code(r.location)) for r in rows if location_code(r.location) != r.location
    ]
    for case_id, code in changed:
        await conn.execute(
            tables.cases.update().where(tables.cases.c.case_id == case_id).values(location=code)
        )
    return len(changed)


ASSIGNEES = AssigneeProjection(tables.current_assignees)


async def record_assignee(conn: AsyncConnection, change: AssigneeChange) -> None:
    await ASSIGNEES.record(conn, change)


_MARK_AUTO_MEETING_REQUESTED = (
    tables.cases.update()
    .where(tables.cases.c.case_id == bindparam("of_case"))
    .values(auto_meeting_requested=True)
)


async def mark_auto_meeting_requested(conn: AsyncConnection, case_id: str) -> None:
    await conn.execute(_MARK_AUTO_MEETING_REQUESTED, {"of_case": case_id})


# -- reading facts back -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CaseFacts:
    case_id: str
    opened: bool
    organisation_id: str
    unit_id: str
    location: str  # the client's location code; "" when none was given or it is unknown
    meeting_mode: MeetingMode | None
    away_from_own_unit: bool
    language: str
    client_windows: tuple[ClientWindow, ...]
    advisor_id: str | None
    auto_meeting_requested: bool

    @property
    def wants_meeting_now(self) -> bool:
        """The client asked for a meeting at intake, it has an advisor, and none was requested yet."""
        return (
            self.opened
            and self.meeting_mode is not None
            and self.advisor_id is not None
            and not self.auto_meeting_requested
        )


_held = tables.current_assignees
_LOAD_CASE = (
    select(tables.cases, _held.c.advisor_id)
    .select_from(tables.cases.outerjoin(_held, _held.c.case_id == tables.cases.c.case_id))
    .where(tables.cases.c.case_id == bindparam("of_case"))
)


async def load_case(conn: AsyncConnection, case_id: str) -> CaseFacts | None:
    row = (await conn.execute(_LOAD_CASE, {"of_case": case_id})).first()
    if row is None:
        return None
    r = row._mapping
    return CaseFacts(
        case_id=r["case_id"],
        opened=bool(r["opened"]),
        organisation_id=r["organisation_id"] or "",
        unit_id=r["unit_id"] or "",
        location=_known_code(r["location"]),
        meeting_mode=MeetingMode(r["meeting_mode"]) if r["meeting_mode"] else None,
        away_from_own_unit=bool(r["away_from_own_unit"]),
        language=r["language"] or "nl",
        client_windows=tuple(
            ClientWindow(datetime.fromisoformat(start), datetime.fromisoformat(end))
            for start, end in (r["client_windows"] or [])
        ),
        advisor_id=r["advisor_id"],
        auto_meeting_requested=bool(r["auto_meeting_requested"]),
    )


def _known_code(stored: str | None) -> str:
    """A stored location as a code (rows written before location codes hold the town name)."""
    code = location_code(stored)
    return code if is_known(code) and code is not None else ""


def _client_room(r: Mapping[str, Any] | RowMapping) -> Room:
    """A room as a client's meeting sees it: its location as a code ("unknown" never matches)."""
    return replace(_room(r), location=_known_code(r["location"]) or UNKNOWN)


def _room(r: Mapping[str, Any] | RowMapping) -> Room:
    return Room(
        room_id=r["room_id"],
        building=r["building"],
        location=r["location"],
        discreet=bool(r["discreet"]),
        labelled_as_advisor_room=bool(r["labelled_as_advisor_room"]),
        capacity=int(r["capacity"]),
        bookable_hours=_windows(r["bookable_hours"]),
        quiet_room=bool(r["quiet_room"]),
    )


async def load_room(conn: AsyncConnection, room_id: str) -> tuple[Room, tuple[str, ...]] | None:
    row = (await conn.execute(select(tables.rooms).where(tables.rooms.c.room_id == room_id))).first()
    return None if row is None else (_room(row._mapping), tuple(row._mapping["unit_ids"]))


_ALL_ROOMS = select(tables.rooms).order_by(tables.rooms.c.room_id)


async def rooms_for_client(conn: AsyncConnection, case: CaseFacts) -> tuple[list[Room], str]:
    """Rooms worth searching for this client's meeting, and the client's building if known.

    Rooms are matched by location code (shared/locations.py). Away from the own unit: every
    location is a candidate except the client's own building. When no room lists the client's
    unit, that building is unknown and the whole location is avoided.
    """
    rooms, rows = await _client_rooms(conn)
    here = [
        (room, r)
        for room, r in zip(rooms, rows, strict=True)
        if case.location and room.location == case.location
    ]
    if not case.away_from_own_unit:
        return [room for room, _r in here], ""
    own_building = next((r["building"] for _room_, r in here if case.unit_id in (r["unit_ids"] or [])), None)
    if own_building is not None:
        return list(rooms), own_building
    return [room for room in rooms if room.location != case.location], ""


async def _client_rooms(conn: AsyncConnection) -> tuple[list[Room], list[RowMapping]]:
    """Every room as a client's meeting sees it, with its row; read once per transaction."""
    memo = _memo(conn)
    if memo is not None and memo.rooms is not None:
        return memo.rooms
    rows = [r._mapping for r in await conn.execute(_ALL_ROOMS)]
    read = ([_client_room(r) for r in rows], rows)
    if memo is not None:
        memo.rooms = read
    return read


async def quiet_rooms_at(conn: AsyncConnection, location: str) -> list[Room]:
    """The quiet rooms at a location code (BookQuietRoom carries a code), each located by that code."""
    query = select(tables.rooms).where(tables.rooms.c.quiet_room.is_(True)).order_by(tables.rooms.c.room_id)
    rooms = [_client_room(r._mapping) for r in await conn.execute(query)]
    return [room for room in rooms if room.location == location]


_VENUES_OF = (
    select(tables.venues)
    .where(tables.venues.c.organisation_id == bindparam("of_organisation"))
    .order_by(tables.venues.c.venue_id)
)


async def venues_for(conn: AsyncConnection, organisation_id: str, location: str) -> list[Venue]:
    """The organisation's venues at a location code, each with its location as that code."""
    memo = _memo(conn)
    rows = memo.venues.get(organisation_id) if memo is not None else None
    if rows is None:
        rows = list(await conn.execute(_VENUES_OF, {"of_organisation": organisation_id}))
        if memo is not None:
            memo.venues[organisation_id] = rows
    return [
        Venue(r.venue_id, location, int(r.cost_eur_cents), r.organisation_id)
        for r in rows
        if location and _known_code(r.location) == location
    ]


async def venue_location(conn: AsyncConnection, venue_id: str) -> str | None:
    v = tables.venues
    return (await conn.execute(select(v.c.location).where(v.c.venue_id == venue_id))).scalar()


async def place_names(conn: AsyncConnection, room_id: str | None, venue_id: str | None) -> list[str]:
    """What a booking's place is called, most precise first: a room's building and room, then its
    building; a venue and where it is, then where. Empty for a place scheduling does not know."""
    if room_id is not None:
        found = await load_room(conn, room_id)
        if found is None:
            return []
        room, _units = found
        return [f"{room.building}, {room.room_id}", room.building]
    if venue_id is not None:
        where = await venue_location(conn, venue_id)
        return [f"{venue_id}, {where}" if where else venue_id, where or ""]
    return []


_BUDGETS_OF = select(tables.offsite_budgets).where(
    tables.offsite_budgets.c.organisation_id == bindparam("of_organisation")
)


async def budgets_of(conn: AsyncConnection, organisation_id: str) -> list[OffSiteBudget]:
    return [
        OffSiteBudget(r.organisation_id, int(r.year), int(r.budget_cents), int(r.spent_cents or 0))
        for r in await conn.execute(_BUDGETS_OF, {"of_organisation": organisation_id})
    ]


_AVAILABILITY_OF = select(tables.advisors).where(tables.advisors.c.advisor_id == bindparam("of_advisor"))


async def availability_of(conn: AsyncConnection, advisor_id: str) -> AdvisorAvailability:
    """An advisor scheduling has not heard of has no windows: searches answer ADVISOR_UNAVAILABLE."""
    memo = _memo(conn)
    if memo is not None and (known := memo.availability.get(advisor_id)) is not None:
        return known
    row = (await conn.execute(_AVAILABILITY_OF, {"of_advisor": advisor_id})).first()
    if row is None:
        availability = AdvisorAvailability(advisor_id, ())
    else:
        availability = AdvisorAvailability(
            advisor_id,
            _windows(row.weekly_windows),
            tuple(
                LeavePeriod(date.fromisoformat(first), date.fromisoformat(last)) for first, last in row.leave
            ),
        )
    if memo is not None:
        memo.availability[advisor_id] = availability
    return availability
