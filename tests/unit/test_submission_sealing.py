"""Sealed submissions: the frontends' helper and intake's opening of it, down to the reason codes."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from services.intake.adapters.submission_keys import SubmissionKeyRing
from services.intake.domain.submission import Rejection
from services.intake.entrypoints.decoding import SubmissionUnsealer
from shared import submission_sealing as sealing
from shared.crypto import new_master_key_b64, parse_master_key
from shared.db import make_engine
from shared.submission_sealing import Opened, SubmissionKey, seal_submission, sealed_record_bytes
from tests.support import samples

pytestmark = pytest.mark.unit

NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
WEEK = timedelta(days=7)

# The test vector of docs/sealed-submissions.md (the recipient key is RFC 7748's Alice).
VECTOR_PRIVATE_KEY = "dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo="
VECTOR_PUBLIC_KEY = "hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo="
VECTOR_PLAINTEXT = '{"schema_version":1,"submission_id":"vector-0001","narrative":"TEST-VECTOR"}'
VECTOR_CT = (
    "q21/hihuA1SBqcHSR4HmUU2a5QYHk3P94mkU/03aJl4kWaeD/wj9bw7wvZStZyUfQnFCnP+YE1wRF0uCjutHYXvKv99NJzLXnODDAf9q"
    "WjSxJNdSF9hA/DlmwVNSI2bo2+C2F3Eo26g944m2otID6Bbp8sUCeTfuGCuXag=="
)


async def ring_on(path: Path, *, grace: timedelta = 2 * WEEK) -> SubmissionKeyRing:
    ring = SubmissionKeyRing(
        make_engine(f"sqlite+aiosqlite:///{path}/keys.db"),
        parse_master_key(new_master_key_b64()),
        rotation=WEEK,
        grace=grace,
    )
    await ring.create_schema()
    return ring


async def open_record(unsealer: SubmissionUnsealer, record: dict[str, Any], now: datetime = NOW) -> Any:
    raw = json.dumps(record).encode()
    return await unsealer.open(raw, json.loads(raw), now)


async def test_a_sealed_submission_opens_to_exactly_what_the_frontend_wrote(tmp_path: Path) -> None:
    ring = await ring_on(tmp_path)
    doc = samples.submission("round")
    key = (await ring.current(NOW)).public
    wire = sealed_record_bytes(doc, key)
    for marker in samples.markers("round"):
        assert marker.encode() not in wire
    record = json.loads(wire)
    assert set(record) == {"schema_version", "submission_id", "sealed"}
    sealing.SealedSubmissionRecord.model_validate(record)  # the published JSON Schema's shape
    assert record["sealed"]["kid"] == key.key_id
    opened = await open_record(SubmissionUnsealer(ring, require_sealed=True), record)
    assert isinstance(opened, Opened)
    assert opened.doc == doc
    assert json.loads(opened.raw) == doc


async def test_sealing_twice_gives_different_ciphertexts_under_one_key(tmp_path: Path) -> None:
    key = (await (await ring_on(tmp_path)).current(NOW)).public
    doc = samples.submission("twice")
    assert seal_submission(doc, key)["sealed"]["ct"] != seal_submission(doc, key)["sealed"]["ct"]


async def test_a_key_id_intake_never_issued_is_rejected_as_unknown_key(tmp_path: Path) -> None:
    ring = await ring_on(tmp_path)
    real = (await ring.current(NOW)).public
    doc = samples.submission()
    forged = SubmissionKey("sk-19990101T000000Z", real.public_key)
    verdict = await open_record(SubmissionUnsealer(ring, require_sealed=True), seal_submission(doc, forged))
    assert verdict == Rejection("submission_key_unknown", "sealed.kid", doc["submission_id"])


async def test_a_key_from_another_intake_under_a_real_key_id_does_not_open(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    ring, other = await ring_on(tmp_path / "a"), await ring_on(tmp_path / "b")
    kid = (await ring.current(NOW)).public.key_id
    foreign = (await other.current(NOW)).public
    doc = samples.submission()
    record = seal_submission(doc, SubmissionKey(kid, foreign.public_key))
    verdict = await open_record(SubmissionUnsealer(ring, require_sealed=True), record)
    assert verdict == Rejection("sealed_submission_unreadable", "sealed.ct", doc["submission_id"])


async def test_tampered_ciphertext_is_rejected_as_unreadable(tmp_path: Path) -> None:
    ring = await ring_on(tmp_path)
    doc = samples.submission()
    record = seal_submission(doc, (await ring.current(NOW)).public)
    box = bytearray(base64.b64decode(record["sealed"]["ct"]))
    box[60] ^= 0x01
    record["sealed"]["ct"] = base64.b64encode(bytes(box)).decode()
    verdict = await open_record(SubmissionUnsealer(ring, require_sealed=True), record)
    assert verdict == Rejection("sealed_submission_unreadable", "sealed.ct", doc["submission_id"])


async def test_a_sealed_box_moved_under_another_submission_id_is_rejected(tmp_path: Path) -> None:
    ring = await ring_on(tmp_path)
    record = seal_submission(samples.submission(), (await ring.current(NOW)).public)
    record["submission_id"] = "sub-someone-else-0001"
    verdict = await open_record(SubmissionUnsealer(ring, require_sealed=True), record)
    assert verdict == Rejection("sealed_submission_id_mismatch", "submission_id", "sub-someone-else-0001")


@pytest.mark.parametrize(
    ("mangle", "reason", "field"),
    [
        (lambda r: r.update(narrative="left in clear"), "sealed_submission_has_clear_fields", None),
        (lambda r: r["sealed"].pop("kid"), "sealed_submission_malformed", "sealed"),
        (lambda r: r["sealed"].update(alg="hpke"), "sealed_submission_algorithm_unsupported", "sealed.alg"),
        (lambda r: r["sealed"].update(ct="not base64!"), "sealed_submission_malformed", "sealed.ct"),
        (lambda r: r.pop("submission_id"), "sealed_submission_malformed", "submission_id"),
    ],
)
async def test_a_malformed_sealed_record_is_rejected_with_a_reason_code(
    tmp_path: Path, mangle: Any, reason: str, field: str | None
) -> None:
    ring = await ring_on(tmp_path)
    record = seal_submission(samples.submission(), (await ring.current(NOW)).public)
    mangle(record)
    verdict = await open_record(SubmissionUnsealer(ring, require_sealed=True), record)
    assert isinstance(verdict, Rejection) and (verdict.reason, verdict.field) == (reason, field)
    assert verdict.submission_id == record.get("submission_id")


async def test_an_unsealed_submission_is_rejected_only_when_sealing_is_required(tmp_path: Path) -> None:
    ring = await ring_on(tmp_path)
    doc = samples.submission()
    required = await open_record(SubmissionUnsealer(ring, require_sealed=True), doc)
    assert required == Rejection("submission_not_sealed_to_intake_key", None, doc["submission_id"])
    allowed = await open_record(SubmissionUnsealer(ring, require_sealed=False), doc)
    assert isinstance(allowed, Opened) and allowed.doc == doc


async def test_keys_rotate_and_a_retired_key_opens_through_its_grace_period_only(tmp_path: Path) -> None:
    ring = await ring_on(tmp_path, grace=WEEK)
    first = await ring.current(NOW)
    assert (await ring.current(NOW + timedelta(days=1))).public == first.public  # one key per period
    assert first.public.use_until is not None
    assert first.accept_until == first.public.use_until + WEEK
    record = seal_submission(samples.submission(), first.public)
    later = first.public.use_until + timedelta(hours=1)
    second = await ring.current(later)
    assert second.public.key_id != first.public.key_id
    assert second.public.public_key != first.public.public_key
    unsealer = SubmissionUnsealer(ring, require_sealed=True)
    assert isinstance(await open_record(unsealer, record, later), Opened)  # still in its grace period
    past_grace = first.accept_until + timedelta(seconds=1)
    assert await ring.retire_expired(past_grace) == 1
    verdict = await open_record(unsealer, record, past_grace)
    assert isinstance(verdict, Rejection) and verdict.reason == "submission_key_retired"


async def test_two_intake_instances_rotating_at_once_agree_on_one_key(tmp_path: Path) -> None:
    master = parse_master_key(new_master_key_b64())
    url = f"sqlite+aiosqlite:///{tmp_path}/keys.db"
    a, b = (SubmissionKeyRing(make_engine(url), master, rotation=WEEK, grace=WEEK) for _ in "ab")
    await a.create_schema()
    assert (await a.current(NOW)).public == (await b.current(NOW)).public
    record = seal_submission(samples.submission(), (await a.current(NOW)).public)
    assert isinstance(await open_record(SubmissionUnsealer(b, require_sealed=True), record), Opened)


def test_the_documented_test_vector_opens_with_libsodium() -> None:
    record = sealing.SealedRecord("sk-vector", base64.b64decode(VECTOR_CT), {"submission_id": "vector-0001"})
    opened = sealing.open_sealed_record(record, base64.b64decode(VECTOR_PRIVATE_KEY))
    assert isinstance(opened, Opened) and opened.raw.decode() == VECTOR_PLAINTEXT
    from nacl.public import PrivateKey

    derived = PrivateKey(base64.b64decode(VECTOR_PRIVATE_KEY)).public_key
    assert base64.b64encode(bytes(derived)).decode() == VECTOR_PUBLIC_KEY
    doc = (Path(__file__).parents[2] / "docs" / "sealed-submissions.md").read_text()
    for value in (VECTOR_PRIVATE_KEY, VECTOR_PUBLIC_KEY, VECTOR_PLAINTEXT, VECTOR_CT):
        assert value in doc


def test_a_served_key_parses_and_a_foreign_algorithm_does_not() -> None:
    served = {
        "alg": "crypto_box_seal",
        "key_id": "sk-20261130T000000Z",
        "public_key": VECTOR_PUBLIC_KEY,
        "use_until": "2026-12-07T00:00:00+00:00",
    }
    key = SubmissionKey.from_json(served)
    assert key.key_id == "sk-20261130T000000Z" and key.fresh(NOW)
    assert not key.fresh(NOW + WEEK)
    with pytest.raises(ValueError):
        SubmissionKey.from_json({**served, "alg": "RSA-OAEP"})
