"""`caseflow backup`'s snapshots and `caseflow restore`'s putting back, on SQLite and PostgreSQL
(caseflow/backup.py): a snapshot taken while a writer goes on is a consistent database, and
putting it back gives exactly the rows it held, whatever was written after it (a stale SQLite
write-ahead log included). The whole backup and restore with Kafka is the drill in
tests/e2e/test_chaos_equals_calm.py."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, func, select

from caseflow.backup import put_back, snapshot
from shared.db import make_engine

pytestmark = pytest.mark.integration

metadata = MetaData()
rows = Table("rows", metadata, Column("id", Integer, primary_key=True), Column("text", String(40)))


async def _count(url: str) -> tuple[int, int]:
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            found = (await conn.execute(select(func.count(), func.coalesce(func.sum(rows.c.id), 0)))).one()
            return int(found[0]), int(found[1])
    finally:
        await engine.dispose()


async def test_a_snapshot_under_writes_is_consistent_and_putting_it_back_forgets_later_rows(
    db_url: str, tmp_path: Path
) -> None:
    engine = make_engine(db_url)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    stop = asyncio.Event()
    written: list[int] = []

    async def writer() -> None:  # one transaction per pair of rows: a snapshot holds both or neither
        i = 0
        while not stop.is_set():
            async with engine.begin() as conn:
                await conn.execute(
                    rows.insert(), [{"id": 2 * i + 1, "text": "a"}, {"id": 2 * i + 2, "text": "b"}]
                )
            written.append(i)
            i += 1
            await asyncio.sleep(0)

    task = asyncio.create_task(writer())
    while len(written) < 20:
        await asyncio.sleep(0.01)
    name = await asyncio.to_thread(snapshot, db_url, tmp_path / "backup")
    while len(written) < 60:
        await asyncio.sleep(0.01)
    stop.set()
    await task
    await engine.dispose()

    before = await _count(db_url)
    assert before[0] == 2 * len(written)
    await asyncio.to_thread(put_back, db_url, tmp_path / name)
    count, total = await _count(db_url)
    assert count % 2 == 0 and 40 <= count < before[0], "whole transactions only, and none after the snapshot"
    assert total == count * (count + 1) // 2, "the first `count` rows, no gap"


async def test_putting_back_a_sqlite_snapshot_drops_the_lost_databases_write_ahead_log(
    tmp_path: Path,
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/svc.db"
    engine = make_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
        await conn.execute(rows.insert(), [{"id": 1, "text": "kept"}])
    name = snapshot(url, tmp_path / "backup")
    async with engine.begin() as conn:
        await conn.execute(rows.insert(), [{"id": 2, "text": "after"}])
    wal = tmp_path / "svc.db-wal"
    left_behind = wal.read_bytes()  # the later row, not yet checkpointed into the file
    await engine.dispose()
    wal.write_bytes(left_behind)  # as a killed process leaves it next to the file
    put_back(url, tmp_path / name)
    assert not (tmp_path / "svc.db-wal").exists()
    assert await _count(url) == (1, 1)
