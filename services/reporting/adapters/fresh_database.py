"""The database a replay rebuilds the projection in: fresh, tuned for a bulk load, durable at the end.

A replay builds a new projection, never merges into one: `prepare_fresh_database` refuses a database
that already holds a projection or an inbox (`DatabaseNotFresh`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, func, inspect, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.reporting.adapters.migrations import SCHEMA
from services.reporting.adapters.projection import ensure_meta_row
from services.reporting.adapters.tables import messaging, rp_cases
from shared import migrations


class DatabaseNotFresh(RuntimeError):
    """The target database already holds a projection: a replay builds a new one, never merges."""


async def prepare_fresh_database(engine: AsyncEngine) -> None:
    """Create the schema; refuse a database that already holds a projection or an inbox."""

    def existing_tables(sync_conn: Any) -> set[str]:
        return set(inspect(sync_conn).get_table_names())

    async with engine.connect() as conn:
        tables = await conn.run_sync(existing_tables)
        for table in (rp_cases, messaging.inbox):
            if (
                table.name in tables
                and (await conn.execute(select(func.count()).select_from(table))).scalar()
            ):
                raise DatabaseNotFresh(f"table {table.name} is not empty: replay into a new database")
    await migrations.prepare(engine, SCHEMA)
    async with engine.begin() as conn:
        await ensure_meta_row(conn)


def tune_for_bulk_load(engine: AsyncEngine, cache_mib: int = 64) -> None:
    """SQLite settings for a rebuild into a fresh file: a larger page cache (the inbox and projection
    indexes take random inserts, which thrash the default 2 MiB cache) and no fsync per commit (a
    rebuild cut short by a power loss is simply run again into a new file). `make_durable` syncs
    everything once at the end."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine.sync_engine, "connect")
    def _bulk_load(dbapi_conn: Any, _record: Any) -> None:
        cursor = dbapi_conn.cursor()
        cursor.execute(f"PRAGMA cache_size=-{cache_mib * 1024}")
        cursor.execute("PRAGMA synchronous=OFF")
        cursor.close()


async def make_durable(engine: AsyncEngine) -> None:
    """After a bulk load: copy the write-ahead log into the database file and sync it."""
    if engine.dialect.name != "sqlite":
        return
    async with engine.connect() as conn:
        await conn.exec_driver_sql("PRAGMA synchronous=FULL")
        await conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


async def ignored_type_count(conn: AsyncConnection) -> int:
    """Messages of event types the projection does not fold (recorded in the inbox as `ignored:`)."""
    ignored = (
        await conn.execute(
            select(func.count())
            .select_from(messaging.inbox)
            .where(messaging.inbox.c.message_id.like("ignored:%"))
        )
    ).scalar()
    return int(ignored or 0)
