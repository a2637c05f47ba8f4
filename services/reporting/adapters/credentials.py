"""Verified role credentials for reporting's views: `Authorization: Bearer <JWT>`, checked with PyJWT.

The identity provider (an OpenID Connect provider such as Keycloak, or anything that signs JWTs with
an asymmetric key) vouches for the caller's role and subject; reporting only verifies. The key is
either one configured public key (PEM text, a PEM file, or a PEM certificate) or the provider's JWKS
URL (Keycloak: `https://<host>/realms/<realm>/protocol/openid-connect/certs`), fetched through
PyJWT's `PyJWKClient` and cached. Only EdDSA, ES256 and RS256 are accepted, each bound to the type
of the key: `none` and HS* never verify (a public key used as an HMAC secret is the classic forgery).

Checked: the signature, `exp` and `iat` (required) and `nbf` (when present) with a small leeway,
and `iss` and `aud` when configured (settings.py requires both as soon as a key is configured).
Claims mapping (docs/reporting.md, "Roles and views"):

- roles: `realm_access.roles` (Keycloak's realm roles) and/or a top-level `roles` list; of these,
  exactly one of the reporting roles management, hr, coordinator, advisor (two are ambiguous);
- subject: claim `caseflow_org` (organisation id) for management, hr and coordinator, claim
  `caseflow_advisor` (advisor id) for advisor (both names configurable).

A refusal carries a reason code only. The token and its claims are never logged or echoed; the log
gets the reason code.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jwt
import structlog
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from services.reporting.domain.roles import Refusal, Role

if TYPE_CHECKING:
    from services.reporting.settings import ReportingSettings

log = structlog.get_logger(__name__)

ALLOWED_ALGORITHMS: tuple[str, ...] = ("EdDSA", "ES256", "RS256")
MIN_RSA_BITS = 2048
MAX_TOKEN_CHARS = 8192  # a realm token with many roles is a few KiB; anything larger is not ours
MAX_SUBJECT_CHARS = 200
DEFAULT_LEEWAY_SECONDS = 30.0

PublicKey = ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey | rsa.RSAPublicKey

# 401: no usable credential (send a fresh one); 403: a genuine credential that does not grant a view;
# 503: reporting cannot verify credentials right now (operators: configuration or the provider).
MISSING = Refusal(401, "credential_missing")
MALFORMED = Refusal(401, "credential_malformed")
EXPIRED = Refusal(401, "credential_expired")
NOT_YET_VALID = Refusal(401, "credential_not_yet_valid")
SIGNATURE_INVALID = Refusal(401, "credential_signature_invalid")
ISSUER_OR_AUDIENCE_WRONG = Refusal(401, "credential_issuer_or_audience_wrong")
NO_REPORTING_ROLE = Refusal(403, "credential_has_no_reporting_role")
ROLE_AMBIGUOUS = Refusal(403, "credential_role_ambiguous")
SUBJECT_MISSING = Refusal(403, "credential_subject_missing")
KEYS_UNAVAILABLE = Refusal(503, "credential_keys_unavailable")
NOT_CONFIGURED = Refusal(503, "role_credentials_not_configured")

_ROLE_VALUES = frozenset(r.value for r in Role)


@dataclass(frozen=True)
class Credential:
    """What a verified token grants. `user` (`sub`) and `token_id` (`jti`) are the provider's ids."""

    role: Role
    subject: str  # organisation id (management, hr, coordinator) or advisor id (advisor)
    user: str | None = None
    token_id: str | None = None


class CredentialConfigError(ValueError):
    """The configured verification key cannot be used (settings, not a caller's mistake)."""


def algorithms_for_key(key: PublicKey) -> tuple[str, ...]:
    """The one algorithm each key type verifies: the token's `alg` header chooses nothing else."""
    if isinstance(key, ed25519.Ed25519PublicKey):
        return ("EdDSA",)
    if isinstance(key, ec.EllipticCurvePublicKey):
        if isinstance(key.curve, ec.SECP256R1):
            return ("ES256",)
        raise CredentialConfigError("an EC public key must be on P-256 (ES256)")
    if isinstance(key, rsa.RSAPublicKey):
        if key.key_size < MIN_RSA_BITS:
            raise CredentialConfigError(f"an RSA public key needs at least {MIN_RSA_BITS} bits")
        return ("RS256",)
    raise CredentialConfigError("the public key must be Ed25519, EC P-256 or RSA")


def load_public_key(pem_or_path: str) -> PublicKey:
    """A PEM public key or certificate, given inline or as the path of a PEM file."""
    text = pem_or_path.strip()
    if not text.startswith("-----BEGIN"):
        try:
            text = Path(text).read_text(encoding="ascii").strip()
        except (OSError, UnicodeDecodeError) as error:
            raise CredentialConfigError("the role credential public key file cannot be read") from error
    data = text.encode("ascii")
    try:
        if text.startswith("-----BEGIN CERTIFICATE-----"):
            key: Any = x509.load_pem_x509_certificate(data).public_key()
        else:
            key = load_pem_public_key(data)
    except ValueError as error:
        raise CredentialConfigError("the role credential public key is not a PEM public key") from error
    if not isinstance(key, ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey | rsa.RSAPublicKey):
        raise CredentialConfigError("the public key must be Ed25519, EC P-256 or RSA")
    algorithms_for_key(key)
    return key


class CredentialVerifier:
    """Turns an `Authorization` header into a Credential or a Refusal. Exactly one key source."""

    def __init__(
        self,
        *,
        public_key: PublicKey | None = None,
        jwks_client: jwt.PyJWKClient | None = None,
        issuer: str | None = None,
        audience: str | None = None,
        algorithms: Sequence[str] = ALLOWED_ALGORITHMS,
        leeway_seconds: float = DEFAULT_LEEWAY_SECONDS,
        claim_org: str = "caseflow_org",
        claim_advisor: str = "caseflow_advisor",
    ) -> None:
        if (public_key is None) == (jwks_client is None):
            raise CredentialConfigError("configure exactly one of a public key and a JWKS URL")
        unknown = set(algorithms) - set(ALLOWED_ALGORITHMS)
        if unknown or not algorithms:
            raise CredentialConfigError(f"allowed algorithms are {', '.join(ALLOWED_ALGORITHMS)}")
        allowed = tuple(a for a in ALLOWED_ALGORITHMS if a in algorithms)
        if public_key is not None:
            allowed = tuple(a for a in algorithms_for_key(public_key) if a in allowed)
            if not allowed:
                raise CredentialConfigError("the public key's algorithm is not among the allowed ones")
        if not claim_org or not claim_advisor:
            raise CredentialConfigError("the subject claim names must not be empty")
        self._public_key = public_key
        self._jwks = jwks_client
        self._issuer = issuer or None
        self._audience = audience or None
        self._algorithms = list(allowed)
        self._leeway = leeway_seconds
        self._claim_org = claim_org
        self._claim_advisor = claim_advisor

    @property
    def uses_jwks(self) -> bool:
        return self._jwks is not None

    async def verify_request(self, authorization: str | None) -> Credential | Refusal:
        """For the event loop: a JWKS fetch (cache miss, key rotation) blocks, so it runs in a thread."""
        if self._jwks is not None:
            return await asyncio.to_thread(self.verify, authorization)
        return self.verify(authorization)

    def verify(self, authorization: str | None) -> Credential | Refusal:
        outcome = self._verify(authorization)
        if isinstance(outcome, Refusal):
            log.info("reporting_credential_refused", reason=outcome.reason, status=outcome.status)
        return outcome

    def _verify(self, authorization: str | None) -> Credential | Refusal:
        token = _bearer_token(authorization)
        if isinstance(token, Refusal):
            return token
        claims = self._decode(token)
        if isinstance(claims, Refusal):
            return claims
        return self._credential(claims)

    def _decode(self, token: str) -> dict[str, Any] | Refusal:
        try:
            key: Any = self._public_key
            if self._jwks is not None:
                key = self._jwks.get_signing_key_from_jwt(token)
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=self._algorithms,
                issuer=self._issuer,
                audience=self._audience,
                leeway=self._leeway,
                options={"require": ["exp", "iat"], "enforce_minimum_key_length": True},
            )
        except jwt.ExpiredSignatureError:
            return EXPIRED
        except jwt.ImmatureSignatureError:
            return NOT_YET_VALID
        except (jwt.InvalidIssuerError, jwt.InvalidAudienceError):
            return ISSUER_OR_AUDIENCE_WRONG
        except jwt.MissingRequiredClaimError as error:
            return ISSUER_OR_AUDIENCE_WRONG if error.claim in ("iss", "aud") else MALFORMED
        except (jwt.InvalidSignatureError, jwt.InvalidAlgorithmError, jwt.InvalidKeyError):
            return SIGNATURE_INVALID
        except (jwt.PyJWKClientConnectionError, jwt.PyJWKSetError, jwt.PyJWKError):
            return KEYS_UNAVAILABLE  # the provider's key set cannot be fetched or holds no usable key
        except jwt.PyJWKClientError:
            return SIGNATURE_INVALID  # no key of the provider has this token's `kid`
        except jwt.PyJWTError:
            return MALFORMED
        return claims

    def _credential(self, claims: Mapping[str, Any]) -> Credential | Refusal:
        roles = reporting_roles(claims)
        if not roles:
            return NO_REPORTING_ROLE
        if len(roles) > 1:
            return ROLE_AMBIGUOUS
        (role,) = roles
        subject = claims.get(self._claim_advisor if role is Role.ADVISOR else self._claim_org)
        if not isinstance(subject, str) or not subject.strip() or len(subject) > MAX_SUBJECT_CHARS:
            return SUBJECT_MISSING
        user, token_id = claims.get("sub"), claims.get("jti")
        return Credential(
            role=role,
            subject=subject.strip(),
            user=user if isinstance(user, str) else None,
            token_id=token_id if isinstance(token_id, str) else None,
        )


def reporting_roles(claims: Mapping[str, Any]) -> frozenset[Role]:
    """The reporting roles among Keycloak's `realm_access.roles` and a top-level `roles` list."""
    lists: list[object] = [claims.get("roles")]
    realm_access = claims.get("realm_access")
    if isinstance(realm_access, Mapping):
        lists.append(realm_access.get("roles"))
    return frozenset(
        Role(name)
        for names in lists
        if isinstance(names, list)
        for name in names
        if isinstance(name, str) and name in _ROLE_VALUES
    )


def _bearer_token(authorization: str | None) -> str | Refusal:
    if authorization is None or not authorization.strip():
        return MISSING
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or " " in token or len(token) > MAX_TOKEN_CHARS:
        return MALFORMED
    return token


def verifier_from_settings(settings: ReportingSettings) -> CredentialVerifier | None:
    """The composition root's verifier; None when no key is configured (the views then answer 503)."""
    if not settings.role_jwt_public_key and not settings.role_jwks_url:
        log.warning("reporting_role_credentials_not_configured")
        return None
    algorithms = [a.strip() for a in settings.role_jwt_algorithms.split(",") if a.strip()]
    common: dict[str, Any] = {
        "issuer": settings.role_jwt_issuer,
        "audience": settings.role_jwt_audience,
        "algorithms": algorithms,
        "leeway_seconds": settings.role_jwt_leeway_seconds,
        "claim_org": settings.role_claim_org,
        "claim_advisor": settings.role_claim_advisor,
    }
    if settings.role_jwt_public_key:
        return CredentialVerifier(public_key=load_public_key(settings.role_jwt_public_key), **common)
    client = jwt.PyJWKClient(
        settings.role_jwks_url,
        cache_jwk_set=True,
        lifespan=settings.role_jwks_cache_seconds,
        timeout=settings.role_jwks_timeout_seconds,
        # A new `kid` (key rotation) refetches the set at most this often, whatever callers send.
        cooldown_duration=30,
    )
    return CredentialVerifier(jwks_client=client, **common)
