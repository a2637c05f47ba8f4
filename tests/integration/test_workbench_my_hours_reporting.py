"""Mijn uren against reporting itself: an advisor signed in to the workbench at the real Keycloak
sees reporting's advisor view of their own year, asked with their own access token; reporting's
composition root serves it over ASGI on the workbench's loop (as for management's statistics)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from devinfra.keycloak import KeycloakNode
from services.reporting.settings import ReportingSettings
from services.workbench.adapters.reporting_views import ReportingViews
from tests.integration.test_reporting_keycloak_roles import built_on_the_servers_loop
from tests.support.html_page import Page
from tests.support.reporting import folded_year
from tests.support.workbench import WorkbenchServer, signed_in

pytestmark = pytest.mark.integration

YEAR = 2026


def test_an_advisor_sees_reportings_view_of_her_own_year(keycloak_node: KeycloakNode, tmp_path: Path) -> None:
    url, _events = asyncio.run(folded_year(tmp_path / "reporting.db", YEAR, cases=30))
    apps: dict[str, Any] = {}
    views = ReportingViews(
        "http://reporting",
        client=lambda: httpx.AsyncClient(transport=httpx.ASGITransport(app=apps["reporting"]), timeout=10),
    )
    server = WorkbenchServer(tmp_path, keycloak_node, views=views)
    app, engine = server.run(built_on_the_servers_loop(url, keycloak_node))
    apps["reporting"] = app
    try:
        server.clock.now = datetime(YEAR, 12, 1, 9, 0, tzinfo=UTC)
        with signed_in(server, keycloak_node, "anna") as anna:
            page = anna.http.get(f"{server.url}/uren")
            assert page.status_code == 200, page.text[:500]
            captions = [c.text() for c in Page(page.text).root.find_all("caption")]
            assert captions == [f"Uw uren in {YEAR}", f"Scholing en intervisie in {YEAR} tegen de basisnorm"]
            assert "reporting_refused" not in page.text and "reporting_unavailable" not in page.text
            baseline = ReportingSettings().baseline()  # what reporting measures against, as shown
            rows = {r.find_all("th")[0].text(): r for r in Page(page.text).root.find_all("tr")}
            training = [td.text() for td in rows["Scholing (uren)"].find_all("td")]
            supervision = [td.text() for td in rows["Intervisie (bijeenkomsten)"].find_all("td")]
            assert training[1] == str(baseline.training_hours)
            assert supervision[1] == str(baseline.supervision_sessions)
        with signed_in(server, keycloak_node, "management") as management:
            assert management.http.get(f"{server.url}/uren").status_code == 403
    finally:
        server.run(engine.dispose())
        server.stop()
