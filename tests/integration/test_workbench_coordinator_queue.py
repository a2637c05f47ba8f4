"""A coordinator gives an escalated case to an advisor of their choice from the workbench's queue.

Routing (its real composition root) and the workbench run in process on one event loop; what one
publishes is handed to the other as the broker would (the workbench's AssignEscalatedCase to
routing's advisor.actions.v1, routing's answers to the workbench's routing.assignments.v1). Sign-in
is the real Keycloak's.

The case: a bullying report in Financiën's tax unit that excludes Carla and Dirk; Eva (VPI) does not
cover unwanted behaviour, so routing escalates it. The BZK coordinator, appointed here for
Financiën too, first chooses Eva (refused: kind mismatch, shown in words), then Anna, who is outside
the case's scope but eligible: the case leaves the queue and is on Anna's list.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from devinfra.keycloak import KeycloakNode
from services.routing.app import create_runtime as routing_runtime
from services.routing.settings import RoutingSettings
from services.workbench.adapters.command_signer import CommandSigner
from services.workbench.adapters.intake_case_files import IntakeCaseFiles
from shared.codes import Category, Channel, ClientRole
from shared.contracts.directory import CoordinatorAppointed
from shared.contracts.intake import CaseOpened
from shared.crypto import CaseCipher
from shared.directory_copies import directory_records
from shared.envelope import Envelope, new_envelope
from tests.support.in_process import Bus, InProcess
from tests.support.services import TEST_MASTER_KEY
from tests.support.workbench import SIGNER, WorkbenchServer, signed_in, signer_registration
from tools.demo.sample_org import directory_events

pytestmark = pytest.mark.integration

CASE = "case-tax-queue"
ACTIONS, ASSIGNMENTS, CASES = "advisor.actions.v1", "routing.assignments.v1", "intake.cases.v1"


def the_directory(now: datetime) -> list[Envelope[Any]]:
    events = directory_events(now)
    both = CoordinatorAppointed(coordinator_id="coord-bzk", organisation_ids=("min-bzk", "min-fin"))
    appointed = new_envelope(
        both, stream_id="coordinator:coord-bzk", producer="test", occurred_at=now, causation_id=None
    )
    return [*events, appointed]


class QueueServices:
    def __init__(self, tmp_path: Path, keycloak: KeycloakNode) -> None:
        files = IntakeCaseFiles("http://intake.invalid", CommandSigner("workbench", SIGNER))
        self.workbench = WorkbenchServer(tmp_path, keycloak, files=files)
        settings = RoutingSettings(
            kafka_bootstrap="127.0.0.1:9",
            database_url=f"sqlite+aiosqlite:///{tmp_path}/routing.db",
            keystore_url=f"sqlite+aiosqlite:///{tmp_path}/routing-keys.db",
            master_key=TEST_MASTER_KEY,
        )
        self.routing = InProcess(routing_runtime(settings), Bus())
        self.workbench.run(self.routing.start())
        self.forwarded = {ACTIONS: 0, ASSIGNMENTS: 0}
        now = datetime.now(UTC)
        records = [r for e in the_directory(now) for r in directory_records(e)]
        self.workbench.run(
            self.routing.feed("directory.v1", [(k, v) for t, k, v in records if t == "directory.v1"])
        )
        self.workbench.run(self.routing.feed("directory.v1", [signer_registration(SIGNER)]))
        self.workbench.feed_records(
            "directory.advisors.v1", [(k, v) for t, k, v in records if t == "directory.advisors.v1"]
        )

    def open_escalated_case(self) -> None:
        async def sealed() -> bytes:
            ctx = self.routing.context
            assert ctx is not None and ctx.keystore is not None
            now = datetime.now(UTC)
            key = (await ctx.keystore.create_keys([CASE], now))[CASE]
            facts = {
                "client_person_id": "p-tax-1",
                "persons_involved": [],
                "preferred_advisor_id": None,
                "excluded_advisor_ids": ["adv-carla", "adv-dirk"],
            }
            opened = CaseOpened(
                case_id=CASE,
                submission_id="sub-tax-queue",
                opened_at=now,
                channel=Channel.WEB,
                organisation_id="min-fin",
                unit_id="fin-tax",
                client_role=ClientRole.EMPLOYEE,
                anonymous=False,
                categories=(Category.BULLYING,),
                personal=CaseCipher.seal_with_key(key, CASE, "personal", {}),
                routing_facts=CaseCipher.seal_with_key(key, CASE, "routing_facts", facts),
            )
            env = new_envelope(opened, stream_id=CASE, producer="intake", occurred_at=now, causation_id=None)
            return env.to_bytes()

        value = self.workbench.run(sealed())
        self.workbench.run(self.routing.feed(CASES, [(CASE.encode(), value)]))
        self.workbench.feed_records(CASES, [(CASE.encode(), value)])
        assert self.pump() == ["RoutingEscalated"]

    def pump(self) -> list[str]:
        """Hand what each published since the last pump to the other; routing's answers' types."""
        commands = self.workbench.service.bus.topics[ACTIONS][self.forwarded[ACTIONS] :]
        self.forwarded[ACTIONS] += len(commands)
        if commands:
            self.workbench.run(self.routing.feed(ACTIONS, list(commands)))
        answers = self.routing.bus.topics[ASSIGNMENTS][self.forwarded[ASSIGNMENTS] :]
        self.forwarded[ASSIGNMENTS] += len(answers)
        if answers:
            self.workbench.feed_records(ASSIGNMENTS, list(answers))
        return [json.loads(v)["event_type"] for _k, v in answers]

    def pump_until(self, done: Callable[[list[str]], bool], timeout: float = 10) -> list[str]:
        seen: list[str] = []
        deadline = time.monotonic() + timeout
        while not done(seen):
            assert time.monotonic() < deadline, f"routing answered only {seen}"
            seen += self.pump()
            if not done(seen):
                time.sleep(0.05)
        return seen

    def stop(self) -> None:
        self.workbench.run(self.routing.stop())
        self.workbench.stop()


@pytest.fixture
def services(tmp_path: Path, keycloak_node: KeycloakNode) -> Iterator[QueueServices]:
    both = QueueServices(tmp_path, keycloak_node)
    try:
        both.open_escalated_case()
        yield both
    finally:
        both.stop()


def csrf_of(page: httpx.Response) -> str:
    return page.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]


def test_a_coordinator_assigns_an_escalated_case_and_sees_a_refusal_in_words(
    services: QueueServices, keycloak_node: KeycloakNode
) -> None:
    url = services.workbench.url
    with signed_in(services.workbench, keycloak_node, "coordinator") as coordinator:
        queue = coordinator.http.get(f"{url}/wachtrij")
        assert queue.status_code == 200
        assert f'action="/wachtrij/{CASE}/toewijzen?lang=nl"' in queue.text
        assert (
            '<option value="adv-anna">adv-anna (integriteit en ongewenste omgangsvormen; intern)'
            in queue.text
        )
        assert "p-hr-2" not in queue.text and "p-tax" not in queue.text  # no person pseudonym

        forged = coordinator.http.post(
            f"{url}/wachtrij/{CASE}/toewijzen", data={"csrf": "wrong", "advisor": "adv-anna"}
        )
        assert forged.status_code == 403
        unknown = coordinator.http.post(
            f"{url}/wachtrij/{CASE}/toewijzen", data={"csrf": csrf_of(queue), "advisor": "adv-nobody"}
        )
        assert unknown.status_code == 409 and "chosen_advisor_unknown" in unknown.text
        assert services.workbench.service.bus.topics[ACTIONS] == []  # nothing sent for either

        sent = coordinator.http.post(
            f"{url}/wachtrij/{CASE}/toewijzen", data={"csrf": csrf_of(queue), "advisor": "adv-eva"}
        )
        assert sent.status_code == 303
        services.pump_until(lambda seen: "AdvisorCommandRejected" in seen)
        refused = coordinator.http.get(f"{url}/wachtrij")
        assert "chosen_advisor_kind_mismatch" in refused.text
        assert "behandelt dit soort melding niet" in refused.text
        english = coordinator.http.get(f"{url}/wachtrij?lang=en")
        assert "does not handle this kind of case" in english.text

        chosen = coordinator.http.post(
            f"{url}/wachtrij/{CASE}/toewijzen", data={"csrf": csrf_of(queue), "advisor": "adv-anna"}
        )
        assert chosen.status_code == 303
        services.pump_until(lambda seen: "AdvisorAssigned" in seen)
        after = coordinator.http.get(f"{url}/wachtrij")
        assert CASE not in after.text and "Er wachten nu geen meldingen." in after.text
        assert coordinator.http.get(f"{url}/zaken/{CASE}").status_code == 403  # never a case file
    with signed_in(services.workbench, keycloak_node, "anna") as anna:
        assert f'href="/zaken/{CASE}?lang=nl"' in anna.http.get(f"{url}/zaken").text
        assert anna.http.get(f"{url}/wachtrij").status_code == 403
        assert anna.http.post(f"{url}/wachtrij/{CASE}/toewijzen", data={}).status_code == 403


def test_a_coordinator_sees_and_assigns_only_the_escalated_cases_of_their_own_organisations(
    services: QueueServices, keycloak_node: KeycloakNode
) -> None:
    """coord-bzk coordinating only BZK again: Financiën's waiting case leaves her queue (coded facts
    of another ministry's case are not hers to see), and a choice for it is refused before sending."""
    url = services.workbench.url
    with signed_in(services.workbench, keycloak_node, "coordinator") as coordinator:
        csrf = csrf_of(coordinator.http.get(f"{url}/wachtrij"))
        bzk_only = CoordinatorAppointed(coordinator_id="coord-bzk", organisation_ids=("min-bzk",))
        services.workbench.feed("directory.advisors.v1", bzk_only)
        queue = coordinator.http.get(f"{url}/wachtrij")
        assert CASE not in queue.text and "Er wachten nu geen meldingen." in queue.text
        refused = coordinator.http.post(
            f"{url}/wachtrij/{CASE}/toewijzen", data={"csrf": csrf, "advisor": "adv-anna"}
        )
        assert refused.status_code == 409 and "case_not_escalated" in refused.text
        assert services.workbench.service.bus.topics[ACTIONS] == []
