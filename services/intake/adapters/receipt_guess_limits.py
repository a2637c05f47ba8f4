"""Receipt-code guessing limits that cannot lock out a correct code.

The dialogue looks every presented code up first. A correct code always works, whoever sent it
and however many wrong codes came before; it clears the counter of that code. A wrong code counts
twice, in intake's database so every instance sees the same numbers (docs/case-file.md has them):
- per code (its hash): `per_code` wrong tries of one code within a fixed `code_window` are
  answered 404, further tries of that same code 429 until the window ends. A client retrying a
  mistyped code is told to stop; every other code is untouched, so a flood of wrong codes (from
  one address, or through a proxy all clients share) locks nobody out.
- globally: more than `global_failures` wrong codes within a fixed `global_window` turn every
  further wrong code's 404 into 429 until the window ends; the counter is the alarm
  (`caseflow_access_denied_total{reason="receipt_rate_limited"}`). Above it nothing is written:
  an instance that saw the budget spent answers the rest of the window from memory, so a flood
  costs a read per guess and cannot grow the table or queue writes in front of real work.
Because a correct code is never refused, the limits cannot hide from a guesser that a guess was
wrong: they cost guessers nothing they could not get anyway, and 80-bit codes are what keeps
guessing hopeless (the numbers are in docs/case-file.md). Client addresses are neither limited nor
stored. Windows are fixed (aligned to the epoch), so a window's budget can be spent twice across
its boundary; the clock comes in, so tests drive it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Table, delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.db import is_postgres

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ALL_CODES = "*"  # the global counter's key in the counters table


@dataclass(frozen=True)
class Refusal:
    reason: str  # code_tried_too_often | too_many_wrong_codes
    retry_after: float  # seconds until the window ends


@dataclass(frozen=True)
class GuessBudget:
    per_code: int = 5
    code_window: timedelta = timedelta(hours=1)
    global_failures: int = 200
    global_window: timedelta = timedelta(minutes=1)

    def window_of(self, now: datetime, length: timedelta) -> datetime:
        return EPOCH + ((now - EPOCH) // length) * length

    def over_budget(self, wrong_in_window: int, now: datetime) -> Refusal | None:
        """The global verdict on a wrong code, `wrong_in_window` counting this one."""
        if wrong_in_window <= self.global_failures:
            return None
        end = self.window_of(now, self.global_window) + self.global_window
        return Refusal("too_many_wrong_codes", (end - now).total_seconds())

    def code_refused(self, tries_of_code: int, now: datetime) -> Refusal | None:
        """The verdict on one wrong code, `tries_of_code` counting this try."""
        if tries_of_code <= self.per_code:
            return None
        end = self.window_of(now, self.code_window) + self.code_window
        return Refusal("code_tried_too_often", (end - now).total_seconds())

    def judge_wrong_code(
        self, wrong_in_window: int, tries_of_code: int | None, now: datetime
    ) -> Refusal | None:
        """429 or 404 for a wrong code; `tries_of_code` is None when the global budget is spent."""
        global_refusal = self.over_budget(wrong_in_window, now)
        if global_refusal is not None or tries_of_code is None:
            return global_refusal
        return self.code_refused(tries_of_code, now)


class ReceiptGuessLimiter:
    """The budget applied to the counters table (store.receipt_code_failures), inside the caller's
    transaction."""

    def __init__(self, table: Table, budget: GuessBudget) -> None:
        self.table = table
        self.budget = budget
        # Once the database said this window's budget is spent, this instance answers the rest of
        # the window's wrong codes without writing: a flood costs one read per guess, not a write.
        self._spent_until: datetime | None = None

    async def wrong_code(self, conn: AsyncConnection, code_hash: str, now: datetime) -> Refusal | None:
        b = self.budget
        if self._spent_until is not None and now < self._spent_until:
            return Refusal("too_many_wrong_codes", (self._spent_until - now).total_seconds())
        global_start = b.window_of(now, b.global_window)
        wrong_in_window = await self._count(conn, ALL_CODES, global_start)
        if wrong_in_window == 1:  # the window's first wrong code tidies up the old ones
            await self._forget_before(conn, now)
        tries: int | None = None
        if b.over_budget(wrong_in_window, now) is None:
            tries = await self._count(conn, code_hash, b.window_of(now, b.code_window))
        else:
            self._spent_until = global_start + b.global_window
        return b.judge_wrong_code(wrong_in_window, tries, now)

    async def right_code(self, conn: AsyncConnection, code_hash: str) -> None:
        await conn.execute(delete(self.table).where(self.table.c.counter == code_hash))

    async def _count(self, conn: AsyncConnection, counter: str, window_start: datetime) -> int:
        """Add one to a counter, atomically across instances, and return its new value."""
        t = self.table
        insert = pg_insert(t) if is_postgres(conn) else sqlite_insert(t)
        statement = (
            insert.values(counter=counter, window_start=window_start, failures=1)
            .on_conflict_do_update(
                index_elements=[t.c.counter, t.c.window_start], set_={"failures": t.c.failures + 1}
            )
            .returning(t.c.failures)
        )
        return int((await conn.execute(statement)).scalar_one())

    async def _forget_before(self, conn: AsyncConnection, now: datetime) -> None:
        b = self.budget
        keep_codes = b.window_of(now, b.code_window)
        keep_global = b.window_of(now, b.global_window)
        t = self.table
        await conn.execute(
            delete(t).where(
                ((t.c.counter == ALL_CODES) & (t.c.window_start < keep_global))
                | ((t.c.counter != ALL_CODES) & (t.c.window_start < keep_codes))
            )
        )
