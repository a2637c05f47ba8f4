"""The booking ledger: the bookings table, the booking lock and the cached BookingIndex.

Booking decisions are serialised across instances by one lock: the single `booking_clock` row,
selected FOR UPDATE on PostgreSQL (on SQLite, whose writers are serialised anyway, a no-op UPDATE
takes the write lock). A scheduling transaction that books, cancels or plans takes it before it
writes anything another such transaction writes (entrypoints/kafka_handlers.py says which handlers
need it), so transactions cannot deadlock on each other, and under it the database's bookings are
exactly what this instance sees.

The lock is taken once per transaction: the ledger remembers the transaction that holds it (taken
outside any savepoint, so a rolled-back savepoint cannot release it on PostgreSQL) and the clock's
token as that transaction sees it, which only its own bookings and cancellations change while it
holds the lock. A savepoint that rolls back may undo such a change: `savepoint_rolled_back` makes the
next `lock` read the token again.

The BookingIndex costs tens of milliseconds to build over a large calendar, so each instance keeps
one. It is valid while the clock row's token equals the token it was built at: every change to
bookings writes a fresh random token (a counter could come back to an old value after a rollback;
a random token cannot). An instance whose own booking just committed grows its index with that
booking instead of rebuilding it; a booking another instance made changes the token and forces a
reload. The exclusion constraints (tables.py) still decide: a booking they refuse is reported as
BookingRefused and the caller searches again.
"""

from __future__ import annotations

import uuid
import weakref
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Transaction
from sqlalchemy.ext.asyncio import AsyncConnection

from services.scheduling.adapters import tables
from services.scheduling.domain.places import Booking
from services.scheduling.domain.slots import BookingIndex, VenueBudgetReserved
from shared.codes import MeetingMode
from shared.db import insert_ignoring_duplicates, is_postgres

CLOCK_ROW = 1
# Booking ids of meetings derive from the meeting and its calendar sequence, which MeetingScheduled
# carries: a restore that folds a published meeting back gives its booking the same id (D55).
_BOOKING_IDS = uuid.UUID("5b2f0c39-8f3e-4f0e-9a55-2d6f1c0b7e41")


def meeting_booking_id(meeting_id: str, calendar_sequence: int) -> str:
    """The id of a meeting's booking at one calendar sequence (one booking per sequence)."""
    return str(uuid.uuid5(_BOOKING_IDS, f"{meeting_id}|{calendar_sequence}"))


class BookingRefused(Exception):
    """The database refused the booking: it overlaps an active one (room with buffer, or advisor)."""


class BudgetSpent(Exception):
    """The off-site budget no longer covers the venue (spent since the search read it)."""


@dataclass(frozen=True, slots=True)
class StoredBooking:
    booking_id: str
    meeting_id: str
    kind: str  # meeting | quiet
    case_id: str | None
    advisor_id: str
    room_id: str | None
    venue_id: str | None
    mode: MeetingMode
    preference: MeetingMode | None
    start: datetime
    end: datetime
    status: str
    reason_code: str
    language: str
    calendar_sequence: int
    organisation_id: str | None = None
    budget_year: int | None = None
    cost_cents: int = 0

    def as_booking(self) -> Booking:
        return Booking(self.advisor_id, self.start, self.end, self.room_id, self.booking_id)

    @classmethod
    def quiet(
        cls,
        booking_id: str,
        *,
        advisor_id: str,
        room_id: str | None,
        mode: MeetingMode,
        start: datetime,
        end: datetime,
        reason_code: str,
        language: str,
    ) -> StoredBooking:
        """An advisor's quiet-room booking: no case, its meeting id its booking id (QuietRoomBooked
        carries it, so a restore puts the same booking back)."""
        return cls(
            booking_id=booking_id,
            meeting_id=booking_id,
            kind="quiet",
            case_id=None,
            advisor_id=advisor_id,
            room_id=room_id,
            venue_id=None,
            mode=mode,
            preference=None,
            start=start,
            end=end,
            status="active",
            reason_code=reason_code,
            language=language,
            calendar_sequence=0,
        )


def _stored(r: Any) -> StoredBooking:
    return StoredBooking(
        booking_id=r.booking_id,
        meeting_id=r.meeting_id,
        kind=r.kind,
        case_id=r.case_id,
        advisor_id=r.advisor_id,
        room_id=r.room_id,
        venue_id=r.venue_id,
        mode=MeetingMode(r.mode),
        preference=MeetingMode(r.preference) if r.preference else None,
        start=r.starts_at,
        end=r.ends_at,
        status=r.status,
        reason_code=r.reason_code,
        language=r.language,
        calendar_sequence=int(r.calendar_sequence),
        organisation_id=r.organisation_id,
        budget_year=r.budget_year,
        cost_cents=int(r.cost_cents or 0),
    )


async def ensure_clock(conn: AsyncConnection) -> None:
    await conn.execute(
        insert_ignoring_duplicates(conn, tables.booking_clock, ["id"]).values(
            id=CLOCK_ROW, token=str(uuid.uuid4())
        )
    )


@dataclass(slots=True)
class _Held:
    """The lock held by one transaction, and the clock's token as it sees it (None: read it again)."""

    token: str | None


class BookingLedger:
    def __init__(
        self,
        privacy_buffer: timedelta,
        habit_lookback: timedelta,
        *,
        on_refused: Callable[[], None] | None = None,
        on_index_loaded: Callable[[], None] | None = None,
    ) -> None:
        self._on_refused = on_refused
        self._on_index_loaded = on_index_loaded
        self._half_buffer = privacy_buffer / 2
        self._lookback = habit_lookback
        self._index: BookingIndex | None = None
        self._token: str | None = None
        self._covers_from: datetime | None = None
        self.index_loads = 0  # how often the index was rebuilt from the database (for tests/benchmarks)
        self.lock_takes = 0  # how often the lock statement ran (for tests/benchmarks)
        # Root transaction -> the lock it holds; an ended transaction drops out by itself.
        self._held: weakref.WeakKeyDictionary[Transaction, _Held] = weakref.WeakKeyDictionary()

    def _holding(self, conn: AsyncConnection) -> _Held | None:
        root = conn.sync_connection.get_transaction() if conn.sync_connection is not None else None
        return None if root is None else self._held.get(root)

    async def lock(self, conn: AsyncConnection) -> str:
        """Take the booking lock (held until the transaction ends) and return the current token.

        Once per transaction: a second call in a transaction that holds the lock returns the token
        it knows (or reads it, after a rolled-back savepoint) without locking again."""
        if (held := self._holding(conn)) is not None:
            if held.token is None:
                held.token = str((await conn.execute(_READ_TOKEN)).scalar_one())
            return held.token
        self.lock_takes += 1
        if is_postgres(conn):
            token = str((await conn.execute(_LOCK_FOR_UPDATE)).scalar_one())
        else:
            await conn.execute(_TAKE_WRITE_LOCK)
            token = str((await conn.execute(_READ_TOKEN)).scalar_one())
        sync = conn.sync_connection
        root = sync.get_transaction() if sync is not None else None
        if root is not None and sync is not None and not sync.in_nested_transaction():
            self._held[root] = _Held(token)
        return token

    def savepoint_rolled_back(self, conn: AsyncConnection) -> None:
        """A savepoint of `conn`'s transaction rolled back: the token it saw may be undone."""
        if (held := self._holding(conn)) is not None:
            held.token = None

    def _token_written(self, conn: AsyncConnection, token: str) -> None:
        if (held := self._holding(conn)) is not None:
            held.token = token

    async def index(self, conn: AsyncConnection, now: datetime) -> BookingIndex:
        """Every active booking that can matter at `now` (busy times ahead, habits behind)."""
        token = await self.lock(conn)
        needed_from = now - self._lookback
        if (
            self._index is not None
            and token == self._token
            and self._covers_from is not None
            and self._covers_from <= needed_from
        ):
            return self._index
        # A day of slack: the next few searches at a later `now` can use the same index.
        covers_from = needed_from - timedelta(days=1)
        rows = await conn.execute(_ACTIVE_BOOKINGS_ENDING_AFTER, {"covers_from": covers_from})
        self._index = BookingIndex(
            Booking(r.advisor_id, r.starts_at, r.ends_at, r.room_id, r.booking_id) for r in rows
        )
        self._token, self._covers_from = token, covers_from
        self.index_loads += 1
        if self._on_index_loaded is not None:
            self._on_index_loaded()
        return self._index

    def forget_index(self) -> None:
        self._index, self._token, self._covers_from = None, None, None

    async def _new_token(self, conn: AsyncConnection) -> str:
        token = str(uuid.uuid4())
        await conn.execute(_WRITE_TOKEN, {"new_token": token})
        return token

    async def add(
        self,
        conn: AsyncConnection,
        booking: StoredBooking,
        *,
        request_id: str,
        now: datetime,
        reservation: VenueBudgetReserved | None = None,
    ) -> StoredBooking:
        """Insert an active booking (and spend the venue's cost) in a SAVEPOINT, or raise and leave no trace.

        Raises BookingRefused when the database's overlap rule refuses it, BudgetSpent when the
        budget no longer covers the venue. The caller holds the booking lock.
        """
        token_before = await self.lock(conn)
        if reservation is not None:
            booking = replace(
                booking,
                organisation_id=reservation.organisation_id,
                budget_year=reservation.year,
                cost_cents=reservation.cost_cents,
            )
        try:
            async with conn.begin_nested():
                await conn.execute(_INSERT_BOOKING, self._row(booking, request_id, now))
                if reservation is not None and not await self._spend(conn, reservation):
                    raise BudgetSpent(reservation.organisation_id)
                token = await self._new_token(conn)
        except sa_exc.IntegrityError as exc:
            self.savepoint_rolled_back(conn)
            if tables.is_overlap_violation(exc):
                if self._on_refused is not None:
                    self._on_refused()
                raise BookingRefused(booking.room_id or "advisor") from None
            raise
        except BaseException:
            self.savepoint_rolled_back(conn)
            raise
        self._token_written(conn, token)
        if self._index is not None and self._token == token_before:
            self._index = self._index.with_booking(booking.as_booking())
            self._token = token
        return booking

    def _row(self, booking: StoredBooking, request_id: str, now: datetime) -> dict[str, Any]:
        return {
            "booking_id": booking.booking_id,
            "meeting_id": booking.meeting_id,
            "kind": booking.kind,
            "case_id": booking.case_id,
            "advisor_id": booking.advisor_id,
            "room_id": booking.room_id,
            "venue_id": booking.venue_id,
            "mode": booking.mode.value,
            "preference": booking.preference.value if booking.preference else None,
            "starts_at": booking.start,
            "ends_at": booking.end,
            "guard_start": booking.start - self._half_buffer,
            "guard_end": booking.end + self._half_buffer,
            "status": "active",
            "reason_code": booking.reason_code,
            "language": booking.language,
            "calendar_sequence": booking.calendar_sequence,
            "organisation_id": booking.organisation_id,
            "budget_year": booking.budget_year,
            "cost_cents": booking.cost_cents,
            "request_id": request_id,
            "created_at": now,
        }

    async def _spend(self, conn: AsyncConnection, reservation: VenueBudgetReserved) -> bool:
        b = tables.offsite_budgets
        result = await conn.execute(
            update(b)
            .where(
                b.c.organisation_id == reservation.organisation_id,
                b.c.year == reservation.year,
                b.c.budget_cents - b.c.spent_cents >= reservation.cost_cents,
            )
            .values(spent_cents=b.c.spent_cents + reservation.cost_cents)
        )
        return bool(result.rowcount == 1)

    async def put_back(
        self,
        conn: AsyncConnection,
        booking: StoredBooking,
        *,
        request_id: str,
        created_at: datetime,
        cancelled: tuple[datetime, str] | None = None,
    ) -> None:
        """Insert a booking already decided and published (a restore's fold), as `add` would have.

        An active one spends its venue's cost without asking whether the budget covers it: the
        decision was taken when it did. A cancelled one (booked and cancelled after the backup) is
        inserted cancelled and spends nothing. A booking id the table holds is left alone."""
        await self.lock(conn)
        b = tables.bookings
        if (await conn.execute(select(b.c.booking_id).where(b.c.booking_id == booking.booking_id))).first():
            return  # checked first: SQLite's overlap trigger fires before a conflict clause would
        row = self._row(booking, request_id, created_at)
        if cancelled is not None:
            row.update(status="cancelled", cancelled_at=cancelled[0], cancel_reason=cancelled[1])
        await conn.execute(_INSERT_BOOKING, row)
        if cancelled is None and booking.cost_cents and booking.organisation_id:
            await _change_spent(conn, booking, +booking.cost_cents)
        self._token_written(conn, await self._new_token(conn))
        self.forget_index()

    async def cancel(self, conn: AsyncConnection, booking: StoredBooking, reason: str, now: datetime) -> None:
        """Free the slot; an off-site meeting gives its cost back to the budget."""
        await self.lock(conn)
        await conn.execute(_CANCEL_BOOKING, {"of_booking": booking.booking_id, "at": now, "because": reason})
        if booking.cost_cents and booking.organisation_id and booking.budget_year is not None:
            await _change_spent(conn, booking, -booking.cost_cents)
        self._token_written(conn, await self._new_token(conn))
        # A BookingIndex cannot shrink; the next search reloads it.
        self.forget_index()


_clock = tables.booking_clock
# Built once: a statement object built per call costs more CPU than running it on SQLite.
_LOCK_FOR_UPDATE = select(_clock.c.token).where(_clock.c.id == CLOCK_ROW).with_for_update()
_TAKE_WRITE_LOCK = update(_clock).where(_clock.c.id == CLOCK_ROW).values(token=_clock.c.token)
_READ_TOKEN = select(_clock.c.token).where(_clock.c.id == CLOCK_ROW)
_WRITE_TOKEN = update(_clock).where(_clock.c.id == CLOCK_ROW).values(token=bindparam("new_token"))
_b = tables.bookings
_INSERT_BOOKING = _b.insert()
_ACTIVE_BOOKINGS_ENDING_AFTER = select(
    _b.c.booking_id, _b.c.advisor_id, _b.c.room_id, _b.c.starts_at, _b.c.ends_at
).where(_b.c.status == "active", _b.c.ends_at > bindparam("covers_from"))
_CANCEL_BOOKING = (
    update(_b)
    .where(_b.c.booking_id == bindparam("of_booking"), _b.c.status == "active")
    .values(status="cancelled", cancelled_at=bindparam("at"), cancel_reason=bindparam("because"))
)
_UPCOMING_MEETINGS_OF_CASE = (
    select(_b)
    .where(
        _b.c.case_id == bindparam("of_case"),
        _b.c.kind == "meeting",
        _b.c.status == "active",
        _b.c.starts_at > bindparam("after"),
    )
    .order_by(_b.c.starts_at, _b.c.meeting_id)
)


async def latest_of_meeting(conn: AsyncConnection, meeting_id: str) -> StoredBooking | None:
    b = tables.bookings
    row = (
        await conn.execute(
            select(b).where(b.c.meeting_id == meeting_id).order_by(b.c.calendar_sequence.desc()).limit(1)
        )
    ).first()
    return None if row is None else _stored(row)


async def active_booking_of_meeting(conn: AsyncConnection, meeting_id: str) -> StoredBooking | None:
    b = tables.bookings
    row = (await conn.execute(select(b).where(b.c.meeting_id == meeting_id, b.c.status == "active"))).first()
    return None if row is None else _stored(row)


async def set_meeting_preference(
    conn: AsyncConnection, meeting_id: str, preference: MeetingMode | None
) -> None:
    """The mode the advisor asked for, on every booking of the meeting (a move or reschedule keeps it)."""
    b = tables.bookings
    await conn.execute(
        update(b)
        .where(b.c.meeting_id == meeting_id)
        .values(preference=preference.value if preference else None)
    )


async def set_case_language(conn: AsyncConnection, case_id: str, language: str) -> None:
    """The case's language on its meetings' bookings (a restore's fold could only guess it)."""
    b = tables.bookings
    await conn.execute(
        update(b).where(b.c.case_id == case_id, b.c.language != language).values(language=language)
    )


async def upcoming_meetings_of_case(
    conn: AsyncConnection, case_id: str, now: datetime
) -> list[StoredBooking]:
    rows = await conn.execute(_UPCOMING_MEETINGS_OF_CASE, {"of_case": case_id, "after": now})
    return [_stored(r) for r in rows]


async def _change_spent(conn: AsyncConnection, booking: StoredBooking, cents: int) -> None:
    """An off-site booking's cost spent from (positive) or given back to (negative) its budget."""
    budgets = tables.offsite_budgets
    await conn.execute(
        update(budgets)
        .where(budgets.c.organisation_id == booking.organisation_id, budgets.c.year == booking.budget_year)
        .values(spent_cents=budgets.c.spent_cents + cents)
    )
