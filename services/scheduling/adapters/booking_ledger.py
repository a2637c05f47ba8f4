"""The booking ledger: the bookings table, the booking lock and the cached BookingIndex.

The exclusion constraints (tables.py) decide whether a booking may exist: a booking they refuse
is reported as BookingRefused and the caller searches again. The lock and the tokens below make
that rare and keep each instance's cached BookingIndex true to the database (D62).

**The lock differs per database and setting** (`SCHEDULING_BOOKING_LOCK`, D62).
- SQLite allows one writer per database: a scheduling transaction begins with a no-op UPDATE of
  the single `booking_clock` row, which takes the write lock before it reads any booking, so one
  scheduling transaction at a time decides, in whichever process.
- PostgreSQL, "calendar" (the default): the `booking_clock` row selected FOR UPDATE, the same one
  lock for all bookings. Instances take turns, each deciding on what the others committed.
- PostgreSQL, "case": only the case the transaction handles (a transaction-level advisory lock on
  the case id), so that whichever of CaseOpened and AdvisorAssigned a case's instances apply last
  sees the other and plans. Instances working on disjoint cases and rooms never wait on each
  other; bookings of one room or advisor meet only in the exclusion constraints. A booking waits
  at most BOOKING_LOCK_WAIT for another instance's uncommitted booking it overlaps, then counts
  the slot as taken and searches again.

The lock is taken once per transaction: the ledger remembers the transaction that holds it (taken
outside any savepoint, so a rolled-back savepoint cannot release it) and the booking token as that
transaction sees it, which only its own bookings and cancellations change. A savepoint that rolls
back may undo such a change: `savepoint_rolled_back` makes the next `lock` read the token again
(and drops the index, which may hold a booking the rollback undid).

**The cached index.** The BookingIndex costs tens of milliseconds to build over a large calendar,
so each instance keeps one. It is valid while the booking token equals the token it was built at:
the clock row's token; under "case" locks the tokens of all writers' rows in `booking_writers`,
one row per ledger, which only that ledger writes (read before the bookings, so a booking committed
in between can only cause a needless reload). A transaction that changes bookings writes a fresh
random token with its first change (a counter could come back to an old value after a rollback; a
random token cannot); its later changes need none, since others see them all at once at commit. An instance whose own booking just committed grows its index with that booking instead
of rebuilding it; a booking another instance made changes a token and forces a reload. Should a
ledger's row have changed since this transaction read it (pruned, or written by another
transaction of the same process), its token is written all the same and the index is dropped.
"""

from __future__ import annotations

import hashlib
import uuid
import weakref
from collections.abc import Callable, Mapping
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, select, text, update
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects.postgresql import insert as pg_insert
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


# A writer's row unwritten this long is pruned at start-up: its instance has stopped, or it is
# alive and idle, and then its next booking writes the row again (and drops its own index).
WRITER_ROWS_KEPT = timedelta(days=7)


async def ensure_clock(conn: AsyncConnection, now: datetime | None = None) -> None:
    """The booking token's rows: SQLite's clock row; on PostgreSQL, stopped writers' rows pruned."""
    await conn.execute(
        insert_ignoring_duplicates(conn, tables.booking_clock, ["id"]).values(
            id=CLOCK_ROW, token=str(uuid.uuid4())
        )
    )
    if now is not None and is_postgres(conn):
        w = tables.booking_writers
        await conn.execute(w.delete().where(w.c.written_at < now - WRITER_ROWS_KEPT))


# The booking token: SQLite's clock token, or PostgreSQL's token per writer. Compared with ==.
Token = str | Mapping[str, str]


def _case_lock_key(case_id: str) -> int:
    """A signed 64-bit advisory lock key for a case (a collision only makes two cases wait)."""
    digest = hashlib.blake2b(f"scheduling-case|{case_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


@dataclass(slots=True)
class _Held:
    """The lock held by one transaction, and the token as it sees it (None: read it again)."""

    token: Token | None
    # A fresh token was written in this transaction: one per transaction is enough, since nobody
    # sees its changes but together, at commit, with that token.
    wrote: bool = False
    cases: set[str] = field(default_factory=set)  # "case" locks: the cases it holds advisory locks on
    # "case" locks: slots another instance was booking, uncommitted, when this transaction tried
    # them; its later searches avoid them too (that instance will most likely commit).
    taken_elsewhere: list[Booking] = field(default_factory=list)


class BookingLedger:
    def __init__(
        self,
        privacy_buffer: timedelta,
        habit_lookback: timedelta,
        *,
        on_refused: Callable[[], None] | None = None,
        on_index_loaded: Callable[[], None] | None = None,
        lock_per_case: bool = False,
    ) -> None:
        self._lock_per_case = lock_per_case  # PostgreSQL's "case" locks; otherwise one lock (D62)
        self._on_refused = on_refused
        self._on_index_loaded = on_index_loaded
        self._half_buffer = privacy_buffer / 2
        self._lookback = habit_lookback
        self._writer = uuid.uuid4().hex  # this ledger's row in booking_writers (PostgreSQL)
        self._index: BookingIndex | None = None
        self._token: Token | None = None
        self._covers_from: datetime | None = None
        self.index_loads = 0  # how often the index was rebuilt from the database (for tests/benchmarks)
        self.lock_takes = 0  # how often a transaction took the lock (for tests/benchmarks)
        # Root transaction -> the lock it holds; an ended transaction drops out by itself.
        self._held: weakref.WeakKeyDictionary[Transaction, _Held] = weakref.WeakKeyDictionary()

    def _holding(self, conn: AsyncConnection) -> _Held | None:
        root = conn.sync_connection.get_transaction() if conn.sync_connection is not None else None
        return None if root is None else self._held.get(root)

    async def lock(self, conn: AsyncConnection, case_id: str | None = None) -> Token:
        """Take the booking lock (held until the transaction ends) and return the current token.

        Once per transaction: a second call in a transaction that holds the lock returns the token
        it knows (or reads it, after a rolled-back savepoint) without locking again. Under "case"
        locks on PostgreSQL the lock is `case_id`'s, taken once per case and transaction."""
        per_case = self._lock_per_case and is_postgres(conn)
        sync = conn.sync_connection
        # What a savepoint takes, its rollback may give back: only the root transaction's is kept.
        in_root = sync is not None and not sync.in_nested_transaction()
        held = self._holding(conn)
        if held is None:
            self.lock_takes += 1
            if per_case:
                token: Token = await _read_writer_tokens(conn)
            elif is_postgres(conn):
                token = str((await conn.execute(_LOCK_FOR_UPDATE)).scalar_one())
            else:
                await conn.execute(_TAKE_WRITE_LOCK)
                token = await _read_clock_token(conn)
            held = _Held(token)
            root = sync.get_transaction() if sync is not None else None
            if root is not None and in_root:
                self._held[root] = held
        elif held.token is None:
            held.token = await _read_writer_tokens(conn) if per_case else await _read_clock_token(conn)
        if per_case and case_id is not None and case_id not in held.cases:
            await conn.execute(_LOCK_CASE, {"key": _case_lock_key(case_id)})
            if in_root:
                held.cases.add(case_id)
        assert held.token is not None
        return held.token

    def savepoint_rolled_back(self, conn: AsyncConnection) -> None:
        """A savepoint of `conn`'s transaction rolled back: the token it saw, and bookings this
        ledger's index grew by, may be undone (the token may not show it: one per transaction)."""
        self._own_savepoint_rolled_back(conn)
        self.forget_index()

    def _own_savepoint_rolled_back(self, conn: AsyncConnection) -> None:
        """The booking's own savepoint rolled back (before the index grew): read the token again,
        and write a fresh one with the next change (the one written may be undone)."""
        if (held := self._holding(conn)) is not None:
            held.token, held.wrote = None, False

    def _token_written(self, conn: AsyncConnection, token: Token | None) -> None:
        if (held := self._holding(conn)) is not None:
            held.token = token

    async def index(self, conn: AsyncConnection, now: datetime) -> BookingIndex:
        """Every active booking that can matter at `now` (busy times ahead, habits behind)."""
        token = await self.lock(conn)
        index = await self._current_index(conn, token, now)
        held = self._holding(conn)
        for taken in held.taken_elsewhere if held is not None else ():
            index = index.with_booking(taken)
        return index

    async def _current_index(self, conn: AsyncConnection, token: Token, now: datetime) -> BookingIndex:
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

    async def _new_token(self, conn: AsyncConnection, seen: Token, now: datetime) -> Token | None:
        """Write a fresh token for a change to bookings; the token this transaction now sees.

        None under "case" locks when this ledger's row changed since `seen` was read: the token
        is written all the same (a change must always show), and the caller drops its index."""
        held = self._holding(conn)
        if held is not None and held.wrote:
            return seen  # this transaction's fresh token, written with its first change
        if held is not None:
            held.wrote = True
        new_token = str(uuid.uuid4())
        if not (self._lock_per_case and is_postgres(conn)):
            await conn.execute(_WRITE_TOKEN, {"new_token": new_token})
            return new_token
        assert isinstance(seen, Mapping)
        expected = seen.get(self._writer)
        values = {"of_writer": self._writer, "new_token": new_token, "expected": expected, "at": now}
        if expected is None:
            replaced = (await conn.execute(_ADD_WRITER, values)).rowcount == 1
        else:
            replaced = (await conn.execute(_REPLACE_WRITER_TOKEN, values)).rowcount == 1
        if not replaced:
            await conn.execute(_OVERWRITE_WRITER_TOKEN, values)
            return None
        return {**seen, self._writer: new_token}

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

        (On SQLite without a venue's cost the INSERT alone: a refused one leaves no trace either.)

        Raises BookingRefused when the database's overlap rule refuses it, BudgetSpent when the
        budget no longer covers the venue. The caller holds the booking lock.

        Under "case" locks on PostgreSQL the savepoint waits at most BOOKING_LOCK_WAIT for another
        instance's uncommitted booking of the same room, advisor or budget, and then counts the
        slot as taken (BookingRefused): waiting for that instance's whole batch to commit, while it
        may wait on this one in turn, made deadlocks that cost a second each (docs/scheduling.md).
        """
        token_before = await self.lock(conn, booking.case_id)
        short_wait = self._lock_per_case and is_postgres(conn)
        if reservation is not None:
            booking = replace(
                booking,
                organisation_id=reservation.organisation_id,
                budget_year=reservation.year,
                cost_cents=reservation.cost_cents,
            )
        # On SQLite a refused INSERT (the overlap trigger's RAISE(ABORT)) undoes only itself, so a
        # booking without a budget to spend needs no savepoint: two statements fewer per booking.
        in_savepoint = reservation is not None or is_postgres(conn)
        isolated = conn.begin_nested() if in_savepoint else nullcontext()
        try:
            async with isolated:
                if short_wait:  # SET LOCAL in a savepoint: its rollback undoes it, its release keeps it
                    await conn.execute(_SHORT_LOCK_WAIT)
                await conn.execute(_INSERT_BOOKING, self._row(booking, request_id, now))
                if reservation is not None and not await self._spend(conn, reservation):
                    raise BudgetSpent(reservation.organisation_id)
                token = await self._new_token(conn, token_before, now)
        except sa_exc.DBAPIError as exc:  # IntegrityError, or a lock timeout
            if in_savepoint:  # without one, the refused INSERT undid only itself: nothing to forget
                self._own_savepoint_rolled_back(conn)
            timed_out = _is_lock_timeout(exc)
            if timed_out and (held := self._holding(conn)) is not None:
                # Mark the room (or, without one, the advisor) busy then for the transaction's
                # other searches; which of the two the other instance holds is not known.
                held.taken_elsewhere.append(
                    Booking("", booking.start, booking.end, booking.room_id, booking.booking_id)
                    if booking.room_id
                    else booking.as_booking()
                )
            if timed_out or tables.is_overlap_violation(exc):
                if self._on_refused is not None:
                    self._on_refused()
                raise BookingRefused(booking.room_id or "advisor") from None
            raise
        except BaseException:
            if in_savepoint:
                self._own_savepoint_rolled_back(conn)
            raise
        if short_wait:
            await conn.execute(_USUAL_LOCK_WAIT)
        self._token_written(conn, token)
        if token is None:
            self.forget_index()
        elif self._index is not None and self._token == token_before:
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
        seen = await self.lock(conn, booking.case_id)
        b = tables.bookings
        if (await conn.execute(select(b.c.booking_id).where(b.c.booking_id == booking.booking_id))).first():
            return  # checked first: SQLite's overlap trigger fires before a conflict clause would
        row = self._row(booking, request_id, created_at)
        if cancelled is not None:
            row.update(status="cancelled", cancelled_at=cancelled[0], cancel_reason=cancelled[1])
        await conn.execute(_INSERT_BOOKING, row)
        if cancelled is None and booking.cost_cents and booking.organisation_id:
            await _change_spent(conn, booking, +booking.cost_cents)
        self._token_written(conn, await self._new_token(conn, seen, created_at))
        self.forget_index()

    async def cancel(self, conn: AsyncConnection, booking: StoredBooking, reason: str, now: datetime) -> None:
        """Free the slot; an off-site meeting gives its cost back to the budget."""
        seen = await self.lock(conn, booking.case_id)
        await conn.execute(_CANCEL_BOOKING, {"of_booking": booking.booking_id, "at": now, "because": reason})
        if booking.cost_cents and booking.organisation_id and booking.budget_year is not None:
            await _change_spent(conn, booking, -booking.cost_cents)
        self._token_written(conn, await self._new_token(conn, seen, now))
        # A BookingIndex cannot shrink; the next search reloads it.
        self.forget_index()


_clock = tables.booking_clock
# Built once: a statement object built per call costs more CPU than running it on SQLite.
_LOCK_FOR_UPDATE = select(_clock.c.token).where(_clock.c.id == CLOCK_ROW).with_for_update()
_TAKE_WRITE_LOCK = update(_clock).where(_clock.c.id == CLOCK_ROW).values(token=_clock.c.token)
_READ_TOKEN = select(_clock.c.token).where(_clock.c.id == CLOCK_ROW)
_WRITE_TOKEN = update(_clock).where(_clock.c.id == CLOCK_ROW).values(token=bindparam("new_token"))
_writers = tables.booking_writers
_READ_WRITER_TOKENS = select(_writers.c.writer, _writers.c.token)
_ADD_WRITER = (
    pg_insert(_writers)
    .values(writer=bindparam("of_writer"), token=bindparam("new_token"), written_at=bindparam("at"))
    .on_conflict_do_nothing(index_elements=["writer"])
)
_REPLACE_WRITER_TOKEN = (
    update(_writers)
    .where(_writers.c.writer == bindparam("of_writer"), _writers.c.token == bindparam("expected"))
    .values(token=bindparam("new_token"), written_at=bindparam("at"))
)
_OVERWRITE_WRITER_TOKEN = (
    pg_insert(_writers)
    .values(writer=bindparam("of_writer"), token=bindparam("new_token"), written_at=bindparam("at"))
    .on_conflict_do_update(
        index_elements=["writer"], set_={"token": bindparam("new_token"), "written_at": bindparam("at")}
    )
)
_LOCK_CASE = text("SELECT pg_advisory_xact_lock(:key)")
# How long a booking waits for another transaction's lock before it counts the slot as taken.
BOOKING_LOCK_WAIT = "10ms"
_SHORT_LOCK_WAIT = text(f"SET LOCAL lock_timeout = '{BOOKING_LOCK_WAIT}'")
_USUAL_LOCK_WAIT = text("SET LOCAL lock_timeout = DEFAULT")
_LOCK_NOT_AVAILABLE = "55P03"
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


def _is_lock_timeout(exc: BaseException) -> bool:
    return getattr(getattr(exc, "orig", None), "sqlstate", None) == _LOCK_NOT_AVAILABLE


async def _read_clock_token(conn: AsyncConnection) -> str:
    return str((await conn.execute(_READ_TOKEN)).scalar_one())


async def _read_writer_tokens(conn: AsyncConnection) -> dict[str, str]:
    return {r.writer: r.token for r in await conn.execute(_READ_WRITER_TOKENS)}


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
