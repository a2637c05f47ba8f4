"""Reporting's role credentials: only a JWT signed by the configured key (or the provider's JWKS) grants a role.

Keys are generated here with `cryptography`, tokens signed with PyJWT; forgeries are built by hand
where PyJWT refuses to make them (an HS256 token keyed with the public key). The JWKS path runs
against a tiny JWKS server on 127.0.0.1 in a thread.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
import pytest
import structlog
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import NameOID
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm
from pydantic import ValidationError

from services.reporting.adapters.credentials import (
    Credential,
    CredentialConfigError,
    CredentialVerifier,
    load_public_key,
    reporting_roles,
    verifier_from_settings,
)
from services.reporting.domain.roles import Refusal, Role
from services.reporting.settings import ReportingSettings

pytestmark = pytest.mark.unit

ISSUER = "https://login.example.nl/realms/rijk"
AUDIENCE = "caseflow-reporting"


# -- keys and tokens ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ed_key() -> ed25519.Ed25519PrivateKey:
    return ed25519.Ed25519PrivateKey.generate()


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def ec_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    base: dict[str, Any] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "iat": now - 5,
        "nbf": now - 5,
        "exp": now + 300,
        "sub": "f3c1a0e2-user",
        "jti": "token-1",
        "roles": ["management"],
        "caseflow_org": "min-bzk",
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def sign(key: Any, algorithm: str = "EdDSA", headers: dict[str, Any] | None = None, **overrides: Any) -> str:
    return jwt.encode(claims(**overrides), key, algorithm=algorithm, headers=headers)


def bearer(token: str) -> str:
    return f"Bearer {token}"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def hs256_keyed_with(secret: bytes, header: dict[str, Any] | None = None, **overrides: Any) -> str:
    """The key-confusion forgery: HMAC-SHA256 keyed with bytes the attacker knows (the public key)."""
    head = b64(json.dumps({"alg": "HS256", "typ": "JWT", **(header or {})}).encode())
    body = b64(json.dumps(claims(**overrides)).encode())
    signature = hmac.new(secret, f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{b64(signature)}"


def unsigned(**overrides: Any) -> str:
    head = b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    return f"{head}.{b64(json.dumps(claims(**overrides)).encode())}."


def pem(public_key: Any) -> bytes:
    return public_key.public_bytes(  # type: ignore[no-any-return]
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def verifier_for(public_key: Any, **options: Any) -> CredentialVerifier:
    return CredentialVerifier(public_key=public_key, issuer=ISSUER, audience=AUDIENCE, **options)


@pytest.fixture(scope="module")
def ed_verifier(ed_key: ed25519.Ed25519PrivateKey) -> CredentialVerifier:
    return verifier_for(ed_key.public_key())


# -- what a genuine token grants ------------------------------------------------------------------


def test_a_valid_eddsa_token_grants_its_role_and_organisation(
    ed_key: ed25519.Ed25519PrivateKey, ed_verifier: CredentialVerifier
) -> None:
    assert ed_verifier.verify(bearer(sign(ed_key))) == Credential(
        Role.MANAGEMENT, "min-bzk", user="f3c1a0e2-user", token_id="token-1"
    )


def test_a_keycloak_rs256_token_with_realm_roles_grants_the_advisor_role(rsa_key: rsa.RSAPrivateKey) -> None:
    token = sign(
        rsa_key,
        "RS256",
        headers={"kid": "keycloak-rs256"},
        roles=None,
        caseflow_org=None,
        aud=[AUDIENCE, "account"],
        realm_access={"roles": ["offline_access", "uma_authorization", "advisor"]},
        caseflow_advisor="adv-min-bzk-01",
    )
    credential = verifier_for(rsa_key.public_key()).verify(bearer(token))
    assert credential == Credential(Role.ADVISOR, "adv-min-bzk-01", user="f3c1a0e2-user", token_id="token-1")


def test_an_es256_token_and_the_coordinator_and_hr_roles(ec_key: ec.EllipticCurvePrivateKey) -> None:
    verifier = verifier_for(ec_key.public_key())
    for role in (Role.COORDINATOR, Role.HR):
        credential = verifier.verify(
            bearer(sign(ec_key, "ES256", roles=[role.value], caseflow_org="min-fin"))
        )
        assert isinstance(credential, Credential) and (credential.role, credential.subject) == (
            role,
            "min-fin",
        )


def test_the_same_role_in_both_role_lists_is_one_role(
    ed_key: ed25519.Ed25519PrivateKey, ed_verifier: CredentialVerifier
) -> None:
    token = sign(ed_key, roles=["hr"], realm_access={"roles": ["hr", "default-roles-rijk"]})
    assert isinstance(ed_verifier.verify(bearer(token)), Credential)


def test_a_token_just_past_exp_is_accepted_within_the_leeway(
    ed_key: ed25519.Ed25519PrivateKey, ed_verifier: CredentialVerifier
) -> None:
    assert isinstance(ed_verifier.verify(bearer(sign(ed_key, exp=int(time.time()) - 10))), Credential)


def test_claim_names_are_configurable(ed_key: ed25519.Ed25519PrivateKey) -> None:
    verifier = verifier_for(ed_key.public_key(), claim_org="ministerie", claim_advisor="vertrouwenspersoon")
    org = sign(ed_key, caseflow_org=None, ministerie="min-jenv")
    advisor = sign(ed_key, roles=["advisor"], vertrouwenspersoon="adv-7", caseflow_advisor="adv-other")
    assert verifier.verify(bearer(org)) == Credential(Role.MANAGEMENT, "min-jenv", "f3c1a0e2-user", "token-1")
    assert verifier.verify(bearer(advisor)) == Credential(Role.ADVISOR, "adv-7", "f3c1a0e2-user", "token-1")
    assert verifier.verify(bearer(sign(ed_key))) == Refusal(403, "credential_subject_missing")


# -- what is refused, and why ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("authorization", "reason"),
    [
        (None, "credential_missing"),
        ("", "credential_missing"),
        ("   ", "credential_missing"),
        ("Bearer", "credential_malformed"),
        ("Bearer ", "credential_malformed"),
        ("Basic bWFuYWdlbWVudDptaW4tYnpr", "credential_malformed"),
        ("Bearer not-a-jwt", "credential_malformed"),
        ("Bearer a.b.c", "credential_malformed"),
        ("Bearer eyJhbGciOiJFZERTQSJ9.e30.AAAA extra", "credential_malformed"),
        ("Bearer " + "A" * 9000, "credential_malformed"),
    ],
)
def test_no_or_garbage_credential_is_unauthenticated(
    ed_verifier: CredentialVerifier, authorization: str | None, reason: str
) -> None:
    assert ed_verifier.verify(authorization) == Refusal(401, reason)


def test_an_expired_token_is_refused(
    ed_key: ed25519.Ed25519PrivateKey, ed_verifier: CredentialVerifier
) -> None:
    now = int(time.time())
    token = sign(ed_key, iat=now - 3600, nbf=now - 3600, exp=now - 120)
    assert ed_verifier.verify(bearer(token)) == Refusal(401, "credential_expired")


@pytest.mark.parametrize("claim", ["nbf", "iat"])
def test_a_token_not_yet_valid_is_refused(
    ed_key: ed25519.Ed25519PrivateKey, ed_verifier: CredentialVerifier, claim: str
) -> None:
    future: dict[str, Any] = {claim: int(time.time()) + 600}
    token = sign(ed_key, **future)
    assert ed_verifier.verify(bearer(token)) == Refusal(401, "credential_not_yet_valid")


@pytest.mark.parametrize(
    "overrides",
    [
        {"iss": "https://evil.example.org/realms/rijk"},
        {"iss": None},
        {"aud": "some-other-client"},
        {"aud": ["account"]},
        {"aud": None},
    ],
    ids=["wrong_issuer", "no_issuer", "wrong_audience", "audience_list_without_reporting", "no_audience"],
)
def test_a_token_for_another_issuer_or_audience_is_refused(
    ed_key: ed25519.Ed25519PrivateKey, ed_verifier: CredentialVerifier, overrides: dict[str, Any]
) -> None:
    assert ed_verifier.verify(bearer(sign(ed_key, **overrides))) == Refusal(
        401, "credential_issuer_or_audience_wrong"
    )


@pytest.mark.parametrize("claim", ["exp", "iat"])
def test_a_token_without_exp_or_iat_is_malformed(
    ed_key: ed25519.Ed25519PrivateKey, ed_verifier: CredentialVerifier, claim: str
) -> None:
    without: dict[str, Any] = {claim: None}
    assert ed_verifier.verify(bearer(sign(ed_key, **without))) == Refusal(401, "credential_malformed")


def test_a_token_signed_with_another_key_is_forged(
    ed_key: ed25519.Ed25519PrivateKey, ed_verifier: CredentialVerifier
) -> None:
    forged = sign(ed25519.Ed25519PrivateKey.generate())
    assert ed_verifier.verify(bearer(forged)) == Refusal(401, "credential_signature_invalid")
    # A genuine token with a changed claim (subject swapped, signature kept) is forged too.
    head, _, signature = sign(ed_key).split(".")
    tampered = b64(json.dumps(claims(caseflow_org="min-fin")).encode())
    assert ed_verifier.verify(bearer(f"{head}.{tampered}.{signature}")) == Refusal(
        401, "credential_signature_invalid"
    )


def test_alg_none_is_refused(ed_verifier: CredentialVerifier, rsa_key: rsa.RSAPrivateKey) -> None:
    for verifier in (ed_verifier, verifier_for(rsa_key.public_key())):
        assert verifier.verify(bearer(unsigned())) == Refusal(401, "credential_signature_invalid")


def test_hs256_keyed_with_the_public_key_is_refused(
    ed_key: ed25519.Ed25519PrivateKey, rsa_key: rsa.RSAPrivateKey, ec_key: ec.EllipticCurvePrivateKey
) -> None:
    for private in (ed_key, rsa_key, ec_key):
        public = private.public_key()
        verifier = verifier_for(public)
        for secret in (pem(public), pem(public).strip()):
            assert verifier.verify(bearer(hs256_keyed_with(secret))) == Refusal(
                401, "credential_signature_invalid"
            )


def test_a_token_in_another_asymmetric_algorithm_is_refused(
    ed_verifier: CredentialVerifier, rsa_key: rsa.RSAPrivateKey, ec_key: ec.EllipticCurvePrivateKey
) -> None:
    for token in (sign(rsa_key, "RS256"), sign(rsa_key, "PS256"), sign(ec_key, "ES256")):
        assert ed_verifier.verify(bearer(token)) == Refusal(401, "credential_signature_invalid")


@pytest.mark.parametrize(
    "overrides",
    [
        {"roles": None},
        {"roles": []},
        {"roles": ["admin", "Management", "uma_authorization"]},
        {"roles": "management"},
        {"roles": None, "realm_access": {"roles": "management"}},
        {"roles": None, "realm_access": ["management"]},
        {"roles": None, "resource_access": {"caseflow-reporting": {"roles": ["management"]}}},
    ],
)
def test_a_genuine_token_without_a_reporting_role_is_forbidden(
    ed_key: ed25519.Ed25519PrivateKey, ed_verifier: CredentialVerifier, overrides: dict[str, Any]
) -> None:
    assert ed_verifier.verify(bearer(sign(ed_key, **overrides))) == Refusal(
        403, "credential_has_no_reporting_role"
    )


@pytest.mark.parametrize(
    "overrides",
    [
        {"roles": ["management", "advisor"]},
        {"roles": ["coordinator"], "realm_access": {"roles": ["hr"]}},
    ],
)
def test_two_reporting_roles_are_ambiguous(
    ed_key: ed25519.Ed25519PrivateKey, ed_verifier: CredentialVerifier, overrides: dict[str, Any]
) -> None:
    assert ed_verifier.verify(bearer(sign(ed_key, **overrides))) == Refusal(403, "credential_role_ambiguous")


@pytest.mark.parametrize(
    "overrides",
    [
        {"caseflow_org": None},
        {"caseflow_org": ""},
        {"caseflow_org": 42},
        {"caseflow_org": ["min-bzk"]},
        {"roles": ["advisor"]},  # an advisor's subject is caseflow_advisor, not the organisation
        {"roles": ["coordinator"], "caseflow_org": None, "caseflow_advisor": "adv-1"},
    ],
)
def test_a_role_without_its_subject_is_forbidden(
    ed_key: ed25519.Ed25519PrivateKey, ed_verifier: CredentialVerifier, overrides: dict[str, Any]
) -> None:
    assert ed_verifier.verify(bearer(sign(ed_key, **overrides))) == Refusal(403, "credential_subject_missing")


def test_reporting_roles_reads_both_shapes() -> None:
    assert reporting_roles({"realm_access": {"roles": ["advisor", "x"]}}) == {Role.ADVISOR}
    assert reporting_roles({"roles": ["hr", 3, None]}) == {Role.HR}
    assert reporting_roles({"roles": ["coordinator"], "realm_access": {"roles": ["management"]}}) == {
        Role.COORDINATOR,
        Role.MANAGEMENT,
    }
    assert reporting_roles({}) == frozenset()


def test_refusals_log_the_reason_only(
    ed_key: ed25519.Ed25519PrivateKey, ed_verifier: CredentialVerifier
) -> None:
    forged = sign(ed25519.Ed25519PrivateKey.generate(), caseflow_org="min-secret-org", sub="user-secret")
    expired = sign(ed_key, exp=int(time.time()) - 600, iat=int(time.time()) - 900, nbf=None)
    with structlog.testing.capture_logs() as logs:
        ed_verifier.verify(bearer(forged))
        ed_verifier.verify(bearer(expired))
        ed_verifier.verify(bearer(sign(ed_key, roles=["advisor"])))
    assert [entry["reason"] for entry in logs] == [
        "credential_signature_invalid",
        "credential_expired",
        "credential_subject_missing",
    ]
    text = repr(logs)
    for secret in (forged, expired, "min-secret-org", "user-secret", "min-bzk", "f3c1a0e2-user", "token-1"):
        assert secret not in text
    assert all(set(entry) <= {"event", "log_level", "reason", "status"} for entry in logs)


# -- configuration --------------------------------------------------------------------------------


def test_the_verifier_refuses_unsafe_configuration(
    ed_key: ed25519.Ed25519PrivateKey, rsa_key: rsa.RSAPrivateKey
) -> None:
    public = ed_key.public_key()
    for algorithms in (["HS256"], ["none"], ["EdDSA", "HS256"], []):
        with pytest.raises(CredentialConfigError):
            verifier_for(public, algorithms=algorithms)
    with pytest.raises(CredentialConfigError):
        verifier_for(public, algorithms=["RS256"])  # an Ed25519 key verifies EdDSA only
    with pytest.raises(CredentialConfigError):
        CredentialVerifier(issuer=ISSUER, audience=AUDIENCE)  # no key at all
    with pytest.raises(CredentialConfigError):
        CredentialVerifier(public_key=public, jwks_client=jwt.PyJWKClient("https://idp.example/certs"))
    with pytest.raises(CredentialConfigError):
        verifier_for(rsa.generate_private_key(public_exponent=65537, key_size=1024).public_key())
    with pytest.raises(CredentialConfigError):
        verifier_for(ec.generate_private_key(ec.SECP384R1()).public_key())
    assert isinstance(verifier_for(rsa_key.public_key(), algorithms=["RS256"]), CredentialVerifier)


def test_the_public_key_is_read_inline_from_a_file_or_from_a_certificate(
    tmp_path: Path, rsa_key: rsa.RSAPrivateKey
) -> None:
    public = rsa_key.public_key()
    path = tmp_path / "reporting-roles.pem"
    path.write_bytes(pem(public))
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "rijk")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public)
        .serial_number(1)
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .sign(rsa_key, hashes.SHA256())
    )
    numbers = public.public_numbers()
    for source in (
        pem(public).decode(),
        str(path),
        certificate.public_bytes(serialization.Encoding.PEM).decode(),
    ):
        assert load_public_key(source).public_numbers() == numbers  # type: ignore[union-attr]
    private_pem = rsa_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    for bad in (
        private_pem,
        str(tmp_path / "missing.pem"),
        "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----",
    ):
        with pytest.raises(CredentialConfigError):
            load_public_key(bad)


def test_settings_require_issuer_and_audience_and_one_https_key_source(tmp_path: Path) -> None:
    key = "-----BEGIN PUBLIC KEY-----..."
    bound: dict[str, Any] = {"role_jwt_issuer": ISSUER, "role_jwt_audience": AUDIENCE}
    for bad in (
        {"role_jwt_public_key": key},
        {"role_jwt_public_key": key, "role_jwt_issuer": ISSUER},
        {"role_jwks_url": "https://idp.example/certs", "role_jwt_audience": AUDIENCE},
        {"role_jwt_public_key": key, "role_jwks_url": "https://idp.example/certs", **bound},
        {"role_jwks_url": "http://idp.example/certs", **bound},
        {"role_jwks_url": "file:///etc/passwd", **bound},
        {"role_jwt_public_key": key, "role_jwt_algorithms": "RS256,HS256", **bound},
        {"role_jwt_public_key": key, "role_jwt_algorithms": "none", **bound},
    ):
        with pytest.raises(ValidationError):
            ReportingSettings(**bad)
    assert ReportingSettings(role_jwks_url="http://127.0.0.1:8080/certs", **bound).role_jwks_url
    assert ReportingSettings().role_jwt_public_key == ""


def test_the_verifier_from_settings(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, ed_key: ed25519.Ed25519PrivateKey
) -> None:
    assert verifier_from_settings(ReportingSettings()) is None
    path = tmp_path / "roles.pem"
    path.write_bytes(pem(ed_key.public_key()))
    monkeypatch.setenv("REPORTING_ROLE_JWT_PUBLIC_KEY", str(path))
    monkeypatch.setenv("REPORTING_ROLE_JWT_ISSUER", ISSUER)
    monkeypatch.setenv("REPORTING_ROLE_JWT_AUDIENCE", AUDIENCE)
    monkeypatch.setenv("REPORTING_ROLE_CLAIM_ORG", "org")
    verifier = verifier_from_settings(ReportingSettings())
    assert verifier is not None and not verifier.uses_jwks
    assert verifier.verify(bearer(sign(ed_key, org="min-bzk", caseflow_org=None))) == Credential(
        Role.MANAGEMENT, "min-bzk", "f3c1a0e2-user", "token-1"
    )
    assert verifier.verify(bearer(sign(ed_key, iss="https://other"))) == Refusal(
        401, "credential_issuer_or_audience_wrong"
    )


# -- the OpenID Connect provider's JWKS ----------------------------------------------------------


class JwksServer:
    def __init__(self, jwks: dict[str, Any]) -> None:
        self.jwks = jwks
        self.requests = 0
        served = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                served.requests += 1
                body = json.dumps(served.jwks).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = (
            f"http://127.0.0.1:{self.server.server_address[1]}/realms/rijk/protocol/openid-connect/certs"
        )
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def jwk(public_key: Any, kid: str, algorithm: Any, alg: str, use: str = "sig") -> dict[str, Any]:
    return {**algorithm.to_jwk(public_key, as_dict=True), "kid": kid, "alg": alg, "use": use}


@pytest.fixture
def jwks_server(
    rsa_key: rsa.RSAPrivateKey, ed_key: ed25519.Ed25519PrivateKey, ec_key: ec.EllipticCurvePrivateKey
) -> Iterator[JwksServer]:
    server = JwksServer(
        {
            "keys": [
                jwk(rsa_key.public_key(), "rsa-1", RSAAlgorithm, "RS256"),
                jwk(ed_key.public_key(), "ed-1", OKPAlgorithm, "EdDSA"),
                jwk(ec_key.public_key(), "ec-1", ECAlgorithm, "ES256"),
                # Keycloak also publishes an encryption key; it must never verify a signature.
                jwk(rsa_key.public_key(), "rsa-enc", RSAAlgorithm, "RSA-OAEP", use="enc"),
            ]
        }
    )
    yield server
    server.close()


def jwks_verifier(url: str) -> CredentialVerifier:
    settings = ReportingSettings(role_jwks_url=url, role_jwt_issuer=ISSUER, role_jwt_audience=AUDIENCE)
    verifier = verifier_from_settings(settings)
    assert verifier is not None and verifier.uses_jwks
    return verifier


def test_tokens_verify_against_the_providers_jwks_which_is_cached(
    jwks_server: JwksServer,
    rsa_key: rsa.RSAPrivateKey,
    ed_key: ed25519.Ed25519PrivateKey,
    ec_key: ec.EllipticCurvePrivateKey,
) -> None:
    verifier = jwks_verifier(jwks_server.url)
    for key, alg, kid in ((rsa_key, "RS256", "rsa-1"), (ed_key, "EdDSA", "ed-1"), (ec_key, "ES256", "ec-1")):
        token = sign(key, alg, headers={"kid": kid}, roles=["coordinator"])
        assert verifier.verify(bearer(token)) == Credential(
            Role.COORDINATOR, "min-bzk", "f3c1a0e2-user", "token-1"
        )
    assert jwks_server.requests == 1


def test_jwks_forgeries_are_refused(jwks_server: JwksServer, rsa_key: rsa.RSAPrivateKey) -> None:
    verifier = jwks_verifier(jwks_server.url)
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    rsa_pem = pem(rsa_key.public_key())
    forgeries = [
        sign(other, "RS256", headers={"kid": "rsa-1"}),  # a known kid, another key
        sign(other, "RS256", headers={"kid": "attacker-key"}),  # a kid the provider never published
        sign(other, "RS256"),  # no kid
        sign(rsa_key, "RS256", headers={"kid": "rsa-enc"}),  # the encryption key is not a signing key
        sign(rsa_key, "PS256", headers={"kid": "rsa-1"}),  # the key is bound to RS256
        hs256_keyed_with(rsa_pem, header={"kid": "rsa-1"}),
        hs256_keyed_with(json.dumps(jwks_server.jwks["keys"][0]).encode(), header={"kid": "rsa-1"}),
    ]
    for token in forgeries:
        assert verifier.verify(bearer(token)) == Refusal(401, "credential_signature_invalid")
    none = unsigned()
    head = b64(json.dumps({"alg": "none", "kid": "rsa-1"}).encode())
    for token in (none, head + none[none.index(".") :]):
        assert verifier.verify(bearer(token)) == Refusal(401, "credential_signature_invalid")
    expired = sign(rsa_key, "RS256", headers={"kid": "rsa-1"}, exp=int(time.time()) - 600)
    assert verifier.verify(bearer(expired)) == Refusal(401, "credential_expired")
    assert verifier.verify("Bearer garbage") == Refusal(401, "credential_malformed")


def test_an_unreachable_provider_is_a_service_problem_not_the_callers(rsa_key: rsa.RSAPrivateKey) -> None:
    server = JwksServer({"keys": []})
    url = server.url
    server.close()
    verifier = jwks_verifier(url)
    token = sign(rsa_key, "RS256", headers={"kid": "rsa-1"})
    assert verifier.verify(bearer(token)) == Refusal(503, "credential_keys_unavailable")


async def test_the_jwks_lookup_runs_off_the_event_loop(
    jwks_server: JwksServer, rsa_key: rsa.RSAPrivateKey
) -> None:
    verifier = jwks_verifier(jwks_server.url)
    token = sign(rsa_key, "RS256", headers={"kid": "rsa-1"}, roles=["hr"])
    assert await verifier.verify_request(bearer(token)) == Credential(
        Role.HR, "min-bzk", "f3c1a0e2-user", "token-1"
    )
    assert await verifier.verify_request(None) == Refusal(401, "credential_missing")
