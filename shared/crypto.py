"""Per-case encryption and crypto-shredding (ARCHITECTURE.md, "Personal data").

Every case has its own AES-256-GCM data key. Personal fields travel and rest only as `Sealed`
ciphertext under that key; the key itself lives in the key store, wrapped under a master key
(key-encryption key, from the service's settings), and never in the event log. Erasing a case
deletes its key: the append-only log keeps ciphertext that nobody can read any more.

The associated data binds each ciphertext to its case and purpose, so a sealed narrative cannot
be replayed as another case's contact details.
"""

from __future__ import annotations

import base64
import json
import os
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic import BaseModel, ConfigDict
from sqlalchemy import Column, DateTime, LargeBinary, MetaData, String, Table, delete, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from shared import migrations
from shared.db import insert_ignoring_duplicates
from shared.key_rotation import WrappedColumn
from shared.key_wrapping import KeyWrapper, MasterKeys, as_master_keys
from shared.migrations import Schema


class KeyErased(LookupError):
    """The case's key was deleted (retention expiry or the client's request)."""


class KeyNotFound(LookupError):
    """No key was ever created for this case (or it is in another key store)."""


class DecryptionFailed(ValueError):
    """Ciphertext does not authenticate under the case key (tampered or wrong case)."""


class Sealed(BaseModel):
    """Ciphertext of a JSON document under a case key: what personal data looks like on the wire."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    alg: str = "A256GCM"
    kid: str  # the case id whose key sealed it
    nonce: str  # base64
    ct: str  # base64, ciphertext || tag


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode())


def parse_master_key(text: str) -> bytes:
    """A master key is 32 bytes, given as base64 (settings) — reject anything else loudly."""
    key = base64.b64decode(text)
    if len(key) != 32:
        raise ValueError("master key must be 32 bytes (base64-encoded)")
    return key


def parse_previous_master_keys(text: str) -> list[bytes]:
    """`*_PREVIOUS_MASTER_KEYS`: the master keys being retired, base64, separated by commas."""
    return [parse_master_key(part.strip()) for part in text.split(",") if part.strip()]


def master_keys_from_settings(current: str, previous: str = "") -> MasterKeys:
    """The service's master keys: `*_MASTER_KEY` wraps, `*_PREVIOUS_MASTER_KEYS` (during a
    rotation) only open rows not yet re-wrapped. ValueError, never echoing a key, when malformed."""
    return MasterKeys.local(parse_master_key(current), parse_previous_master_keys(previous))


def new_master_key_b64() -> str:
    return _b64(AESGCM.generate_key(bit_length=256))


def case_wrap_context(case_id: str) -> bytes:
    """The associated data a case key is wrapped with: a wrapped key moved to another case fails."""
    return f"kek|{case_id}".encode()


keystore_metadata = MetaData()
case_keys = Table(
    "case_keys",
    keystore_metadata,
    Column("case_id", String(64), primary_key=True),
    Column("wrapped_key", LargeBinary, nullable=True),  # NULL once erased: a tombstone
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("erased_at", DateTime(timezone=True), nullable=True),
    Column("erase_reason", String(40), nullable=True),
    # Which master key wrapped it (shared/key_wrapping.py key_id_of; never the key): NULL for a row
    # wrapped before key ids were kept (keystore revision 0002), which `caseflow keys rotate` fixes.
    Column("master_key_id", String(40), nullable=True),
)
# What `caseflow keys rotate` re-wraps here (shared/key_rotation.py).
CASE_KEYS_WRAPPED = WrappedColumn(
    "case_keys", case_keys, "case_id", "wrapped_key", "master_key_id", case_wrap_context
)
# Its migrations (shared/migrations/keystore): intake and routing share the key store.
KEYSTORE_SCHEMA = Schema(
    "keystore",
    keystore_metadata,
    Path(migrations.__file__).parent / "keystore",
    "caseflow db upgrade intake (or routing: they share the key store)",
)


class KeyStore:
    """Case data keys, wrapped under the master key, in their own database.

    `master_key` is the raw key (one local key) or `MasterKeys`: new keys are wrapped under the
    current one, and a row names the key that wrapped it, so during a rotation rows still under a
    previous key open too (docs/operations.md, "Rotating the master key").

    Unwrapped keys are cached in process for `cache_seconds` (hot paths read the same case key
    several times). An erase in this process drops its cache entry at once; other processes see
    it within `cache_seconds` (0 disables the cache).
    """

    def __init__(
        self,
        engine: AsyncEngine,
        master_key: bytes | KeyWrapper | MasterKeys,
        *,
        cache_seconds: float = 30.0,
    ) -> None:
        self._engine = engine
        self._keys = as_master_keys(master_key)
        self._cache: dict[str, tuple[float, bytes]] = {}
        self._cache_seconds = cache_seconds

    @property
    def engine(self) -> AsyncEngine:
        """The key store's database (intake keeps its submission key ring there too)."""
        return self._engine

    async def create_schema(self) -> None:
        """Idempotent, and safe when two services create the shared key store at the same moment."""
        await migrations.prepare(self._engine, KEYSTORE_SCHEMA)

    @property
    def master_keys(self) -> MasterKeys:
        return self._keys

    async def _wrap(self, case_id: str, key: bytes) -> tuple[str, bytes]:
        """(master key id, wrapped key) under the current master key."""
        return await self._keys.wrap(key, case_wrap_context(case_id))

    async def _unwrap(self, case_id: str, wrapped: bytes, key_id: str | None = None) -> bytes:
        return (await self._keys.unwrap(key_id, wrapped, case_wrap_context(case_id)))[1]

    async def create_key(self, case_id: str, now: datetime | None = None) -> bytes:
        """Create the case's key; idempotent (a retried intake reuses the key it made first)."""
        return (await self.create_keys([case_id], now))[case_id]

    async def create_keys(self, case_ids: list[str], now: datetime | None = None) -> dict[str, bytes]:
        """Create keys for many cases in one transaction; existing keys are kept and returned.

        Raises KeyErased for a case whose key was erased: an erased case never gets a new key.
        """
        if not case_ids:
            return {}
        created_at = now or datetime.now(UTC)
        rows = []
        for cid in dict.fromkeys(case_ids):
            key_id, wrapped = await self._wrap(cid, AESGCM.generate_key(bit_length=256))
            rows.append(
                {"case_id": cid, "wrapped_key": wrapped, "master_key_id": key_id, "created_at": created_at}
            )
        async with self._engine.begin() as conn:
            await conn.execute(insert_ignoring_duplicates(conn, case_keys, ["case_id"]), rows)
            found = (
                await conn.execute(
                    select(case_keys.c.case_id, case_keys.c.wrapped_key, case_keys.c.master_key_id).where(
                        case_keys.c.case_id.in_(list(case_ids))
                    )
                )
            ).all()
        keys: dict[str, bytes] = {}
        for row in found:
            if row.wrapped_key is None:
                raise KeyErased(row.case_id)
            keys[row.case_id] = await self._unwrap(row.case_id, row.wrapped_key, row.master_key_id)
            if self._cache_seconds > 0:
                self._cache[row.case_id] = (time.monotonic() + self._cache_seconds, keys[row.case_id])
        return keys

    async def get_key(self, case_id: str, *, use_cache: bool = True) -> bytes:
        if use_cache and self._cache_seconds > 0:
            hit = self._cache.get(case_id)
            if hit and hit[0] > time.monotonic():
                return hit[1]
        async with self._engine.connect() as conn:
            row = (
                await conn.execute(
                    select(case_keys.c.wrapped_key, case_keys.c.master_key_id).where(
                        case_keys.c.case_id == case_id
                    )
                )
            ).first()
        if row is None:
            raise KeyNotFound(case_id)
        if row.wrapped_key is None:
            self._cache.pop(case_id, None)
            raise KeyErased(case_id)
        key = await self._unwrap(case_id, row.wrapped_key, row.master_key_id)
        if self._cache_seconds > 0:
            self._cache[case_id] = (time.monotonic() + self._cache_seconds, key)
        return key

    async def warm(self, case_ids: Sequence[str]) -> None:
        """Put the keys of these cases in the cache with one statement, for a batch that is about to
        read them one by one. Keys that are missing or erased are left out: `get_key` then says so."""
        if self._cache_seconds <= 0:
            return
        now = time.monotonic()
        wanted = [c for c in dict.fromkeys(case_ids) if not (hit := self._cache.get(c)) or hit[0] <= now]
        if not wanted:
            return
        async with self._engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(case_keys.c.case_id, case_keys.c.wrapped_key, case_keys.c.master_key_id).where(
                        case_keys.c.case_id.in_(wanted), case_keys.c.wrapped_key.is_not(None)
                    )
                )
            ).all()
        for row in rows:
            key = await self._unwrap(row.case_id, row.wrapped_key, row.master_key_id)
            self._cache[row.case_id] = (now + self._cache_seconds, key)

    async def erase(self, case_id: str, reason: str, now: datetime | None = None) -> bool:
        """Delete the case key, keeping a tombstone. True if a live key was erased now."""
        self._cache.pop(case_id, None)
        async with self._engine.begin() as conn:
            result = await conn.execute(
                update(case_keys)
                .where(case_keys.c.case_id == case_id, case_keys.c.wrapped_key.is_not(None))
                .values(
                    wrapped_key=None,
                    master_key_id=None,
                    erased_at=now or datetime.now(UTC),
                    erase_reason=reason,
                )
            )
        return bool(result.rowcount)

    async def is_erased(self, case_id: str) -> bool:
        try:
            await self.get_key(case_id, use_cache=False)
        except KeyErased:
            return True
        return False

    async def drop_for_tests(self, case_id: str) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(delete(case_keys).where(case_keys.c.case_id == case_id))


class CaseCipher:
    """Seal and open JSON documents under a case's data key."""

    def __init__(self, keystore: KeyStore) -> None:
        self._keystore = keystore

    @staticmethod
    def seal_with_key(key: bytes, case_id: str, purpose: str, document: Any) -> Sealed:
        nonce = os.urandom(12)
        plaintext = json.dumps(document, sort_keys=True, separators=(",", ":")).encode()
        ct = AESGCM(key).encrypt(nonce, plaintext, f"{case_id}|{purpose}".encode())
        return Sealed(kid=case_id, nonce=_b64(nonce), ct=_b64(ct))

    @staticmethod
    def open_with_key(key: bytes, case_id: str, purpose: str, sealed: Sealed) -> Any:
        if sealed.kid != case_id:
            raise DecryptionFailed("sealed for another case")
        try:
            plaintext = AESGCM(key).decrypt(
                _unb64(sealed.nonce), _unb64(sealed.ct), f"{case_id}|{purpose}".encode()
            )
        except InvalidTag:
            raise DecryptionFailed("ciphertext does not authenticate") from None
        return json.loads(plaintext)

    async def warm(self, case_ids: Sequence[str]) -> None:
        """Fetch the keys of a batch's cases at once (KeyStore.warm)."""
        await self._keystore.warm(case_ids)

    async def key_of(self, case_id: str) -> bytes:
        """The case's data key, for sealing several documents with one key-store look-up."""
        return await self._keystore.get_key(case_id)

    async def seal(self, case_id: str, purpose: str, document: Any) -> Sealed:
        return self.seal_with_key(await self._keystore.get_key(case_id), case_id, purpose, document)

    async def open(self, case_id: str, purpose: str, sealed: Sealed) -> Any:
        return self.open_with_key(await self._keystore.get_key(case_id), case_id, purpose, sealed)
