"""The workbench's sign-in against a real Keycloak: authorization code with PKCE S256, and its attackers.

A user agent (tests/support/keycloak.py) fetches Keycloak's real login page, posts the form and
stops at the redirect back to the workbench; the code is redeemed with Authlib and the ID token's
signature is checked against the realm's JWKS. The attackers: a wrong password, an authorization
request without PKCE (or with `plain`), a code redeemed without its verifier, with a wrong one,
twice, without the client secret or for another redirect URI, a redirect URI that is not
registered, and a user who tries to give themselves another advisor id.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from devinfra.keycloak import KeycloakNode
from devinfra.ports import free_port
from tests.support.keycloak import CLIENT_ID, REDIRECT_PATH, Browser, RealmUser, realm_users

pytestmark = pytest.mark.integration

USERS = realm_users()
ANNA = USERS["anna"]


@pytest.fixture
def browser(keycloak_node: KeycloakNode) -> Iterator[Browser]:
    with Browser(keycloak_node, redirect_port=free_port()) as b:
        yield b


def _code(browser: Browser, user: RealmUser = ANNA) -> tuple[str, str]:
    """A fresh authorization code of ``user`` and its PKCE verifier."""
    auth = browser.authorize()
    result = browser.login(auth.url, user.username, user.password)
    assert result.status == 302 and result.code, result.page[:500]
    assert result.params["state"] == auth.state
    return result.code, auth.code_verifier


@pytest.mark.parametrize("username", sorted(USERS))
def test_a_sample_user_signs_in_with_pkce_and_the_verified_id_token_names_advisor_and_role(
    browser: Browser, keycloak_node: KeycloakNode, username: str
) -> None:
    user = USERS[username]
    auth = browser.authorize()
    assert "code_challenge_method=S256" in auth.url and "code_challenge=" in auth.url

    result = browser.login(auth.url, user.username, user.password)

    assert result.status == 302 and result.location is not None
    assert result.location.startswith(browser.redirect_uri + "?")
    assert result.params["state"] == auth.state
    assert result.params["iss"] == keycloak_node.issuer  # RFC 9207: the answer names its issuer
    token = browser.fetch_token(result, auth)
    claims = browser.verify_id_token(token["id_token"], auth.nonce)
    assert claims["preferred_username"] == user.username
    assert claims.get("advisor_id") == user.advisor_id  # None for the coordinator and management
    # Only the user's caseflow role: the realm grants its users no default roles (offline_access,
    # the account console's) that would make a role list ambiguous or a token long-lived.
    assert claims["roles"] == [user.role]
    # The access token (what services would verify) carries the same claims, signed by the realm.
    jwks = httpx.get(browser.discovery["jwks_uri"], timeout=10).json()
    access = jwt.decode(token["access_token"], KeySet.import_key_set(jwks), algorithms=["RS256"]).claims
    assert access["iss"] == keycloak_node.issuer and access["azp"] == CLIENT_ID
    assert access.get("advisor_id") == user.advisor_id
    assert access["roles"] == [user.role] and access["realm_access"]["roles"] == [user.role]


def test_any_loopback_port_of_the_registered_callback_path_is_accepted(keycloak_node: KeycloakNode) -> None:
    # The client registers http://127.0.0.1/auth/callback; Keycloak ignores a loopback URI's port.
    for port in (free_port(), free_port()):
        with Browser(keycloak_node, redirect_port=port) as browser:
            code, _ = _code(browser)
            assert code


def test_a_wrong_password_gets_no_code(browser: Browser) -> None:
    auth = browser.authorize()

    result = browser.login(auth.url, ANNA.username, ANNA.password + "-wrong")

    assert result.status == 200 and result.location is None and result.code is None
    assert "Invalid username or password" in result.page
    assert "kc-form-login" in result.page  # the form again, nothing else


def test_an_unknown_user_gets_the_same_answer_as_a_wrong_password(browser: Browser) -> None:
    auth = browser.authorize()

    result = browser.login(auth.url, "no-such-advisor", "whatever-password")

    assert result.status == 200 and result.code is None
    assert "Invalid username or password" in result.page


@pytest.mark.parametrize(
    "pkce",
    [
        pytest.param({}, id="no-code-challenge"),
        pytest.param({"code_challenge_method": "plain", "code_challenge": "x" * 43}, id="plain"),
    ],
)
def test_an_authorization_request_without_pkce_s256_is_refused(
    browser: Browser, keycloak_node: KeycloakNode, pkce: dict[str, str]
) -> None:
    params = {
        "client_id": CLIENT_ID,
        "response_type": "code",
        "scope": "openid",
        "redirect_uri": browser.redirect_uri,
        "state": "s-1",
        **pkce,
    }

    answer = browser.http.get(browser.discovery["authorization_endpoint"], params=params)

    # The redirect URI is genuine, so Keycloak sends the error there; no login page, no code.
    assert answer.status_code == 302
    location = answer.headers["location"]
    assert location.startswith(browser.redirect_uri + "?")
    assert "error=invalid_request" in location and "code=" not in location


def test_a_code_without_the_verifier_is_refused(browser: Browser) -> None:
    code, _ = _code(browser)

    answer = browser.exchange(code, code_verifier=None)

    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_grant"
    assert "access_token" not in answer.json()


def test_a_code_with_a_wrong_verifier_is_refused_and_burnt(browser: Browser) -> None:
    code, verifier = _code(browser)

    wrong = browser.exchange(code, code_verifier="W" * 64)
    after = browser.exchange(code, code_verifier=verifier)

    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"
    # A code that met a wrong verifier is spent: the genuine verifier cannot redeem it afterwards.
    assert after.status_code == 400 and after.json()["error"] == "invalid_grant"


def test_a_code_is_redeemed_once(browser: Browser) -> None:
    code, verifier = _code(browser)

    first = browser.exchange(code, verifier)
    second = browser.exchange(code, verifier)

    assert first.status_code == 200 and "id_token" in first.json()
    assert second.status_code == 400 and second.json()["error"] == "invalid_grant"
    assert "access_token" not in second.json()


def test_a_code_without_the_client_secret_is_refused(browser: Browser) -> None:
    code, verifier = _code(browser)
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "code_verifier": verifier,
        "redirect_uri": browser.redirect_uri,
    }

    public = httpx.post(
        browser.discovery["token_endpoint"], data={**data, "client_id": CLIENT_ID}, timeout=15
    )
    wrong = httpx.post(
        browser.discovery["token_endpoint"], data=data, auth=(CLIENT_ID, "not-the-secret"), timeout=15
    )

    assert public.status_code == 401 and "access_token" not in public.json()
    assert wrong.status_code == 401 and "access_token" not in wrong.json()


def test_a_code_is_bound_to_its_redirect_uri(browser: Browser) -> None:
    code, verifier = _code(browser)
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "code_verifier": verifier,
        "redirect_uri": f"http://127.0.0.1:{free_port()}{REDIRECT_PATH}",
    }

    answer = httpx.post(
        browser.discovery["token_endpoint"],
        data=data,
        auth=(CLIENT_ID, browser.oauth.client_secret),
        timeout=15,
    )

    assert answer.status_code == 400 and answer.json()["error"] == "invalid_grant"


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "http://attacker.example/auth/callback",
        "http://127.0.0.1:8765/auth/callback-evil",
        "http://127.0.0.1:8765/other",
        "http://127.0.0.1.attacker.example/auth/callback",
        "https://127.0.0.1:8765/auth/callback",
    ],
)
def test_a_redirect_uri_that_is_not_registered_gets_no_login_page(
    browser: Browser, redirect_uri: str
) -> None:
    auth = browser.authorize(redirect_uri=redirect_uri)

    answer = browser.http.get(auth.url)

    assert answer.status_code == 400 and "location" not in answer.headers
    assert "kc-form-login" not in answer.text
    assert "Invalid parameter: redirect_uri" in answer.text


def _try_to_become(keycloak_node: KeycloakNode, access_token: str, advisor_id: str) -> int:
    """Post a changed advisor_id to Keycloak's account API with the user's own token; its status."""
    account = f"{keycloak_node.issuer}/account/"
    headers = {"Authorization": f"Bearer {access_token}", "Accept": "application/json"}
    profile = {
        "username": ANNA.username,
        "email": "anna@vertrouwenspersonen.example",
        "firstName": "Anna",
        "lastName": "Voorbeeld",
        "attributes": {"advisor_id": [advisor_id]},
    }
    return httpx.post(account, json=profile, headers=headers, timeout=15).status_code


@pytest.mark.parametrize("client_id", [CLIENT_ID, "account-console"])
def test_a_user_cannot_give_themselves_another_advisor_id(
    keycloak_node: KeycloakNode, client_id: str
) -> None:
    # The workbench's token, and one from Keycloak's own account console (a public client every
    # realm has, made for exactly this kind of self-service request).
    redirect = f"{keycloak_node.issuer}/account/" if client_id == "account-console" else None
    with Browser(keycloak_node, free_port(), client_id=client_id, redirect_uri=redirect) as browser:
        auth = browser.authorize()
        result = browser.login(auth.url, ANNA.username, ANNA.password)
        assert result.code, result.page[:500]
        access_token = browser.exchange(result.code, auth.code_verifier).json()["access_token"]

        status = _try_to_become(keycloak_node, access_token, "adv-bram")

    # The realm grants no account-console role (manage-account): the request is not even read.
    assert status in (401, 403)
    assert _stored_advisor_id(keycloak_node, ANNA.username) == [ANNA.advisor_id]


def _admin_get(keycloak_node: KeycloakNode, path: str, **params: str) -> Any:
    admin = {"Authorization": f"Bearer {keycloak_node.admin_token()}"}
    url = f"{keycloak_node.base_url}/admin/realms/caseflow/{path}"
    answer = httpx.get(url, params=params, headers=admin, timeout=15)
    answer.raise_for_status()
    return answer.json()


def _stored_advisor_id(keycloak_node: KeycloakNode, username: str) -> list[str]:
    (user,) = _admin_get(keycloak_node, "users", username=username, exact="true", briefRepresentation="false")
    advisor_ids: list[str] = user["attributes"]["advisor_id"]
    return advisor_ids


def test_even_with_the_account_console_a_user_cannot_change_advisor_id(keycloak_node: KeycloakNode) -> None:
    # The second line of defence, should a user ever be granted manage-account: the user profile
    # declares advisor_id editable by admins only. Bram gets the role for this test.
    bram = USERS["bram"]
    admin = {"Authorization": f"Bearer {keycloak_node.admin_token()}"}
    (user,) = _admin_get(keycloak_node, "users", username=bram.username, exact="true")
    (account,) = _admin_get(keycloak_node, "clients", clientId="account")
    roles_url = f"{keycloak_node.base_url}/admin/realms/caseflow/users/{user['id']}/role-mappings/clients/{account['id']}"
    manage = [
        r
        for r in _admin_get(keycloak_node, f"clients/{account['id']}/roles")
        if r["name"] == "manage-account"
    ]
    httpx.post(roles_url, json=manage, headers=admin, timeout=15).raise_for_status()
    try:
        redirect = f"{keycloak_node.issuer}/account/"
        with Browser(keycloak_node, client_id="account-console", redirect_uri=redirect) as browser:
            auth = browser.authorize()
            result = browser.login(auth.url, bram.username, bram.password)
            assert result.code, result.page[:500]
            access_token = browser.exchange(result.code, auth.code_verifier).json()["access_token"]
            headers = {"Authorization": f"Bearer {access_token}", "Accept": "application/json"}
            me = httpx.get(redirect, headers=headers, timeout=15)
            assert me.status_code == 200  # the role works: the account API serves Bram
            profile = me.json()
            profile["attributes"] = {**profile.get("attributes", {}), "advisor_id": ["adv-anna"]}

            answer = httpx.post(redirect, json=profile, headers=headers, timeout=15)

        assert answer.status_code in (204, 400, 403), answer.text
        assert _stored_advisor_id(keycloak_node, bram.username) == [bram.advisor_id]
    finally:
        httpx.request("DELETE", roles_url, json=manage, headers=admin, timeout=15).raise_for_status()
