"""Signed advisor tokens: who is acting, for which action on which case, verifiable offline.

Every advisor command (on `advisor.actions.v1`) and every case-file request carries a token that
the advisor's workbench signs with the advisor's own Ed25519 private key. Services verify it with
the advisor's public key from the directory (`AdvisorKeyRegistered` on `directory.v1`); no call
to an identity service is needed.

Format (compact, two base64url parts without padding)::

    base64url(json claims) "." base64url(ed25519 signature over the first part)

Claims: `v` (format version, 1), `advisor_id`, `action` (the command's event type, e.g.
"AcceptCase", or an HTTP action such as "GET /v1/cases/{id}"), `case_id` (or null), `digest`
(sha256 of the command's other fields, so a token cannot be reused for another command), `iat`
and `exp` (epoch seconds; short-lived, 5 minutes by default), `jti` (a random nonce).

A token proves the advisor signed *this* command; whether the advisor may do it (the case's
current assignee) is the service's decision. Replay protection is the service's too: it records
the `jti` in its own database in the same transaction as the action (`claim_token_once`); a second
use raises `AuthError("token_replayed")`.

Example::

    private_key = Ed25519PrivateKey.generate()
    token = issue_token(private_key, advisor_id="adv-1", action="AcceptCase", case_id="c-1",
                        digest=command_digest({"issued_at": "..."}), now=now)
    keys = {"adv-1": [AdvisorKey("adv-1", private_key.public_key(), valid_from=now, valid_until=None)]}
    verified = verify_token(token, lambda advisor_id: keys.get(advisor_id, ()),
                            expected_action="AcceptCase", expected_case_id="c-1",
                            command_digest=command_digest({"issued_at": "..."}), now=now)
    # inside the action's transaction:
    await claim_token_once(conn, used_tokens_table, verified, now)

For pydantic commands, `authorize_command(private_key, command, now=now)` fills in `auth` and
`verify_command(command, keys, now=now, published_at=...)` checks it (digest over every field
except `auth`).

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

Reason codes (`AuthError.reason`): token_malformed, signature_invalid, token_expired,
token_not_yet_valid, token_lifetime_too_long, wrong_action, wrong_case, command_mismatch,
unknown_advisor, advisor_mismatch, token_replayed. `NOT_ASSIGNEE` is the one answer every service
gives for a case the acting advisor may not act on, whether or not it exists.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pydantic import BaseModel
from sqlalchemy import Column, DateTime, Index, MetaData, String, Table, delete, select
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.db import insert_ignoring_duplicates

TOKEN_VERSION = 1
_MAX_TOKEN_CHARS = 4096
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
    """Lifetimes, clock skew and the moment a token is judged at (see the module docstring)."""

    default_ttl: timedelta = timedelta(minutes=5)
    # A token may not be valid for longer than this, whatever its issuer wrote into `exp`.
    max_lifetime: timedelta = timedelta(minutes=15)
    # Tolerated clock difference between the workbench and the service, both ways.
    clock_skew: timedelta = timedelta(seconds=30)
    # The longest a command may wait in its topic and still be judged at its publication.
    max_queue_delay: timedelta = timedelta(days=7)

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


KeyLookup = Callable[[str], Iterable[AdvisorKey]]


@dataclass(frozen=True, slots=True)
class TokenClaims:
    advisor_id: str
    action: str
    case_id: str | None
    digest: str
    issued_at: datetime
    expires_at: datetime
    jti: str


VerifiedToken = TokenClaims  # what verify_token returns: claims whose signature checked out


# -- encoding helpers ---------------------------------------------------------------------------


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def public_key_to_b64(key: Ed25519PublicKey) -> str:
    """The raw 32-byte public key as standard base64 (the form `AdvisorKeyRegistered` carries)."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode("ascii")


def public_key_from_b64(text: str) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(base64.b64decode(text))


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
    """sha256 (base64url) of canonical JSON of a command's fields; `auth` is never part of it.

    Values must be JSON-ready (pydantic's `model_dump(mode="json")`); `digest_of` does that.
    """
    document = {k: v for k, v in fields.items() if k != "auth"}
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return _b64url(hashlib.sha256(canonical.encode()).digest())


def digest_of(command: BaseModel) -> str:
    """The digest of a pydantic command: every field but `auth`, in JSON form."""
    return command_digest(command.model_dump(mode="json", exclude={"auth"}))


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def _from_epoch(value: int) -> datetime:
    return datetime.fromtimestamp(value, UTC)


# -- issue and verify ---------------------------------------------------------------------------


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
) -> str:
    """Sign a token for one action by `advisor_id` (see the module docstring for the format).

    Raises AuthError("token_lifetime_too_long" / "token_lifetime_too_short") for a `ttl` that every
    service would refuse: nothing is issued that cannot be used."""
    TOKEN_POLICY.check_lifetime(ttl)
    claims = {
        "v": TOKEN_VERSION,
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


def peek_claims(token: str) -> TokenClaims:
    """The claims WITHOUT checking the signature: only to find whose keys to load for verify_token."""
    if not isinstance(token, str) or len(token) > _MAX_TOKEN_CHARS or token.count(".") != 1:
        raise AuthError("token_malformed")
    head, _sig = token.split(".")
    try:
        doc = json.loads(_unb64url(head))
    except ValueError:
        raise AuthError("token_malformed") from None
    if not isinstance(doc, dict) or doc.get("v") != TOKEN_VERSION:
        raise AuthError("token_malformed")
    strings = ("advisor_id", "action", "digest", "jti")
    if not all(isinstance(doc.get(k), str) and 0 < len(doc[k]) <= 200 for k in strings):
        raise AuthError("token_malformed")
    if len(doc["jti"]) > 64:
        raise AuthError("token_malformed")
    if not (doc.get("case_id") is None or isinstance(doc.get("case_id"), str)):
        raise AuthError("token_malformed")
    if not all(type(doc.get(k)) is int for k in ("iat", "exp")):
        raise AuthError("token_malformed")
    return TokenClaims(
        advisor_id=doc["advisor_id"],
        action=doc["action"],
        case_id=doc["case_id"],
        digest=doc["digest"],
        issued_at=_from_epoch(doc["iat"]),
        expires_at=_from_epoch(doc["exp"]),
        jti=doc["jti"],
    )


def verify_token(
    token: str,
    public_keys: KeyLookup,
    *,
    expected_action: str,
    expected_case_id: str | None,
    command_digest: str,
    now: datetime,
    expected_advisor_id: str | None = None,
    published_at: datetime | None = None,
    policy: TokenPolicy = TOKEN_POLICY,
) -> VerifiedToken:
    """Check signature, lifetime and binding of a token; return its claims or raise AuthError.

    The token is judged at `policy.judged_at(now, published_at)`: for a command, `published_at` is
    its Kafka record's timestamp, so a wait in the topic does not expire it. `public_keys(advisor_id)`
    yields the advisor's registered keys; one valid at that moment must have signed the token.
    Checks run from the cheapest to the most specific, and the signature before any claim is trusted.
    """
    at = policy.judged_at(now, published_at)
    claims = peek_claims(token)
    head, sig_text = token.split(".")
    try:
        signature = _unb64url(sig_text)
    except ValueError:
        raise AuthError("token_malformed") from None
    keys = [k for k in public_keys(claims.advisor_id) if k.advisor_id == claims.advisor_id and k.valid_at(at)]
    if not keys:
        raise AuthError("unknown_advisor")
    for key in keys:
        try:
            key.public_key.verify(signature, head.encode("ascii"))
            break
        except InvalidSignature:
            continue
    else:
        raise AuthError("signature_invalid")
    policy.check_times(claims, at)
    if expected_advisor_id is not None and claims.advisor_id != expected_advisor_id:
        raise AuthError("advisor_mismatch")
    if claims.action != expected_action:
        raise AuthError("wrong_action")
    if claims.case_id != expected_case_id:
        raise AuthError("wrong_case")
    if not secrets.compare_digest(claims.digest, command_digest):
        raise AuthError("command_mismatch")
    return claims


C = TypeVar("C", bound=BaseModel)


def authorize_command(
    private_key: Ed25519PrivateKey, command: C, *, now: datetime, ttl: timedelta = DEFAULT_TTL
) -> C:
    """A copy of `command` (an advisor-action payload) with `auth` set to a fresh token."""
    fields = command.model_dump(mode="json")
    token = issue_token(
        private_key,
        advisor_id=fields["advisor_id"],
        action=str(getattr(command, "EVENT_TYPE", "")),
        case_id=fields.get("case_id"),
        digest=digest_of(command),
        now=now,
        ttl=ttl,
    )
    return command.model_copy(update={"auth": token})


def verify_command(
    command: BaseModel, public_keys: KeyLookup, *, now: datetime, published_at: datetime | None = None
) -> VerifiedToken:
    """verify_token for an advisor-action payload: its type, case, advisor and other fields,
    judged at `published_at` (the record's broker timestamp) within the token policy."""
    fields = command.model_dump(mode="json")
    return verify_token(
        str(fields.get("auth", "")),
        public_keys,
        expected_action=str(getattr(command, "EVENT_TYPE", "")),
        expected_case_id=fields.get("case_id"),
        command_digest=digest_of(command),
        now=now,
        expected_advisor_id=fields.get("advisor_id"),
        published_at=published_at,
    )


# -- storage: registered keys and used token ids, in the verifying service's own database --------


def define_auth_tables(metadata: MetaData) -> tuple[Table, Table]:
    """(advisor_keys, used_tokens) tables for a service that verifies advisor tokens."""
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
    return advisor_keys, used_tokens


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
    public_key_from_b64(public_key_b64)  # refuse garbage before it is stored
    inserted = await conn.execute(
        insert_ignoring_duplicates(conn, advisor_keys, ["advisor_id", "public_key_b64"]).values(
            advisor_id=advisor_id,
            public_key_b64=public_key_b64,
            valid_from=valid_from,
            valid_until=valid_until,
        )
    )
    if not inserted.rowcount:
        await conn.execute(
            advisor_keys.update()
            .where(advisor_keys.c.advisor_id == advisor_id, advisor_keys.c.public_key_b64 == public_key_b64)
            .values(valid_from=valid_from, valid_until=valid_until)
        )


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


async def verify_with_stored_keys(
    conn: AsyncConnection, advisor_keys: Table, token: str, **verify_args: Any
) -> VerifiedToken:
    """verify_token with the keys of the token's advisor loaded from `advisor_keys`."""
    advisor_id = peek_claims(token).advisor_id
    keys = await advisor_keys_of(conn, advisor_keys, advisor_id)
    return verify_token(token, lambda _advisor: keys, **verify_args)


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
