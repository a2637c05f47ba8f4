"""An advisor opens one of their cases in the workbench: the narrative comes from intake, fetched
for this request with a token the workbench signs as a registered command signer, and the read is
in the case's access log. Another advisor's case, an unknown one and a forged signer all answer as
an unknown case. Intake and the workbench run in process on one event loop (tests/support/
workbench.py); sign-in is the real Keycloak's.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from devinfra.keycloak import KeycloakNode
from services.workbench.adapters.command_signer import CommandSigner
from services.workbench.adapters.intake_case_files import CaseFileRefused, IntakeCaseFiles
from tests.support.workbench import MARKER, TwoServices, signed_in

pytestmark = pytest.mark.integration


@pytest.fixture
def services(tmp_path: Path, keycloak_node: KeycloakNode) -> Iterator[TwoServices]:
    both = TwoServices(tmp_path, keycloak_node)
    try:
        yield both
    finally:
        both.stop()


def test_an_advisor_opens_her_case_and_the_read_is_recorded(
    services: TwoServices, keycloak_node: KeycloakNode
) -> None:
    annas = services.open_case("adv-anna")
    brams = services.open_case("adv-bram")
    url = services.workbench.url
    with signed_in(services.workbench, keycloak_node, "anna") as anna:
        listed = anna.http.get(f"{url}/zaken")
        assert f'href="/zaken/{annas}?lang=nl"' in listed.text and brams not in listed.text
        page = anna.http.get(f"{url}/zaken/{annas}")
        assert page.status_code == 200, page.text[:500]
        assert f"MARK-NARR-{MARKER}" in page.text and f"boss MARK-DESC-{MARKER}" in page.text
        assert f"Eigen leidinggevende: boss MARK-DESC-{MARKER}" in page.text  # the role with the person
        assert (
            "adv-anna" in page.text.split("Wie deze melding heeft geopend")[1]
        )  # this read, in the access log
        for other in (brams, "case-does-not-exist", "x" * 65):
            refused = anna.http.get(f"{url}/zaken/{other}")
            assert refused.status_code == 404 and "niet aan u toegewezen" in refused.text
            assert MARKER not in refused.text
        assert anna.http.get(f"{url}/zaken/../v1/cases").status_code == 404
    with signed_in(services.workbench, keycloak_node, "coordinator") as coordinator:
        assert coordinator.http.get(f"{url}/zaken/{annas}").status_code == 403  # never a case file


def test_intake_refuses_a_workbench_whose_signer_it_does_not_know(
    services: TwoServices, keycloak_node: KeycloakNode
) -> None:
    annas = services.open_case("adv-anna")
    forged = IntakeCaseFiles(
        "http://intake",
        CommandSigner("workbench", Ed25519PrivateKey.generate()),
        client=lambda: httpx.AsyncClient(
            transport=httpx.ASGITransport(app=services.apps["intake"]), timeout=10
        ),
    )

    async def read() -> str:
        try:
            await forged.read("adv-anna", annas, datetime.now(UTC))
        except CaseFileRefused as refused:
            return refused.reason
        return "opened"

    assert services.workbench.run(read()) == "signature_invalid"


def csrf_of(html: str) -> str:
    return html.split('name="csrf" value="', 1)[1].split('"', 1)[0]


def test_an_advisor_accepts_the_case_and_answers_the_client(
    services: TwoServices, keycloak_node: KeycloakNode
) -> None:
    annas = services.open_case("adv-anna")
    url = services.workbench.url
    with signed_in(services.workbench, keycloak_node, "anna") as anna:
        page = anna.http.get(f"{url}/zaken/{annas}").text
        assert "Melding aannemen" in page and 'name="text"' not in page
        csrf = csrf_of(page)
        assert anna.http.post(f"{url}/zaken/{annas}/aannemen", data={}).status_code == 403  # no CSRF token
        early = anna.http.post(f"{url}/zaken/{annas}/bericht", data={"csrf": csrf, "text": "hallo"})
        assert early.status_code == 409 and "not_accepted" in early.text
        assert anna.http.post(f"{url}/zaken/{annas}/aannemen", data={"csrf": csrf}).status_code == 303
        [(key, command)] = services.workbench.service.bus.topics["advisor.actions.v1"]
        sent = json.loads(command)
        assert (sent["event_type"], sent["payload"]["advisor_id"]) == ("AcceptCase", "adv-anna")
        services.workbench.run(
            services.intake.feed("advisor.actions.v1", [(key, command)])
        )  # as the broker would
        page = anna.http.get(f"{url}/zaken/{annas}").text
        assert "Melding aannemen" not in page and 'name="text"' in page
        answered = anna.http.post(
            f"{url}/zaken/{annas}/bericht", data={"csrf": csrf, "text": "Wanneer kunnen we praten?"}
        )
        assert answered.status_code == 303 and answered.headers["location"].endswith("klaar=sent")
        assert "Wanneer kunnen we praten?" in anna.http.get(f"{url}/zaken/{annas}").text
    with signed_in(services.workbench, keycloak_node, "bram") as bram:
        csrf = csrf_of(bram.http.get(f"{url}/meldingen").text)
        for action, data in (("aannemen", {}), ("bericht", {"text": "ik ben bram"})):
            refused = bram.http.post(f"{url}/zaken/{annas}/{action}", data={"csrf": csrf, **data})
            assert refused.status_code == 404 and "niet aan u toegewezen" in refused.text
    assert "ik ben bram" not in json.dumps(
        [v.decode() for _k, v in services.intake.bus.topics["intake.cases.v1"]]
    )
