"""Re-wrapping stored keys under the current master key, while the services run (`caseflow keys`).

A `WrappedColumn` is a table whose rows hold a key wrapped under the master key, with the key id
of the master key that wrapped it (the key store's `case_keys`, intake's `submission_keys`). The
rotation walks the rows not under the current master key in batches, in key order. Each batch is
read, unwrapped (under whichever held key the row names) and wrapped under the current key outside
any transaction, then written in one short transaction of compare-and-set updates: a row is
replaced only while its wrapped key is still the one that was read. So:

- a crash loses at most the batch being written; a rerun skips every row already under the current
  key and finishes the rest (nothing is kept but the rows themselves);
- a case erased while its batch is in flight stays erased (its wrapped key is NULL, the update
  matches nothing); a key another run re-wrapped first is left as that run wrote it;
- a key a service creates meanwhile is wrapped under the current key already, if the services were
  given the new key as current (docs/operations.md, "Rotating the master key", step 1).

A row under a master key this process does not hold, or one no held key opens, is counted as
`unopenable` and left alone; the walk goes on past it. Only key ids are ever reported, never keys.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Table, and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.key_wrapping import MasterKeys, UnknownMasterKey, WrongMasterKey

LEGACY = "(none recorded)"  # the key id shown for a row wrapped before key ids were kept


@dataclass(frozen=True)
class WrappedColumn:
    """Rows of `table` whose `wrapped` column holds a key wrapped under the master key, bound to
    `context(row id)`, with the wrapping master key's id in `key_id`; NULL `wrapped` is erased."""

    name: str
    table: Table
    row_id: str
    wrapped: str
    key_id: str
    context: Callable[[str], bytes]


@dataclass(frozen=True)
class ColumnStatus:
    name: str
    current: int  # live rows under the current master key
    others: dict[str, int]  # live rows under another (or no recorded) master key, by key id

    @property
    def remaining(self) -> int:
        return sum(self.others.values())


@dataclass
class RotationResult:
    name: str
    rewrapped: int = 0
    changed_meanwhile: int = 0  # erased or re-wrapped by someone else between read and write
    unopenable: Counter[str] = field(default_factory=Counter)  # by key id
    batches: int = 0
    seconds: float = 0.0

    @property
    def per_second(self) -> float:
        return self.rewrapped / self.seconds if self.seconds > 0 else 0.0


async def status(engine: AsyncEngine, column: WrappedColumn, keys: MasterKeys) -> ColumnStatus:
    t = column.table
    key_id, wrapped = t.c[column.key_id], t.c[column.wrapped]
    async with engine.connect() as conn:
        rows = (
            await conn.execute(select(key_id, func.count()).where(wrapped.is_not(None)).group_by(key_id))
        ).all()
    counts = {(k if k is not None else LEGACY): int(n) for k, n in rows}
    current = counts.pop(keys.current.key_id, 0)
    return ColumnStatus(column.name, current, dict(sorted(counts.items())))


async def rotate(
    engine: AsyncEngine,
    column: WrappedColumn,
    keys: MasterKeys,
    *,
    batch_size: int = 500,
    pause: float = 0.0,
    on_batch: Callable[[RotationResult], None] | None = None,
) -> RotationResult:
    """Re-wrap every live row not under `keys.current`, `batch_size` rows per transaction, waiting
    `pause` seconds between batches (to spare a busy database). Idempotent and resumable."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    t = column.table
    row_id, wrapped, key_id = t.c[column.row_id], t.c[column.wrapped], t.c[column.key_id]
    current = keys.current.key_id
    result = RotationResult(column.name)
    started = time.monotonic()
    after: str | None = None
    while True:
        query = select(row_id, wrapped, key_id).where(
            wrapped.is_not(None), or_(key_id.is_(None), key_id != current)
        )
        if after is not None:
            query = query.where(row_id > after)
        async with engine.connect() as conn:
            rows = (await conn.execute(query.order_by(row_id).limit(batch_size))).all()
        if not rows:
            break
        after = rows[-1][0]
        writes: list[tuple[str, bytes, str, bytes]] = []  # (row id, read wrapped, new key id, new wrapped)
        for rid, old_wrapped, old_key_id in rows:
            context = column.context(rid)
            try:
                _, plain = await keys.unwrap(old_key_id, old_wrapped, context)
            except (UnknownMasterKey, WrongMasterKey):
                result.unopenable[old_key_id or LEGACY] += 1
                continue
            new_key_id, new_wrapped = await keys.wrap(plain, context)
            writes.append((rid, old_wrapped, new_key_id, new_wrapped))
        if writes:
            async with engine.begin() as conn:
                for rid, old_wrapped, new_key_id, new_wrapped in writes:
                    done = await conn.execute(
                        update(t)
                        .where(and_(row_id == rid, wrapped == old_wrapped))
                        .values({column.wrapped: new_wrapped, column.key_id: new_key_id})
                    )
                    if done.rowcount:
                        result.rewrapped += 1
                    else:
                        result.changed_meanwhile += 1
        result.batches += 1
        result.seconds = time.monotonic() - started
        if on_batch is not None:
            on_batch(result)
        if pause > 0:
            await asyncio.sleep(pause)
    result.seconds = time.monotonic() - started
    return result
