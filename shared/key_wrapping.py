"""Wrapping keys under a master key (key-encryption key): a port, and the local AES-GCM adapter.

The key store's case keys and intake's submission private keys are stored wrapped under the master
key. `KeyWrapper` is what they need of it: wrap and unwrap bytes bound to a context (the row's
identity, as AES-GCM associated data), and a `key_id` that names the master key without revealing
it. Each wrapped row records the key id it was wrapped under, so a service can hold several master
keys at once (`MasterKeys`: the current one wraps, previous ones only unwrap) and a rotation can
re-wrap the rows under the current key while the services run (`shared/key_rotation.py`,
`caseflow keys rotate`, docs/operations.md "Rotating the master key").

`LocalAesGcmKey` is the master key held in the service's settings. A key management service (an
HSM, a cloud KMS) plugs in as another `KeyWrapper`: its key id is the KMS key's name and version,
and wrap/unwrap are its encrypt/decrypt calls.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Iterable, Sequence
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_ID_INFO = b"caseflow master key id v1"


class KeyWrapper(Protocol):
    """One master key: wraps and unwraps (data) keys; `key_id` names it, and is no secret."""

    @property
    def key_id(self) -> str: ...

    async def wrap(self, plaintext: bytes, context: bytes) -> bytes: ...

    async def unwrap(self, wrapped: bytes, context: bytes) -> bytes:
        """Raises `WrongMasterKey` when `wrapped` does not authenticate under this key and context."""
        ...


class WrongMasterKey(ValueError):
    """A wrapped key does not open under the master key tried (or its context was changed)."""


class UnknownMasterKey(LookupError):
    """A row is wrapped under a master key this process was not given (its key id is the message)."""


def key_id_of(master_key: bytes) -> str:
    """A short, stable name of a master key: an HMAC under the key itself, so it reveals nothing
    of the key and cannot be computed without it. Logged and stored beside each wrapped row."""
    return "mk-" + hmac.new(master_key, KEY_ID_INFO, hashlib.sha256).hexdigest()[:16]


class LocalAesGcmKey:
    """The master key from settings: AES-256-GCM, a random 12-byte nonce before the ciphertext."""

    def __init__(self, master_key: bytes) -> None:
        if len(master_key) != 32:
            raise ValueError("master key must be 32 bytes")
        self._aead = AESGCM(master_key)
        self._key_id = key_id_of(master_key)

    @property
    def key_id(self) -> str:
        return self._key_id

    def __repr__(self) -> str:  # never the key
        return f"LocalAesGcmKey({self._key_id})"

    async def wrap(self, plaintext: bytes, context: bytes) -> bytes:
        nonce = os.urandom(12)
        return nonce + self._aead.encrypt(nonce, plaintext, context)

    async def unwrap(self, wrapped: bytes, context: bytes) -> bytes:
        try:
            return self._aead.decrypt(wrapped[:12], wrapped[12:], context)
        except InvalidTag:
            raise WrongMasterKey(self._key_id) from None


class MasterKeys:
    """The master keys a process holds: `current` wraps every new key; `previous` ones (during a
    rotation) only unwrap rows not yet re-wrapped. A row names its key by key id; a row from before
    key ids were recorded (None) is tried under each key, current first."""

    def __init__(self, current: KeyWrapper, previous: Sequence[KeyWrapper] = ()) -> None:
        self.current = current
        self.previous = tuple(previous)
        ids = [current.key_id, *(k.key_id for k in self.previous)]
        if len(set(ids)) != len(ids):
            raise ValueError("the previous master keys repeat the current one (or each other)")
        self._by_id = {k.key_id: k for k in (current, *self.previous)}

    @classmethod
    def local(cls, current: bytes, previous: Iterable[bytes] = ()) -> MasterKeys:
        return cls(LocalAesGcmKey(current), [LocalAesGcmKey(k) for k in previous])

    @property
    def key_ids(self) -> tuple[str, ...]:
        return tuple(self._by_id)

    async def wrap(self, plaintext: bytes, context: bytes) -> tuple[str, bytes]:
        """(key id, wrapped) under the current key."""
        return self.current.key_id, await self.current.wrap(plaintext, context)

    async def unwrap(self, key_id: str | None, wrapped: bytes, context: bytes) -> tuple[str, bytes]:
        """(the key id that opened it, plaintext). Raises UnknownMasterKey for a key id this process
        does not hold, WrongMasterKey when no held key opens it."""
        if key_id is not None:
            wrapper = self._by_id.get(key_id)
            if wrapper is None:
                raise UnknownMasterKey(key_id)
            return key_id, await wrapper.unwrap(wrapped, context)
        for wrapper in self._by_id.values():
            try:
                return wrapper.key_id, await wrapper.unwrap(wrapped, context)
            except WrongMasterKey:
                continue
        raise WrongMasterKey("none of the master keys held opens it")


def as_master_keys(keys: bytes | KeyWrapper | MasterKeys) -> MasterKeys:
    """What the key store and the submission key ring accept: raw key bytes (one local key, as in
    tests and the demo), one wrapper, or the full set."""
    if isinstance(keys, MasterKeys):
        return keys
    if isinstance(keys, bytes):
        return MasterKeys(LocalAesGcmKey(keys))
    return MasterKeys(keys)
