"""The booking lock (services/scheduling/adapters/booking_ledger.py) is taken once per transaction,
and only by handlers that need it: facts such as rooms and advisors' availability book nothing. A
savepoint that rolls back makes the ledger read the clock's token again rather than trust the one
it remembered. Built by the composition root on SQLite with the in-memory bus, no broker."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from services.scheduling.adapters import tables
from services.scheduling.adapters.booking_ledger import (
    BookingLedger,
    BookingRefused,
    StoredBooking,
    ensure_clock,
)
from services.scheduling.domain.slots import BookingIndex
from shared.db import create_all, make_engine
from shared.envelope import EventPayload
from tests.support.in_process import InProcess
from tests.support.scheduling_events import (
    ADVISORS,
    ASSIGNMENTS,
    CASES,
    PLACES,
    assigned,
    availability,
    case_opened,
    envelope_bytes,
    key_registration,
    room,
    start_scheduling,
    stored_meeting,
)

pytestmark = pytest.mark.handlers

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
async def scheduling(tmp_path: Path) -> AsyncIterator[InProcess]:
    service = await start_scheduling(tmp_path, NOW)
    try:
        yield service
    finally:
        await service.stop()


def ledger_of(service: InProcess) -> BookingLedger:
    assert service.pipeline is not None
    handle = service.pipeline.routes[CASES].handle
    ledger = handle.__self__.ledger  # the bound SchedulingHandlers.handle
    assert isinstance(ledger, BookingLedger)
    return ledger


async def feed(service: InProcess, topic: str, *payloads: EventPayload) -> None:
    await service.feed(
        topic, [(key, value) for _id, key, value in (envelope_bytes(p, now=NOW) for p in payloads)]
    )


def scheduled(service: InProcess) -> int:
    return sum(b'"MeetingScheduled"' in value for _k, value in service.bus.topics["scheduling.meetings.v1"])


async def test_facts_take_no_lock_and_a_batch_of_bookings_takes_it_once(scheduling: InProcess) -> None:
    ledger = ledger_of(scheduling)
    await feed(scheduling, PLACES, room("kamer-1"), room("kamer-2"))
    await feed(scheduling, ADVISORS, availability("adv-anna"), key_registration("adv-anna"))
    assert ledger.lock_takes == 0

    await feed(scheduling, CASES, *(case_opened(f"case-{n}") for n in range(5)))
    assert ledger.lock_takes == 1
    await feed(scheduling, ASSIGNMENTS, *(assigned(f"case-{n}", "adv-anna") for n in range(5)))
    assert ledger.lock_takes == 2
    assert scheduled(scheduling) == 5


async def test_a_mixed_batch_books_after_its_facts_under_one_lock(scheduling: InProcess) -> None:
    ledger = ledger_of(scheduling)
    await feed(scheduling, CASES, case_opened("case-1"))
    records = [
        (PLACES, *envelope_bytes(room("kamer-1"), now=NOW)[1:]),
        (ADVISORS, *envelope_bytes(availability("adv-anna"), now=NOW)[1:]),
        (ASSIGNMENTS, *envelope_bytes(assigned("case-1", "adv-anna"), now=NOW)[1:]),
    ]
    await scheduling.feed_batch(records)
    assert ledger.lock_takes == 2
    assert scheduled(scheduling) == 1


def booking(start: datetime) -> StoredBooking:
    return stored_meeting(1, start=start, room="kamer-1", advisor="adv-anna", case="case-1")


async def test_a_rolled_back_savepoint_makes_the_ledger_read_the_token_again(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path}/ledger.db")
    await create_all(engine, tables.metadata)
    ledger = BookingLedger(timedelta(minutes=30), timedelta(days=30))
    try:
        async with engine.begin() as conn:
            await ensure_clock(conn)
        async with engine.begin() as conn:
            before = await ledger.lock(conn)
            savepoint = await conn.begin_nested()
            await ledger.add(conn, booking(NOW + timedelta(days=1)), request_id="r-1", now=NOW)
            booked = await ledger.lock(conn)
            assert booked != before  # the booking wrote a fresh token, and the ledger knows it
            await savepoint.rollback()
            ledger.savepoint_rolled_back(conn)
            assert await ledger.lock(conn) == before  # read again: the rollback undid the booking's token
            assert ledger.lock_takes == 1
        async with engine.begin() as conn:
            assert await ledger.lock(conn) == before
            assert ledger.lock_takes == 2  # a new transaction locks again
            index = await ledger.index(conn, NOW)
            assert index.room_busy("kamer-1").intervals() == []  # the rolled-back booking is not in it
    finally:
        await engine.dispose()


async def test_a_refused_booking_leaves_no_trace_and_its_transaction_goes_on(tmp_path: Path) -> None:
    """On SQLite the booking's INSERT runs without a savepoint: the overlap trigger's RAISE(ABORT)
    undoes that statement alone, and the batch's transaction books on."""
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path}/ledger.db")
    await create_all(engine, tables.metadata)
    ledger = BookingLedger(timedelta(minutes=30), timedelta(days=30))
    start = NOW + timedelta(days=1)
    try:
        async with engine.begin() as conn:
            await ensure_clock(conn)
        async with engine.begin() as conn:
            await ledger.add(conn, booking(start), request_id="r-1", now=NOW)
            clash = stored_meeting(
                2, start=start + timedelta(minutes=30), room="kamer-1", advisor="adv-b", case="c-2"
            )
            with pytest.raises(BookingRefused):
                await ledger.add(conn, clash, request_id="r-2", now=NOW)
            later = stored_meeting(
                3, start=start + timedelta(hours=3), room="kamer-1", advisor="adv-b", case="c-2"
            )
            await ledger.add(conn, later, request_id="r-3", now=NOW)
        async with engine.connect() as conn:
            rows = await conn.execute(
                select(tables.bookings.c.booking_id).order_by(tables.bookings.c.booking_id)
            )
            assert [r.booking_id for r in rows] == ["booking-1", "booking-3"]
        async with engine.begin() as conn:
            index = await ledger.index(conn, NOW)
        assert len(index.room_busy("kamer-1").intervals()) == 2
    finally:
        await engine.dispose()


async def test_one_token_per_transaction_still_shows_every_change_and_undoes_none_twice(
    tmp_path: Path,
) -> None:
    """A transaction writes one fresh token, with its first change. Another instance's index is
    reloaded after it and holds all its bookings; a savepoint rolled back after a later booking
    (no token of its own) drops this instance's index, which had grown by that booking."""
    url = f"sqlite+aiosqlite:///{tmp_path}/ledger.db"
    engine, other_engine = make_engine(url), make_engine(url)
    await create_all(engine, tables.metadata)
    ledger, other = (BookingLedger(timedelta(minutes=30), timedelta(days=30)) for _ in range(2))
    start = NOW + timedelta(days=1)

    def meeting(n: int, hours: int) -> StoredBooking:
        return stored_meeting(
            n, start=start + timedelta(hours=hours), room="kamer-1", advisor="adv-a", case="c-1"
        )

    def busy(index: BookingIndex) -> int:
        return len(index.room_busy("kamer-1").intervals())

    try:
        async with engine.begin() as conn:
            await ensure_clock(conn)
        async with other_engine.begin() as conn:
            await other.index(conn, NOW)  # built before any booking
        async with engine.begin() as conn:
            await ledger.index(conn, NOW)
            await ledger.add(conn, meeting(1, 0), request_id="r-1", now=NOW)  # writes the token
            await ledger.add(conn, meeting(2, 2), request_id="r-2", now=NOW)  # writes none
            savepoint = await conn.begin_nested()
            await ledger.add(conn, meeting(3, 4), request_id="r-3", now=NOW)
            await savepoint.rollback()
            ledger.savepoint_rolled_back(conn)
            assert busy(await ledger.index(conn, NOW)) == 2  # not the rolled-back third
        async with other_engine.begin() as conn:
            assert busy(await other.index(conn, NOW)) == 2
        async with engine.begin() as conn:
            assert busy(await ledger.index(conn, NOW)) == 2
    finally:
        await engine.dispose()
        await other_engine.dispose()


def answers(service: InProcess) -> list[tuple[str, str | None, str | None]]:
    """(event type, case, room) of what scheduling published, in order."""
    out = []
    for _key, value in service.bus.topics["scheduling.meetings.v1"]:
        doc = json.loads(value)
        out.append((doc["event_type"], doc["payload"]["case_id"], doc["payload"].get("room_id")))
    return out


async def test_facts_written_in_a_batch_are_seen_by_its_later_bookings(scheduling: InProcess) -> None:
    """Rooms and availability are read once per transaction, and read again after a fact changes them."""
    await feed(scheduling, PLACES, room("kamer-1"))
    await feed(scheduling, ADVISORS, availability("adv-anna"))
    await feed(
        scheduling,
        CASES,
        *(case_opened(f"case-{n}") for n in (1, 2)),
        *(case_opened(f"case-{n}", location="Utrecht") for n in (3, 4)),
    )
    batch = [
        (ASSIGNMENTS, assigned("case-1", "adv-bram")),  # bram has no availability yet
        (ADVISORS, availability("adv-bram")),
        (ASSIGNMENTS, assigned("case-2", "adv-bram")),
        (ASSIGNMENTS, assigned("case-3", "adv-anna")),  # no room in Utrecht yet
        (PLACES, room("kamer-u", location="Utrecht", building="Catharijnesingel")),
        (ASSIGNMENTS, assigned("case-4", "adv-anna")),
    ]
    await scheduling.feed_batch([(topic, *envelope_bytes(p, now=NOW)[1:]) for topic, p in batch])

    assert answers(scheduling) == [
        ("NoSlotFound", "case-1", None),
        ("MeetingScheduled", "case-2", "kamer-1"),
        ("MeetingScheduled", "case-3", None),  # by phone: no room where the client is
        ("MeetingScheduled", "case-4", "kamer-u"),
    ]
