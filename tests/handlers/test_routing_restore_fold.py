"""Routing restored from a backup takes its published decisions over instead of deciding again
(D55, shared/restore_fold.py, services/routing/application/restore.py).

The attack on a naive restore: the inputs after the backup are consumed again, in another order
than the first time (partitions interleave differently), so the loads each decision counts differ
and a case goes to another advisor than the one everyone else was told about. Here the second
half is consumed again in reverse, one record at a time, with a case closed in between; the
restored database must end with the rows of the run that was never interrupted, and emit nothing
new. Without the fold the same replay gives different advisors (the last test), so the first test
can fail.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from services.routing.adapters.tables import messaging, routing_cases
from services.routing.app import create_runtime
from services.routing.settings import RoutingSettings
from shared.codes import Outcome
from shared.contracts.intake import CaseClosed
from shared.envelope import new_envelope
from shared.restore_fold import apply_published
from tests.support.in_process import Bus, InProcess
from tests.support.restore import copy_sqlite, last_position, published_after
from tests.support.routing_load import opened_cases
from tests.support.services import TEST_MASTER_KEY
from tools.demo.sample_org import directory_events

pytestmark = pytest.mark.handlers

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
Record = tuple[str, bytes, bytes]


async def _routing(database: Path, keys_url: str) -> InProcess:
    settings = RoutingSettings(
        kafka_bootstrap="127.0.0.1:9",
        database_url=f"sqlite+aiosqlite:///{database}",
        keystore_url=keys_url,
        master_key=TEST_MASTER_KEY,
    )
    return await InProcess(create_runtime(settings, clock=lambda: NOW), Bus()).start()


async def _rows(service: InProcess) -> list[tuple[Any, ...]]:
    async with service.context.engine.connect() as conn:
        rows = await conn.execute(
            select(
                routing_cases.c.case_id, routing_cases.c.status, routing_cases.c.current_advisor_id
            ).order_by(routing_cases.c.case_id)
        )
        return [tuple(r) for r in rows]


async def _inputs(keys_url: str) -> tuple[list[Record], list[Record]]:
    """Forty cases opened; the second half has a case of the first half closed in its middle."""
    opened = await opened_cases(keys_url, random.Random(23), 40)
    records = [("intake.cases.v1", e.stream_id.encode(), e.to_bytes()) for e in opened]
    third = opened[2].payload.case_id
    closed = new_envelope(
        CaseClosed(case_id=third, advisor_id="adv-anna", outcomes=(Outcome.ADVICE_GIVEN,), closed_at=NOW),
        stream_id=third,
        producer="intake",
        occurred_at=NOW,
        causation_id="test:close-third",
    )
    records.insert(30, ("intake.cases.v1", third.encode(), closed.to_bytes()))
    return records[:20], records[20:]


async def _run_and_back_up(tmp_path: Path, keys_url: str) -> tuple[InProcess, Path, int, list[Record]]:
    """The run that is never interrupted; the backup is taken after its first half."""
    first, second = await _inputs(keys_url)
    live = await _routing(tmp_path / "live.db", keys_url)
    await live.feed("directory.v1", [(e.stream_id.encode(), e.to_bytes()) for e in directory_events(NOW)])
    await live.feed_batch(first)
    backup = tmp_path / "backup.db"
    copy_sqlite(tmp_path / "live.db", backup)
    at_backup = await last_position(live.context.engine, messaging)
    for i in range(0, len(second), 4):
        await live.feed_batch(second[i : i + 4])
    return live, backup, at_backup, second


async def _restored(tmp_path: Path, backup: Path, name: str, keys_url: str) -> InProcess:
    target = tmp_path / f"{name}.db"
    target.write_bytes(backup.read_bytes())
    return await _routing(target, keys_url)


async def test_a_restored_routing_takes_over_its_published_decisions(tmp_path: Path) -> None:
    keys_url = f"sqlite+aiosqlite:///{tmp_path}/keys.db"
    live, backup, at_backup, second = await _run_and_back_up(tmp_path, keys_url)
    restored = await _restored(tmp_path, backup, "restored", keys_url)
    try:
        published = await published_after(live.context.engine, messaging, at_backup)
        assert len(published) >= 20, "the second half was decided and published after the backup"
        assert restored.parts is not None
        fold = restored.parts.restore_fold
        summary = await apply_published(restored.context.engine, restored.context.store, published, fold, NOW)
        assert summary.folded == len(published) and summary.causes_recorded == 0

        for record in reversed(second):  # consumed again, in another order, one at a time
            await restored.feed_batch([record])

        assert await _rows(restored) == await _rows(live)
        assert "routing.assignments.v1" not in restored.bus.topics, "nothing decided anew, nothing emitted"
        again = await apply_published(restored.context.engine, restored.context.store, published, fold, NOW)
        assert again.folded == 0 and again.already_held == len(published)
    finally:
        await live.stop()
        await restored.stop()


async def test_without_the_fold_the_same_replay_decides_differently(tmp_path: Path) -> None:
    keys_url = f"sqlite+aiosqlite:///{tmp_path}/keys.db"
    live, backup, _at_backup, second = await _run_and_back_up(tmp_path, keys_url)
    naive = await _restored(tmp_path, backup, "naive", keys_url)
    try:
        for record in reversed(second):
            await naive.feed_batch([record])
        live_rows, naive_rows = await _rows(live), await _rows(naive)
        assert [r[0] for r in naive_rows] == [r[0] for r in live_rows], "the same cases"
        assert naive_rows != live_rows, "another order gives other advisors: what the fold prevents"
    finally:
        await live.stop()
        await naive.stop()
