"""Submissions sealed at the source: what a frontend puts on `intake.submissions.v1`.

The raw submissions topic is kept 7 days. So that it holds no personal data in clear, a frontend
seals the whole submission document to intake's current public key with a libsodium sealed box
(`crypto_box_seal`: an ephemeral X25519 key, XSalsa20-Poly1305; only the holder of the private key
can open it, and the sender stays anonymous). The wire record keeps in clear only what intake needs
before it opens the box: the schema version and the frontend's submission id (the idempotency key,
and what a rejection carries so the frontend can match it). Nothing downstream reads the raw topic,
so no routing field needs to stay clear. docs/sealed-submissions.md describes the format for
frontends in other languages, with test vectors.

    key = SubmissionKey.from_json(httpx.get(f"{intake}/v1/submission-key").json())
    producer.send(topic, sealed_record_bytes(submission, key), key=submission_id.encode())

Both directions live here, so the format has one definition; intake's key ring
(services/intake/adapters/submission_keys.py) holds the private keys and rotates them.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import httpx
from nacl.exceptions import CryptoError
from nacl.public import PrivateKey, PublicKey, SealedBox
from pydantic import BaseModel, ConfigDict, Field

ALGORITHM = "crypto_box_seal"
KEY_ENDPOINT = "/v1/submission-key"
SEALED_FIELD = "sealed"
CLEAR_FIELDS = frozenset({"schema_version", "submission_id"})
# The outer record is the base64 of a sealed submission (4/3 of it plus 48 bytes): twice the
# largest submission intake accepts is ample, and bounds the work before anything is opened.
MAX_SEALED_RECORD_BYTES = 2 * 256 * 1024

# Reason codes of rejections (intake.rejections.v1, docs/sealed-submissions.md): each says what the
# frontend should do.
NOT_SEALED = "submission_not_sealed_to_intake_key"  # seal it to GET /v1/submission-key's key
KEY_UNKNOWN = "submission_key_unknown"  # the key id was never issued by this intake
KEY_RETIRED = "submission_key_retired"  # issued, but its grace period ended: fetch the current key
MALFORMED = "sealed_submission_malformed"  # the "sealed" object lacks kid/ct or has other members
ALGORITHM_UNSUPPORTED = "sealed_submission_algorithm_unsupported"
CLEAR_FIELDS_PRESENT = "sealed_submission_has_clear_fields"  # only schema_version and submission_id
UNREADABLE = "sealed_submission_unreadable"  # does not open: tampered, or sealed to another key
NOT_JSON = "sealed_submission_not_json"  # opens, but is not a UTF-8 JSON object
ID_MISMATCH = "sealed_submission_id_mismatch"  # the clear id or version differs from the sealed one
TOO_LARGE = "message_too_large"


class SealedPart(BaseModel):
    """The submission document, sealed with libsodium's crypto_box_seal to intake's key `kid`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    alg: Literal["crypto_box_seal"]
    kid: str = Field(min_length=1, max_length=64, description="key_id from GET /v1/submission-key")
    ct: str = Field(description="standard base64 (with padding) of the sealed box")


class SealedSubmissionRecord(BaseModel):
    """A sealed submission as a frontend publishes it on intake.submissions.v1 (the published JSON
    Schema of the wire record; intake's own checks give each mistake its reason code)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: int = Field(description="a copy of the sealed submission's schema_version")
    submission_id: str = Field(description="a copy of the sealed submission's submission_id")
    sealed: SealedPart


@dataclass(frozen=True, slots=True)
class SubmissionKey:
    """Intake's public key for sealed submissions, as GET /v1/submission-key serves it."""

    key_id: str
    public_key: bytes  # 32 bytes, X25519
    use_until: datetime | None = None  # fetch a fresh key after this; intake still opens this one a while

    def __post_init__(self) -> None:
        if len(self.public_key) != 32:
            raise ValueError("a submission key is a 32-byte X25519 public key")

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> SubmissionKey:
        if doc.get("alg") != ALGORITHM:
            raise ValueError(f"unsupported submission key algorithm (expected {ALGORITHM})")
        use_until = doc.get("use_until")
        return cls(
            key_id=str(doc["key_id"]),
            public_key=base64.b64decode(str(doc["public_key"]), validate=True),
            use_until=datetime.fromisoformat(use_until) if isinstance(use_until, str) else None,
        )

    def fresh(self, now: datetime) -> bool:
        return self.use_until is None or now < self.use_until


async def fetch_submission_key(client: httpx.AsyncClient, intake_url: str) -> SubmissionKey:
    """The current key from intake's key endpoint (a frontend caches it until `use_until`)."""
    answer = await client.get(intake_url.rstrip("/") + KEY_ENDPOINT)
    answer.raise_for_status()
    return SubmissionKey.from_json(answer.json())


def _json_bytes(doc: Any) -> bytes:
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode()


def seal_submission(submission: Mapping[str, Any], key: SubmissionKey) -> dict[str, Any]:
    """The wire record: the whole submission sealed to `key`, its id and schema version in clear."""
    box = SealedBox(PublicKey(key.public_key)).encrypt(_json_bytes(dict(submission)))
    clear = {name: submission[name] for name in sorted(CLEAR_FIELDS) if name in submission}
    return {
        **clear,
        SEALED_FIELD: {"alg": ALGORITHM, "kid": key.key_id, "ct": base64.b64encode(box).decode()},
    }


def sealed_record_bytes(submission: Mapping[str, Any], key: SubmissionKey) -> bytes:
    """The Kafka record value a frontend publishes on intake.submissions.v1."""
    return _json_bytes(seal_submission(submission, key))


# --- intake's side -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SealingProblem:
    """Why a record cannot be opened: a reason code and a fixed schema path (never caller bytes)."""

    reason: str
    field: str | None


@dataclass(frozen=True, slots=True)
class SealedRecord:
    key_id: str
    box: bytes
    clear: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Opened:
    """The submission as the frontend wrote it: its bytes and their parsed JSON."""

    raw: bytes
    doc: dict[str, Any]


def is_sealed(doc: Any) -> bool:
    return isinstance(doc, dict) and SEALED_FIELD in doc


def parse_sealed_record(doc: dict[str, Any], size: int) -> SealedRecord | SealingProblem:
    """The record's shape, checked before any key is looked up."""
    if size > MAX_SEALED_RECORD_BYTES:
        return SealingProblem(TOO_LARGE, None)
    if any(name not in CLEAR_FIELDS and name != SEALED_FIELD for name in doc):
        return SealingProblem(CLEAR_FIELDS_PRESENT, None)
    if "submission_id" not in doc:
        return SealingProblem(MALFORMED, "submission_id")
    sealed = doc[SEALED_FIELD]
    if not isinstance(sealed, dict) or set(sealed) != {"alg", "kid", "ct"}:
        return SealingProblem(MALFORMED, SEALED_FIELD)
    if sealed["alg"] != ALGORITHM:
        return SealingProblem(ALGORITHM_UNSUPPORTED, "sealed.alg")
    kid, ct = sealed["kid"], sealed["ct"]
    if not isinstance(kid, str) or not 1 <= len(kid) <= 64:
        return SealingProblem(MALFORMED, "sealed.kid")
    if not isinstance(ct, str):
        return SealingProblem(MALFORMED, "sealed.ct")
    try:
        box = base64.b64decode(ct, validate=True)
    except (binascii.Error, ValueError):
        return SealingProblem(MALFORMED, "sealed.ct")
    return SealedRecord(kid, box, {k: v for k, v in doc.items() if k in CLEAR_FIELDS})


@functools.lru_cache(maxsize=8)
def _box(private_key: bytes) -> SealedBox[PrivateKey]:
    # Making a PrivateKey derives its public key (a scalar multiplication, ~1.5 % of intake's CPU
    # when done per record); the intake key of the day is the same for every record.
    return SealedBox(PrivateKey(private_key))


def open_sealed_record(record: SealedRecord, private_key: bytes) -> Opened | SealingProblem:
    """The submission inside, if it opens under `private_key` and agrees with the clear fields."""
    try:
        raw = _box(private_key).decrypt(record.box)
    except CryptoError:
        return SealingProblem(UNREADABLE, "sealed.ct")
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return SealingProblem(NOT_JSON, "sealed.ct")
    if not isinstance(doc, dict):
        return SealingProblem(NOT_JSON, "sealed.ct")
    for name in sorted(CLEAR_FIELDS):
        if name in record.clear and doc.get(name) != record.clear[name]:
            return SealingProblem(ID_MISMATCH, name)
    return Opened(raw, doc)
