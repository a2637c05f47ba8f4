"""Schema migrations (shared/migrations, Alembic), on SQLite and PostgreSQL.

For every schema: a database exactly as release 1 made it (its create_all, no version table; the
DDL frozen in release_1.json) is refused by the service's start with the command that upgrades
it, is upgraded in place by that command with its rows kept, and then matches the current models
to the column (Alembic's own comparison finds nothing to change); an empty database gets the same
schema at start. A database at a revision this release does not know, or one with only some of
a schema's tables, is refused in words. `test_intake_runs_on_its_upgraded_release_1_database`
starts intake on the upgraded database and folds a meeting into the table migration 0002 added.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, inspect, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from services.intake.adapters.migrations import SCHEMA as INTAKE
from services.intake.adapters.submission_key_migrations import SUBMISSION_KEYS_SCHEMA
from services.intake.adapters.tables import client_meetings
from services.reporting.adapters.ledger_migrations import LEDGER_SCHEMA
from services.reporting.adapters.migrations import SCHEMA as REPORTING
from services.routing.adapters.migrations import SCHEMA as ROUTING
from services.scheduling.adapters.migrations import SCHEMA as SCHEDULING
from services.workbench.adapters.migrations import SCHEMA as WORKBENCH
from shared import migrations
from shared.crypto import KEYSTORE_SCHEMA
from shared.db import make_engine
from shared.migrations import Schema, SchemaOutOfDate
from tests.support.follow_up import (
    assign_and_accept,
    client_of,
    meeting_scheduled,
    open_case,
    scheduling_says,
    start_intake,
)

SCHEMAS = [
    INTAKE,
    SUBMISSION_KEYS_SCHEMA,
    ROUTING,
    SCHEDULING,
    REPORTING,
    LEDGER_SCHEMA,
    WORKBENCH,
    KEYSTORE_SCHEMA,
]
by_name = pytest.mark.parametrize("schema", SCHEMAS, ids=[s.name for s in SCHEMAS])


@pytest.fixture
async def engine(db_url: str) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(db_url)
    yield engine
    await engine.dispose()


async def made_by_release_1(engine: AsyncEngine, schema: Schema) -> None:
    """What release 1 left: its create_all's DDL, no version table."""
    async with engine.begin() as conn:
        for statement in schema.release_1["ddl"][conn.dialect.name]:
            await conn.exec_driver_sql(statement)


def differences(schema: Schema) -> Any:
    def compare(connection: Connection) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return [d for d in compare_metadata(context, schema.metadata) if not _is_version_table(d)]

    return compare


def _is_version_table(diff: Any) -> bool:
    return diff[0] == "remove_table" and diff[1].name.startswith("alembic_version_")


async def schema_differences(engine: AsyncEngine, schema: Schema) -> list[Any]:
    async with engine.connect() as conn:
        found: list[Any] = await conn.run_sync(differences(schema))
        return found


WHOLE_APP_TABLES = """
import importlib, json, sys
module, attribute = sys.argv[1].split(":")
alone = {t.name for t in getattr(importlib.import_module(module), attribute).metadata.sorted_tables}
for app in ("intake", "routing", "scheduling", "reporting", "workbench"):
    importlib.import_module(f"services.{app}.app")
whole = {t.name for t in getattr(importlib.import_module(module), attribute).metadata.sorted_tables}
print(json.dumps([sorted(alone), sorted(whole)]))
"""
SCHEMA_MODULES = {
    "intake": "services.intake.adapters.migrations:SCHEMA",
    "submission_keys": "services.intake.adapters.submission_key_migrations:SUBMISSION_KEYS_SCHEMA",
    "routing": "services.routing.adapters.migrations:SCHEMA",
    "scheduling": "services.scheduling.adapters.migrations:SCHEMA",
    "reporting": "services.reporting.adapters.migrations:SCHEMA",
    "ledger": "services.reporting.adapters.ledger_migrations:LEDGER_SCHEMA",
    "workbench": "services.workbench.adapters.migrations:SCHEMA",
    "keystore": "shared.crypto:KEYSTORE_SCHEMA",
}


@pytest.mark.parametrize("name", sorted(SCHEMA_MODULES))
def test_a_schema_imported_alone_has_every_table_the_running_service_has(name: str) -> None:
    """Tables live in several adapter modules; a schema imported on its own (by `caseflow db`)
    must not miss the ones its service's other modules add, and release 1 had them all."""
    import json
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-c", WHOLE_APP_TABLES, SCHEMA_MODULES[name]],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    alone, whole = json.loads(out)
    assert alone == whole
    schema = next(s for s in SCHEMAS if s.name == name)
    assert set(schema.release_1["tables"]) <= set(whole)


@by_name
async def test_an_empty_database_gets_the_current_schema_at_start(
    engine: AsyncEngine, schema: Schema
) -> None:
    state = await migrations.prepare(engine, schema)
    assert (state.revision, state.head) == (schema.head, schema.head)
    assert await schema_differences(engine, schema) == []
    assert (await migrations.prepare(engine, schema)).revision == schema.head  # a second start: nothing to do


@by_name
async def test_a_release_1_database_is_refused_at_start_then_upgraded_in_place_keeping_its_rows(
    engine: AsyncEngine, schema: Schema
) -> None:
    await made_by_release_1(engine, schema)
    marker_table = schema.release_1["tables"][0]
    async with engine.connect() as conn:
        before = (await conn.execute(text(f'SELECT count(*) FROM "{marker_table}"'))).scalar_one()

    with pytest.raises(SchemaOutOfDate) as refused:
        await migrations.prepare(engine, schema)
    assert "made before migrations" in str(refused.value)
    assert f"run `{schema.upgrade_hint}`" in str(refused.value)

    old, new = await migrations.upgrade(engine, schema)
    assert (old.revision, old.release_1_tables) == (None, True)
    assert new.revision == schema.head
    assert await schema_differences(engine, schema) == []  # equal to the models, column by column
    async with engine.connect() as conn:
        assert (await conn.execute(text(f'SELECT count(*) FROM "{marker_table}"'))).scalar_one() == before
    assert (await migrations.prepare(engine, schema)).revision == schema.head  # and it starts


async def test_intakes_release_1_database_needs_revisions_0002_and_0003_and_gets_them(
    engine: AsyncEngine,
) -> None:
    """Intake's schema changes since release 1: client_meetings (D46), and the assignment row's
    decision and the decision its acceptance accepted (D55)."""
    await made_by_release_1(engine, INTAKE)

    def shape(c: Connection) -> tuple[bool, set[str]]:
        found = inspect(c)
        return found.has_table("client_meetings"), {col["name"] for col in found.get_columns("assignments")}

    decision_columns = {"decision_id", "acceptance_by", "acceptance_at", "acceptance_decision_id"}
    async with engine.connect() as conn:
        has_meetings, columns = await conn.run_sync(shape)
        assert not has_meetings and not columns & decision_columns
    old, new = await migrations.upgrade(engine, INTAKE)
    assert (old.describe(), new.describe()) == (
        "intake: at release 1 (made before migrations), needs 0003",
        "intake: at 0003, up to date",
    )
    async with engine.connect() as conn:
        has_meetings, columns = await conn.run_sync(shape)
        assert has_meetings and decision_columns <= columns
    assert await schema_differences(engine, INTAKE) == []


async def test_a_revision_this_release_does_not_know_is_refused_in_words(engine: AsyncEngine) -> None:
    await migrations.prepare(engine, ROUTING)
    async with engine.begin() as conn:
        await conn.execute(text(f"UPDATE {ROUTING.version_table} SET version_num = '0099'"))
    with pytest.raises(SchemaOutOfDate, match="at revision 0099, which this release does not know"):
        await migrations.prepare(engine, ROUTING)
    with pytest.raises(SchemaOutOfDate, match="does not know"):
        await migrations.upgrade(engine, ROUTING)


async def test_a_database_with_only_some_of_a_schemas_tables_is_not_stamped(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        for statement in WORKBENCH.release_1["ddl"][conn.dialect.name][:2]:
            await conn.exec_driver_sql(statement)
    with pytest.raises(SchemaOutOfDate, match="some of its tables but no version"):
        await migrations.upgrade(engine, WORKBENCH)


async def test_two_schemas_share_a_database_without_sharing_a_history(engine: AsyncEngine) -> None:
    """intake's submission keys live in the key store's database, each with its own version table."""
    await migrations.prepare(engine, KEYSTORE_SCHEMA)
    state = await migrations.state(engine, SUBMISSION_KEYS_SCHEMA)
    assert state.empty
    await migrations.prepare(engine, SUBMISSION_KEYS_SCHEMA)
    assert (await migrations.state(engine, KEYSTORE_SCHEMA)).revision == KEYSTORE_SCHEMA.head
    async with engine.connect() as conn:
        tables = await conn.run_sync(lambda c: set(c.dialect.get_table_names(c)))
    assert {
        "case_keys",
        "submission_keys",
        KEYSTORE_SCHEMA.version_table,
        SUBMISSION_KEYS_SCHEMA.version_table,
    } <= tables


async def test_instances_starting_at_once_on_an_empty_database_all_start(db_url: str) -> None:
    """Three pods of scheduling at once: one creates the schema (its constraints too), the others wait
    (PostgreSQL's advisory lock) or retry a lost race (SQLite), and find it made."""
    engines = [make_engine(db_url) for _ in range(3)]
    try:
        states = await asyncio.gather(*(migrations.prepare(e, SCHEDULING) for e in engines))
        assert [s.revision for s in states] == [SCHEDULING.head] * 3
        assert await schema_differences(engines[0], SCHEDULING) == []
    finally:
        for e in engines:
            await e.dispose()


async def test_intake_runs_on_its_upgraded_release_1_database(
    engine: AsyncEngine, db_url: str, tmp_path: Path
) -> None:
    await made_by_release_1(engine, INTAKE)
    await migrations.upgrade(engine, INTAKE)
    intake = await start_intake(tmp_path, database_url=db_url)  # its own start: prepare() accepts it
    try:
        async with client_of(intake) as client:
            case_id, code = await open_case(client)
            await assign_and_accept(intake, case_id)
            await scheduling_says(intake, meeting_scheduled(case_id, datetime(2030, 12, 5, 9, 0, tzinfo=UTC)))
            page = (await client.post("/vervolg", data={"code": code})).text
        assert "Donderdag 5 december om 10.00\u00a0uur" in page
        async with engine.connect() as conn:
            rows = (await conn.execute(select(client_meetings.c.case_id))).scalars().all()
        assert rows == [case_id]
    finally:
        await intake.stop()


_PREPARE_IN_A_PROCESS = """
import asyncio, sys, time
from pathlib import Path
from shared import migrations
from shared.crypto import KEYSTORE_SCHEMA
from shared.db import make_engine

async def main(url, go):
    print("ready", flush=True)
    while not Path(go).exists():  # all processes leave this loop within a millisecond or so
        time.sleep(0.0005)
    engine = make_engine(url)
    try:
        state = await migrations.prepare(engine, KEYSTORE_SCHEMA)
        print(state.revision)
    finally:
        await engine.dispose()

asyncio.run(main(sys.argv[1], sys.argv[2]))
"""


@pytest.mark.parametrize("round_", range(4))
def test_two_services_creating_the_shared_key_store_at_once_in_separate_processes_both_start(
    tmp_path: Path, round_: int
) -> None:
    """Intake and routing both prepare the shared key store at start-up (the demo starts them side
    by side). On SQLite the driver commits each CREATE by itself, so without a write lock for the
    whole migration the second process saw half a schema and refused to start (CI, 2026-12-03)."""
    url = f"sqlite+aiosqlite:///{tmp_path}/keystore.db"
    go = tmp_path / "go"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _PREPARE_IN_A_PROCESS, url, str(go)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    for proc in procs:  # every interpreter has imported everything; the race starts with `go`
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready"
    go.touch()
    results = [p.communicate(timeout=60) for p in procs]
    for proc, (out, err) in zip(procs, results, strict=True):
        assert proc.returncode == 0, err[-3000:]
        assert out.strip() == KEYSTORE_SCHEMA.head


def test_a_service_refusing_its_out_of_date_database_says_why_in_its_log(tmp_path: Path) -> None:
    """The reason a service will not start reaches the operator: uvicorn's traceback is redacted by
    the log scrubber as free text, so the service logs `service_start_failed` with the reason."""
    database = tmp_path / "scheduling.db"

    async def release_1_database() -> None:
        engine = make_engine(f"sqlite+aiosqlite:///{database}")
        try:
            await made_by_release_1(engine, SCHEDULING)
        finally:
            await engine.dispose()

    asyncio.run(release_1_database())
    env = {
        **os.environ,
        "SCHEDULING_DATABASE_URL": f"sqlite+aiosqlite:///{database}",
        "SCHEDULING_KAFKA_BOOTSTRAP": "127.0.0.1:9",  # never reached: the schema check comes first
        "SCHEDULING_HTTP_PORT": "0",
    }
    caseflow = str(Path(sys.executable).with_name("caseflow"))
    done = subprocess.run(
        [caseflow, "serve", "scheduling"], check=False, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode != 0
    failures = [
        json.loads(line)
        for line in done.stderr.splitlines()
        if line.startswith("{") and '"service_start_failed"' in line
    ]
    assert len(failures) == 1, done.stderr[-3000:]
    assert "made before migrations" in failures[0]["reason"]
    assert "caseflow db upgrade scheduling" in failures[0]["reason"]
