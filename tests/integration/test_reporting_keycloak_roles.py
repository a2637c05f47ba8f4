"""Reporting's views take the signed-in role from the same provider as the workbench: a real
Keycloak access token (authorization code + PKCE, the sample realm) opens exactly the view of its
role and subject; the ID token, meant for the workbench, opens none. Management, signed in to the
workbench, sees reporting's protected view of their organisation there and nothing else."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from devinfra.keycloak import KeycloakNode
from services.workbench.adapters.reporting_views import ReportingViews
from tests.support.html_page import Page
from tests.support.keycloak import Browser, realm_users
from tests.support.reporting import ViewsFixture, folded_year, reporting_app, serve_reporting
from tests.support.workbench import WorkbenchServer, signed_in
from tools.reporting.simulated_events import SimulatedEvent

pytestmark = pytest.mark.integration

YEAR = 2026


@pytest.fixture(scope="module")
async def projection(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, list[SimulatedEvent]]:
    return await folded_year(tmp_path_factory.mktemp("kc-roles") / "reporting.db", YEAR, cases=60)


def settings_for(node: KeycloakNode) -> dict[str, str]:
    """Reporting's role settings for the sample realm (as `caseflow up --workbench` sets them)."""
    return {
        "role_jwks_url": f"{node.issuer}/protocol/openid-connect/certs",
        "role_jwt_issuer": node.issuer,
        "role_jwt_audience": "caseflow-reporting",
        "role_claim_org": "organisation_id",
        "role_claim_advisor": "advisor_id",
    }


@pytest.fixture
async def reporting(
    projection: tuple[str, list[SimulatedEvent]], keycloak_node: KeycloakNode
) -> AsyncIterator[ViewsFixture]:
    async for fixture in serve_reporting(*projection, **settings_for(keycloak_node)):
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


def test_management_signs_in_to_the_workbench_and_sees_only_reportings_protected_view(
    projection: tuple[str, list[SimulatedEvent]], keycloak_node: KeycloakNode, tmp_path: Path
) -> None:
    apps: dict[str, Any] = {}
    views = ReportingViews(
        "http://reporting",
        client=lambda: httpx.AsyncClient(transport=httpx.ASGITransport(app=apps["reporting"]), timeout=10),
    )
    server = WorkbenchServer(tmp_path, keycloak_node, views=views)
    app, engine = server.run(built_on_the_servers_loop(projection[0], keycloak_node))
    apps["reporting"] = app
    try:
        server.clock.now = datetime(YEAR, 12, 1, 9, 0, tzinfo=UTC)  # the year the projection holds
        with signed_in(server, keycloak_node, "management") as management:
            page = management.http.get(f"{server.url}/statistieken")
            assert page.status_code == 200, page.text[:500]
            rows = Page(page.text).root.find_all("tr")
            assert [th.text() for th in rows[0].find_all("th")][:2] == ["Onderdeel", "2026-Q1"]
            assert len(rows) > 1 and "case-" not in page.text and "adv-" not in page.text
        with signed_in(server, keycloak_node, "anna") as anna:
            assert anna.http.get(f"{server.url}/statistieken").status_code == 403
    finally:
        server.run(engine.dispose())
        server.stop()


async def built_on_the_servers_loop(url: str, node: KeycloakNode) -> tuple[Any, Any]:
    return reporting_app(url, **settings_for(node))
