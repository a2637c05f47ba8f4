"""The coordinator's choice end to end on the real broker: the workbench (its composition root, its
pages served over HTTP, its outbox and consumers on Kafka) and routing run in process under a fresh
topic prefix, the HR feed's directory on directory.v1 and its narrow copy, sign-in at the real
Keycloak. The case and the advisors are those of test_workbench_coordinator_queue.py: Eva is refused
(kind mismatch, in words on /wachtrij), Anna gets the case and finds it on /zaken.
"""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import Callable, Coroutine, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette

from devinfra.keycloak import KeycloakNode
from devinfra.ports import free_port
from services.routing.app import create_runtime as routing_runtime
from services.routing.settings import RoutingSettings
from services.workbench.adapters.command_signer import CommandSigner
from services.workbench.adapters.intake_case_files import IntakeCaseFiles
from services.workbench.app import create_runtime as workbench_runtime
from services.workbench.settings import WorkbenchSettings
from shared.codes import Category, Channel, ClientRole
from shared.contracts.intake import CaseOpened
from shared.crypto import CaseCipher
from shared.envelope import new_envelope
from shared.topics_config import apply_topics
from tests.integration.test_workbench_coordinator_queue import CASE, the_directory
from tests.support.directory import produce_directory
from tests.support.kafka_io import produce
from tests.support.keycloak import client_secret
from tests.support.services import TEST_MASTER_KEY
from tests.support.workbench import SIGNER, signed_in, signer_registration

pytestmark = pytest.mark.integration

T = TypeVar("T")


class OnKafka:
    """Routing and the workbench on one event loop in a thread of their own; the workbench's pages
    on 127.0.0.1 under uvicorn, so a sync test (and its Keycloak browser) can talk to it."""

    def __init__(self, tmp_path: Path, keycloak: KeycloakNode, kafka: str) -> None:
        self.kafka, self.prefix = kafka, f"t-wb-queue-{uuid.uuid4().hex[:8]}."
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self._loop = asyncio.new_event_loop()
        self._stop = asyncio.Event()
        self._thread = threading.Thread(target=self._loop.run_forever, name="on-kafka", daemon=True)
        self._thread.start()
        self.run(apply_topics(kafka, self.prefix, replication_factor=1))
        self.run(produce_directory(kafka, self.prefix, the_directory(datetime.now(UTC))))
        for topic in ("directory.v1", "directory.advisors.v1"):
            self.run(produce(kafka, self.prefix + topic, [signer_registration(SIGNER)]))
        common: dict[str, Any] = {"kafka_bootstrap": kafka, "topic_prefix": self.prefix}
        self.routing = routing_runtime(
            RoutingSettings(
                database_url=f"sqlite+aiosqlite:///{tmp_path}/routing.db",
                keystore_url=f"sqlite+aiosqlite:///{tmp_path}/routing-keys.db",
                master_key=TEST_MASTER_KEY,
                consumer_group=f"{self.prefix}routing",
                **common,
            )
        )
        self.workbench = workbench_runtime(
            WorkbenchSettings(
                database_url=f"sqlite+aiosqlite:///{tmp_path}/workbench.db",
                oidc_issuer=keycloak.issuer,
                oidc_client_secret=client_secret(),
                public_url=self.url,
                consumer_group=f"{self.prefix}workbench",
                **common,
            ),
            files=IntakeCaseFiles("http://intake.invalid", CommandSigner("workbench", SIGNER)),
        )
        self._routing_tasks = self.run(self.routing.start(self._stop))
        self._workbench_tasks = self.run(self.workbench.start(self._stop))
        assert self.workbench._http_routes is not None
        app = Starlette(routes=self.workbench._http_routes(lambda: self.workbench.context))
        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
        self._server = uvicorn.Server(config)
        self._served = asyncio.run_coroutine_threadsafe(self._server.serve(), self._loop)
        wait_for(lambda: self._server.started, "the workbench's HTTP server to start")

    def run(self, work: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(work, self._loop).result(90)

    def open_case(self) -> None:
        """The case as intake would publish it on intake.cases.v1, sealed to routing's case key."""

        async def publish() -> None:
            keystore = self.routing.context.keystore
            assert keystore is not None
            now = datetime.now(UTC)
            key = (await keystore.create_keys([CASE], now))[CASE]
            facts = {
                "client_person_id": "p-tax-1",
                "persons_involved": [],
                "preferred_advisor_id": None,
                "excluded_advisor_ids": ["adv-carla", "adv-dirk"],
            }
            opened = CaseOpened(
                case_id=CASE,
                submission_id="sub-tax-queue-kafka",
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
            await produce(self.kafka, self.prefix + "intake.cases.v1", [(CASE.encode(), env.to_bytes())])

        self.run(publish())

    def stop(self) -> None:
        self._server.should_exit = True
        try:
            self._served.result(15)
        finally:
            self._loop.call_soon_threadsafe(self._stop.set)
            self.run(self.workbench.stop(self._workbench_tasks))
            self.run(self.routing.stop(self._routing_tasks))
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(15)


def wait_for(done: Callable[[], bool], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, f"waited {timeout}s for {what}"
        time.sleep(0.2)


@pytest.fixture
def stack(tmp_path: Path, keycloak_node: KeycloakNode, kafka_bootstrap: str) -> Iterator[OnKafka]:
    both = OnKafka(tmp_path, keycloak_node, kafka_bootstrap)
    try:
        yield both
    finally:
        both.stop()


def csrf_of(page: httpx.Response) -> str:
    return page.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]


def test_a_coordinators_choice_goes_through_kafka_to_routing_and_back(
    stack: OnKafka, keycloak_node: KeycloakNode
) -> None:
    url = stack.url
    with signed_in(stack, keycloak_node, "coordinator") as coordinator:  # type: ignore[arg-type]

        def queue() -> httpx.Response:
            return coordinator.http.get(f"{url}/wachtrij")

        def advisors() -> str:
            return coordinator.http.get(f"{url}/adviseurs").text

        wait_for(lambda: "<code>adv-anna</code>" in advisors(), "the advisors from directory.advisors.v1")
        stack.open_case()
        wait_for(lambda: f"/wachtrij/{CASE}/toewijzen" in queue().text, "routing's RoutingEscalated")
        assert '<option value="adv-eva">' in queue().text
        csrf = csrf_of(queue())
        sent = coordinator.http.post(
            f"{url}/wachtrij/{CASE}/toewijzen", data={"csrf": csrf, "advisor": "adv-eva"}
        )
        assert sent.status_code == 303
        wait_for(lambda: "chosen_advisor_kind_mismatch" in queue().text, "routing's refusal")
        assert "behandelt dit soort melding niet" in queue().text
        chosen = coordinator.http.post(
            f"{url}/wachtrij/{CASE}/toewijzen", data={"csrf": csrf, "advisor": "adv-anna"}
        )
        assert chosen.status_code == 303
        wait_for(lambda: CASE not in queue().text, "routing's AdvisorAssigned")
    with signed_in(stack, keycloak_node, "anna") as anna:  # type: ignore[arg-type]
        assert f'href="/zaken/{CASE}?lang=nl"' in anna.http.get(f"{url}/zaken").text


def talk_cell(page: str, advisor_id: str) -> str:
    """The reflection-talk cell (the row's last) of an advisor on /adviseurs."""
    row = page.split(f'<th scope="row"><code>{advisor_id}</code></th>', 1)[1].split("</tr>", 1)[0]
    return row.rsplit("<td>", 1)[1]


def test_a_coordinator_records_a_reflection_talk_through_routing(
    stack: OnKafka, keycloak_node: KeycloakNode
) -> None:
    """The form's command goes to routing on advisor.actions.v1; routing's ReflectionTalkRegistered
    on routing.alerts.v1 puts the date in the table. Refused forms send nothing and say why."""
    url = stack.url
    held_on = datetime.now(UTC).date() - timedelta(days=12)
    with signed_in(stack, keycloak_node, "coordinator") as coordinator:  # type: ignore[arg-type]

        def advisors() -> str:
            return coordinator.http.get(f"{url}/adviseurs").text

        wait_for(lambda: "<code>adv-anna</code>" in advisors(), "the advisors from directory.advisors.v1")
        page = advisors()
        assert "nog niet vastgelegd" in talk_cell(page, "adv-anna")
        assert "jaarlijks gesprek is aan de beurt" in talk_cell(page, "adv-anna")
        csrf = csrf_of(coordinator.http.get(f"{url}/adviseurs"))
        form = {"csrf": csrf, "advisor": "adv-anna"}
        future = coordinator.http.post(
            f"{url}/adviseurs/reflectiegesprek",
            data={**form, "held_on": (held_on + timedelta(days=30)).isoformat()},
        )
        assert future.status_code == 422 and "De datum ligt in de toekomst" in future.text
        carla = coordinator.http.post(
            f"{url}/adviseurs/reflectiegesprek",
            data={**form, "advisor": "adv-carla", "held_on": held_on.isoformat()},
        )  # Financiën's advisor: not on this coordinator's page
        assert carla.status_code == 422 and "advisor_not_yours" in carla.text
        sent = coordinator.http.post(
            f"{url}/adviseurs/reflectiegesprek", data={**form, "held_on": held_on.isoformat()}
        )
        assert sent.status_code == 303
        assert "reflectiegesprek is verstuurd" in coordinator.http.get(url + sent.headers["location"]).text
        shown = held_on.strftime("%d-%m-%Y")
        wait_for(lambda: shown in talk_cell(advisors(), "adv-anna"), "routing's ReflectionTalkRegistered")
        assert "aan de beurt" not in talk_cell(advisors(), "adv-anna")
        assert "nog niet vastgelegd" in talk_cell(advisors(), "adv-bram")
