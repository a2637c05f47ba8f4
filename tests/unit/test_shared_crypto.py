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
