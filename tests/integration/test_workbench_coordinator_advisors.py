"""A coordinator's "Vertrouwenspersonen" in the served workbench: the advisors of their organisation
from the directory's narrow copy, their figures from reporting's coordinator view asked with the
coordinator's own Keycloak token (reporting stands in as a recording HTTP double), and the
appointments ending within six months. An advisor may not open it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from devinfra.keycloak import KeycloakNode
from services.workbench.adapters.reporting_views import ReportingViews
from shared.contracts.directory import AdvisorUpserted
from shared.directory_copies import directory_records
from shared.envelope import new_envelope
from tests.support.workbench import WorkbenchServer, signed_in
from tools.demo.sample_org import ADVISORS, directory_events

pytestmark = pytest.mark.integration


class Reporting:
    def __init__(self) -> None:
        self.asked: list[httpx.Request] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.asked.append(request)
        ids = request.url.params["advisors"].split(",")
        doc: dict[str, Any] = {
            "year": int(request.url.params["year"]),
            "baseline": {"training_hours": 16, "supervision_sessions": 4},
            "advisors": [
                {"advisor_id": a, "hours_total": 10 + i, "training_hours": 16, "supervision_sessions": i}
                for i, a in enumerate(ids)
            ],
        }
        return httpx.Response(200, json=doc)


@pytest.fixture
def reporting() -> Reporting:
    return Reporting()


@pytest.fixture
def workbench(tmp_path: Path, keycloak_node: KeycloakNode, reporting: Reporting) -> Iterator[WorkbenchServer]:
    views = ReportingViews(
        "http://reporting.test",
        client=lambda: httpx.AsyncClient(transport=httpx.MockTransport(reporting.handle)),
    )
    server = WorkbenchServer(tmp_path, keycloak_node, views=views)
    try:
        now = datetime.now(UTC)
        [spec] = [a for a in ADVISORS if a["advisor_id"] == "adv-bram"]
        soon = AdvisorUpserted(
            term_start=date(2024, 1, 1), term_end=(now + timedelta(days=60)).date(), **spec
        )
        ending = new_envelope(
            soon, stream_id=soon.advisor_id, producer="test", occurred_at=now, causation_id=None
        )
        records = [
            (k, v)
            for e in [*directory_events(now), ending]
            for t, k, v in directory_records(e)
            if t == "directory.advisors.v1"
        ]
        server.feed_records("directory.advisors.v1", records)
        yield server
    finally:
        server.stop()


def test_a_coordinator_sees_the_advisors_of_her_organisation_and_terms_ending(
    workbench: WorkbenchServer, keycloak_node: KeycloakNode, reporting: Reporting
) -> None:
    url = workbench.url
    bzk = sorted(str(a["advisor_id"]) for a in ADVISORS if a["organisation_id"] == "min-bzk")
    with signed_in(workbench, keycloak_node, "coordinator") as coordinator:
        page = coordinator.http.get(f"{url}/adviseurs")
        assert page.status_code == 200, page.text[:300]
        [asked] = reporting.asked
        assert asked.url.path == "/v1/views/coordinator"
        assert asked.url.params["advisors"].split(",") == bzk  # only her organisation's advisors
        assert asked.headers["authorization"].removeprefix("Bearer ").count(".") == 2
        for advisor_id in bzk:
            assert f"<code>{advisor_id}</code>" in page.text
        assert "adv-carla" not in page.text  # Financiën's advisor
        terms = page.text.split("Benoemingen die binnen zes maanden aflopen", 1)[1]
        assert "adv-bram" in terms and "adv-anna" not in terms
        assert "16 van 16" in page.text
    with signed_in(workbench, keycloak_node, "anna") as anna:
        assert anna.http.get(f"{url}/adviseurs").status_code == 403
