"""A PostgreSQL deadlock is a transient failure: the pipeline runs the batch again as a whole.

Two transactions that lock two rows in opposite orders make the server's deadlock detector fail
one of them (SQLSTATE 40P01). asyncpg's error reaches SQLAlchemy as a generic DBAPIError; before,
the pipeline did not see it as transient and fell back to applying the batch record by record.
Scheduling's lock-free facts can meet the booking lock this way during a partition hand-over
(services/scheduling/entrypoints/kafka_handlers.py).
"""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError

from devinfra.postgres import PostgresServer
from shared.db import make_engine
from shared.pipeline import is_transient

pytestmark = pytest.mark.integration


async def test_a_deadlock_between_two_transactions_is_transient(postgres_server: PostgresServer) -> None:
    url = postgres_server.create_database(f"deadlock_{uuid.uuid4().hex[:8]}")
    engine = make_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE rows (id int PRIMARY KEY, n int)"))
            await conn.execute(text("INSERT INTO rows VALUES (1, 0), (2, 0)"))
        both_hold_one = asyncio.Barrier(2)

        async def lock(first: int, second: int) -> None:
            async with engine.begin() as conn:
                await conn.execute(text("UPDATE rows SET n = n + 1 WHERE id = :i"), {"i": first})
                await both_hold_one.wait()
                await conn.execute(text("UPDATE rows SET n = n + 1 WHERE id = :i"), {"i": second})

        outcomes = await asyncio.gather(lock(1, 2), lock(2, 1), return_exceptions=True)
        failures = [o for o in outcomes if isinstance(o, BaseException)]
        assert len(failures) == 1, outcomes
        assert isinstance(failures[0], DBAPIError)
        assert getattr(failures[0].orig, "sqlstate", None) == "40P01"
        assert is_transient(failures[0])

        with pytest.raises(IntegrityError) as duplicate:  # a constraint violation stays not transient
            async with engine.begin() as conn:
                await conn.execute(text("INSERT INTO rows VALUES (1, 0)"))
        assert not is_transient(duplicate.value)
    finally:
        await engine.dispose()
