"""SQLite in the loop's thread (shared/sqlite_inline.py): what the worker thread used to give for
free must still hold.

The attack on it: two transactions of one process on one file, the first holding SQLite's write
lock while it awaits something. In the loop's thread SQLite's busy wait would stop the loop, the
first could never commit, and the second would fail after the busy timeout. The writer lock must
make the second wait on the loop instead.
"""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, select, text
from sqlalchemy.exc import IntegrityError

from shared.db import make_engine
from shared.sqlite_inline import InlineConnection

metadata = MetaData()
items = Table("items", metadata, Column("id", String, primary_key=True), Column("n", Integer))


async def _engine(tmp_path: Path):  # type: ignore[no-untyped-def]
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path}/inline.db")
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    return engine


async def test_the_services_sqlite_engines_run_inline(tmp_path: Path) -> None:
    engine = await _engine(tmp_path)
    try:
        async with engine.connect() as conn:
            raw = await conn.get_raw_connection()
            assert isinstance(raw.driver_connection, InlineConnection)
    finally:
        await engine.dispose()


async def test_a_second_writer_waits_on_the_loop_for_one_that_awaits_mid_transaction(tmp_path: Path) -> None:
    engine = await _engine(tmp_path)
    first_wrote = asyncio.Event()
    go_on = asyncio.Event()
    order: list[str] = []

    async def first() -> None:
        async with engine.begin() as conn:
            await conn.execute(items.insert().values(id="a", n=1))
            first_wrote.set()
            await go_on.wait()  # holds SQLite's write lock while awaiting, as a handler may
            order.append("first commits")

    async def second() -> None:
        await first_wrote.wait()
        async with engine.begin() as conn:
            await conn.execute(items.insert().values(id="b", n=2))
            order.append("second wrote")

    try:
        tasks = [asyncio.create_task(first()), asyncio.create_task(second())]
        await first_wrote.wait()
        for _ in range(20):  # the loop keeps turning while the second waits (it did not block)
            await asyncio.sleep(0)
        assert order == []
        go_on.set()
        await asyncio.wait_for(asyncio.gather(*tasks), timeout=10)
        assert order == ["first commits", "second wrote"]
        async with engine.connect() as conn:
            assert (await conn.execute(select(items.c.id).order_by(items.c.id))).scalars().all() == ["a", "b"]
    finally:
        await engine.dispose()


async def test_a_failed_transaction_gives_the_writer_lock_back(tmp_path: Path) -> None:
    engine = await _engine(tmp_path)
    try:
        async with engine.begin() as conn:
            await conn.execute(items.insert().values(id="a", n=1))
        with pytest.raises(IntegrityError) as raised:
            async with engine.begin() as conn:
                await conn.execute(items.insert().values(id="a", n=2))
        assert isinstance(raised.value.orig, sqlite3.IntegrityError)  # the driver's own exception

        async def write_again() -> None:
            async with engine.begin() as conn:
                await conn.execute(items.update().values(n=3))

        await asyncio.wait_for(write_again(), timeout=5)
    finally:
        await engine.dispose()


async def test_writes_outside_a_transaction_give_the_lock_back(tmp_path: Path) -> None:
    engine = await _engine(tmp_path)
    try:
        async with engine.connect() as conn:
            auto = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await auto.execute(items.insert().values(id="x", n=1))
            await auto.execute(text("CREATE TABLE other (id TEXT)"))

        async def write() -> None:
            async with engine.begin() as conn:
                await conn.execute(items.insert().values(id="y", n=2))

        await asyncio.wait_for(write(), timeout=5)
        async with engine.connect() as conn:
            assert (await conn.execute(select(items.c.n).where(items.c.id == "x"))).scalar() == 1
    finally:
        await engine.dispose()


async def test_two_engines_on_one_file_share_the_writer_lock(tmp_path: Path) -> None:
    """The key store is one file opened by several engines in one process (tests, the CLI)."""
    one = await _engine(tmp_path)
    two = make_engine(f"sqlite+aiosqlite:///{tmp_path}/inline.db")
    go_on = asyncio.Event()
    wrote = asyncio.Event()

    async def holder() -> None:
        async with one.begin() as conn:
            await conn.execute(items.insert().values(id="a", n=1))
            wrote.set()
            await go_on.wait()

    async def other() -> None:
        await wrote.wait()
        async with two.begin() as conn:
            await conn.execute(items.insert().values(id="b", n=1))

    try:
        tasks = [asyncio.create_task(holder()), asyncio.create_task(other())]
        await wrote.wait()
        for _ in range(20):
            await asyncio.sleep(0)
        go_on.set()
        await asyncio.wait_for(asyncio.gather(*tasks), timeout=10)
    finally:
        await one.dispose()
        await two.dispose()
