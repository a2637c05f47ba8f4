"""An advisor registers a phone call on /contact: the workbench sends intake's POST
/v1/submissions with the advisor as preferred advisor and the form's random id as Idempotency-Key,
so the same form sent twice is one case. Intake and the workbench run in process (tests/support/
workbench.py); sign-in is the real Keycloak's. The client's story is in the workbench's database
nowhere."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from devinfra.keycloak import KeycloakNode
from services.workbench.adapters.rendering.texts import TEXT
from shared.crypto import Sealed
from shared.directory_copies import directory_records
from tests.support.workbench import TwoServices, signed_in
from tools.demo.sample_org import directory_events

pytestmark = pytest.mark.integration


@pytest.fixture
def services(tmp_path: Path, keycloak_node: KeycloakNode) -> Iterator[TwoServices]:
    both = TwoServices(tmp_path, keycloak_node)
    try:
        yield both
    finally:
        both.stop()


def hidden(html: str, name: str) -> str:
    return html.split(f'name="{name}" value="', 1)[1].split('"', 1)[0]


def test_a_phone_call_becomes_one_case_preferring_the_advisor(
    services: TwoServices, keycloak_node: KeycloakNode, tmp_path: Path
) -> None:
    marker = f"MARK-CALL-{uuid.uuid4().hex[:8]}"
    url = services.workbench.url
    with signed_in(services.workbench, keycloak_node, "anna") as anna:
        assert 'href="/contact?lang=nl"' in anna.http.get(f"{url}/zaken").text
        page = anna.http.get(f"{url}/contact").text
        fields = {
            "csrf": hidden(page, "csrf"),
            "form_id": hidden(page, "form_id"),
            "channel": "phone",
            "organisation_id": "min-bzk",
            "unit_id": "bzk-dgob-ict",
            "client_role": "employee",
            "category": "labour.conflict_with_manager",
            "narrative": f"Belde over haar leidinggevende. {marker}",
            "phone": "0612345678",
        }
        assert anna.http.post(f"{url}/contact", data={**fields, "csrf": "wrong"}).status_code == 403
        for _ in range(2):  # a resubmitted form (a double click, a retry) is the same submission
            sent = anna.http.post(f"{url}/contact", data=fields)
            assert sent.status_code == 303 and sent.headers["location"].endswith("klaar=registered")
        done = anna.http.get(f"{url}{sent.headers['location']}")
        assert TEXT["nl"]["contact_done"]["registered"] in done.text
        assert hidden(done.text, "form_id") != fields["form_id"]  # a new form, a new id
        unknown = anna.http.post(
            f"{url}/contact",
            data={**fields, "form_id": hidden(done.text, "form_id"), "unit_id": "no-such-unit"},
        )
        assert (
            unknown.status_code == 422 and "no-such-unit" not in unknown.text and marker not in unknown.text
        )
    opened = [
        json.loads(v)["payload"]
        for _k, v in services.intake.bus.topics["intake.cases.v1"]
        if b'"CaseOpened"' in v
    ]
    assert [(c["channel"], c["unit_id"]) for c in opened] == [("phone", "bzk-dgob-ict")]
    [routing_facts] = [c["routing_facts"] for c in opened]
    assert set(routing_facts) == {"alg", "kid", "nonce", "ct"}  # the preferred advisor travels sealed
    cipher = services.intake.context.cipher  # type: ignore[union-attr]
    facts = services.workbench.run(
        cipher.open(opened[0]["case_id"], "routing_facts", Sealed.model_validate(routing_facts))
    )
    assert facts["preferred_advisor_id"] == "adv-anna"
    everything = [v for rs in services.intake.bus.topics.values() for _k, v in rs]
    assert not any(marker.encode() in v for v in everything)
    for db in tmp_path.glob("workbench.db*"):
        assert marker.encode() not in db.read_bytes(), db.name


def test_with_the_unit_list_the_advisor_picks_a_unit_by_name_and_no_code_is_asked(
    services: TwoServices, keycloak_node: KeycloakNode
) -> None:
    """Once the workbench has read directory.units.v1 the form lists the units by name per ministry;
    the organisation follows from the unit chosen, a unit not on the list is refused in words."""
    units = [
        (key, value)
        for e in directory_events(datetime.now(UTC))
        for topic, key, value in directory_records(e)
        if topic == "directory.units.v1"
    ]
    services.workbench.feed_records("directory.units.v1", units)
    url = services.workbench.url
    with signed_in(services.workbench, keycloak_node, "anna") as anna:
        page = anna.http.get(f"{url}/contact").text
        assert 'name="organisation_id"' not in page and "<optgroup" in page
        assert '<option value="bzk-dgob-ict">' in page
        fields = {
            "csrf": hidden(page, "csrf"),
            "form_id": hidden(page, "form_id"),
            "channel": "walk_in",
            "unit_id": "bzk-dgob-ict",
            "client_role": "employee",
            "category": "labour.conflict_with_manager",
            "anonymous": "yes",
        }
        refused = anna.http.post(f"{url}/contact", data={**fields, "unit_id": "bzk-nope"})
        assert refused.status_code == 422
        assert TEXT["nl"]["contact_why"]["contact_unknown_unit"] in refused.text
        assert anna.http.post(f"{url}/contact", data=fields).status_code == 303
    opened = [
        json.loads(v)["payload"]
        for _k, v in services.intake.bus.topics["intake.cases.v1"]
        if b'"CaseOpened"' in v
    ]
    assert [(c["organisation_id"], c["unit_id"], c["channel"]) for c in opened] == [
        ("min-bzk", "bzk-dgob-ict", "walk_in")
    ]
