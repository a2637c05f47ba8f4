"""An advisor opens one of their cases in the workbench: the narrative comes from intake, fetched
for this request with a token the workbench signs as a registered command signer, and the read is
in the case's access log. Another advisor's case, an unknown one and a forged signer all answer as
an unknown case. Intake and the workbench run in process on one event loop; sign-in is the real
Keycloak's.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from starlette.applications import Starlette

from devinfra.keycloak import KeycloakNode
from services.intake.app import create_runtime as intake_runtime
from services.intake.entrypoints.http_api import intake_routes
from services.intake.settings import IntakeSettings
from services.workbench.adapters.command_signer import CommandSigner
from services.workbench.adapters.intake_case_files import CaseFileRefused, IntakeCaseFiles
from shared.auth import public_key_to_b64
from shared.contracts.directory import CommandSignerRegistered
from shared.envelope import new_envelope
from shared.topics import directory_topics_for
from tests.support import samples
from tests.support.in_process import Bus, InProcess
from tests.support.scheduling_events import ASSIGNMENTS, CASES, assigned, envelope_bytes
from tests.support.services import TEST_MASTER_KEY
from tests.support.workbench import WorkbenchServer, signed_in
from tools.demo.sample_org import directory_events

pytestmark = pytest.mark.integration

SIGNER = Ed25519PrivateKey.generate()
MARKER = "MARK-WB-7"


def signer_registration(key: Ed25519PrivateKey, signer_id: str = "workbench") -> tuple[bytes, bytes]:
    public = public_key_to_b64(key.public_key())
    event = CommandSignerRegistered(
        signer_id=signer_id, public_key_b64=public, valid_from=datetime(2020, 1, 1, tzinfo=UTC)
    )
    stream = f"command-signer:{signer_id}:{public}"
    env = new_envelope(
        event, stream_id=stream, producer="test", occurred_at=datetime.now(UTC), causation_id=None
    )
    return stream.encode(), env.to_bytes()


class TwoServices:
    """Intake in process on the workbench server's loop; the workbench fetches case files from it."""

    def __init__(self, tmp_path: Path, keycloak: KeycloakNode) -> None:
        self.apps: dict[str, Any] = {}
        files = IntakeCaseFiles(
            "http://intake",
            CommandSigner("workbench", SIGNER),
            client=lambda: httpx.AsyncClient(
                transport=httpx.ASGITransport(app=self.apps["intake"]), timeout=10
            ),
        )
        self.workbench = WorkbenchServer(tmp_path, keycloak, files=files)
        settings = IntakeSettings(
            kafka_bootstrap="127.0.0.1:9",
            database_url=f"sqlite+aiosqlite:///{tmp_path}/intake.db",
            keystore_url=f"sqlite+aiosqlite:///{tmp_path}/keys.db",
            master_key=TEST_MASTER_KEY,
            key_cache_seconds=0,
        )
        self.intake = InProcess(intake_runtime(settings), Bus())
        self.workbench.run(self.intake.start())
        context = self.intake.context
        self.apps["intake"] = Starlette(routes=intake_routes(lambda: context))  # type: ignore[arg-type]
        directory = [
            (topic, e.stream_id.encode(), e.to_bytes())
            for e in directory_events(datetime.now(UTC))
            for topic in directory_topics_for(e.event_type)
            if topic in self.intake.consumes
        ]
        self.workbench.run(self.intake.feed_batch(directory))
        self.workbench.run(self.intake.feed("directory.advisors.v1", [signer_registration(SIGNER)]))

    def open_case(self, advisor_id: str) -> str:
        """A submission intake opens as a case, assigned by 'routing' to `advisor_id`; its id."""
        before = len(self.intake.bus.topics[CASES])
        doc = samples.submission(MARKER)
        self.workbench.run(
            self.intake.feed(
                "intake.submissions.v1", [(doc["submission_id"].encode(), samples.to_bytes(doc))]
            )
        )
        opened = [json.loads(v) for _k, v in self.intake.bus.topics[CASES][before:]]
        (case,) = [e for e in opened if e["event_type"] == "CaseOpened"]
        case_id: str = case["payload"]["case_id"]
        self.workbench.service.bus.topics.clear()
        self.workbench.run(
            self.workbench.service.feed(CASES, [(case_id.encode(), self.intake.bus.topics[CASES][-1][1])])
        )
        decision = [(k, v) for _id, k, v in [envelope_bytes(assigned(case_id, advisor_id))]]
        self.workbench.run(self.intake.feed(ASSIGNMENTS, decision))
        self.workbench.run(self.workbench.service.feed(ASSIGNMENTS, decision))
        return case_id

    def stop(self) -> None:
        self.workbench.run(self.intake.stop())
        self.workbench.stop()


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
        assert "Eigen leidinggevende" in page.text
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
