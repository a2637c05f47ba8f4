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
from services.workbench.adapters import reflection_talks
from services.workbench.adapters.reporting_views import ReportingViews
from shared.contracts.advisor_commands import AdvisorCommandRejected
from shared.contracts.directory import AdvisorUpserted
from shared.contracts.routing import ReflectionTalkRegistered
from shared.directory_copies import directory_records
from shared.envelope import new_envelope
from tests.integration.test_workbench_coordinator_queue_kafka import csrf_of
from tests.support.workbench import WorkbenchServer, signed_in
from tools.demo.sample_org import ADVISORS, directory_events

pytestmark = pytest.mark.integration


class Reporting:
    def __init__(self) -> None:
        self.asked: list[httpx.Request] = []
        self.withheld: set[str] = set()  # advisors reporting cannot confirm as the coordinator's

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.asked.append(request)
        ids = request.url.params["advisors"].split(",")
        doc: dict[str, Any] = {
            "year": int(request.url.params["year"]),
            "baseline": {"training_hours": 16, "supervision_sessions": 4},
            "advisors": [
                {"advisor_id": a, "hours_total": 10 + i, "training_hours": 16, "supervision_sessions": i}
                for i, a in enumerate(ids)
                if a not in self.withheld
            ],
            "withheld": sorted(self.withheld & set(ids)),
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


def test_an_advisor_reporting_withholds_shows_no_figures_and_the_others_theirs(
    workbench: WorkbenchServer, keycloak_node: KeycloakNode, reporting: Reporting
) -> None:
    reporting.withheld = {"adv-bram"}
    with signed_in(workbench, keycloak_node, "coordinator") as coordinator:
        page = coordinator.http.get(f"{workbench.url}/adviseurs")
    assert page.status_code == 200 and 'class="problem"' not in page.text
    bram = page.text.split('<th scope="row"><code>adv-bram</code></th>', 1)[1].split("</tr>", 1)[0]
    anna = page.text.split('<th scope="row"><code>adv-anna</code></th>', 1)[1].split("</tr>", 1)[0]
    assert bram.count("geen cijfers") == 3 and "16 van 16" in anna


def talk_cell(page: str, advisor_id: str) -> str:
    row = page.split(f'<th scope="row"><code>{advisor_id}</code></th>', 1)[1].split("</tr>", 1)[0]
    return row.rsplit("<td>", 1)[1]


def test_the_last_reflection_talk_is_shown_and_one_over_a_year_ago_is_due(
    workbench: WorkbenchServer, keycloak_node: KeycloakNode
) -> None:
    today = datetime.now(UTC).date()
    recent, old = today - timedelta(days=40), today - timedelta(days=400)
    workbench.feed(
        "routing.alerts.v1",
        ReflectionTalkRegistered(
            advisor_id="adv-anna", coordinator_id="coord-bzk", held_on=recent, registered_at=datetime.now(UTC)
        ),
        ReflectionTalkRegistered(  # registered late for an earlier day: the later talk still counts
            advisor_id="adv-anna", coordinator_id="coord-bzk", held_on=old, registered_at=datetime.now(UTC)
        ),
        ReflectionTalkRegistered(
            advisor_id="adv-bram", coordinator_id="coord-bzk", held_on=old, registered_at=datetime.now(UTC)
        ),
    )
    with signed_in(workbench, keycloak_node, "coordinator") as coordinator:
        page = coordinator.http.get(f"{workbench.url}/adviseurs").text
    anna, bram = talk_cell(page, "adv-anna"), talk_cell(page, "adv-bram")
    assert recent.strftime("%d-%m-%Y") in anna and "aan de beurt" not in anna
    assert old.strftime("%d-%m-%Y") in bram and "jaarlijks gesprek is aan de beurt" in bram


def test_a_talk_the_workbench_cannot_sign_or_routing_refuses_is_explained_in_words(
    workbench: WorkbenchServer, keycloak_node: KeycloakNode
) -> None:
    """This workbench has no command signer: the form says so. Routing's later refusal of a sent
    registration (it names the coordinator, not the advisor) is shown against the last one sent."""
    url, held_on = workbench.url, datetime.now(UTC).date() - timedelta(days=3)
    with signed_in(workbench, keycloak_node, "coordinator") as coordinator:
        csrf = csrf_of(coordinator.http.get(f"{url}/adviseurs"))
        form = {"csrf": csrf, "advisor": "adv-anna", "held_on": held_on.isoformat()}
        unsigned = coordinator.http.post(f"{url}/adviseurs/reflectiegesprek", data=form)
        assert unsigned.status_code == 422
        assert "kan nu geen opdrachten ondertekenen" in unsigned.text
        assert (
            coordinator.http.post(f"{url}/adviseurs/reflectiegesprek", data={**form, "csrf": "x"}).status_code
            == 403
        )

        async def sent_earlier() -> None:
            async with workbench.service.context.engine.begin() as conn:  # type: ignore[union-attr]
                await reflection_talks.record_sent(
                    conn, "coord-bzk", "adv-anna", held_on, datetime.now(UTC) - timedelta(minutes=1)
                )

        workbench.run(sent_earlier())
        workbench.feed(
            "routing.assignments.v1",
            AdvisorCommandRejected(
                command="RegisterReflectionTalk",
                reason_code="not_coordinator",
                advisor_id="coord-bzk",
                case_id=None,
                rejected_at=datetime.now(UTC),
            ),
        )
        page = coordinator.http.get(f"{url}/adviseurs").text
    said = f"Het gesprek met adv-anna op {held_on.strftime('%d-%m-%Y')} is niet vastgelegd"
    assert said in page and "geen coördinator (meer)" in page and "<code>not_coordinator</code>" in page
