"""Signed advisor tokens (shared/auth.py): what verifies, and the reason code of each refusal."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.auth import (
    AdvisorKey,
    AuthError,
    authorize_command,
    command_digest,
    issue_token,
    peek_claims,
    private_key_from_pem,
    private_key_to_pem,
    public_key_from_b64,
    public_key_to_b64,
    verify_command,
    verify_token,
)
from shared.codes import TimeActivity
from shared.contracts.advisor_actions import LogTime

pytestmark = pytest.mark.unit

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
ANNE_KEY = Ed25519PrivateKey.generate()
BOB_KEY = Ed25519PrivateKey.generate()
KEYS = {
    "anne": [AdvisorKey("anne", ANNE_KEY.public_key(), NOW - timedelta(days=30), None)],
    "bob": [AdvisorKey("bob", BOB_KEY.public_key(), NOW - timedelta(days=30), None)],
}
DIGEST = command_digest({"issued_at": "2026-03-02T10:00:00Z"})


def lookup(advisor_id: str) -> list[AdvisorKey]:
    return KEYS.get(advisor_id, [])


def anne_token(
    *,
    key: Ed25519PrivateKey = ANNE_KEY,
    advisor_id: str = "anne",
    now: datetime = NOW,
    ttl: timedelta = timedelta(minutes=5),
    action: str = "AcceptCase",
    case_id: str | None = "case-1",
    digest: str = DIGEST,
) -> str:
    return issue_token(
        key, advisor_id=advisor_id, action=action, case_id=case_id, digest=digest, now=now, ttl=ttl
    )


def hand_signed_token(*, ttl: timedelta) -> str:
    """A token of any lifetime, signed by anne without issue_token (which refuses what services refuse)."""
    claims = {
        "v": 1,
        "advisor_id": "anne",
        "action": "AcceptCase",
        "case_id": "case-1",
        "digest": DIGEST,
        "iat": int(NOW.timestamp()),
        "exp": int((NOW + ttl).timestamp()),
        "jti": "hand-signed-0000000001",
    }
    head = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    signature = base64.urlsafe_b64encode(ANNE_KEY.sign(head.encode())).rstrip(b"=").decode()
    return f"{head}.{signature}"


def refusal_of(token: str, **overrides: object) -> str:
    args: dict[str, object] = {
        "expected_action": "AcceptCase",
        "expected_case_id": "case-1",
        "command_digest": DIGEST,
        "now": NOW,
    }
    args.update(overrides)
    with pytest.raises(AuthError) as caught:
        verify_token(token, lookup, **args)  # type: ignore[arg-type]
    return caught.value.reason


def test_a_token_signed_by_the_advisor_verifies_and_names_them() -> None:
    verified = verify_token(
        anne_token(),
        lookup,
        expected_action="AcceptCase",
        expected_case_id="case-1",
        command_digest=DIGEST,
        now=NOW + timedelta(minutes=4),
    )
    assert verified.advisor_id == "anne" and verified.case_id == "case-1"
    assert verified.expires_at == NOW + timedelta(minutes=5)
    assert len(verified.jti) >= 16


def test_two_tokens_never_share_a_nonce() -> None:
    assert peek_claims(anne_token()).jti != peek_claims(anne_token()).jti


def test_a_token_signed_with_another_advisors_key_is_a_forgery() -> None:
    assert refusal_of(anne_token(key=BOB_KEY)) == "signature_invalid"


def test_changing_any_claim_breaks_the_signature() -> None:
    token = anne_token()
    header, payload, sig = token.split(".")
    claims = peek_claims(token)
    doc = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    doc["case_id"] = "case-2"
    forged = base64.urlsafe_b64encode(json.dumps(doc).encode()).rstrip(b"=").decode()
    assert claims.case_id == "case-1"
    assert refusal_of(f"{header}.{forged}.{sig}", expected_case_id="case-2") == "signature_invalid"


def test_an_expired_token_is_refused_after_the_clock_skew() -> None:
    token = anne_token()
    expiry = NOW + timedelta(minutes=5)
    verify_token(
        token,
        lookup,
        expected_action="AcceptCase",
        expected_case_id="case-1",
        command_digest=DIGEST,
        now=expiry + timedelta(seconds=29),
    )  # within the 30 s the policy allows between clocks
    assert refusal_of(token, now=expiry + timedelta(seconds=30)) == "token_expired"


def test_a_token_from_the_future_is_not_yet_valid() -> None:
    assert refusal_of(anne_token(now=NOW + timedelta(minutes=2))) == "token_not_yet_valid"
    verify_token(
        anne_token(now=NOW + timedelta(seconds=20)),
        lookup,
        expected_action="AcceptCase",
        expected_case_id="case-1",
        command_digest=DIGEST,
        now=NOW,
    )  # within clock skew


def test_a_long_lived_token_is_refused_whatever_its_signature() -> None:
    assert refusal_of(hand_signed_token(ttl=timedelta(hours=1))) == "token_lifetime_too_long"


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"expected_action": "CloseCase"}, "wrong_action"),
        ({"expected_case_id": "case-2"}, "wrong_case"),
        ({"expected_case_id": None}, "wrong_case"),
        ({"command_digest": command_digest({"issued_at": "2026-03-02T10:00:01Z"})}, "command_mismatch"),
        ({"expected_advisor_id": "bob"}, "advisor_mismatch"),
    ],
)
def test_a_token_is_bound_to_one_action_case_command_and_advisor(
    overrides: dict[str, object], reason: str
) -> None:
    assert refusal_of(anne_token(), **overrides) == reason


def test_an_advisor_without_a_registered_key_is_unknown() -> None:
    stranger = Ed25519PrivateKey.generate()
    assert refusal_of(anne_token(key=stranger, advisor_id="carol")) == "unknown_advisor"


def test_a_key_outside_its_validity_period_does_not_count() -> None:
    revoked = {
        "anne": [
            AdvisorKey("anne", ANNE_KEY.public_key(), NOW - timedelta(days=30), NOW - timedelta(hours=1))
        ]
    }
    with pytest.raises(AuthError) as caught:
        verify_token(
            anne_token(),
            lambda a: revoked.get(a, []),
            expected_action="AcceptCase",
            expected_case_id="case-1",
            command_digest=DIGEST,
            now=NOW,
        )
    assert caught.value.reason == "unknown_advisor"


def test_a_rotated_key_still_verifies_next_to_the_new_one() -> None:
    new_key = Ed25519PrivateKey.generate()
    both = {"anne": [*KEYS["anne"], AdvisorKey("anne", new_key.public_key(), NOW - timedelta(days=1), None)]}
    for key in (ANNE_KEY, new_key):
        verify_token(
            anne_token(key=key),
            lambda a: both.get(a, []),
            expected_action="AcceptCase",
            expected_case_id="case-1",
            command_digest=DIGEST,
            now=NOW,
        )


@pytest.mark.parametrize(
    "token",
    ["", "abc", "a.b.c", "not-base64!.sig", "e30.c2ln", "x" * 5000, anne_token().replace(".", "")],
)
def test_malformed_tokens_have_their_own_reason(token: str) -> None:
    assert refusal_of(token) == "token_malformed"


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_no_garbage_token_verifies_or_crashes(garbage: str) -> None:
    with pytest.raises(AuthError):
        verify_token(
            garbage,
            lookup,
            expected_action="AcceptCase",
            expected_case_id="case-1",
            command_digest=DIGEST,
            now=NOW,
        )


def _log_time(minutes: int = 30) -> LogTime:
    return LogTime(
        advisor_id="anne",
        auth="",
        issued_at=NOW,
        case_id="case-1",
        minutes=minutes,
        activity=TimeActivity.CONVERSATION,
    )


def test_an_authorized_command_verifies_and_cannot_be_reused_for_another_command() -> None:
    command = authorize_command(ANNE_KEY, _log_time(), now=NOW)
    assert verify_command(command, lookup, now=NOW).action == "LogTime"
    inflated = command.model_copy(update={"minutes": 600})
    with pytest.raises(AuthError) as caught:
        verify_command(inflated, lookup, now=NOW)
    assert caught.value.reason == "command_mismatch"


def test_a_command_claiming_another_advisor_is_refused() -> None:
    command = authorize_command(ANNE_KEY, _log_time(), now=NOW).model_copy(update={"advisor_id": "bob"})
    with pytest.raises(AuthError) as caught:
        verify_command(command, lookup, now=NOW)
    assert caught.value.reason == "advisor_mismatch"  # anne signed it: it proves anne, not bob


def test_the_digest_ignores_auth_and_key_order_but_not_values() -> None:
    assert command_digest({"a": 1, "b": "x", "auth": "t1"}) == command_digest(
        {"b": "x", "a": 1, "auth": "t2"}
    )
    assert command_digest({"a": 1}) != command_digest({"a": 2})


def test_keys_survive_their_text_forms() -> None:
    private = private_key_from_pem(private_key_to_pem(ANNE_KEY))
    public = public_key_from_b64(public_key_to_b64(ANNE_KEY.public_key()))
    signature = private.sign(b"x")
    public.verify(signature, b"x")
