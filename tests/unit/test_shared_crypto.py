"""Per-case keys: sealing binds ciphertext to its case and purpose; erasure makes it unreadable."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.crypto import (
    CaseCipher,
    DecryptionFailed,
    KeyErased,
    KeyStore,
    new_master_key_b64,
    parse_master_key,
)
from shared.db import make_engine

pytestmark = pytest.mark.unit


async def test_seal_open_and_crypto_shredding(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path}/keys.db")
    store = KeyStore(engine, parse_master_key(new_master_key_b64()), cache_seconds=0)
    await store.create_schema()
    await store.create_key("case-a")
    await store.create_key("case-b")
    cipher = CaseCipher(store)
    sealed = await cipher.seal("case-a", "personal", {"narrative": "MARK"})
    assert "MARK" not in sealed.model_dump_json()
    assert await cipher.open("case-a", "personal", sealed) == {"narrative": "MARK"}
    with pytest.raises(DecryptionFailed):
        await cipher.open("case-a", "routing_facts", sealed)  # another purpose
    with pytest.raises(DecryptionFailed):
        await cipher.open("case-b", "personal", sealed)  # another case
    assert await store.erase("case-a", "retention_expired")
    with pytest.raises(KeyErased):
        await cipher.open("case-a", "personal", sealed)
    assert not await store.erase("case-a", "again")  # idempotent
    assert (await cipher.open("case-b", "personal", await cipher.seal("case-b", "personal", [1]))) == [1]
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("keys.db*"))
    assert b"MARK" not in raw
    await engine.dispose()


def test_a_master_key_must_be_32_bytes() -> None:
    with pytest.raises(ValueError):
        parse_master_key("c2hvcnQ=")


async def test_master_keys_name_each_key_without_revealing_it_and_open_by_the_rows_key_id() -> None:
    from shared.crypto import master_keys_from_settings
    from shared.key_wrapping import MasterKeys, UnknownMasterKey, WrongMasterKey, key_id_of

    old_b64, new_b64 = new_master_key_b64(), new_master_key_b64()
    old, new = parse_master_key(old_b64), parse_master_key(new_b64)
    keys = master_keys_from_settings(new_b64, f" {old_b64} ,")
    assert keys.key_ids == (key_id_of(new), key_id_of(old))
    assert old.hex() not in key_id_of(old) and old_b64 not in repr(keys.previous)
    key_id, wrapped = await keys.wrap(b"k" * 32, b"kek|C-1")
    assert key_id == key_id_of(new)
    assert await keys.unwrap(key_id, wrapped, b"kek|C-1") == (key_id, b"k" * 32)
    assert await keys.unwrap(None, wrapped, b"kek|C-1") == (key_id, b"k" * 32)  # no key id: tried
    under_old = await MasterKeys.local(old).wrap(b"o" * 32, b"kek|C-2")
    assert await keys.unwrap(*under_old, b"kek|C-2") == (key_id_of(old), b"o" * 32)
    with pytest.raises(WrongMasterKey):
        await keys.unwrap(key_id, wrapped, b"kek|C-2")  # another case
    with pytest.raises(UnknownMasterKey):
        await MasterKeys.local(new).unwrap(*under_old, b"kek|C-2")  # the old key retired
    with pytest.raises(ValueError):
        master_keys_from_settings(new_b64, new_b64)  # the same key as current and previous


async def test_a_service_holding_the_previous_key_opens_keys_wrapped_before_the_rotation(
    tmp_path: Path,
) -> None:
    from shared.key_wrapping import MasterKeys

    old, new = parse_master_key(new_master_key_b64()), parse_master_key(new_master_key_b64())
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path}/keys.db")
    before = KeyStore(engine, old, cache_seconds=0)
    await before.create_schema()
    key_a = await before.create_key("case-a")
    during = KeyStore(engine, MasterKeys.local(new, [old]), cache_seconds=0)
    assert await during.get_key("case-a") == key_a
    key_b = await during.create_key("case-b")  # new keys: under the new key already
    assert await KeyStore(engine, new, cache_seconds=0).get_key("case-b") == key_b
    await engine.dispose()
