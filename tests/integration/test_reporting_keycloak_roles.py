"""Reporting's views take the signed-in role from the same provider as the workbench: a real
Keycloak access token (authorization code + PKCE, the sample realm) opens exactly the view of its
role and subject; the ID token, meant for the workbench, opens none."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from devinfra.keycloak import KeycloakNode
from tests.support.keycloak import Browser, realm_users
from tests.support.reporting import ViewsFixture, folded_year, serve_reporting
from tools.reporting.simulated_events import SimulatedEvent

pytestmark = pytest.mark.integration

YEAR = 2026


@pytest.fixture(scope="module")
async def projection(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, list[SimulatedEvent]]:
    return await folded_year(tmp_path_factory.mktemp("kc-roles") / "reporting.db", YEAR, cases=60)


@pytest.fixture
async def reporting(
    projection: tuple[str, list[SimulatedEvent]], keycloak_node: KeycloakNode
) -> AsyncIterator[ViewsFixture]:
    settings = {
        "role_jwks_url": f"{keycloak_node.issuer}/protocol/openid-connect/certs",
        "role_jwt_issuer": keycloak_node.issuer,
        "role_jwt_audience": "caseflow-reporting",
        "role_claim_org": "organisation_id",
        "role_claim_advisor": "advisor_id",
    }
    async for fixture in serve_reporting(*projection, **settings):
        yield fixture


def tokens_of(node: KeycloakNode, username: str) -> dict[str, Any]:
    with Browser(node) as browser:
        auth = browser.authorize()
        user = realm_users()[username]
        return browser.fetch_token(browser.login(auth.url, user.username, user.password), auth)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_managements_access_token_opens_its_organisations_view_only(
    reporting: ViewsFixture, keycloak_node: KeycloakNode
) -> None:
    tokens = tokens_of(keycloak_node, "management")
    view = "/v1/views/management"
    own = await reporting.client.get(
        view, params={"org": "min-bzk", "year": YEAR}, headers=bearer(tokens["access_token"])
    )
    assert own.status_code == 200, own.text
    other = await reporting.client.get(
        view, params={"org": "min-fin", "year": YEAR}, headers=bearer(tokens["access_token"])
    )
    assert other.status_code == 403
    id_token = await reporting.client.get(
        view, params={"org": "min-bzk", "year": YEAR}, headers=bearer(tokens["id_token"])
    )
    assert id_token.status_code == 401 and id_token.json()["error"] == "credential_issuer_or_audience_wrong"


async def test_an_advisors_access_token_opens_their_own_figures_and_nothing_of_management(
    reporting: ViewsFixture, keycloak_node: KeycloakNode
) -> None:
    access = tokens_of(keycloak_node, "anna")["access_token"]
    own = await reporting.client.get("/v1/views/advisor", params={"year": YEAR}, headers=bearer(access))
    assert own.status_code == 200, own.text
    assert "adv-anna" in own.text
    management = await reporting.client.get(
        "/v1/views/management", params={"org": "min-bzk", "year": YEAR}, headers=bearer(access)
    )
    assert management.status_code == 403
