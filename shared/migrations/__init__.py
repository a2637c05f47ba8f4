"""Schema migrations with Alembic: one revision chain per schema, run in the service's own engine.

A *schema* is the tables one metadata describes in one database: each service's own database
(intake, routing, scheduling, reporting, workbench), the shared key store (`keystore`, and intake's
`submission_keys` beside it) and reporting's release ledger (`ledger`). Each has its revision
scripts in its own directory and its own version table (`alembic_version_<schema>`), so two schemas
may share a database without sharing a history. One Alembic environment (`alembic/env.py`) serves
them all; it runs on the connection it is given, inside the caller's transaction.

Revision 0001 of every schema is release 1: the DDL that release's `create_all` emitted, frozen per
dialect in `release_1.json` beside the revisions. A database that release created (no version
table, its tables present) is recognised by those tables and stamped 0001 before it is upgraded.

A service starting on an empty database creates its schema at the newest revision; on an older
one it refuses with `SchemaOutOfDate`, which names the command that upgrades it
(`caseflow db upgrade SERVICE`). docs/decisions.md D47.
"""

from __future__ import annotations

import asyncio
import json
import weakref
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, MetaData, inspect, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

ENVIRONMENT = Path(__file__).parent / "alembic"
RELEASE_1 = "0001"
T = TypeVar("T")


class SchemaOutOfDate(Exception):
    """The database holds an older (or unknown) revision of the schema than this release needs."""


@dataclass(frozen=True)
class Schema:
    name: str
    metadata: MetaData
    directory: Path  # holds versions/ and release_1.json
    upgrade_hint: str  # the command an operator runs, e.g. "caseflow db upgrade intake"

    @property
    def version_table(self) -> str:
        return f"alembic_version_{self.name}"

    @cached_property
    def release_1(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((self.directory / "release_1.json").read_text())
        return data

    def config(self, connection: Connection | None = None) -> Config:
        cfg = Config()
        cfg.set_main_option("script_location", str(ENVIRONMENT))
        cfg.set_main_option("version_locations", str(self.directory / "versions"))
        cfg.set_main_option("path_separator", "os")
        cfg.attributes.update(connection=connection, metadata=self.metadata, version_table=self.version_table)
        return cfg

    @cached_property
    def head(self) -> str:
        head = ScriptDirectory.from_config(self.config()).get_current_head()
        assert head is not None, f"schema {self.name} has no revisions"
        return head


@dataclass(frozen=True)
class SchemaState:
    schema: str
    revision: str | None  # None: no version table
    head: str
    release_1_tables: bool  # the tables release 1 created are all there
    known: bool = True  # False: a revision of a newer release, which this one cannot read

    @property
    def empty(self) -> bool:
        return self.revision is None and not self.release_1_tables

    def describe(self) -> str:
        if self.revision == self.head:
            return f"{self.schema}: at {self.head}, up to date"
        if self.empty:
            return f"{self.schema}: empty, needs {self.head}"
        if not self.known:
            return (
                f"the {self.schema} schema is at revision {self.revision}, which this release does not "
                "know (a newer release migrated it); run that release, or restore a backup"
            )
        at = self.revision or "release 1 (made before migrations)"
        return f"{self.schema}: at {at}, needs {self.head}"


def create_release_1(schema_directory: Path, connection: Connection) -> None:
    """Revision 0001 of a schema: the DDL release 1's create_all emitted, in this dialect."""
    release = json.loads((schema_directory / "release_1.json").read_text())
    for statement in release["ddl"][connection.dialect.name]:
        connection.exec_driver_sql(statement)


async def prepare(engine: AsyncEngine, schema: Schema) -> SchemaState:
    """At a service's start: create the schema in an empty database, accept one at the newest
    revision, and refuse anything else (SchemaOutOfDate, naming the command that upgrades it)."""
    return await _in_transaction(engine, schema, _prepare)


async def upgrade(engine: AsyncEngine, schema: Schema) -> tuple[SchemaState, SchemaState]:
    """`caseflow db upgrade`: bring the schema to the newest revision, in one transaction; a
    database made by release 1 is stamped 0001 first. Returns the state before and after."""
    return await _in_transaction(engine, schema, _upgrade)


async def drop(engine: AsyncEngine, schema: Schema) -> None:
    """Drop the schema's tables and its version table (tests that rebuild a database in place):
    dropping the tables alone would leave a version that says they are there."""

    def _drop(connection: Connection) -> None:
        schema.metadata.drop_all(connection)
        connection.exec_driver_sql(f'DROP TABLE IF EXISTS "{schema.version_table}"')

    async with engine.begin() as conn:
        await conn.run_sync(_drop)


async def state(engine: AsyncEngine, schema: Schema) -> SchemaState:
    async with engine.connect() as conn:
        return await conn.run_sync(_state, schema)


_ONE_AT_A_TIME: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
    weakref.WeakKeyDictionary()
)


def _alembic_lock() -> asyncio.Lock:
    """Alembic keeps the running migration in module globals (`alembic.context`, `alembic.op`), and
    run_sync interleaves coroutines on one thread: two migrations in one process must not overlap."""
    loop = asyncio.get_running_loop()
    return _ONE_AT_A_TIME.setdefault(loop, asyncio.Lock())


async def _in_transaction(
    engine: AsyncEngine, schema: Schema, step: Callable[[Connection, Schema], T], attempts: int = 3
) -> T:
    # Instances of a service (or two services sharing the key store) may start at once on a new
    # database. PostgreSQL: an advisory lock held to the end of the transaction lets one migrate
    # while the others wait and then find the schema made. SQLite: Python's driver opens no
    # transaction before DDL, so each CREATE would commit by itself and a second process could see
    # half a schema; BEGIN IMMEDIATE takes the write lock for the whole migration (the others wait
    # out busy_timeout), and a lost race that still gets through ("already exists", "locked") is
    # retried.
    for attempt in range(1, attempts + 1):
        try:
            async with _alembic_lock(), engine.begin() as conn:
                if conn.dialect.name == "postgresql":
                    key = zlib.crc32(f"caseflow-schema-{schema.name}".encode())
                    await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
                elif conn.dialect.name == "sqlite":
                    await conn.exec_driver_sql("BEGIN IMMEDIATE")
                return await conn.run_sync(step, schema)
        except DBAPIError as exc:
            lost_race = "already exists" in str(exc) or "locked" in str(exc)
            if not lost_race or attempt == attempts:
                raise
    raise AssertionError("unreachable")


def _state(connection: Connection, schema: Schema) -> SchemaState:
    context = MigrationContext.configure(connection, opts={"version_table": schema.version_table})
    present = set(inspect(connection).get_table_names())
    revision = context.get_current_revision()
    return SchemaState(
        schema=schema.name,
        revision=revision,
        head=schema.head,
        release_1_tables=set(schema.release_1["tables"]) <= present,
        known=revision is None or revision in _known_revisions(schema),
    )


def _prepare(connection: Connection, schema: Schema) -> SchemaState:
    found = _state(connection, schema)
    if found.revision == found.head:
        return found
    if found.empty:
        return _upgrade(connection, schema)[1]
    if not found.known:
        raise SchemaOutOfDate(found.describe())
    raise SchemaOutOfDate(
        f"{found.describe()}: run `{schema.upgrade_hint}` (after a backup) before starting this release"
    )


def _upgrade(connection: Connection, schema: Schema) -> tuple[SchemaState, SchemaState]:
    before = _state(connection, schema)
    if not before.known:
        raise SchemaOutOfDate(before.describe())
    cfg = schema.config(connection)
    if before.revision is None and before.release_1_tables:
        command.stamp(cfg, RELEASE_1)  # made by release 1's create_all, which kept no version
    elif before.revision is None and _any_table_of(connection, schema):
        raise SchemaOutOfDate(
            f"the {schema.name} schema has some of its tables but no version: not a database this "
            "system made; restore a backup or start from an empty database"
        )
    command.upgrade(cfg, "head")
    return before, _state(connection, schema)


def _known_revisions(schema: Schema) -> set[str]:
    return {s.revision for s in ScriptDirectory.from_config(schema.config()).walk_revisions()}


def _any_table_of(connection: Connection, schema: Schema) -> bool:
    return bool(set(schema.release_1["tables"]) & set(inspect(connection).get_table_names()))
