"""Signing in at the real Keycloak as a browser would: the authorization-code flow with PKCE.

`Browser(node)` keeps the cookies of one user agent. `authorize()` builds the authorization URL with
Authlib's OAuth2 client (PKCE S256, a fresh verifier, state and nonce), `login()` GETs Keycloak's
login page, reads its form with html.parser, POSTs the credentials and stops at the redirect to
the workbench (no workbench has to listen there): the `code` is read from the Location header.
`exchange()` redeems a code at the token endpoint; `verify_id_token()` checks the ID token's
signature against the realm's JWKS and its registered claims (joserfc, Authlib's JOSE library).

The realm's users, passwords and client secret are read from deploy/keycloak/caseflow-realm.json,
so the tests and the realm cannot drift apart.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from functools import cache
from html.parser import HTMLParser
from http.cookiejar import Cookie, CookieJar, DefaultCookiePolicy
from typing import Any, Self
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jwt
from joserfc.jwk import KeySet

from devinfra.keycloak import REALM_FILE, KeycloakNode, workbench_client_secret

CLIENT_ID = "caseflow-workbench"
REDIRECT_PATH = "/auth/callback"
CASEFLOW_ROLES = frozenset({"advisor", "coordinator", "management"})


@dataclass(frozen=True)
class RealmUser:
    username: str
    password: str
    role: str
    advisor_id: str | None
    email: str = ""


@cache
def realm() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(REALM_FILE.read_text(encoding="utf-8"))
    return doc


def workbench_client() -> dict[str, Any]:
    (client,) = [c for c in realm()["clients"] if c["clientId"] == CLIENT_ID]
    return client


def client_secret() -> str:
    return workbench_client_secret()


def realm_users() -> dict[str, RealmUser]:
    users = {}
    for user in realm()["users"]:
        (password,) = [c["value"] for c in user["credentials"] if c["type"] == "password"]
        (role,) = CASEFLOW_ROLES.intersection(user["realmRoles"])
        advisor_ids = user.get("attributes", {}).get("advisor_id", [])
        users[user["username"]] = RealmUser(
            user["username"], password, role, advisor_ids[0] if advisor_ids else None, user.get("email", "")
        )
    return users


class _LoginForm(HTMLParser):
    """The action and the fields of Keycloak's login form (`<form id="kc-form-login">`)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.action: str | None = None
        self.fields: dict[str, str] = {}
        self._in_form = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {name: value or "" for name, value in attrs}
        if tag == "form" and a.get("id") == "kc-form-login":
            self.action, self._in_form = a.get("action"), True
        elif tag == "input" and self._in_form and a.get("name"):
            self.fields[a["name"]] = a.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._in_form = False


def login_form(html: str) -> tuple[str, dict[str, str]]:
    parser = _LoginForm()
    parser.feed(html)
    parser.close()
    if parser.action is None:
        raise AssertionError("no kc-form-login on the page")
    return parser.action, parser.fields


class _LoopbackIsSecure(DefaultCookiePolicy):
    """Keep and send Keycloak's login cookies as browsers do.

    Keycloak marks its login cookies (AUTH_SESSION_ID, KC_RESTART) `Secure` even in dev mode over
    http, and writes `Version=1` into Set-Cookie. Browsers ignore the version and treat
    http://127.0.0.1 as a secure context; the standard library's jar drops version-1 cookies and
    withholds Secure ones from http, and the login would fail with "cookie not found".
    """

    def set_ok(self, cookie: Cookie, request: Any) -> bool:
        cookie.version = 0
        ok: bool = super().set_ok(cookie, request)
        return ok

    def return_ok_secure(self, cookie: Cookie, request: Any) -> bool:
        if urlsplit(request.get_full_url()).hostname == "127.0.0.1":
            return True
        ok: bool = super().return_ok_secure(cookie, request)
        return ok


@dataclass
class Authorization:
    """One authorization request: its URL and the secrets the workbench keeps in its session."""

    url: str
    state: str
    nonce: str
    code_verifier: str
    redirect_uri: str


@dataclass
class LoginResult:
    status: int
    location: str | None
    page: str
    params: dict[str, str] = field(default_factory=dict)

    @property
    def code(self) -> str | None:
        return self.params.get("code")


@dataclass(frozen=True)
class Provider:
    """A running provider known by its issuer URL only (a stack's Keycloak, not this session's node)."""

    issuer: str

    @property
    def discovery_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"

    @property
    def base_url(self) -> str:
        parts = urlsplit(self.issuer)
        return f"{parts.scheme}://{parts.netloc}"


class Browser:
    """One user agent (its own cookie jar) and an OAuth client, against one node.

    By default the client is the workbench (confidential, redirect to a loopback port); another
    ``client_id`` is taken as a public client of the realm (e.g. Keycloak's own account-console).
    """

    def __init__(
        self,
        node: KeycloakNode | Provider,
        redirect_port: int = 8765,
        *,
        client_id: str = CLIENT_ID,
        redirect_uri: str | None = None,
    ) -> None:
        self.node = node
        self.client_id = client_id
        self.secret = client_secret() if client_id == CLIENT_ID else None
        self.discovery: dict[str, Any] = httpx.get(node.discovery_url, timeout=10).json()
        self.redirect_uri = redirect_uri or f"http://127.0.0.1:{redirect_port}{REDIRECT_PATH}"
        # The jar is kept here, not handed to the client: httpx copies a client's cookies into a
        # jar of the default policy for every request, which would drop the policy below.
        self.cookies = httpx.Cookies(CookieJar(policy=_LoopbackIsSecure()))
        self.http = httpx.Client(
            timeout=15,
            follow_redirects=False,
            event_hooks={
                "request": [self.cookies.set_cookie_header],
                "response": [self.cookies.extract_cookies],
            },
        )
        # Authlib's requests client: its httpx client warns that httpx gives way to httpx2.
        self.oauth = OAuth2Session(
            client_id=client_id,
            client_secret=self.secret,
            token_endpoint_auth_method="client_secret_basic" if self.secret else "none",
            scope="openid",
            redirect_uri=self.redirect_uri,
            code_challenge_method="S256",
        )

    def close(self) -> None:
        self.http.close()
        self.oauth.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def authorize(self, **extra: str) -> Authorization:
        verifier = generate_token(64)
        nonce = secrets.token_urlsafe(16)
        url, state = self.oauth.create_authorization_url(
            self.discovery["authorization_endpoint"], code_verifier=verifier, nonce=nonce, **extra
        )
        return Authorization(url, state, nonce, verifier, self.redirect_uri)

    def login(self, url: str, username: str, password: str) -> LoginResult:
        """GET the authorization URL, fill in the login form, POST it; stop at the first redirect out."""
        page = self.http.get(url)
        # Keycloak may bounce within itself first (e.g. to restart a login); follow only its own URLs.
        while page.is_redirect and self._keycloak_url(page.headers["location"]):
            page = self.http.get(urljoin(str(page.url), page.headers["location"]))
        if page.is_redirect:
            return self._result(page)
        assert page.status_code == 200, page.text[:500]
        action, fields = login_form(page.text)
        fields.update(username=username, password=password)
        answer = self.http.post(urljoin(str(page.url), action), data=fields)
        return self._result(answer)

    def exchange(self, code: str, code_verifier: str | None) -> httpx.Response:
        """The token request, sent as the workbench would (client secret in Basic auth)."""
        data = {"grant_type": "authorization_code", "code": code, "redirect_uri": self.redirect_uri}
        if code_verifier is not None:
            data["code_verifier"] = code_verifier
        if self.secret is None:
            data["client_id"] = self.client_id
            return httpx.post(self.discovery["token_endpoint"], data=data, timeout=15)
        return httpx.post(
            self.discovery["token_endpoint"], data=data, auth=(self.client_id, self.secret), timeout=15
        )

    def fetch_token(self, result: LoginResult, auth: Authorization) -> dict[str, Any]:
        """Authlib's own code exchange (state checked, verifier sent)."""
        assert result.location is not None
        token: dict[str, Any] = self.oauth.fetch_token(
            self.discovery["token_endpoint"],
            authorization_response=result.location,
            state=auth.state,
            code_verifier=auth.code_verifier,
            timeout=15,
        )
        return token

    def verify_id_token(self, id_token: str, nonce: str) -> dict[str, Any]:
        """The ID token's claims once its signature (realm JWKS) and iss/aud/azp/nonce/exp hold."""
        jwks = httpx.get(self.discovery["jwks_uri"], timeout=10).json()
        token = jwt.decode(id_token, KeySet.import_key_set(jwks), algorithms=["RS256"])
        jwt.JWTClaimsRegistry(
            iss={"essential": True, "value": self.node.issuer},
            aud={"essential": True, "value": self.client_id},
            azp={"essential": True, "value": self.client_id},
            nonce={"essential": True, "value": nonce},
            sub={"essential": True},
            exp={"essential": True},
            iat={"essential": True},
        ).validate(token.claims)
        claims: dict[str, Any] = token.claims
        return claims

    def _keycloak_url(self, location: str) -> bool:
        return urljoin(self.node.base_url + "/", location).startswith(self.node.base_url + "/")

    @staticmethod
    def _result(response: httpx.Response) -> LoginResult:
        location = response.headers.get("location") if response.is_redirect else None
        params = {}
        if location is not None:
            params = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
        return LoginResult(response.status_code, location, response.text, params)
