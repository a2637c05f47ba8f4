"""With SCHEDULING_BOOKING_LOCK=case, scheduling instances on PostgreSQL lock the case they
decide about, not the whole calendar (D62).

Each "instance" here is a BookingLedger with its own engine, as a `caseflow serve scheduling`
process has. Their transactions are held open at once, as batches of three instances overlap:
- bookings of disjoint rooms for disjoint cases make no lock wait at all. Every connection runs
  with a `lock_timeout`, so a wait would end in LockNotAvailable and be counted, as would a booking
  refused; and while all three transactions are open, PostgreSQL shows no ungranted lock of theirs.
  Under SCHEDULING_BOOKING_LOCK=calendar (one `booking_clock` row selected FOR UPDATE, the
  default) the second instance's lock waits for the first instance's commit, as the last test shows;
- a booking of the same room at another time does not wait either, and the other instance's next
  search sees both;
- the negatives: an overlapping booking of the same room waits a moment and is refused while the
  first is still uncommitted (it does not wait for the other's whole batch), and a second
  transaction on the same case waits for the first to commit.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import exc as sa_exc
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.scheduling.adapters import tables
from services.scheduling.adapters.booking_ledger import (
    BookingLedger,
    BookingRefused,
    StoredBooking,
    ensure_clock,
)
from shared.db import create_all, make_engine
from tests.support.scheduling_events import stored_meeting

pytestmark = pytest.mark.integration

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
TOMORROW_9 = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
# Long enough never to fire on a loaded machine when nothing waits; a real wait lasts until the
# other transaction commits, which these tests hold back until after the lock timeout.
LOCK_TIMEOUT = "3s"
LOCK_NOT_AVAILABLE = "55P03"


@dataclass
class Instance:
    """One scheduling instance: its own engine and ledger, one open transaction at a time."""

    engine: AsyncEngine
    ledger: BookingLedger
    refusals: list[str] = field(default_factory=list)


def instance(engine: AsyncEngine, *, lock_per_case: bool = True) -> Instance:
    refusals: list[str] = []
    ledger = BookingLedger(
        timedelta(minutes=30),
        timedelta(days=30),
        on_refused=lambda: refusals.append("refused"),
        lock_per_case=lock_per_case,
    )
    return Instance(engine, ledger, refusals)


@pytest.fixture
async def instances(pg_db_url: str) -> AsyncIterator[list[Instance]]:
    engines = [make_engine(pg_db_url) for _ in range(3)]
    try:
        await create_all(engines[0], tables.metadata)
        async with engines[0].begin() as conn:
            await ensure_clock(conn, NOW)
        yield [instance(e) for e in engines]
    finally:
        for engine in engines:
            await engine.dispose()


async def open_transaction(stack: AsyncExitStack, instance: Instance) -> tuple[AsyncConnection, int]:
    """A transaction of the instance, held open until the stack closes; with its backend's pid."""
    conn = await stack.enter_async_context(instance.engine.connect())
    await conn.execute(text(f"SET lock_timeout = '{LOCK_TIMEOUT}'"))
    await conn.commit()
    await stack.enter_async_context(conn.begin())
    pid = int((await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one())
    return conn, pid


def is_lock_timeout(exc: BaseException) -> bool:
    orig = getattr(exc, "orig", None)
    return getattr(orig, "sqlstate", None) == LOCK_NOT_AVAILABLE or "LockNotAvailable" in type(orig).__name__


async def ungranted_locks(engine: AsyncEngine, pids: list[int]) -> int:
    async with engine.connect() as observer:
        result = await observer.execute(
            text("SELECT count(*) FROM pg_locks WHERE NOT granted AND pid = ANY(:pids)"), {"pids": pids}
        )
        return int(result.scalar_one())


async def until_waiting_on_a_lock(engine: AsyncEngine, pid: int, deadline_s: float = 20.0) -> None:
    """Poll until the backend waits on a lock (a bounded wait for a condition, not a sleep)."""
    end = time.monotonic() + deadline_s
    async with engine.connect() as observer:
        while time.monotonic() < end:
            result = await observer.execute(
                text("SELECT wait_event_type FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid}
            )
            if result.scalar_one_or_none() == "Lock":
                return
            await observer.rollback()
            await asyncio.sleep(0.02)
    raise AssertionError(f"backend {pid} never waited on a lock within {deadline_s}s")


async def test_three_instances_booking_disjoint_rooms_do_not_wait_on_each_other(
    instances: list[Instance],
) -> None:
    lock_waits = 0
    async with AsyncExitStack() as stack:
        opened = [await open_transaction(stack, i) for i in instances]
        # Each instance first reads its index (as a search does), then books; all three stay open.
        for n, (instance, (conn, _pid)) in enumerate(zip(instances, opened, strict=True)):
            try:
                await instance.ledger.index(conn, NOW)
                for k, hours in enumerate((0, 3)):  # two bookings each, the batch's transaction open
                    await instance.ledger.add(
                        conn,
                        stored_meeting(
                            10 * k + n,
                            room=f"kamer-{n}",
                            advisor=f"adv-{n}",
                            case=f"case-{n}",
                            start=TOMORROW_9 + timedelta(hours=hours),
                        ),
                        request_id=f"r-{10 * k + n}",
                        now=NOW,
                    )
            except sa_exc.DBAPIError as exc:
                if not is_lock_timeout(exc):
                    raise
                lock_waits += 1
                await conn.rollback()
        ungranted = await ungranted_locks(instances[0].engine, [pid for _conn, pid in opened])
        for conn, _pid in opened:
            if conn.in_transaction():
                await conn.commit()
    refused = sum(len(i.refusals) for i in instances)
    assert (lock_waits, ungranted, refused) == (0, 0, 0), (
        f"{lock_waits} of 3 instances waited {LOCK_TIMEOUT} for a lock, {ungranted} locks ungranted, "
        f"{refused} bookings refused"
    )
    async with instances[0].engine.connect() as conn:
        count = (
            await conn.execute(text("SELECT count(*) FROM bookings WHERE status = 'active'"))
        ).scalar_one()
    assert count == 6


async def second_waits_for_first(
    instances: list[Instance],
    first: Callable[[AsyncConnection], Awaitable[Any]],
    second: Callable[[AsyncConnection], Awaitable[Any]],
) -> None:
    """Run `first` in instance 0's open transaction, then `second` in instance 1's: it must wait on
    a lock until instance 0 commits."""
    async with AsyncExitStack() as stack:
        conn_a, _ = await open_transaction(stack, instances[0])
        await first(conn_a)
        conn_b, pid_b = await open_transaction(stack, instances[1])
        await conn_b.execute(text("SET LOCAL lock_timeout = 0"))  # this one may wait as long as it must
        pending = asyncio.ensure_future(second(conn_b))
        await until_waiting_on_a_lock(instances[0].engine, pid_b)
        assert not pending.done()
        await conn_a.commit()
        await pending


async def test_a_booking_of_the_same_room_at_another_time_does_not_wait_and_both_are_seen(
    instances: list[Instance],
) -> None:
    a, b = instances[0], instances[1]
    async with b.engine.begin() as conn:
        await b.ledger.index(conn, NOW)  # instance B's cached index, built before A books
    first = stored_meeting(1, room="kamer-1", advisor="adv-1", case="case-1", start=TOMORROW_9)
    later = stored_meeting(
        2, room="kamer-1", advisor="adv-2", case="case-2", start=TOMORROW_9 + timedelta(hours=4)
    )
    async with AsyncExitStack() as stack:
        conn_a, _ = await open_transaction(stack, a)
        conn_b, _ = await open_transaction(stack, b)
        await a.ledger.add(conn_a, first, request_id="r-1", now=NOW)
        await b.ledger.add(conn_b, later, request_id="r-2", now=NOW)  # A has not committed: no wait
        await conn_a.commit()
        await conn_b.commit()
    assert (a.refusals, b.refusals) == ([], [])
    # B grew its own index with its own booking; A's writer row, new to B, makes it read again.
    for inst in (a, b):
        async with inst.engine.begin() as conn:
            index = await inst.ledger.index(conn, NOW)
        busy = sorted(index.room_busy("kamer-1").intervals())
        assert len(busy) == 2, f"an instance's index of kamer-1: {busy}"


async def test_two_transactions_of_one_instance_leave_its_index_with_both_bookings(
    instances: list[Instance],
) -> None:
    """Its own row written by its other transaction meanwhile: the token is written anyway, and the
    index read again rather than trusted."""
    a = instances[0]
    async with a.engine.begin() as conn:
        await a.ledger.index(conn, NOW)
    async with AsyncExitStack() as stack:
        conn_1, _ = await open_transaction(stack, a)
        conn_2, _ = await open_transaction(stack, a)
        await a.ledger.index(conn_1, NOW)
        await a.ledger.index(conn_2, NOW)  # both read the same token
        await a.ledger.add(
            conn_1,
            stored_meeting(1, room="kamer-1", advisor="adv-1", case="case-1", start=TOMORROW_9),
            request_id="r-1",
            now=NOW,
        )
        await conn_1.commit()
        await a.ledger.add(
            conn_2,
            stored_meeting(2, room="kamer-2", advisor="adv-2", case="case-2", start=TOMORROW_9),
            request_id="r-2",
            now=NOW,
        )
        await conn_2.commit()
    async with a.engine.begin() as conn:
        index = await a.ledger.index(conn, NOW)
    assert [len(index.room_busy(r).intervals()) for r in ("kamer-1", "kamer-2")] == [1, 1]


async def test_an_overlapping_booking_of_the_same_room_is_refused_without_waiting_for_the_other_commit(
    instances: list[Instance],
) -> None:
    a, b = instances[0], instances[1]
    first = stored_meeting(1, room="kamer-1", advisor="adv-1", case="case-1", start=TOMORROW_9)
    clash = stored_meeting(
        2, room="kamer-1", advisor="adv-2", case="case-2", start=TOMORROW_9 + timedelta(minutes=30)
    )
    async with AsyncExitStack() as stack:
        conn_a, _ = await open_transaction(stack, a)
        conn_b, _ = await open_transaction(stack, b)
        await a.ledger.add(conn_a, first, request_id="r-1", now=NOW)
        with pytest.raises(BookingRefused):
            await b.ledger.add(conn_b, clash, request_id="r-2", now=NOW)  # A still uncommitted
        assert b.refusals == ["refused"]
        await conn_b.commit()  # the refusal rolled back only its savepoint
        await conn_a.commit()
    async with a.engine.connect() as conn:
        rows = (await conn.execute(text("SELECT booking_id FROM bookings WHERE status = 'active'"))).all()
    assert [r.booking_id for r in rows] == [first.booking_id]


async def test_a_second_transaction_on_the_same_case_waits_for_the_first(instances: list[Instance]) -> None:
    a, b = instances[0], instances[1]

    async def take_case(ledger: BookingLedger) -> Callable[[AsyncConnection], Awaitable[None]]:
        async def take(conn: AsyncConnection) -> None:
            await ledger.lock(conn, "case-7")

        return take

    await second_waits_for_first(instances, await take_case(a.ledger), await take_case(b.ledger))


async def test_under_the_calendar_lock_a_second_instance_waits_for_the_first(
    instances: list[Instance],
) -> None:
    """SCHEDULING_BOOKING_LOCK=calendar, the default: one lock for all bookings, whatever the room."""
    a, b = (instance(i.engine, lock_per_case=False) for i in instances[:2])
    first = stored_meeting(1, room="kamer-1", advisor="adv-1", case="case-1", start=TOMORROW_9)
    other = stored_meeting(2, room="kamer-2", advisor="adv-2", case="case-2", start=TOMORROW_9)

    async def book(ledger: BookingLedger, b: StoredBooking) -> Callable[[AsyncConnection], Awaitable[None]]:
        async def run(conn: AsyncConnection) -> None:
            await ledger.add(conn, b, request_id=b.booking_id, now=NOW)

        return run

    await second_waits_for_first([a, b], await book(a.ledger, first), await book(b.ledger, other))
