"""SQLAlchemy 2 async engines for SQLite (the embedded default) and PostgreSQL (production, CI).

One code path for both: services use Core tables and portable SQL. The few dialect differences
(insert-or-ignore, upsert, SQLite pragmas) are handled here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import MetaData, event, make_url, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.sql import Insert
from sqlalchemy.sql.schema import Table

from shared import sqlite_inline


def make_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    """An async engine with settings fit for this system.

    SQLite: WAL journal so readers don't block the writer, a busy timeout instead of
    "database is locked" errors, foreign keys on. PostgreSQL: a modest pool with pre-ping so a
    restarted server is survived.
    """
    if url.startswith("sqlite"):
        if sqlite_inline.threaded():
            engine = create_async_engine(url, echo=echo, connect_args={"timeout": 30})
        else:  # no thread hop per statement (shared/sqlite_inline.py, D59)
            parsed = make_url(url)
            creator = sqlite_inline.inline_connector(parsed.get_dialect()(), parsed, timeout=30)
            engine = create_async_engine(url, echo=echo, async_creator=creator)

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    return create_async_engine(url, echo=echo, pool_size=5, max_overflow=5, pool_pre_ping=True)


async def ping(engine: AsyncEngine) -> None:
    """One `SELECT 1`: raises when the database does not answer (readiness, shared/readiness.py)."""
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))


def is_postgres(conn_or_engine: AsyncConnection | AsyncEngine) -> bool:
    return conn_or_engine.dialect.name == "postgresql"


def insert_ignoring_duplicates(conn: AsyncConnection, table: Table, index_elements: list[str]) -> Insert:
    """INSERT ... ON CONFLICT DO NOTHING, in the connection's dialect."""
    if is_postgres(conn):
        return pg_insert(table).on_conflict_do_nothing(index_elements=index_elements)
    return sqlite_insert(table).on_conflict_do_nothing(index_elements=index_elements)


async def upsert(conn: AsyncConnection, table: Table, keys: Sequence[str], values: Mapping[str, Any]) -> None:
    """INSERT, or UPDATE the non-key columns given when the keyed row exists."""
    await conn.execute(upsert_statement(conn.dialect.name, table, tuple(keys), tuple(values)), dict(values))


@lru_cache(maxsize=64)
def upsert_statement(dialect: str, table: Table, keys: tuple[str, ...], columns: tuple[str, ...]) -> Insert:
    """The upsert of `columns` in `dialect`, built once (its values are the execution's parameters)."""
    stmt = pg_insert(table) if dialect == "postgresql" else sqlite_insert(table)
    changes = {name: stmt.excluded[name] for name in columns if name not in keys}
    if changes:
        return stmt.on_conflict_do_update(index_elements=list(keys), set_=changes)
    return stmt.on_conflict_do_nothing(index_elements=list(keys))


async def create_all(engine: AsyncEngine, metadata: MetaData, attempts: int = 3) -> None:
    """Create missing tables (idempotent). Schema migrations are recorded in docs/decisions.md.

    Several processes may start at once on one database (instances of a service, or intake and
    routing on a shared key store): a lost check-then-create race is retried, and the retry finds
    the tables the winner made.
    """
    for attempt in range(1, attempts + 1):
        try:
            async with engine.begin() as conn:
                await conn.run_sync(metadata.create_all)
            return
        except DBAPIError as exc:
            lost_race = "already exists" in str(exc) or "pg_type_typname_nsp_index" in str(exc)
            if not lost_race or attempt == attempts:
                raise
