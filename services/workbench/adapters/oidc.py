"""The OpenID Connect provider: the authorization-code flow with PKCE (S256), through Authlib.

Any provider that publishes a discovery document works (Keycloak in the demo and the tests, the
ministries' own in production): the issuer URL is the whole configuration, with the client id and
secret. The ID token is verified with joserfc (Authlib's JOSE library) against the provider's JWKS:
its signature (RS256, ES256 or EdDSA only), `iss`, `aud`, `exp`, `iat` and the `nonce` of this
sign-in. A key the provider rotated in is found by fetching the JWKS again, once.

Sign-out ends the session here and at the provider (RP-initiated logout, `end_session_endpoint`).
"""

from __future__ import annotations

import secrets
import time
import warnings
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
from authlib.deprecate import AuthlibDeprecationWarning
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from joserfc.jwt import JWTClaimsRegistry

with warnings.catch_warnings():
    # Authlib 1.9 warns that its httpx integration will move to the `httpx2` fork; httpx is what
    # every other part of caseflow uses (docs/decisions.md D38).
    warnings.simplefilter("ignore", AuthlibDeprecationWarning)
    from authlib.integrations.httpx_client import AsyncOAuth2Client

ALGORITHMS = ["RS256", "ES256", "EdDSA"]
LEEWAY_SECONDS = 30


class SignInFailed(Exception):
    """The provider did not vouch for this browser; `reason` is a code, never the provider's text."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class AuthorizationRequest:
    url: str
    state: str
    nonce: str
    code_verifier: str


@dataclass(frozen=True, slots=True)
class TokenSet:
    """The provider's tokens for calls on the person's behalf (reporting's view)."""

    access_token: str
    refresh_token: str | None
    expires_in: int  # seconds
    id_token: str | None = None  # the hint for the logout at the provider


@dataclass(frozen=True, slots=True)
class Redeemed:
    claims: dict[str, Any]  # of the verified ID token
    tokens: TokenSet


def token_set(token: dict[str, Any]) -> TokenSet:
    access = token.get("access_token")
    if not isinstance(access, str):
        raise SignInFailed("no_access_token")
    refresh, id_token = token.get("refresh_token"), token.get("id_token")
    expires_in = token.get("expires_in")
    return TokenSet(
        access,
        refresh if isinstance(refresh, str) else None,
        int(expires_in) if isinstance(expires_in, int) else 60,
        id_token if isinstance(id_token, str) else None,
    )


@dataclass
class OidcProvider:
    issuer: str
    client_id: str
    client_secret: str
    timeout: float = 10.0
    _metadata: dict[str, Any] | None = None
    _keys: KeySet | None = None

    async def _discovery(self) -> dict[str, Any]:
        if self._metadata is None:
            url = self.issuer.rstrip("/") + "/.well-known/openid-configuration"
            doc = await self._get_json(url)
            if doc.get("issuer") != self.issuer:
                raise SignInFailed("provider_issuer_mismatch")
            self._metadata = doc
        return self._metadata

    async def _get_json(self, url: str) -> dict[str, Any]:
        try:
            async with httpx.AsyncClient(timeout=self.timeout) as client:
                response = await client.get(url)
                response.raise_for_status()
                doc: dict[str, Any] = response.json()
                return doc
        except (httpx.HTTPError, ValueError) as exc:
            raise SignInFailed("provider_unreachable") from exc

    def _client(self, redirect_uri: str) -> AsyncOAuth2Client:
        return AsyncOAuth2Client(
            self.client_id,
            self.client_secret,
            redirect_uri=redirect_uri,
            scope="openid",
            code_challenge_method="S256",
            timeout=self.timeout,
        )

    async def authorization_request(self, redirect_uri: str, lang: str) -> AuthorizationRequest:
        metadata = await self._discovery()
        verifier, nonce = secrets.token_urlsafe(48), secrets.token_urlsafe(24)
        async with self._client(redirect_uri) as client:
            url, state = client.create_authorization_url(
                metadata["authorization_endpoint"], code_verifier=verifier, nonce=nonce, ui_locales=lang
            )
        return AuthorizationRequest(url, state, nonce, verifier)

    async def redeem(self, redirect_uri: str, code: str, code_verifier: str, nonce: str) -> Redeemed:
        """The verified claims of the ID token the code buys, and the tokens that came with it."""
        metadata = await self._discovery()
        try:
            async with self._client(redirect_uri) as client:
                token = await client.fetch_token(
                    metadata["token_endpoint"], code=code, code_verifier=code_verifier
                )
        except Exception as exc:  # Authlib raises OAuthError, httpx its own: both mean "no"
            raise SignInFailed("code_not_accepted") from exc
        id_token = token.get("id_token")
        if not isinstance(id_token, str):
            raise SignInFailed("no_id_token")
        return Redeemed(await self._verified_claims(id_token, nonce), token_set(token))

    async def refresh(self, refresh_token: str) -> TokenSet:
        """Fresh tokens for a signed-in person; SignInFailed when the provider's session has ended."""
        metadata = await self._discovery()
        try:
            async with self._client("") as client:
                token = await client.refresh_token(metadata["token_endpoint"], refresh_token=refresh_token)
        except Exception as exc:  # Authlib's OAuthError or httpx's: the provider said no
            raise SignInFailed("provider_session_ended") from exc
        return token_set(dict(token))

    async def _verified_claims(self, id_token: str, nonce: str) -> dict[str, Any]:
        for refresh in (False, True):
            keys = await self._key_set(refresh)
            try:
                decoded = jwt.decode(id_token, keys, algorithms=ALGORITHMS)
            except JoseError as exc:
                if refresh:
                    raise SignInFailed("id_token_signature_invalid") from exc
                continue
            registry = JWTClaimsRegistry(
                leeway=LEEWAY_SECONDS,
                iss={"essential": True, "value": self.issuer},
                aud={"essential": True, "value": self.client_id},
                exp={"essential": True},
                iat={"essential": True},
                nonce={"essential": True, "value": nonce},
            )
            try:
                registry.validate(decoded.claims)
            except JoseError as exc:
                raise SignInFailed("id_token_claims_invalid") from exc
            if decoded.claims["iat"] > time.time() + LEEWAY_SECONDS:
                raise SignInFailed("id_token_claims_invalid")
            return dict(decoded.claims)
        raise SignInFailed("id_token_signature_invalid")  # pragma: no cover (the loop returns or raises)

    async def _key_set(self, refresh: bool) -> KeySet:
        if self._keys is None or refresh:
            metadata = await self._discovery()
            self._keys = KeySet.import_key_set(await self._get_json(metadata["jwks_uri"]))  # type: ignore[arg-type]
        return self._keys

    async def logout_url(self, after: str, id_token_hint: str | None = None) -> str | None:
        """Where the browser ends its session at the provider, then comes back to `after`. With the
        sign-in's ID token as hint the provider ends it at once; without, it asks the person."""
        metadata = await self._discovery()
        endpoint = metadata.get("end_session_endpoint")
        if not isinstance(endpoint, str):
            return None
        query = {"client_id": self.client_id, "post_logout_redirect_uri": after}
        if id_token_hint:
            query["id_token_hint"] = id_token_hint
        return endpoint + "?" + urlencode(query)
