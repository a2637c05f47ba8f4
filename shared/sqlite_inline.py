"""SQLite for the async engines without a thread hop per statement (issue 17, decision D59).

SQLAlchemy's `sqlite+aiosqlite` dialect hands every statement to aiosqlite's worker thread and
waits for the answer on the event loop: measured on this machine, ~300 µs of CPU per statement,
against ~20 µs for the same statement through `sqlite3` in the calling thread. A unit of work of
ten to thirty statements spent most of a case's CPU there.

`inline_connector` gives the dialect connections that look like aiosqlite's (the same dialect,
the same SQL, the same `sqlite3` exceptions) but run each call at once in the loop's thread. What
that changes, and how it is made safe:

- **Another transaction of this process cannot wait inside SQLite.** With the worker thread, a
  writer waiting for SQLite's write lock waited in its thread while the loop went on. In the loop's
  thread, SQLite's busy wait would stop the loop, and with it the transaction holding the lock:
  a stall until the busy timeout. So each database file has one asyncio lock per process and loop,
  `_writers`, taken before a transaction's first write and given back when it ends (commit,
  rollback, close, or SQLite's own implicit commit). It is held exactly while SQLite's write lock
  is, so the order in which transactions wait for each other is what it was; a waiter now awaits
  on the loop instead of in a thread, and gives up after the same 30 s with SQLite's own words.
- **Another process can still make a writer wait** (intake and routing share the key store file):
  that wait is SQLite's busy handler, in the loop's thread, for as long as the other process holds
  its (short) write transaction.
- **A long query holds the loop** for its duration, as any CPU work in a coroutine does.

`CASEFLOW_SQLITE_THREADED=1` turns this off (aiosqlite's own connections), for comparison.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import weakref
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Self

_WRITE_WORDS = ("INSERT", "UPDATE", "DELETE", "REPLACE", "CREATE", "DROP", "ALTER", "BEGIN")
_LOCK_WAIT_SECONDS = 30.0  # the busy timeout of shared/db.py's connections

# (database file) -> (loop -> lock): one writer at a time per file in this process.
_writers: dict[str, weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock]] = {}


def threaded() -> bool:
    return os.environ.get("CASEFLOW_SQLITE_THREADED", "") not in ("", "0")


def _writer_for(database: str) -> asyncio.Lock:
    per_loop = _writers.setdefault(database, weakref.WeakKeyDictionary())
    loop = asyncio.get_running_loop()
    lock = per_loop.get(loop)
    if lock is None:
        lock = per_loop[loop] = asyncio.Lock()
    return lock


def _is_write(sql: str) -> bool:
    return sql.lstrip().upper().startswith(_WRITE_WORDS)


class _RunAtOnce:
    """Stands in for aiosqlite's request queue: SQLAlchemy's isolation-level setter puts a
    (future, function) pair on it and awaits the future."""

    def put_nowait(self, item: tuple[asyncio.Future[Any], Callable[[], Any]]) -> None:
        future, function = item
        try:
            future.set_result(function())
        except Exception as error:  # noqa: BLE001 - handed to the awaiting caller
            future.set_exception(error)


class InlineCursor:
    def __init__(self, owner: InlineConnection, cursor: sqlite3.Cursor) -> None:
        self._owner = owner
        self._cursor = cursor

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        self._cursor.close()

    async def execute(self, sql: str, parameters: Sequence[Any] | dict[str, Any] = ()) -> InlineCursor:
        return await self._run(_is_write(sql), self._cursor.execute, sql, parameters)

    async def executemany(self, sql: str, seq_of_parameters: Iterable[Any]) -> InlineCursor:
        return await self._run(True, self._cursor.executemany, sql, seq_of_parameters)

    async def _run(
        self, writes: bool, call: Callable[[str, Any], Any], sql: str, parameters: Any
    ) -> InlineCursor:
        """One statement, behind the writer lock when it writes; the lock is given back as soon as
        no transaction is open any more."""
        if writes:
            await self._owner.writing()
        try:
            call(sql, parameters)
        finally:
            self._owner.settle()
        return self

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._cursor.fetchmany(size if size is not None else self._cursor.arraysize)

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value


class InlineConnection:
    """The part of `aiosqlite.Connection` that SQLAlchemy's aiosqlite dialect uses."""

    def __init__(self, connection: sqlite3.Connection, database: str) -> None:
        self._connection: sqlite3.Connection | None = connection
        self._database = database
        self._tx = _RunAtOnce()
        self._holding: asyncio.Lock | None = None

    @property
    def _conn(self) -> sqlite3.Connection:
        if self._connection is None:
            raise ValueError("no active connection")
        return self._connection

    # -- the writer lock ---------------------------------------------------------------------

    async def writing(self) -> None:
        """Before a write: take this file's writer lock unless this transaction holds it."""
        if self._holding is not None:
            return
        lock = _writer_for(self._database)
        try:
            await asyncio.wait_for(lock.acquire(), _LOCK_WAIT_SECONDS)
        except TimeoutError:
            raise sqlite3.OperationalError(
                "database is locked (by another transaction of this process)"
            ) from None
        self._holding = lock

    def settle(self) -> None:
        """After a statement: give the lock back if no transaction is open any more (autocommit,
        an implicit commit, or a failed BEGIN)."""
        if self._holding is not None and (self._connection is None or not self._connection.in_transaction):
            self._release()

    def _release(self) -> None:
        lock, self._holding = self._holding, None
        if lock is not None:
            lock.release()

    # -- aiosqlite's interface ---------------------------------------------------------------

    @property
    def isolation_level(self) -> str | None:
        return self._conn.isolation_level

    def cursor(self) -> InlineCursor:
        return InlineCursor(self, self._conn.cursor())

    async def execute(self, sql: str, parameters: Sequence[Any] | dict[str, Any] = ()) -> InlineCursor:
        return await self.cursor().execute(sql, parameters)

    async def create_function(self, *args: Any, **kw: Any) -> None:
        self._conn.create_function(*args, **kw)

    async def commit(self) -> None:
        try:
            self._conn.commit()
        finally:
            self.settle()

    async def rollback(self) -> None:
        try:
            self._conn.rollback()
        finally:
            self.settle()

    async def close(self) -> None:
        self.stop()

    def stop(self) -> None:
        connection, self._connection = self._connection, None
        try:
            if connection is not None:
                connection.close()
        finally:
            self._release()


def inline_connector(dialect: Any, url: Any, **connect_args: Any) -> Callable[[], Any]:
    """An `async_creator` for `create_async_engine`: sqlite3 connections opened with the arguments
    the dialect would have given aiosqlite (and `connect_args`), wrapped as above."""
    cargs, cparams = dialect.create_connect_args(url)
    cparams = {**cparams, **connect_args}
    database = str(cargs[0]) if cargs else str(cparams.get("database", ""))
    key = database if database.startswith("file:") or database == ":memory:" else os.path.abspath(database)

    async def connect() -> InlineConnection:
        # check_same_thread off: the pool may close a connection from the garbage collector.
        connection = sqlite3.connect(*cargs, **{**cparams, "check_same_thread": False})
        return InlineConnection(connection, key)

    return connect
