"""Master key rotation (`caseflow keys rotate`, shared/key_rotation.py) on SQLite and PostgreSQL.

While a key store is in use (keys created and read, cases erased) the rotation re-wraps every
case key and intake's submission private keys under the new master key; afterwards each opens
under the new key alone, none under the old key alone, and erased cases stay erased, also one
erased between the rotation's read of its batch and its write. A rotation SIGKILLed after some
batches committed is rerun and completes. Nothing the command prints holds key material.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import sys
import time
from asyncio.subprocess import PIPE, Process
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from services.intake.adapters.submission_keys import SUBMISSION_KEYS_WRAPPED, SubmissionKeyRing
from shared import key_rotation, migrations
from shared.crypto import (
    CASE_KEYS_WRAPPED,
    KEYSTORE_SCHEMA,
    KeyErased,
    KeyStore,
    case_keys,
    case_wrap_context,
    new_master_key_b64,
    parse_master_key,
)
from shared.db import make_engine
from shared.key_wrapping import LocalAesGcmKey, MasterKeys, WrongMasterKey, key_id_of

ROOT = Path(__file__).resolve().parents[2]
OLD_B64, NEW_B64 = new_master_key_b64(), new_master_key_b64()
OLD, NEW = parse_master_key(OLD_B64), parse_master_key(NEW_B64)
DAY = timedelta(days=1)
NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


@pytest.fixture
async def engine(db_url: str) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(db_url)
    yield engine
    await engine.dispose()


async def seeded(engine: AsyncEngine, count: int) -> dict[str, bytes]:
    """A key store whose `count` case keys (and a submission key) are all under the old master key."""
    old = KeyStore(engine, OLD, cache_seconds=0)
    await old.create_schema()
    keys = await old.create_keys([f"C-{i:05d}" for i in range(count)], NOW)
    ring = SubmissionKeyRing(engine, OLD, rotation=7 * DAY, grace=7 * DAY)
    await ring.create_schema()
    await ring.current(NOW)
    return keys


async def counts_by_key_id(engine: AsyncEngine) -> dict[str | None, int]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(case_keys.c.master_key_id, func.count())
            .where(case_keys.c.wrapped_key.is_not(None))
            .group_by(case_keys.c.master_key_id)
        )
        return {k: int(n) for k, n in rows}


async def assert_all_under_new_key_only(engine: AsyncEngine, expected: dict[str, bytes]) -> None:
    new_only = KeyStore(engine, NEW, cache_seconds=0)
    old_alone = LocalAesGcmKey(OLD)
    async with engine.connect() as conn:
        rows = (await conn.execute(select(case_keys).where(case_keys.c.wrapped_key.is_not(None)))).all()
    assert {r.master_key_id for r in rows} == {key_id_of(NEW)}
    for row in rows:
        assert await new_only.get_key(row.case_id) == expected[row.case_id]
        with pytest.raises(WrongMasterKey):
            await old_alone.unwrap(row.wrapped_key, case_wrap_context(row.case_id))
    assert {r.case_id for r in rows} == set(expected)


async def test_rotation_under_load_reopens_every_key_under_the_new_key_and_keeps_erasures(
    engine: AsyncEngine,
) -> None:
    originals = await seeded(engine, 300)
    service = KeyStore(engine, MasterKeys.local(NEW, [OLD]), cache_seconds=0)  # step 1: both keys
    erased_before = {f"C-{i:05d}" for i in range(0, 300, 50)}
    for case_id in erased_before:
        await service.erase(case_id, "client_request")
    rotation_done = asyncio.Event()
    created: dict[str, bytes] = {}
    erased_meanwhile: set[str] = set()
    reads = 0

    async def create() -> None:
        n = 0
        while not rotation_done.is_set():
            ids = [f"N-{n:05d}", f"N-{n + 1:05d}"]
            created.update(await service.create_keys(ids))
            n += 2
            await asyncio.sleep(0)

    async def read() -> None:
        nonlocal reads
        rng = random.Random(7)
        while not rotation_done.is_set():
            case_id = f"C-{rng.randrange(300):05d}"
            try:
                assert await service.get_key(case_id) == originals[case_id]
                reads += 1
            except KeyErased:
                assert case_id in erased_before | erased_meanwhile
            await asyncio.sleep(0)

    async def erase() -> None:
        for i in range(3, 300, 37):
            if rotation_done.is_set():
                return
            case_id = f"C-{i:05d}"
            erased_meanwhile.add(case_id)
            await service.erase(case_id, "client_request")
            await asyncio.sleep(0.005)

    async def rotate() -> key_rotation.RotationResult:
        try:
            return await key_rotation.rotate(
                engine, CASE_KEYS_WRAPPED, service.master_keys, batch_size=20, pause=0.01
            )
        finally:
            rotation_done.set()

    result, *_ = await asyncio.gather(rotate(), create(), read(), erase())
    assert result.batches >= 10 and reads > 0 and created
    sub = await key_rotation.rotate(engine, SUBMISSION_KEYS_WRAPPED, service.master_keys)
    assert sub.rewrapped == 1

    gone = erased_before | erased_meanwhile
    for case_id in gone:
        with pytest.raises(KeyErased):
            await service.get_key(case_id)
    live = {cid: key for cid, key in {**originals, **created}.items() if cid not in gone}
    assert result.rewrapped + result.changed_meanwhile <= 300 - len(erased_before)
    await assert_all_under_new_key_only(engine, live)
    # intake's sealed-submission private key opens under the new key alone too
    ring = SubmissionKeyRing(engine, NEW, rotation=7 * DAY, grace=7 * DAY)
    issued = await ring.current(NOW)
    assert isinstance(await ring.private_key(issued.public.key_id, NOW), bytes)
    assert (await key_rotation.status(engine, CASE_KEYS_WRAPPED, MasterKeys.local(NEW))).remaining == 0


class ErasingOnWrap:
    """The new master key, which erases one case (another process's erasure) just as the rotation
    has read that case's row and wraps it: the write comes after the erasure."""

    def __init__(self, store: KeyStore, case_id: str) -> None:
        self._inner, self._store, self._case_id = LocalAesGcmKey(NEW), store, case_id
        self.erased = False

    @property
    def key_id(self) -> str:
        return self._inner.key_id

    async def wrap(self, plaintext: bytes, context: bytes) -> bytes:
        if context == case_wrap_context(self._case_id) and not self.erased:
            self.erased = await self._store.erase(self._case_id, "client_request")
        return await self._inner.wrap(plaintext, context)

    async def unwrap(self, wrapped: bytes, context: bytes) -> bytes:
        return await self._inner.unwrap(wrapped, context)


async def test_an_erasure_between_the_rotations_read_and_write_stays_erased(engine: AsyncEngine) -> None:
    originals = await seeded(engine, 30)
    other_process = KeyStore(engine, OLD, cache_seconds=0)
    new_key = ErasingOnWrap(other_process, "C-00012")
    keys = MasterKeys(new_key, [LocalAesGcmKey(OLD)])
    result = await key_rotation.rotate(engine, CASE_KEYS_WRAPPED, keys, batch_size=7)
    assert new_key.erased
    assert (result.rewrapped, result.changed_meanwhile) == (29, 1)
    with pytest.raises(KeyErased):
        await KeyStore(engine, keys, cache_seconds=0).get_key("C-00012")
    del originals["C-00012"]
    await assert_all_under_new_key_only(engine, originals)


async def test_rows_from_before_key_ids_and_rows_under_an_unknown_key(engine: AsyncEngine) -> None:
    """A row wrapped before revision 0002 (no key id) opens under the key that wrapped it and is
    re-wrapped; a row under a key not given is reported, left alone, and the walk goes past it."""
    await seeded(engine, 5)
    stranger = LocalAesGcmKey(parse_master_key(new_master_key_b64()))
    async with engine.begin() as conn:
        await conn.execute(case_keys.update().values(master_key_id=None))  # as revision 0002 left them
        await conn.execute(
            insert(case_keys).values(
                case_id="C-00002x",
                wrapped_key=await stranger.wrap(b"k" * 32, case_wrap_context("C-00002x")),
                master_key_id=stranger.key_id,
                created_at=NOW,
            )
        )
    keys = MasterKeys.local(NEW, [OLD])
    assert len(await KeyStore(engine, keys, cache_seconds=0).get_key("C-00001")) == 32
    result = await key_rotation.rotate(engine, CASE_KEYS_WRAPPED, keys, batch_size=2)
    assert (result.rewrapped, dict(result.unopenable)) == (5, {stranger.key_id: 1})
    assert await counts_by_key_id(engine) == {key_id_of(NEW): 5, stranger.key_id: 1}


async def run_keys(url: str, action: str, *extra: str, previous: str = OLD_B64) -> tuple[int, str, str]:
    """`caseflow keys ACTION --keystore URL` as its own process, keys in the environment only."""
    proc = await start_keys(url, action, *extra, previous=previous)
    out, err = await asyncio.wait_for(proc.communicate(), 120)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def start_keys(url: str, action: str, *extra: str, previous: str = OLD_B64) -> Process:
    env = {k: v for k, v in os.environ.items() if not k.startswith("INTAKE_")}
    env.update(INTAKE_MASTER_KEY=NEW_B64, INTAKE_PREVIOUS_MASTER_KEYS=previous)
    return await asyncio.create_subprocess_exec(
        *[sys.executable, "-m", "caseflow.cli", "keys", action, "--keystore", url, *extra],
        cwd=ROOT,
        env=env,
        stdout=PIPE,
        stderr=PIPE,
    )


async def test_a_rotation_killed_halfway_is_rerun_and_completes(engine: AsyncEngine, db_url: str) -> None:
    originals = await seeded(engine, 400)
    new_id = key_id_of(NEW)
    proc = await start_keys(db_url, "rotate", "--batch-size", "10", "--pause", "0.05")
    try:
        deadline = time.monotonic() + 60
        while (await counts_by_key_id(engine)).get(new_id, 0) < 30:  # three batches committed
            assert proc.returncode is None, await proc.communicate()
            assert time.monotonic() < deadline, "the rotation made no progress"
            await asyncio.sleep(0.01)
        proc.send_signal(signal.SIGKILL)
        out, err = await asyncio.wait_for(proc.communicate(), 10)
    finally:
        if proc.returncode is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    halfway = await counts_by_key_id(engine)
    assert halfway[new_id] >= 30 and halfway[key_id_of(OLD)] > 0  # really killed halfway
    assert sum(halfway.values()) == 400
    # the services, holding both keys, open every key meanwhile
    both = KeyStore(engine, MasterKeys.local(NEW, [OLD]), cache_seconds=0)
    assert await both.get_key("C-00000") == originals["C-00000"]
    assert await both.get_key("C-00399") == originals["C-00399"]

    code, status_out, _ = await run_keys(db_url, "status", previous="")
    assert code == 1 and json.loads(status_out)["rows_under_other_keys"] > 0

    code, rerun_out, rerun_err = await run_keys(db_url, "rotate", "--batch-size", "50")
    assert code == 0, rerun_err
    report = json.loads(rerun_out)
    assert report["case_keys_rotation"]["rewrapped"] == halfway[key_id_of(OLD)]  # only what was left
    assert report["submission_keys_rotation"]["rewrapped"] == 1
    assert report["retire_previous_keys"] is True
    await assert_all_under_new_key_only(engine, originals)

    code, status_out, status_err = await run_keys(db_url, "status", previous="")  # step 3: retire
    assert code == 0, status_err
    for text in (out.decode(), err.decode(), rerun_out, rerun_err, status_out):
        assert OLD_B64 not in text and NEW_B64 not in text
        assert OLD.hex() not in text and NEW.hex() not in text


async def test_the_command_refuses_a_key_store_behind_its_schema(engine: AsyncEngine, db_url: str) -> None:
    await migrations.prepare(engine, KEYSTORE_SCHEMA)
    async with engine.begin() as conn:
        await conn.exec_driver_sql(f"UPDATE {KEYSTORE_SCHEMA.version_table} SET version_num = '0001'")
    code, _, err = await run_keys(db_url, "rotate")
    assert code == 1
    assert "run `caseflow db upgrade intake" in err


async def test_a_release_1_key_store_upgraded_opens_its_keys_and_the_rotation_names_their_key(
    engine: AsyncEngine,
) -> None:
    """Release 1 wrapped without recording a key id; after `caseflow db upgrade` its rows open
    under the old key as before, beside the new one, and the rotation records the new key's id."""
    async with engine.begin() as conn:
        for statement in KEYSTORE_SCHEMA.release_1["ddl"][conn.dialect.name]:
            await conn.exec_driver_sql(statement)
        release_1_wrap = LocalAesGcmKey(OLD)  # release 1's KeyStore._wrap: nonce || AES-GCM, kek|case
        originals = {f"R-{i}": bytes([i]) * 32 for i in range(12)}
        for case_id, key in originals.items():
            await conn.execute(
                insert(case_keys).values(
                    case_id=case_id,
                    wrapped_key=await release_1_wrap.wrap(key, case_wrap_context(case_id)),
                    created_at=NOW,
                )
            )
    await migrations.upgrade(engine, KEYSTORE_SCHEMA)
    assert await counts_by_key_id(engine) == {None: 12}
    assert await KeyStore(engine, OLD, cache_seconds=0).get_key("R-3") == originals["R-3"]
    result = await key_rotation.rotate(engine, CASE_KEYS_WRAPPED, MasterKeys.local(NEW, [OLD]), batch_size=5)
    assert (result.rewrapped, result.batches) == (12, 3)
    await assert_all_under_new_key_only(engine, originals)
