"""Scheduling's own tables: places, availability, what it knows of each case, and the bookings.

No double booking is a property of the database, not only of the code (docs/scheduling.md):
- PostgreSQL: two exclusion constraints (btree_gist). Active bookings of one room may not overlap
  once each is widened by half the privacy buffer on both sides (`guard_start`, `guard_end`): two
  widened ranges overlap exactly when the gap between the meetings is shorter than the buffer.
  Active bookings of one advisor may not overlap at all.
- SQLite: the same two rules as BEFORE INSERT triggers that abort the statement. SQLite runs one
  writer at a time, so a trigger's check and the insert it guards cannot interleave with another
  writer: that makes them equivalent to the constraints.
Either way the violation surfaces as an IntegrityError, which the booking code catches inside a
SAVEPOINT to search again.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    DDL,
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Dialect,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    event,
)
from sqlalchemy.types import TypeDecorator

from shared.assignee_projection import define_assignee_table
from shared.auth import define_auth_tables
from shared.outbox import define_messaging_tables


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out, on both backends.

    PostgreSQL keeps `timestamptz`. SQLite has no time zones: values are stored as naive UTC text
    in one fixed format (so the overlap triggers may compare them as strings) and read back as UTC.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("naive datetime given to a UTC column")
        as_utc = value.astimezone(UTC)
        return as_utc.replace(tzinfo=None) if dialect.name == "sqlite" else as_utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata = MetaData()
messaging = define_messaging_tables(metadata)
# Advisors' public keys (AdvisorKeyRegistered, directory.advisors.v1) and used token ids: commands are signed.
advisor_keys, used_tokens = define_auth_tables(metadata)

rooms = Table(
    "rooms",
    metadata,
    Column("room_id", String(100), primary_key=True),
    Column("building", String(200), nullable=False),
    Column("location", String(100), nullable=False, index=True),
    Column("discreet", Boolean, nullable=False),
    Column("labelled_as_advisor_room", Boolean, nullable=False),
    Column("capacity", Integer, nullable=False),
    Column("quiet_room", Boolean, nullable=False),
    Column("bookable_hours", JSON, nullable=False),  # [{"weekday", "start", "end"}], local wall-clock
    Column("unit_ids", JSON, nullable=False),
    Column("registered_at", UtcDateTime, nullable=False),
)

venues = Table(
    "venues",
    metadata,
    Column("venue_id", String(100), primary_key=True),
    Column("location", String(100), nullable=False),
    Column("cost_eur_cents", Integer, nullable=False),
    Column("organisation_id", String(64), nullable=False),
    Index("ix_venues_org_location", "organisation_id", "location"),
)

offsite_budgets = Table(
    "offsite_budgets",
    metadata,
    Column("organisation_id", String(64), nullable=False),
    Column("year", Integer, nullable=False),
    Column("budget_cents", Integer, nullable=False),
    Column("spent_cents", Integer, nullable=False, default=0),
    PrimaryKeyConstraint("organisation_id", "year"),
    CheckConstraint("spent_cents >= 0", name="ck_offsite_budgets_spent_not_negative"),
)

advisors = Table(
    "advisor_availability",
    metadata,
    Column("advisor_id", String(64), primary_key=True),
    Column("weekly_windows", JSON, nullable=False),
    Column("leave", JSON, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

# What scheduling knows of a case: the client's meeting wishes (CaseOpened). Coded facts only;
# nothing personal. Its current assignee is the shared projection below.
cases = Table(
    "cases",
    metadata,
    Column("case_id", String(64), primary_key=True),
    Column("opened", Boolean, nullable=False, default=False),
    Column("organisation_id", String(64), nullable=True),
    Column("unit_id", String(64), nullable=True),
    Column("location", String(100), nullable=True),  # the location code (shared/locations.py)
    Column("meeting_mode", String(30), nullable=True),
    Column("away_from_own_unit", Boolean, nullable=False, default=False),
    Column("language", String(8), nullable=True),
    Column("client_windows", JSON, nullable=False, default=list),  # [[start_iso, end_iso]] in UTC
    # The meeting a client asked for at intake is requested once, when both facts are known.
    Column("auto_meeting_requested", Boolean, nullable=False, default=False),
)

# Who holds each case now, as routing last decided (shared/assignee_projection.py).
current_assignees = define_assignee_table(metadata)

bookings = Table(
    "bookings",
    metadata,
    Column("booking_id", String(36), primary_key=True),
    Column("meeting_id", String(36), nullable=False, index=True),
    Column("kind", String(10), nullable=False),  # meeting | quiet
    Column("case_id", String(64), nullable=True, index=True),
    Column("advisor_id", String(64), nullable=False),
    Column("room_id", String(100), nullable=True),
    Column("venue_id", String(100), nullable=True),
    Column("mode", String(30), nullable=False),
    # The mode the search was asked for (None: the client's wish): a reschedule or move asks again.
    Column("preference", String(30), nullable=True),
    Column("starts_at", UtcDateTime, nullable=False),
    Column("ends_at", UtcDateTime, nullable=False),
    # starts_at - buffer/2 and ends_at + buffer/2: the room's exclusion range.
    Column("guard_start", UtcDateTime, nullable=False),
    Column("guard_end", UtcDateTime, nullable=False),
    Column("status", String(12), nullable=False),  # active | cancelled
    Column("reason_code", String(40), nullable=False),
    Column("language", String(8), nullable=False),
    Column("calendar_sequence", Integer, nullable=False, default=0),
    Column("organisation_id", String(64), nullable=True),
    Column("budget_year", Integer, nullable=True),
    Column("cost_cents", Integer, nullable=False, default=0),
    Column("request_id", String(200), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("cancelled_at", UtcDateTime, nullable=True),
    Column("cancel_reason", String(40), nullable=True),
    CheckConstraint("starts_at < ends_at", name="ck_bookings_positive_length"),
    CheckConstraint("status IN ('active', 'cancelled')", name="ck_bookings_status"),
    # Not (status, ends_at): SQLite's planner would pick it for the advisor trigger's lookup and
    # scan every active booking ending later (measured: 35k inserts took minutes instead of 2 s).
    Index("ix_bookings_end", "ends_at"),
    # For the SQLite overlap triggers (PostgreSQL's exclusion constraints bring GiST indexes):
    # only bookings ending after the new one starts can overlap it.
    Index("ix_bookings_room_guard_end", "room_id", "guard_end"),
    Index("ix_bookings_advisor_end", "advisor_id", "ends_at"),
)

# Decisions scheduling published after a backup, folded back by a restore (D55): one row per cause
# (the input they answered). The input is consumed again after the restore; its handler finds its
# decision here and adopts it instead of searching again (application/restore_fold.py).
published_decisions = Table(
    "published_decisions",
    metadata,
    Column("cause_id", String(200), primary_key=True),
    Column("case_id", String(64), nullable=True, index=True),
    # A new meeting for the case was decided (booked, or no slot found), not a move of one.
    Column("new_meeting", Boolean, nullable=False),
    Column("meeting_id", String(36), nullable=True),  # that new meeting's id, when one was booked
    Column("rejected", Boolean, nullable=False),  # the answer was a refusal of an advisor's command
    Column("folded_at", UtcDateTime, nullable=False),
)

# One row: the booking token on SQLite and under PostgreSQL's default "calendar" lock (D62). A
# transaction that changes bookings writes a fresh random token into it; an instance whose cached
# BookingIndex carries the token it reads is up to date. Taking the lock is SQLite's no-op update
# of this row, or PostgreSQL's SELECT ... FOR UPDATE of it (booking_ledger.py).
booking_clock = Table(
    "booking_clock",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("token", String(36), nullable=False),
)

# PostgreSQL under SCHEDULING_BOOKING_LOCK=case: the token, one row per writing instance (a
# BookingLedger), so that instances never wait on each other's token row (D62). The cached BookingIndex is valid while every row's
# token is the one it was built at. Rows of instances that stopped are pruned at start-up.
booking_writers = Table(
    "booking_writers",
    metadata,
    Column("writer", String(32), primary_key=True),
    Column("token", String(36), nullable=False),
    Column("written_at", UtcDateTime, nullable=False),
)

_POSTGRES_CONSTRAINTS = (
    "CREATE EXTENSION IF NOT EXISTS btree_gist",
    (
        "ALTER TABLE bookings ADD CONSTRAINT bookings_room_no_overlap EXCLUDE USING gist "
        "(room_id WITH =, tstzrange(guard_start, guard_end, '[)') WITH &&) "
        "WHERE (status = 'active' AND room_id IS NOT NULL)"
    ),
    (
        "ALTER TABLE bookings ADD CONSTRAINT bookings_advisor_no_overlap EXCLUDE USING gist "
        "(advisor_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&) "
        "WHERE (status = 'active')"
    ),
)

_SQLITE_TRIGGERS = (
    """
    CREATE TRIGGER bookings_room_no_overlap BEFORE INSERT ON bookings
    WHEN NEW.status = 'active' AND NEW.room_id IS NOT NULL AND EXISTS (
        SELECT 1 FROM bookings AS b
        WHERE b.status = 'active' AND b.room_id = NEW.room_id
          AND b.guard_end > NEW.guard_start AND b.guard_start < NEW.guard_end)
    BEGIN SELECT RAISE(ABORT, 'bookings_room_no_overlap'); END
    """,
    """
    CREATE TRIGGER bookings_advisor_no_overlap BEFORE INSERT ON bookings
    WHEN NEW.status = 'active' AND EXISTS (
        SELECT 1 FROM bookings AS b
        WHERE b.status = 'active' AND b.advisor_id = NEW.advisor_id
          AND b.ends_at > NEW.starts_at AND b.starts_at < NEW.ends_at)
    BEGIN SELECT RAISE(ABORT, 'bookings_advisor_no_overlap'); END
    """,
)

for _statement in _POSTGRES_CONSTRAINTS:
    event.listen(bookings, "after_create", DDL(_statement).execute_if(dialect="postgresql"))  # type: ignore[no-untyped-call]
for _statement in _SQLITE_TRIGGERS:
    event.listen(bookings, "after_create", DDL(_statement).execute_if(dialect="sqlite"))  # type: ignore[no-untyped-call]


def is_overlap_violation(exc: BaseException) -> bool:
    """True for the database refusing a booking that overlaps another (constraint or trigger)."""
    text = str(getattr(exc, "orig", exc))
    return "bookings_room_no_overlap" in text or "bookings_advisor_no_overlap" in text


def row_dict(row: Any) -> dict[str, Any]:
    return dict(row._mapping)
