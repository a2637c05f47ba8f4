"""Signed advisor command tokens: who is acting, for which action on which case, verifiable offline.

Every advisor command (on `advisor.actions.v1`) and every case-file request carries a token. It is
signed either by the advisor's own Ed25519 key or, for an advisor signed in to the workbench, by a
registered *command signer* (the workbench) on the advisor's behalf. Services verify it with public
keys from the directory (`AdvisorKeyRegistered`, `CommandSignerRegistered` on directory.v1 and its
copy directory.advisors.v1); no call to an identity service is needed.

Format v2 (the one issued): a compact JWS (RFC 7515) signed with EdDSA over Ed25519 (RFC 8037),
made and checked with PyJWT, so that any language with a JOSE library produces and verifies it::

    header  {"alg": "EdDSA", "typ": "caseflow-command+jwt", "kid": <RFC 7638 thumbprint of the key>}
    claims  {"iss": <signer>, "sub": <advisor id>, "action": ..., "case_id": ... | null,
             "digest": ..., "iat": ..., "exp": ..., "jti": ...}

Claims (v1 name -> v2 name): `advisor_id` -> `sub` (the acting advisor); `action` -> `action` (the
command's event type, e.g. "AcceptCase", or "GET /v1/cases/{id}"; not `act`, which RFC 8693 reserves
for a JSON actor object); `case_id` -> `case_id` (null or absent: no case); `digest` -> `digest`;
`iat`, `exp` -> `iat`, `exp` (integer epoch seconds); `jti` -> `jti` (a random nonce, at most 64
characters); `v` -> the header's `typ`. New: `iss` (who signed: the advisor id itself, or a command
signer's id) and the header's `kid` (which of the issuer's keys: the RFC 7638 JWK thumbprint of the
Ed25519 public key, `key_id`).

The v2 digest (`command_digest`) is the lowercase hex sha256 of the RFC 8785 (JCS) canonical JSON
of the command's fields except `auth`, as pydantic writes them (`model_dump(mode="json")`: every
field, defaults included, datetimes as ISO 8601 with "Z"), or of the HTTP request body. Any
language with a JCS library reproduces it.

Verification is strict: only `alg` EdDSA (no `none`, no HS256 with the public key as secret), `typ`
"caseflow-command+jwt", a `kid`, no `crit`, at most 4096 characters. If `iss` equals `sub` the key
must be one of that advisor's keys valid at the judged moment; otherwise `iss` must be a command
signer with a key valid at that moment, and the token then proves the advisor in `sub`.

Format v1 (retiring): `base64url(json claims) "." base64url(ed25519 signature over the first part)`
with claims `v` (1), `advisor_id`, `action`, `case_id`, `digest` (base64url sha256 of Python's
`json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=False)`), `iat`, `exp`, `jti`.
v1 tokens are verified as before while the judged moment is before `TokenPolicy.v1_accepted_until`
(1 July 2027, 00:00 UTC: accepted through 30 June 2027) and refused as `token_format_retired` from then
on. `issue_v1_token` remains for tests and for frontends still being migrated.

A token proves the advisor (or their signer) signed *this* command; whether the advisor may do it
(the case's current assignee) is the service's decision. Replay protection is the service's too: it
records the `jti` in its own database in the same transaction as the action (`claim_token_once`); a
second use raises `AuthError("token_replayed")`.

Example::

    private_key = Ed25519PrivateKey.generate()
    token = issue_token(private_key, advisor_id="adv-1", action="AcceptCase", case_id="c-1",
                        digest=command_digest({"issued_at": "..."}), now=now)
    keys = {"adv-1": [AdvisorKey("adv-1", private_key.public_key(), valid_from=now, valid_until=None)]}
    verified = verify_token(token, lambda advisor_id: keys.get(advisor_id, ()),
                            expected_action="AcceptCase", expected_case_id="c-1",
                            command_fields={"issued_at": "..."}, now=now)
    # inside the action's transaction:
    await claim_token_once(conn, used_tokens_table, verified, now)

For pydantic commands, `authorize_command(private_key, command, now=now)` fills in `auth` (with
`issuer="workbench"` when a command signer signs) and `verify_command(command, keys, now=now,
published_at=...)` checks it (digest over every field except `auth`).

The token policy (`TOKEN_POLICY`, one for every service and for the issuing CLI): a token lives
5 minutes by default and at most 15; clocks may differ by 30 seconds either way (for `iat` in the
future and for `exp` in the past). A command on `advisor.actions.v1` is judged at the moment it was
published, the Kafka record's timestamp (`published_at`), not when a service gets round to it: a
command that was valid when published is honoured after any queue delay up to `max_queue_delay`
(7 days), and one published after its token expired is refused. The moment judged is never later
than the service's own clock (a record stamped in the future gains nothing) and never earlier than
`max_queue_delay` before it (so a record whose timestamp a producer set far back is judged as if
published then, and its token is expired). Used token ids are kept `replay_window` after expiry,
so a token cannot be replayed inside the window in which it could still be judged valid.
HTTP requests have no queue: they are judged at the service's clock.

Reason codes (`AuthError.reason`): token_malformed (not a token of a known format: also a wrong
`alg`, `typ` or a missing `kid`), token_format_retired (a v1 token judged on or after
`v1_accepted_until`), signature_invalid (no valid key of the issuer with that `kid` signed it),
token_expired, token_not_yet_valid, token_lifetime_too_long, wrong_action, wrong_case,
command_mismatch, unknown_advisor (the advisor who signed has no key valid then), unknown_signer
(the command signer named in `iss` has no key valid then), advisor_mismatch, token_replayed.
`NOT_ASSIGNEE` is the one answer every service gives for a case the acting advisor may not act on,
whether or not it exists.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import jwt
import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pydantic import BaseModel
from sqlalchemy import Column, DateTime, Index, MetaData, String, Table, delete, select
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.db import insert_ignoring_duplicates

TOKEN_VERSION = 2  # the format issued: compact JWS, EdDSA
TOKEN_TYPE = "caseflow-command+jwt"  # the JWS header's `typ` (RFC 8725 explicit typing)
TOKEN_ALGORITHM = "EdDSA"
_V1 = 1
_MAX_TOKEN_CHARS = 4096
_B64URL = re.compile(r"[A-Za-z0-9_-]+")
# The answer to a command or request about a case the acting advisor may not act on: the same
# whether the case is someone else's, erased, not known yet, or does not exist (no oracle).
NOT_ASSIGNEE = "not_assignee"


class AuthError(Exception):
    """A token that does not prove what it must. `reason` is a stable code, safe to log and count."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class TokenPolicy:
    """Lifetimes, clock skew, the moment a token is judged at, and the v1 migration window (see
    the module docstring)."""

    default_ttl: timedelta = timedelta(minutes=5)
    # A token may not be valid for longer than this, whatever its issuer wrote into `exp`.
    max_lifetime: timedelta = timedelta(minutes=15)
    # Tolerated clock difference between the workbench and the service, both ways.
    clock_skew: timedelta = timedelta(seconds=30)
    # The longest a command may wait in its topic and still be judged at its publication.
    max_queue_delay: timedelta = timedelta(days=7)
    # v1 tokens (the home-made format) are verified while the judged moment is before this, and
    # refused as token_format_retired from then on: accepted through 30 June 2027 (UTC).
    v1_accepted_until: datetime = datetime(2027, 7, 1, tzinfo=UTC)

    @property
    def replay_window(self) -> timedelta:
        """How long after its expiry a used token id must still be remembered."""
        return self.max_queue_delay + self.clock_skew

    def check_lifetime(self, ttl: timedelta) -> None:
        """Refuse to issue a token that services would refuse (or that is never valid)."""
        if ttl.total_seconds() < 1:
            raise AuthError("token_lifetime_too_short")
        if ttl > self.max_lifetime:
            raise AuthError("token_lifetime_too_long")

    def judged_at(self, now: datetime, published_at: datetime | None = None) -> datetime:
        """The moment a token is judged at: its command's publication, bounded by now and the queue
        delay; `now` itself when there was no queue (HTTP) or the record carries no timestamp."""
        if published_at is None:
            return now
        return max(min(published_at, now), now - self.max_queue_delay)

    def check_format(self, claims: TokenClaims, at: datetime) -> None:
        if claims.version == _V1 and at >= self.v1_accepted_until:
            raise AuthError("token_format_retired")

    def check_times(self, claims: TokenClaims, at: datetime) -> None:
        if claims.expires_at - claims.issued_at > self.max_lifetime:
            raise AuthError("token_lifetime_too_long")
        if claims.issued_at > at + self.clock_skew:
            raise AuthError("token_not_yet_valid")
        if at >= claims.expires_at + self.clock_skew:
            raise AuthError("token_expired")


TOKEN_POLICY = TokenPolicy()
DEFAULT_TTL = TOKEN_POLICY.default_ttl
MAX_LIFETIME = TOKEN_POLICY.max_lifetime
CLOCK_SKEW = TOKEN_POLICY.clock_skew

# Answers to commands whose token did not prove their advisor carry no id the sender supplied:
# they go to this stream, caused by `unproven_cause(event id)` instead of the sender's event id.
UNPROVEN_STREAM = "unproven-commands"
_UNPROVEN_NAMESPACE = uuid.UUID("6b0f2f4e-3c8a-5d1e-9a57-0c1d2e3f4a5b")


def unproven_cause(message_id: str) -> str:
    """The causation id of the answer to an unproven command: a uuid5 of the command's event id.
    It holds none of the sender's bytes, yet a sender that knows its event id can find its answer."""
    return str(uuid.uuid5(_UNPROVEN_NAMESPACE, message_id))


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a command is not carried out. `proven`: the token proved the acting advisor first, so the
    answer may name the advisor and the case they signed for; otherwise it names nothing."""

    reason: str
    proven: bool


@dataclass(frozen=True, slots=True)
class AdvisorKey:
    """One registered public key of an advisor, valid from `valid_from` until `valid_until` (or open)."""

    advisor_id: str
    public_key: Ed25519PublicKey
    valid_from: datetime
    valid_until: datetime | None

    def valid_at(self, moment: datetime) -> bool:
        return self.valid_from <= moment and (self.valid_until is None or moment < self.valid_until)


@dataclass(frozen=True, slots=True)
class SignerKey:
    """One registered public key of a command signer (the workbench), which signs commands on behalf
    of the advisor signed in to it; valid from `valid_from` until `valid_until` (or open)."""

    signer_id: str
    public_key: Ed25519PublicKey
    valid_from: datetime
    valid_until: datetime | None

    def valid_at(self, moment: datetime) -> bool:
        return self.valid_from <= moment and (self.valid_until is None or moment < self.valid_until)


KeyLookup = Callable[[str], Iterable[AdvisorKey]]
SignerLookup = Callable[[str], Iterable[SignerKey]]


def no_signers(_signer_id: str) -> Iterable[SignerKey]:
    return ()


@dataclass(frozen=True, slots=True)
class TokenClaims:
    advisor_id: str  # v2 `sub`
    action: str
    case_id: str | None
    digest: str
    issued_at: datetime
    expires_at: datetime
    jti: str
    issuer: str  # v2 `iss`: the advisor id itself, or a command signer's id; v1: the advisor id
    version: int = TOKEN_VERSION
    key_id: str | None = None  # v2 header `kid`

    @property
    def signed_by_signer(self) -> bool:
        return self.version != _V1 and self.issuer != self.advisor_id


VerifiedToken = TokenClaims  # what verify_token returns: claims whose signature checked out


# -- encoding helpers ---------------------------------------------------------------------------


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64url(text: str) -> bytes:
    if not _B64URL.fullmatch(text):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def public_key_to_b64(key: Ed25519PublicKey) -> str:
    """The raw 32-byte public key as standard base64 (the form `AdvisorKeyRegistered` carries)."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode("ascii")


def public_key_from_b64(text: str) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(base64.b64decode(text))


def key_id(key: Ed25519PublicKey) -> str:
    """The key's `kid`: its RFC 7638 JWK thumbprint (base64url sha256 of {"crv","kty","x"})."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    jwk = {"crv": "Ed25519", "kty": "OKP", "x": _b64url(raw)}
    return _b64url(hashlib.sha256(json.dumps(jwk, separators=(",", ":"), sort_keys=True).encode()).digest())


def private_key_to_pem(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def private_key_from_pem(pem: bytes) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise TypeError("not an Ed25519 private key")
    return key


def command_digest(fields: Mapping[str, Any]) -> str:
    """The v2 digest: lowercase hex sha256 of the RFC 8785 (JCS) canonical JSON of a command's
    fields; `auth` is never part of it.

    Values must be JSON-ready (pydantic's `model_dump(mode="json")`); `digest_of` does that.
    """
    document = {k: v for k, v in fields.items() if k != "auth"}
    try:
        canonical = rfc8785.dumps(document)
    except rfc8785.CanonicalizationError:
        raise AuthError("command_mismatch") from None  # e.g. an integer beyond 2**53: no JCS form
    return hashlib.sha256(canonical).hexdigest()


def command_digest_v1(fields: Mapping[str, Any]) -> str:
    """The v1 digest (retiring): sha256 (base64url) of Python's sorted, compact `json.dumps`."""
    document = {k: v for k, v in fields.items() if k != "auth"}
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return _b64url(hashlib.sha256(canonical.encode()).digest())


def digest_fields(command: BaseModel) -> dict[str, Any]:
    """What the digest of a pydantic command covers: every field but `auth`, in JSON form."""
    return command.model_dump(mode="json", exclude={"auth"})


def digest_of(command: BaseModel) -> str:
    """The (v2) digest of a pydantic command: every field but `auth`, in JSON form."""
    return command_digest(digest_fields(command))


def digest_for(claims: TokenClaims, fields: Mapping[str, Any]) -> str:
    """The digest `fields` must have for a token of `claims`'s format."""
    return command_digest_v1(fields) if claims.version == _V1 else command_digest(fields)


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def _from_epoch(value: int) -> datetime:
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        raise AuthError("token_malformed") from None


# -- issue --------------------------------------------------------------------------------------


def issue_token(
    private_key: Ed25519PrivateKey,
    *,
    advisor_id: str,
    action: str,
    case_id: str | None,
    digest: str,
    now: datetime,
    ttl: timedelta = DEFAULT_TTL,
    jti: str | None = None,
    issuer: str | None = None,
) -> str:
    """Sign a v2 token (compact JWS, EdDSA) for one action by `advisor_id`; `issuer` is the
    command signer's id when a signer (the workbench) signs for the advisor, else the advisor.

    Raises AuthError("token_lifetime_too_long" / "token_lifetime_too_short") for a `ttl` that every
    service would refuse: nothing is issued that cannot be used."""
    TOKEN_POLICY.check_lifetime(ttl)
    claims = {
        "iss": issuer or advisor_id,
        "sub": advisor_id,
        "action": action,
        "case_id": case_id,
        "digest": digest,
        "iat": _epoch(now),
        "exp": _epoch(now + ttl),
        "jti": jti or secrets.token_urlsafe(16),
    }
    headers = {"typ": TOKEN_TYPE, "kid": key_id(private_key.public_key())}
    return jwt.encode(claims, private_key, algorithm=TOKEN_ALGORITHM, headers=headers)


def issue_v1_token(
    private_key: Ed25519PrivateKey,
    *,
    advisor_id: str,
    action: str,
    case_id: str | None,
    digest: str,
    now: datetime,
    ttl: timedelta = DEFAULT_TTL,
    jti: str | None = None,
) -> str:
    """Sign a token in the retiring v1 format (`digest` from `command_digest_v1`); services accept
    it until `TokenPolicy.v1_accepted_until`."""
    TOKEN_POLICY.check_lifetime(ttl)
    claims = {
        "v": _V1,
        "advisor_id": advisor_id,
        "action": action,
        "case_id": case_id,
        "digest": digest,
        "iat": _epoch(now),
        "exp": _epoch(now + ttl),
        "jti": jti or secrets.token_urlsafe(16),
    }
    head = _b64url(json.dumps(claims, sort_keys=True, separators=(",", ":")).encode())
    return f"{head}.{_b64url(private_key.sign(head.encode('ascii')))}"


# -- read (unverified) --------------------------------------------------------------------------


def _json_object(part: str) -> dict[str, Any]:
    try:
        doc = json.loads(_unb64url(part))
    except ValueError:
        raise AuthError("token_malformed") from None
    if not isinstance(doc, dict):
        raise AuthError("token_malformed")
    return doc


def _is_text(value: Any, longest: int = 200) -> bool:
    return isinstance(value, str) and 0 < len(value) <= longest


def _check_claim_types(doc: Mapping[str, Any], strings: tuple[str, ...]) -> None:
    if not all(_is_text(doc.get(k)) for k in strings) or not _is_text(doc.get("jti"), 64):
        raise AuthError("token_malformed")
    if not (doc.get("case_id") is None or isinstance(doc.get("case_id"), str)):
        raise AuthError("token_malformed")
    if not all(type(doc.get(k)) is int for k in ("iat", "exp")):
        raise AuthError("token_malformed")


def _peek_v1(token: str) -> TokenClaims:
    head, _sig = token.split(".")
    doc = _json_object(head)
    if doc.get("v") != _V1:
        raise AuthError("token_malformed")
    _check_claim_types(doc, ("advisor_id", "action", "digest"))
    return TokenClaims(
        advisor_id=doc["advisor_id"],
        action=doc["action"],
        case_id=doc.get("case_id"),
        digest=doc["digest"],
        issued_at=_from_epoch(doc["iat"]),
        expires_at=_from_epoch(doc["exp"]),
        jti=doc["jti"],
        issuer=doc["advisor_id"],
        version=_V1,
    )


def _typ_is_ours(typ: Any) -> bool:
    """RFC 7515 4.1.9: media types compare case-insensitively, "application/" may be left out."""
    return isinstance(typ, str) and typ.lower().removeprefix("application/") == TOKEN_TYPE


def _peek_v2(token: str) -> TokenClaims:
    header_part, payload_part, signature_part = token.split(".")
    header = _json_object(header_part)
    if header.get("alg") != TOKEN_ALGORITHM or not _typ_is_ours(header.get("typ")):
        raise AuthError("token_malformed")
    if not _is_text(header.get("kid"), 128) or "crit" in header or not _B64URL.fullmatch(signature_part):
        raise AuthError("token_malformed")
    doc = _json_object(payload_part)
    _check_claim_types(doc, ("iss", "sub", "action", "digest"))
    return TokenClaims(
        advisor_id=doc["sub"],
        action=doc["action"],
        case_id=doc.get("case_id"),
        digest=doc["digest"],
        issued_at=_from_epoch(doc["iat"]),
        expires_at=_from_epoch(doc["exp"]),
        jti=doc["jti"],
        issuer=doc["iss"],
        version=TOKEN_VERSION,
        key_id=header["kid"],
    )


def peek_claims(token: str) -> TokenClaims:
    """The claims WITHOUT checking the signature: only to find whose keys to load for verify_token."""
    if not isinstance(token, str) or len(token) > _MAX_TOKEN_CHARS:
        raise AuthError("token_malformed")
    dots = token.count(".")
    if dots == 2:
        return _peek_v2(token)
    if dots == 1:
        return _peek_v1(token)
    raise AuthError("token_malformed")


# -- verify -------------------------------------------------------------------------------------


def _verify_v1_signature(token: str, keys: list[AdvisorKey]) -> None:
    head, sig_text = token.split(".")
    try:
        signature = _unb64url(sig_text)
    except ValueError:
        raise AuthError("token_malformed") from None
    for key in keys:
        try:
            key.public_key.verify(signature, head.encode("ascii"))
            return
        except InvalidSignature:
            continue
    raise AuthError("signature_invalid")


def _verify_v2_signature(token: str, claims: TokenClaims, keys: Iterable[Ed25519PublicKey]) -> None:
    """PyJWT checks the signature, with EdDSA the only algorithm allowed; the claims are ours."""
    named = [k for k in keys if key_id(k) == claims.key_id]
    if not named:
        raise AuthError("signature_invalid")
    for key in named:
        try:
            jwt.api_jws.decode_complete(token, key, algorithms=[TOKEN_ALGORITHM])
            return
        except jwt.InvalidSignatureError:
            continue
        except jwt.PyJWTError:
            raise AuthError("token_malformed") from None
    raise AuthError("signature_invalid")


def _check_signature(
    token: str, claims: TokenClaims, public_keys: KeyLookup, signer_keys: SignerLookup, at: datetime
) -> None:
    if claims.signed_by_signer:
        signers = [k for k in signer_keys(claims.issuer) if k.signer_id == claims.issuer and k.valid_at(at)]
        if not signers:
            raise AuthError("unknown_signer")
        _verify_v2_signature(token, claims, (k.public_key for k in signers))
        return
    advisor = claims.advisor_id
    keys = [k for k in public_keys(advisor) if k.advisor_id == advisor and k.valid_at(at)]
    if not keys:
        raise AuthError("unknown_advisor")
    if claims.version == _V1:
        _verify_v1_signature(token, keys)
    else:
        _verify_v2_signature(token, claims, (k.public_key for k in keys))


def verify_token(
    token: str,
    public_keys: KeyLookup,
    *,
    expected_action: str,
    expected_case_id: str | None,
    now: datetime,
    command_fields: Mapping[str, Any] | None = None,
    command_digest: str | None = None,
    expected_advisor_id: str | None = None,
    published_at: datetime | None = None,
    policy: TokenPolicy = TOKEN_POLICY,
    signer_keys: SignerLookup = no_signers,
) -> VerifiedToken:
    """Check format, signature, lifetime and binding of a token; return its claims or raise AuthError.

    The token is bound to `command_fields` (the digest is computed in the token's own format), or to
    a ready `command_digest` (compared as it is: the caller knows the format). The token is judged at
    `policy.judged_at(now, published_at)`: for a command, `published_at` is its Kafka record's
    timestamp, so a wait in the topic does not expire it. `public_keys(advisor_id)` yields the
    advisor's registered keys, `signer_keys(signer_id)` a command signer's; one valid at that moment
    must have signed the token. Checks run from the cheapest to the most specific, and the signature
    before any claim is trusted.
    """
    if (command_fields is None) == (command_digest is None):
        raise TypeError("give exactly one of command_fields and command_digest")
    at = policy.judged_at(now, published_at)
    claims = peek_claims(token)
    policy.check_format(claims, at)
    _check_signature(token, claims, public_keys, signer_keys, at)
    policy.check_times(claims, at)
    if expected_advisor_id is not None and claims.advisor_id != expected_advisor_id:
        raise AuthError("advisor_mismatch")
    if claims.action != expected_action:
        raise AuthError("wrong_action")
    if claims.case_id != expected_case_id:
        raise AuthError("wrong_case")
    expected = command_digest if command_digest is not None else digest_for(claims, command_fields or {})
    if not secrets.compare_digest(claims.digest.encode(), expected.encode()):
        raise AuthError("command_mismatch")
    return claims


C = TypeVar("C", bound=BaseModel)


def authorize_command(
    private_key: Ed25519PrivateKey,
    command: C,
    *,
    now: datetime,
    ttl: timedelta = DEFAULT_TTL,
    issuer: str | None = None,
    jti: str | None = None,
) -> C:
    """A copy of `command` (an advisor-action payload) with `auth` set to a fresh v2 token, signed
    by the advisor's key, or by a command signer's key with `issuer` its signer id; `jti` random
    unless given (a seeded simulator chooses its own)."""
    fields = command.model_dump(mode="json")
    token = issue_token(
        private_key,
        advisor_id=fields["advisor_id"],
        action=str(getattr(command, "EVENT_TYPE", "")),
        case_id=fields.get("case_id"),
        digest=digest_of(command),
        now=now,
        ttl=ttl,
        issuer=issuer,
        jti=jti,
    )
    return command.model_copy(update={"auth": token})


def verify_command(
    command: BaseModel,
    public_keys: KeyLookup,
    *,
    now: datetime,
    published_at: datetime | None = None,
    signer_keys: SignerLookup = no_signers,
    policy: TokenPolicy = TOKEN_POLICY,
) -> VerifiedToken:
    """verify_token for an advisor-action payload: its type, case, advisor and other fields,
    judged at `published_at` (the record's broker timestamp) within the token policy."""
    fields = command.model_dump(mode="json")
    return verify_token(
        str(fields.get("auth", "")),
        public_keys,
        expected_action=str(getattr(command, "EVENT_TYPE", "")),
        expected_case_id=fields.get("case_id"),
        command_fields=digest_fields(command),
        now=now,
        expected_advisor_id=fields.get("advisor_id"),
        published_at=published_at,
        signer_keys=signer_keys,
        policy=policy,
    )


# -- storage: registered keys and used token ids, in the verifying service's own database --------

COMMAND_SIGNERS_TABLE = "command_signers"


def define_auth_tables(metadata: MetaData) -> tuple[Table, Table]:
    """(advisor_keys, used_tokens) tables for a service that verifies advisor tokens; the
    `command_signers` table is defined in the same metadata (`command_signers_table`)."""
    advisor_keys = Table(
        "advisor_keys",
        metadata,
        Column("advisor_id", String(64), primary_key=True),
        Column("public_key_b64", String(64), primary_key=True),
        Column("valid_from", DateTime(timezone=True), nullable=False),
        Column("valid_until", DateTime(timezone=True), nullable=True),
    )
    used_tokens = Table(
        "used_tokens",
        metadata,
        Column("jti", String(64), primary_key=True),
        Column("advisor_id", String(64), nullable=False),
        Column("expires_at", DateTime(timezone=True), nullable=False),
        Column("used_at", DateTime(timezone=True), nullable=False),
        Index("ix_used_tokens_expires", "expires_at"),
    )
    Table(
        COMMAND_SIGNERS_TABLE,
        metadata,
        Column("signer_id", String(64), primary_key=True),
        Column("public_key_b64", String(64), primary_key=True),
        Column("valid_from", DateTime(timezone=True), nullable=False),
        Column("valid_until", DateTime(timezone=True), nullable=True),
    )
    return advisor_keys, used_tokens


def command_signers_table(metadata: MetaData) -> Table:
    """The command signers' keys, defined by `define_auth_tables` in the same metadata."""
    return metadata.tables[COMMAND_SIGNERS_TABLE]


async def _record_key(
    conn: AsyncConnection,
    table: Table,
    owner_column: str,
    owner: str,
    public_key_b64: str,
    valid_from: datetime,
    valid_until: datetime | None,
) -> None:
    public_key_from_b64(public_key_b64)  # refuse garbage before it is stored
    inserted = await conn.execute(
        insert_ignoring_duplicates(conn, table, [owner_column, "public_key_b64"]).values(
            {
                owner_column: owner,
                "public_key_b64": public_key_b64,
                "valid_from": valid_from,
                "valid_until": valid_until,
            }
        )
    )
    if not inserted.rowcount:
        await conn.execute(
            table.update()
            .where(table.c[owner_column] == owner, table.c.public_key_b64 == public_key_b64)
            .values(valid_from=valid_from, valid_until=valid_until)
        )


async def record_advisor_key(
    conn: AsyncConnection,
    advisor_keys: Table,
    *,
    advisor_id: str,
    public_key_b64: str,
    valid_from: datetime,
    valid_until: datetime | None,
) -> None:
    """Insert or update one key (a later registration of the same key may set `valid_until`)."""
    await _record_key(conn, advisor_keys, "advisor_id", advisor_id, public_key_b64, valid_from, valid_until)


async def record_signer_key(
    conn: AsyncConnection,
    command_signers: Table,
    *,
    signer_id: str,
    public_key_b64: str,
    valid_from: datetime,
    valid_until: datetime | None,
) -> None:
    """Insert or update one command signer's key (registering it again may set `valid_until`)."""
    await _record_key(conn, command_signers, "signer_id", signer_id, public_key_b64, valid_from, valid_until)


async def advisor_keys_of(conn: AsyncConnection, advisor_keys: Table, advisor_id: str) -> list[AdvisorKey]:
    rows = await conn.execute(select(advisor_keys).where(advisor_keys.c.advisor_id == advisor_id))
    return [
        AdvisorKey(
            r.advisor_id,
            public_key_from_b64(r.public_key_b64),
            _aware(r.valid_from),
            _opt_aware(r.valid_until),
        )
        for r in rows
    ]


async def signer_keys_of(conn: AsyncConnection, command_signers: Table, signer_id: str) -> list[SignerKey]:
    rows = await conn.execute(select(command_signers).where(command_signers.c.signer_id == signer_id))
    return [
        SignerKey(
            r.signer_id,
            public_key_from_b64(r.public_key_b64),
            _aware(r.valid_from),
            _opt_aware(r.valid_until),
        )
        for r in rows
    ]


async def verify_with_stored_keys(
    conn: AsyncConnection, advisor_keys: Table, token: str, **verify_args: Any
) -> VerifiedToken:
    """verify_token with the keys the token's issuer needs, loaded from `advisor_keys` (and the
    `command_signers` table of the same metadata, for a token a command signer signed)."""
    claims = peek_claims(token)
    keys, signers = await stored_keys_for(
        conn, advisor_keys, command_signers_table(advisor_keys.metadata), claims
    )
    return verify_token(token, lambda _advisor: keys, signer_keys=lambda _signer: signers, **verify_args)


async def stored_keys_for(
    conn: AsyncConnection, advisor_keys: Table, command_signers: Table, claims: TokenClaims
) -> tuple[list[AdvisorKey], list[SignerKey]]:
    """The stored keys that can prove `claims`: the signer's if a command signer signed, else the advisor's."""
    if claims.signed_by_signer:
        return [], await signer_keys_of(conn, command_signers, claims.issuer)
    return await advisor_keys_of(conn, advisor_keys, claims.advisor_id), []


async def claim_token_once(
    conn: AsyncConnection, used_tokens: Table, token: VerifiedToken, now: datetime
) -> None:
    """Record the token's jti in the caller's transaction; raise token_replayed if it was used."""
    result = await conn.execute(
        insert_ignoring_duplicates(conn, used_tokens, ["jti"]).values(
            jti=token.jti,
            advisor_id=token.advisor_id,
            expires_at=token.expires_at,
            used_at=now,
        )
    )
    if not result.rowcount:
        raise AuthError("token_replayed")


async def forget_expired_tokens(
    conn: AsyncConnection, used_tokens: Table, now: datetime, keep: timedelta
) -> int:
    """Drop jtis of tokens expired longer than `keep` ago (an expired token is refused anyway)."""
    result = await conn.execute(delete(used_tokens).where(used_tokens.c.expires_at < now - keep))
    return int(result.rowcount or 0)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _opt_aware(moment: datetime | None) -> datetime | None:
    return None if moment is None else _aware(moment)
