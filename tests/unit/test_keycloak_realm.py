"""The Keycloak realm file (deploy/keycloak/caseflow-realm.json) says what the sign-in relies on.

Read as data, without a server (tests/integration/test_keycloak_login.py proves it on a real one):
the workbench client is confidential, code flow only, PKCE S256; its redirect URIs are exact
loopback paths (no wildcard); its mappers put advisor_id and the roles into the ID token; the
users' advisor ids are advisors of the sample organisation, each user has exactly one caseflow role.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support.keycloak import CASEFLOW_ROLES, realm, realm_users, workbench_client
from tools.demo.sample_org import ADVISORS

pytestmark = pytest.mark.unit


def test_the_workbench_client_is_confidential_code_flow_only_with_pkce_s256() -> None:
    client = workbench_client()

    assert client["publicClient"] is False and client["secret"]
    assert client["standardFlowEnabled"] is True
    assert not client["implicitFlowEnabled"]
    assert not client["directAccessGrantsEnabled"]  # no password grant: users sign in at Keycloak
    assert not client["serviceAccountsEnabled"]
    assert client["attributes"]["pkce.code.challenge.method"] == "S256"


def test_redirect_uris_are_exact_loopback_paths() -> None:
    uris = workbench_client()["redirectUris"]

    assert uris
    for uri in uris:
        assert "*" not in uri
        # No port: Keycloak matches any port of a loopback http redirect URI (RFC 8252, 7.3).
        assert uri.startswith("http://127.0.0.1/")


def _mapper(name: str) -> dict[str, Any]:
    (mapper,) = [m for m in workbench_client()["protocolMappers"] if m["name"] == name]
    return mapper


@pytest.mark.parametrize("name", ["advisor_id", "roles"])
def test_advisor_id_and_roles_go_into_id_and_access_tokens(name: str) -> None:
    config = _mapper(name)["config"]

    assert config["claim.name"] == name
    assert config["id.token.claim"] == "true" and config["access.token.claim"] == "true"


def test_advisor_id_is_declared_in_the_user_profile_and_only_admins_edit_it() -> None:
    (provider,) = realm()["components"]["org.keycloak.userprofile.UserProfileProvider"]
    profile = json.loads(provider["config"]["kc.user.profile.config"][0])
    (advisor_id,) = [a for a in profile["attributes"] if a["name"] == "advisor_id"]

    assert advisor_id["permissions"]["edit"] == ["admin"]
    assert "unmanagedAttributePolicy" not in profile  # Keycloak drops undeclared attributes


def test_sample_users_are_sample_advisors_or_hold_one_other_role() -> None:
    sample_ids = {a["advisor_id"] for a in ADVISORS}
    users = realm_users().values()

    assert {u.role for u in users} == CASEFLOW_ROLES
    for user in users:
        if user.role == "advisor":
            assert user.advisor_id in sample_ids
        else:
            assert user.advisor_id is None
    assert len({u.advisor_id for u in users if u.advisor_id}) == sum(u.role == "advisor" for u in users)


def test_users_get_no_default_roles() -> None:
    for user in realm()["users"]:
        assert set(user["realmRoles"]) <= CASEFLOW_ROLES
        assert not user.get("clientRoles")
