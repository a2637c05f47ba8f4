"""An advisor's "Mijn uren" in the served workbench: reporting's advisor view asked with the token
Keycloak gave at sign-in (reporting itself stands in as a recording HTTP double here), the three
forms CSRF-checked, refused in words, or sent as commands signed for the advisor."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest

from devinfra.keycloak import KeycloakNode
from services.workbench.adapters.command_signer import CommandSigner
from services.workbench.adapters.intake_case_files import IntakeCaseFiles
from services.workbench.adapters.reporting_views import ReportingViews
from tests.support.workbench import SIGNER, WorkbenchServer, signed_in

pytestmark = pytest.mark.integration

ACTIONS = "advisor.actions.v1"


class Reporting:
    """Answers /v1/views/advisor with fixed figures and keeps what it was asked."""

    def __init__(self) -> None:
        self.asked: list[httpx.Request] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.asked.append(request)
        doc: dict[str, Any] = {
            "advisor_id": "adv-anna",
            "year": int(request.url.params["year"]),
            "baseline": {"training_hours": 16, "supervision_sessions": 4},
            "hours_by_activity": {"conversation": 7.5, "administration": 1, "publicity": 0, "training": 3},
            "hours_total": 11.5,
            "training_hours": 3.0,
            "supervision_hours": 2.0,
            "supervision_sessions": 1,
            "meets_baseline": False,
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
    files = IntakeCaseFiles("http://intake.invalid", CommandSigner("workbench", SIGNER))
    server = WorkbenchServer(tmp_path, keycloak_node, views=views, files=files)
    try:
        yield server
    finally:
        server.stop()


def csrf_of(page: httpx.Response) -> str:
    return page.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]


def test_an_advisor_sees_her_hours_and_records_time_training_and_supervision(
    workbench: WorkbenchServer, keycloak_node: KeycloakNode, reporting: Reporting
) -> None:
    url = workbench.url
    with signed_in(workbench, keycloak_node, "anna") as anna:
        page = anna.http.get(f"{url}/uren")
        assert page.status_code == 200, page.text[:300]
        assert "7,5" in page.text and "Nog 13 te gaan" in page.text  # 3 of 16 training hours
        assert 'href="/uren?lang=nl" aria-current="page"' in page.text
        [asked] = reporting.asked
        assert asked.url.path == "/v1/views/advisor"
        assert asked.url.params["year"] == str(workbench.clock.now.year)
        token = asked.headers["authorization"].removeprefix("Bearer ")
        assert token.count(".") == 2  # Keycloak's access token (a JWT), passed on as it came

        csrf = csrf_of(page)
        forged = anna.http.post(
            f"{url}/uren/tijd", data={"csrf": "not-hers", "activity": "publicity", "minutes": "30"}
        )
        assert forged.status_code == 403
        zero = anna.http.post(
            f"{url}/uren/tijd", data={"csrf": csrf, "activity": "publicity", "minutes": "0"}
        )
        assert zero.status_code == 422 and "Het aantal minuten moet groter zijn dan 0." in zero.text
        assert "minutes_not_positive" in zero.text
        assert anna.http.post(f"{url}/uren/verlof", data={"csrf": csrf}).status_code == 404
        assert workbench.service.bus.topics[ACTIONS] == []  # nothing sent for any of these

        today = workbench.clock.now.date().isoformat()
        for form, fields in (
            ("tijd", {"activity": "publicity", "minutes": "45"}),
            ("scholing", {"hours": "2,5", "kind": "refresher", "completed_on": today}),
            ("intervisie", {"hours": "1.5", "session_on": today}),
        ):
            done = anna.http.post(f"{url}/uren/{form}", data={"csrf": csrf, **fields})
            assert done.status_code == 303 and done.headers["location"] == f"/uren?lang=nl&klaar={form}"
        sent = [json.loads(v) for _k, v in workbench.service.bus.topics[ACTIONS]]
        assert [e["event_type"] for e in sent] == ["LogTime", "RegisterTraining", "RegisterSupervision"]
        assert all(e["payload"]["advisor_id"] == "adv-anna" and e["payload"]["auth"] for e in sent)
        assert sent[0]["payload"]["case_id"] is None and sent[0]["payload"]["minutes"] == 45
        assert sent[1]["payload"]["hours"] == 2.5 and sent[2]["payload"]["hours"] == 1.5
        for e in sent:  # signed by the workbench's signer, for Anna, for this very command
            claims = jwt.decode(e["payload"]["auth"], SIGNER.public_key(), algorithms=["EdDSA"])
            assert (claims["iss"], claims["sub"], claims["action"]) == (
                "workbench",
                "adv-anna",
                e["event_type"],
            )
        assert "Uw intervisie is vastgelegd." in anna.http.get(f"{url}/uren?klaar=intervisie").text
    with signed_in(workbench, keycloak_node, "coordinator") as coordinator:
        assert coordinator.http.get(f"{url}/uren").status_code == 403
        assert coordinator.http.post(f"{url}/uren/tijd", data={}).status_code == 403
