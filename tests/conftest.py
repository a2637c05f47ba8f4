"""Shared fixtures.

Real infrastructure is started lazily, once per session, and only when a test asks for it:
- ``kafka_bootstrap`` -> "host:port" of a broker: ``$CASEFLOW_TEST_KAFKA_BOOTSTRAP`` when set,
  else the session's own ``kafka_node``. Use this to talk to Kafka.
- ``kafka_node`` -> a KafkaNode this session owns (start/stop/restart it only in tests that need
  the process itself; prefer a function-scoped node of your own for stop/restart tests).
- ``pg_url_base`` -> "postgresql+asyncpg://user@host:port": ``$CASEFLOW_TEST_PG_URL_BASE`` when
  set, else the session's own ``postgres_server``.
- ``db_url`` -> a fresh database URL per test, parametrized over sqlite and postgres (the hook for
  one contract test class against both backends); the postgres variant is marked integration.
- ``unique_topic`` -> a fresh topic-name prefix per test.
- ``keycloak_node`` -> a KeycloakNode this session owns (dev mode, the caseflow realm of
  deploy/keycloak/caseflow-realm.json imported into an in-memory database).
"""

from __future__ import annotations

import contextlib
import os
import re
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from devinfra.kafka import KafkaNode
from devinfra.keycloak import KeycloakNode
from devinfra.postgres import PostgresServer

# -- Kafka ---------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def kafka_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaNode]:
    # 1 GiB: a full run creates a few hundred prefixed topics on this one broker.
    node = KafkaNode(data_dir=tmp_path_factory.mktemp("kafka"), heap="1g")
    node.start()
    yield node
    node.stop()


@pytest.fixture(scope="session")
def kafka_bootstrap(request: pytest.FixtureRequest) -> str:
    external = os.environ.get("CASEFLOW_TEST_KAFKA_BOOTSTRAP")
    if external:
        return external
    node: KafkaNode = request.getfixturevalue("kafka_node")
    return node.bootstrap


@pytest.fixture
def unique_topic(request: pytest.FixtureRequest) -> str:
    """A prefix such as ``t-test-roundtrip-1a2b3c4d.``; build names as f"{unique_topic}intake.cases.v1"."""
    # Kafka allows [a-zA-Z0-9._-]; '_' is avoided because Kafka treats '.' and '_' as colliding.
    name = re.sub(r"[^a-zA-Z0-9-]+", "-", request.node.name).strip("-")[:60]
    return f"t-{name}-{uuid.uuid4().hex[:8]}."


# -- Keycloak ------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def keycloak_node() -> Iterator[KeycloakNode]:
    node = KeycloakNode()
    node.start()
    yield node
    node.stop()


# -- PostgreSQL and the database backends -------------------------------------------------------


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    server = PostgresServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def pg_url_base(request: pytest.FixtureRequest) -> str:
    external = os.environ.get("CASEFLOW_TEST_PG_URL_BASE")
    if external:
        return external.rstrip("/")
    server: PostgresServer = request.getfixturevalue("postgres_server")
    return server.url_base


async def _pg_admin(url_base: str, sql: str) -> None:
    import asyncpg

    # asyncpg takes a libpq-style URL, without SQLAlchemy's "+asyncpg" driver suffix.
    conn = await asyncpg.connect(url_base.replace("postgresql+asyncpg://", "postgresql://", 1) + "/postgres")
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(
    params=["sqlite", pytest.param("postgres", marks=pytest.mark.integration)],
)
async def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A SQLAlchemy async URL of an empty database, fresh for each test."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path}/x.db"
        return
    async with fresh_pg_database(request.getfixturevalue("pg_url_base")) as url:
        yield url


@pytest.fixture
async def pg_db_url(pg_url_base: str) -> AsyncIterator[str]:
    """A SQLAlchemy async URL of an empty PostgreSQL database, for PostgreSQL's own promises."""
    async with fresh_pg_database(pg_url_base) as url:
        yield url


@contextlib.asynccontextmanager
async def fresh_pg_database(url_base: str) -> AsyncIterator[str]:
    name = f"t_{uuid.uuid4().hex[:16]}"
    await _pg_admin(url_base, f'CREATE DATABASE "{name}"')
    try:
        yield f"{url_base}/{name}"
    finally:
        # FORCE: a test that forgot to dispose its engine must not break the next one.
        await _pg_admin(url_base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
