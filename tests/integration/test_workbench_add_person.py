"""An advisor adds a person involved on the case page. The workbench holds no case key: it sends
the role code and the description to intake in one signed request (POST /v1/cases/{id}/facts);
intake seals them and publishes CaseFactsAmended, and the case file shows the person. The
description's marker is in clear nowhere: not on any topic record, not in the workbench's
database. Intake and the workbench run in process (tests/support/workbench.py); sign-in is the
real Keycloak's."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from devinfra.keycloak import KeycloakNode
from services.workbench.adapters.rendering.texts import TEXT
from tests.support.workbench import TwoServices, signed_in

pytestmark = pytest.mark.integration


@pytest.fixture
def services(tmp_path: Path, keycloak_node: KeycloakNode) -> Iterator[TwoServices]:
    both = TwoServices(tmp_path, keycloak_node)
    try:
        yield both
    finally:
        both.stop()


def csrf_of(html: str) -> str:
    return html.split('name="csrf" value="', 1)[1].split('"', 1)[0]


def test_the_assignee_adds_a_person_and_the_description_is_sealed_everywhere(
    services: TwoServices, keycloak_node: KeycloakNode, tmp_path: Path
) -> None:
    annas = services.open_case("adv-anna")
    marker = f"MARK-PERSON-{uuid.uuid4().hex[:8]}"
    url = services.workbench.url
    with signed_in(services.workbench, keycloak_node, "anna") as anna:
        page = anna.http.get(f"{url}/zaken/{annas}").text
        assert f'action="/zaken/{annas}/betrokkene?lang=nl"' in page and 'value="hr"' in page
        csrf = csrf_of(page)
        assert anna.http.post(f"{url}/zaken/{annas}/betrokkene", data={"role": "hr"}).status_code == 403
        for bad, reason in (
            ({"role": "friend"}, "unknown_person_role"),
            ({"role": "hr", "description": "x" * 1001}, "person_description_too_long"),
        ):
            refused = anna.http.post(f"{url}/zaken/{annas}/betrokkene", data={"csrf": csrf, **bad})
            assert refused.status_code == 409 and TEXT["nl"]["person_why"][reason] in refused.text
        added = anna.http.post(
            f"{url}/zaken/{annas}/betrokkene",
            data={"csrf": csrf, "role": "hr", "description": f"de HR-adviseur {marker}"},
        )
        assert added.status_code == 303 and added.headers["location"].endswith("klaar=person_added")
        shown = anna.http.get(added.headers["location"].replace(f"/zaken/{annas}", f"{url}/zaken/{annas}", 1))
        assert TEXT["nl"]["person_done"]["person_added"] in shown.text
        assert f"HR: de HR-adviseur {marker}" in shown.text
    with signed_in(services.workbench, keycloak_node, "bram") as bram:
        csrf = csrf_of(bram.http.get(f"{url}/meldingen").text)
        refused = bram.http.post(
            f"{url}/zaken/{annas}/betrokkene", data={"csrf": csrf, "role": "hr", "description": "MARK-BRAM"}
        )
        assert refused.status_code == 404
    amended = [
        json.loads(v) for _k, v in services.intake.bus.topics["intake.cases.v1"] if b'"CaseFactsAmended"' in v
    ]
    assert [(e["payload"]["case_id"], e["payload"]["advisor_id"]) for e in amended] == [(annas, "adv-anna")]
    records = [
        v
        for bus in (services.intake.bus, services.workbench.service.bus)
        for rs in bus.topics.values()
        for _k, v in rs
    ]
    assert records and not any(marker.encode() in v or b"MARK-BRAM" in v for v in records)
    for db in tmp_path.glob("workbench.db*"):
        assert marker.encode() not in db.read_bytes(), db.name
