"""A locally generated identity provider for reporting's role credentials (signed JWTs).

`TOKENS` is one key pair for a test session: its `settings()` go into ReportingSettings, its
`headers(role, subject)` open a view; forged, unsigned, tampered and key-confusion tokens for the
tests that prove those are refused.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

ISSUER = "https://login.example.nl/realms/rijk"
AUDIENCE = "caseflow-reporting"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass(frozen=True)
class RoleTokens:
    """A locally generated identity provider: its key pair, reporting's settings for it, its tokens."""

    key: ed25519.Ed25519PrivateKey

    @classmethod
    def generate(cls) -> RoleTokens:
        return cls(ed25519.Ed25519PrivateKey.generate())

    @property
    def public_pem(self) -> str:
        return (
            self.key.public_key()
            .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
            .decode()
        )

    def settings(self) -> dict[str, Any]:
        return {
            "role_jwt_public_key": self.public_pem,
            "role_jwt_issuer": ISSUER,
            "role_jwt_audience": AUDIENCE,
        }

    def claims(self, role: str, subject: str, **overrides: Any) -> dict[str, Any]:
        now = int(time.time())
        subject_claim = "caseflow_advisor" if role == "advisor" else "caseflow_org"
        claims: dict[str, Any] = {
            "iss": ISSUER, "aud": AUDIENCE, "iat": now - 5, "exp": now + 300, "sub": "user-1",
            "realm_access": {"roles": [role, "offline_access"]}, subject_claim: subject,
        }  # fmt: skip
        claims.update(overrides)
        return claims

    def token(self, role: str, subject: str, *, key: Any = None, **overrides: Any) -> str:
        return jwt.encode(self.claims(role, subject, **overrides), key or self.key, algorithm="EdDSA")

    def headers(self, role: str, subject: str, **overrides: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(role, subject, **overrides)}"}

    def hs256_with_public_key(self, role: str, subject: str) -> str:
        head = _b64(b'{"alg":"HS256","typ":"JWT"}')
        body = _b64(json.dumps(self.claims(role, subject)).encode())
        mac = hmac.new(self.public_pem.encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
        return f"{head}.{body}.{_b64(mac)}"

    def unsigned(self, role: str, subject: str) -> str:
        head = _b64(b'{"alg":"none","typ":"JWT"}')
        return f"{head}.{_b64(json.dumps(self.claims(role, subject)).encode())}."

    def tampered(self, role: str, subject: str, **changed: Any) -> str:
        """A genuine token whose claims were edited afterwards (its signature kept)."""
        head, _, signature = self.token(role, subject).split(".")
        return f"{head}.{_b64(json.dumps(self.claims(role, subject, **changed)).encode())}.{signature}"


TOKENS = RoleTokens.generate()
