"""Command tokens v2 (shared/auth.py): a compact JWS with EdDSA that other languages produce and
verify, the RFC 8785 digest, command signers (the workbench) and the v1 migration window."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import warnings
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from joserfc import jws
from joserfc.jwk import OKPKey
from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from caseflow.cli import main
from shared.advisor_commands import AdvisorCommandGate, SignedCommand
from shared.auth import (
    TOKEN_POLICY,
    TOKEN_TYPE,
    AdvisorKey,
    AuthError,
    Refusal,
    SignerKey,
    authorize_command,
    command_digest,
    command_digest_v1,
    define_auth_tables,
    digest_of,
    issue_token,
    issue_v1_token,
    key_id,
    peek_claims,
    private_key_from_pem,
    public_key_to_b64,
    verify_command,
    verify_token,
)
from shared.codes import TimeActivity
from shared.contracts.advisor_actions import AcceptCase, LogTime
from shared.contracts.directory import AdvisorKeyRegistered, CommandSignerRegistered

pytestmark = pytest.mark.unit

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
ANNA = Ed25519PrivateKey.generate()
BRAM = Ed25519PrivateKey.generate()
WORKBENCH = Ed25519PrivateKey.generate()
KEYS = {
    "adv-anna": [AdvisorKey("adv-anna", ANNA.public_key(), NOW - timedelta(days=30), None)],
    "adv-bram": [AdvisorKey("adv-bram", BRAM.public_key(), NOW - timedelta(days=30), None)],
}
SIGNERS = {
    "workbench": [
        SignerKey("workbench", WORKBENCH.public_key(), NOW - timedelta(days=1), NOW + timedelta(days=90))
    ]
}
FIELDS = {"issued_at": "2026-03-02T10:00:00Z"}


def advisor_keys(advisor_id: str) -> list[AdvisorKey]:
    return KEYS.get(advisor_id, [])


def signer_keys(signer_id: str) -> list[SignerKey]:
    return SIGNERS.get(signer_id, [])


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def raw_public(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def claims(**overrides: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "iss": "adv-anna",
        "sub": "adv-anna",
        "action": "AcceptCase",
        "case_id": "case-1",
        "digest": command_digest(FIELDS),
        "iat": int(NOW.timestamp()),
        "exp": int((NOW + timedelta(minutes=5)).timestamp()),
        "jti": "frontend-nonce-000000000001",
    }
    doc.update(overrides)
    return doc


def hand_assembled(
    header: dict[str, Any], payload: dict[str, Any], key: Ed25519PrivateKey | None = ANNA
) -> str:
    """A JWS as a frontend without PyJWT makes it: its own JSON formatting, Ed25519 from `cryptography`."""
    head = b64url(json.dumps(header, indent=1).encode())
    body = b64url(json.dumps(payload, ensure_ascii=True, indent=2).encode())
    signature = key.sign(f"{head}.{body}".encode()) if key is not None else b""
    return f"{head}.{body}.{b64url(signature)}"


def header(key: Ed25519PrivateKey = ANNA, **overrides: Any) -> dict[str, Any]:
    return {"alg": "EdDSA", "typ": TOKEN_TYPE, "kid": key_id(key.public_key()), **overrides}


def verify(token: str, **overrides: Any) -> Any:
    args: dict[str, Any] = {
        "expected_action": "AcceptCase",
        "expected_case_id": "case-1",
        "command_fields": FIELDS,
        "now": NOW + timedelta(minutes=1),
        "signer_keys": signer_keys,
    }
    args.update(overrides)
    return verify_token(token, advisor_keys, **args)


def refusal_of(token: str, **overrides: Any) -> str:
    with pytest.raises(AuthError) as caught:
        verify(token, **overrides)
    return caught.value.reason


def issued(key: Ed25519PrivateKey = ANNA, **overrides: Any) -> str:
    args: dict[str, Any] = {
        "advisor_id": "adv-anna",
        "action": "AcceptCase",
        "case_id": "case-1",
        "digest": command_digest(FIELDS),
        "now": NOW,
    }
    args.update(overrides)
    return issue_token(key, **args)


# -- the format ---------------------------------------------------------------------------------


def test_a_v2_token_is_a_jws_with_the_documented_header_and_claims() -> None:
    token = issued()
    assert jwt.get_unverified_header(token) == {
        "alg": "EdDSA",
        "typ": "caseflow-command+jwt",
        "kid": key_id(ANNA.public_key()),
    }
    payload = jwt.decode(token, options={"verify_signature": False})
    assert set(payload) == {"iss", "sub", "action", "case_id", "digest", "iat", "exp", "jti"}
    assert payload["iss"] == payload["sub"] == "adv-anna"
    verified = verify(token)
    assert (verified.advisor_id, verified.issuer, verified.version) == ("adv-anna", "adv-anna", 2)
    assert verified.expires_at == NOW + timedelta(minutes=5)


def test_the_kid_is_the_rfc_7638_thumbprint_of_rfc_8037() -> None:
    # RFC 8037 appendix A.2/A.3: this public key's thumbprint is kPrK_qmx...
    x = base64.urlsafe_b64decode("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo=")
    public = Ed25519PublicKey.from_public_bytes(x)
    assert key_id(public) == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"


def test_a_token_made_by_joserfc_verifies() -> None:
    key = OKPKey.import_key(
        ANNA.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    protected = {"alg": "EdDSA", "typ": TOKEN_TYPE, "kid": key.thumbprint()}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # joserfc prefers RFC 9864's "Ed25519" name for the same algorithm
        token = jws.serialize_compact(protected, json.dumps(claims()).encode(), key, algorithms=["EdDSA"])
    assert verify(token).jti == "frontend-nonce-000000000001"


def test_a_token_assembled_by_hand_with_other_json_formatting_verifies() -> None:
    token = hand_assembled(header(typ="application/caseflow-command+jwt"), claims(case_id=None))
    assert verify(token, expected_case_id=None).case_id is None


def test_a_token_made_here_verifies_with_joserfc() -> None:
    public = OKPKey.import_key(
        ANNA.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        obj = jws.deserialize_compact(issued(), public, algorithms=["EdDSA"])
    assert json.loads(obj.payload)["sub"] == "adv-anna"
    assert obj.protected["kid"] == public.thumbprint()


# -- the digest ---------------------------------------------------------------------------------

# Written by hand from RFC 8785: keys sorted, no whitespace, numbers in their shortest ECMAScript
# form (2.0 is 2), non-ASCII as UTF-8, `auth` left out. The hex is sha256 over exactly these bytes.
LOG_TIME_CANONICAL = (
    b'{"activity":"conversation","advisor_id":"adv-anna","case_id":"case-1",'
    b'"issued_at":"2026-03-02T10:00:00Z","minutes":45}'
)
LOG_TIME_DIGEST = "a1e86fa0639b1b9b64ea338a2db63cfea6c5526989a60742018c0abb2d0b45ee"
MIXED_CANONICAL = '{"hours":2,"note":"café €","rate":1.5,"z":[null,true,false]}'.encode()
MIXED_DIGEST = "45909839ab74ef6ad20923798e3a41640f2e929f80cd2cb71c5e0f73579ccb84"


def test_the_digest_of_a_command_is_sha256_hex_of_its_jcs_form() -> None:
    command = LogTime(
        advisor_id="adv-anna",
        auth="whatever",
        issued_at=NOW,
        case_id="case-1",
        minutes=45,
        activity=TimeActivity.CONVERSATION,
    )
    assert hashlib.sha256(LOG_TIME_CANONICAL).hexdigest() == LOG_TIME_DIGEST
    assert digest_of(command) == LOG_TIME_DIGEST


def test_the_digest_follows_jcs_for_numbers_unicode_and_key_order() -> None:
    fields = {"z": [None, True, False], "rate": 1.5, "note": "café €", "hours": 2.0, "auth": "x"}
    assert hashlib.sha256(MIXED_CANONICAL).hexdigest() == MIXED_DIGEST
    assert command_digest(fields) == MIXED_DIGEST


# -- what is refused ----------------------------------------------------------------------------


def test_alg_none_is_refused() -> None:
    assert refusal_of(hand_assembled(header(alg="none"), claims(), key=None)) == "token_malformed"
    unsigned = jwt.encode(claims(), None, algorithm="none", headers={"typ": TOKEN_TYPE, "kid": "k"})
    assert refusal_of(unsigned) == "token_malformed"


def test_hs256_with_the_public_key_as_secret_is_refused() -> None:
    for secret in (raw_public(ANNA), public_key_to_b64(ANNA.public_key()).encode()):
        head = b64url(json.dumps(header(alg="HS256")).encode())
        body = b64url(json.dumps(claims()).encode())
        mac = hmac.new(secret, f"{head}.{body}".encode(), hashlib.sha256).digest()
        assert refusal_of(f"{head}.{body}.{b64url(mac)}") == "token_malformed"


@pytest.mark.parametrize(
    "changes",
    [{"typ": "JWT"}, {"typ": None}, {"kid": None}, {"kid": ""}, {"crit": ["exp"]}, {"alg": "ES256"}],
)
def test_a_header_that_is_not_ours_is_malformed(changes: dict[str, Any]) -> None:
    head = {k: v for k, v in {**header(), **changes}.items() if v is not None}
    assert refusal_of(hand_assembled(head, claims())) == "token_malformed"


@pytest.mark.parametrize("missing", ["iss", "sub", "action", "digest", "iat", "exp", "jti"])
def test_a_token_without_a_required_claim_is_malformed(missing: str) -> None:
    doc = claims()
    del doc[missing]
    assert refusal_of(hand_assembled(header(), doc)) == "token_malformed"


def test_a_tampered_payload_breaks_the_signature() -> None:
    head, _body, signature = issued().split(".")
    forged = b64url(json.dumps(claims(case_id="case-2")).encode())
    assert refusal_of(f"{head}.{forged}.{signature}", expected_case_id="case-2") == "signature_invalid"


def test_a_kid_naming_no_key_of_the_issuer_is_a_forgery() -> None:
    assert refusal_of(hand_assembled(header(kid="not-annas-key"), claims())) == "signature_invalid"
    assert refusal_of(issued(BRAM)) == "signature_invalid"  # bram's key, anna's name


def test_the_binding_claims_keep_their_reason_codes() -> None:
    token = issued()
    assert refusal_of(token, expected_action="CloseCase") == "wrong_action"
    assert refusal_of(token, expected_case_id="case-2") == "wrong_case"
    assert refusal_of(token, command_fields={"issued_at": "2026-03-02T10:00:01Z"}) == "command_mismatch"
    assert refusal_of(token, expected_advisor_id="adv-bram") == "advisor_mismatch"
    assert refusal_of(issued(advisor_id="adv-carl")) == "unknown_advisor"


def test_an_expired_or_future_v2_token_is_refused() -> None:
    assert refusal_of(issued(), now=NOW + timedelta(minutes=6)) == "token_expired"
    assert refusal_of(issued(now=NOW + timedelta(hours=1))) == "token_not_yet_valid"
    long_lived = claims(exp=int((NOW + timedelta(hours=1)).timestamp()))
    assert refusal_of(hand_assembled(header(), long_lived)) == "token_lifetime_too_long"


def test_an_oversized_token_is_malformed() -> None:
    big = hand_assembled(header(), claims(padding="x" * 5000))
    assert refusal_of(big) == "token_malformed"


# -- command signers ----------------------------------------------------------------------------


def test_the_workbench_signs_for_the_signed_in_advisor() -> None:
    verified = verify(issued(WORKBENCH, issuer="workbench"))
    assert (verified.advisor_id, verified.issuer) == ("adv-anna", "workbench")


def test_a_signer_that_is_not_registered_proves_nobody() -> None:
    assert refusal_of(issued(WORKBENCH, issuer="rogue-portal")) == "unknown_signer"
    assert refusal_of(issued(WORKBENCH, issuer="workbench"), signer_keys=lambda _s: []) == "unknown_signer"


def test_a_signer_key_proves_nothing_after_its_valid_until() -> None:
    token = issued(WORKBENCH, issuer="workbench", now=NOW + timedelta(days=90))
    assert refusal_of(token, now=NOW + timedelta(days=90, minutes=1)) == "unknown_signer"


def test_an_advisor_key_does_not_sign_as_the_workbench_nor_the_workbench_as_the_advisor() -> None:
    assert refusal_of(issued(ANNA, issuer="workbench")) == "signature_invalid"
    assert refusal_of(issued(WORKBENCH)) == "signature_invalid"  # iss = sub: anna's own keys


def test_a_signed_command_verifies_with_the_signers_keys() -> None:
    command = LogTime(
        advisor_id="adv-anna",
        auth="",
        issued_at=NOW,
        case_id="case-1",
        minutes=45,
        activity=TimeActivity.CONVERSATION,
    )
    signed = authorize_command(WORKBENCH, command, now=NOW, issuer="workbench")
    assert verify_command(signed, advisor_keys, now=NOW, signer_keys=signer_keys).issuer == "workbench"
    with pytest.raises(AuthError) as caught:
        verify_command(
            signed.model_copy(update={"minutes": 600}), advisor_keys, now=NOW, signer_keys=signer_keys
        )
    assert caught.value.reason == "command_mismatch"


# -- the v1 migration window --------------------------------------------------------------------


def v1_token(now: datetime) -> str:
    return issue_v1_token(
        ANNA,
        advisor_id="adv-anna",
        action="AcceptCase",
        case_id="case-1",
        digest=command_digest_v1(FIELDS),
        now=now,
    )


def test_a_v1_token_verifies_before_the_migration_date() -> None:
    last_day = TOKEN_POLICY.v1_accepted_until - timedelta(minutes=2)
    verified = verify(v1_token(last_day), now=last_day + timedelta(minutes=1))
    assert (verified.version, verified.advisor_id, verified.issuer) == (1, "adv-anna", "adv-anna")


def test_a_v1_token_is_retired_on_the_migration_date() -> None:
    cutoff = TOKEN_POLICY.v1_accepted_until
    assert cutoff == datetime(2027, 7, 1, tzinfo=UTC)
    assert refusal_of(v1_token(cutoff), now=cutoff) == "token_format_retired"


def test_the_migration_date_is_a_policy_setting() -> None:
    early = replace(TOKEN_POLICY, v1_accepted_until=NOW)
    assert refusal_of(v1_token(NOW), policy=early) == "token_format_retired"
    assert verify(issued(), policy=early).version == 2


def test_a_v1_token_is_bound_to_the_v1_digest() -> None:
    wrong = {"command_fields": None, "command_digest": command_digest(FIELDS)}
    assert refusal_of(v1_token(NOW), **wrong) == "command_mismatch"
    assert verify(v1_token(NOW), command_fields=None, command_digest=command_digest_v1(FIELDS))


# -- through the gate, on SQLite ----------------------------------------------------------------

ASSIGNEES = {"case-annas": "adv-anna", "case-brams": "adv-bram"}


async def assignee_of(conn: AsyncConnection, case_id: str) -> str | None:
    return ASSIGNEES.get(case_id)


@pytest.fixture
async def gate(tmp_path: Path) -> AsyncIterator[tuple[AsyncEngine, AdvisorCommandGate]]:
    metadata = MetaData()
    gate = AdvisorCommandGate(*define_auth_tables(metadata))
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path}/gate.db")
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
        for advisor_id, key in (("adv-anna", ANNA), ("adv-bram", BRAM)):
            public = public_key_to_b64(key.public_key())
            await gate.record_key(
                conn,
                AdvisorKeyRegistered(
                    advisor_id=advisor_id, public_key_b64=public, valid_from=NOW - timedelta(days=30)
                ),
            )
        await gate.record_signer(
            conn,
            CommandSignerRegistered(
                signer_id="workbench",
                public_key_b64=public_key_to_b64(WORKBENCH.public_key()),
                valid_from=NOW - timedelta(days=1),
            ),
        )
    yield engine, gate
    await engine.dispose()


def accept(
    case_id: str,
    advisor_id: str = "adv-anna",
    *,
    key: Ed25519PrivateKey = WORKBENCH,
    issuer: str | None = "workbench",
) -> SignedCommand:
    command = AcceptCase(advisor_id=advisor_id, auth="", issued_at=NOW, case_id=case_id)
    return SignedCommand.of(authorize_command(key, command, now=NOW, issuer=issuer))


async def admit(
    db: tuple[AsyncEngine, AdvisorCommandGate], command: SignedCommand, now: datetime = NOW
) -> str:
    engine, gate = db
    async with engine.begin() as conn:
        admitted = await gate.admit(conn, command, assignee_of, now=now)
    if isinstance(admitted, Refusal):
        return f"{admitted.reason}:{'proven' if admitted.proven else 'unproven'}"
    return f"proven:{admitted.advisor_id}:{admitted.issuer}"


async def test_the_gate_admits_a_workbench_command_once(gate: tuple[AsyncEngine, AdvisorCommandGate]) -> None:
    command = accept("case-annas")
    assert await admit(gate, command) == "proven:adv-anna:workbench"
    assert await admit(gate, command) == "token_replayed:unproven"


async def test_the_gate_still_asks_whether_the_workbenchs_advisor_is_the_assignee(
    gate: tuple[AsyncEngine, AdvisorCommandGate],
) -> None:
    assert await admit(gate, accept("case-brams")) == "not_assignee:proven"


async def test_the_gate_refuses_an_unregistered_or_revoked_signer(
    gate: tuple[AsyncEngine, AdvisorCommandGate],
) -> None:
    assert await admit(gate, accept("case-annas", issuer="rogue-portal")) == "unknown_signer:unproven"
    engine, gate_ = gate
    async with engine.begin() as conn:
        await gate_.record_signer(
            conn,
            CommandSignerRegistered(
                signer_id="workbench",
                public_key_b64=public_key_to_b64(WORKBENCH.public_key()),
                valid_from=NOW - timedelta(days=1),
                valid_until=NOW - timedelta(minutes=1),
            ),
        )
    assert await admit(gate, accept("case-annas")) == "unknown_signer:unproven"


async def test_the_gate_takes_v1_commands_until_the_migration_date(
    gate: tuple[AsyncEngine, AdvisorCommandGate],
) -> None:
    command = AcceptCase(advisor_id="adv-anna", auth="", issued_at=NOW, case_id="case-annas")
    signed = SignedCommand.of(command)
    token = issue_v1_token(
        ANNA,
        advisor_id="adv-anna",
        action="AcceptCase",
        case_id="case-annas",
        digest=command_digest_v1(signed.signed_fields),
        now=NOW,
    )
    v1 = replace(signed, token=token)
    assert await admit(gate, v1) == "proven:adv-anna:adv-anna"
    engine, gate_ = gate
    retired = replace(gate_, policy=replace(TOKEN_POLICY, v1_accepted_until=NOW))
    assert await admit((engine, retired), v1) == "token_format_retired:unproven"


# -- the CLI ------------------------------------------------------------------------------------


def test_the_cli_registers_a_signer_and_signs_for_an_advisor(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key_file = str(tmp_path / "workbench.pem")
    assert (
        main(
            ["token", "signer-keygen", "--signer", "workbench", "--key-file", key_file, "--valid-days", "30"]
        )
        == 0
    )
    envelope = json.loads(capsys.readouterr().out)
    assert envelope["event_type"] == "CommandSignerRegistered"
    assert envelope["stream_id"].startswith("command-signer:workbench:")
    registered = CommandSignerRegistered.model_validate(envelope["payload"])
    argv = ["token", "issue", "--signer", "workbench", "--key-file", key_file, "--advisor", "adv-anna"]
    assert main([*argv, "--action", "AcceptCase", "--case", "case-1", "--output", "token"]) == 0
    token = capsys.readouterr().out.strip()
    claims_ = peek_claims(token)
    assert (claims_.issuer, claims_.advisor_id) == ("workbench", "adv-anna")
    key = private_key_from_pem(Path(key_file).read_bytes())
    assert public_key_to_b64(key.public_key()) == registered.public_key_b64
    assert registered.valid_until is not None
