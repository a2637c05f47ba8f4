"""A coordinator assigns an escalated case (AssignEscalatedCase), on routing's real composition root
(SQLite, in-memory bus, no broker): admitted only from a coordinator of the case's organisation while
the case waits, given only to an advisor the routing policy finds eligible, audited like any decision.

The case: Iris in the small ICT team of BZK reports bullying and excludes Anna, Carla and Dirk; Bram
works in her small unit and Eva (VPI) does not cover unwanted behaviour. Nobody in scope is eligible,
so the case is escalated. Femke, a cross-unit advisor of Financiën who serves only Financiën's units,
is outside the case's scope: the BZK coordinator may choose her.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from services.routing.adapters.case_rows import case_row
from services.routing.app import create_runtime
from services.routing.application.audit import audit
from services.routing.domain.policy import PolicySettings
from services.routing.settings import RoutingSettings
from services.scheduling.adapters.projection import ASSIGNEES as SCHEDULING_ASSIGNEES
from services.scheduling.app import create_runtime as create_scheduling
from services.scheduling.settings import SchedulingSettings
from shared.assignee_projection import assignee_change
from shared.auth import authorize_command, public_key_to_b64
from shared.codes import Category, Channel, ClientRole
from shared.contracts.advisor_actions import AssignEscalatedCase
from shared.contracts.directory import AdvisorKeyRegistered, CoordinatorAppointed
from shared.contracts.intake import CaseOpened
from shared.crypto import CaseCipher
from shared.envelope import decode_envelope, new_envelope
from tests.support.in_process import Bus, InProcess
from tests.support.services import TEST_MASTER_KEY
from tools.demo.sample_org import ADVISORS, advisor_private_key, directory_events

pytestmark = pytest.mark.handlers

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
CASE = "case-iris"
COORDINATOR = "coord-bzk"  # coordinates min-bzk (tools/demo/sample_org.py)
FEMKE = {
    "advisor_id": "adv-femke",
    "person_id": "p-tax-1",
    "kind": "VPIO",
    "scope": "cross_unit",
    "organisation_id": "min-fin",
    "served_unit_ids": ("fin",),
    "languages": ("nl",),
    "locations": ("Den Haag",),
    "weekly_hours": 4.0,
}
ASSIGNMENTS = "routing.assignments.v1"


@dataclass
class Routing:
    service: InProcess

    @property
    def cipher(self) -> CaseCipher:
        ctx = self.service.context
        assert ctx is not None and ctx.cipher is not None
        return ctx.cipher

    def published(self) -> list[dict[str, Any]]:
        return [json.loads(value) for _key, value in self.service.bus.topics[ASSIGNMENTS]]

    async def send(self, command: AssignEscalatedCase) -> list[dict[str, Any]]:
        """Publish one command (a fresh envelope) and return what routing answered to it."""
        before = len(self.published())
        env = new_envelope(
            command, stream_id=command.advisor_id, producer="workbench", occurred_at=NOW, causation_id=None
        )
        await self.service.feed("advisor.actions.v1", [(command.advisor_id.encode(), env.to_bytes())])
        return self.published()[before:]

    async def status(self) -> tuple[str, str | None]:
        ctx = self.service.context
        assert ctx is not None
        async with ctx.engine.connect() as conn:
            row = await case_row(conn, CASE)
        return row.status, row.current_advisor_id


@pytest.fixture
async def routing(tmp_path: Path) -> AsyncIterator[Routing]:
    settings = RoutingSettings(
        kafka_bootstrap="127.0.0.1:9",
        database_url=f"sqlite+aiosqlite:///{tmp_path}/routing.db",
        keystore_url=f"sqlite+aiosqlite:///{tmp_path}/keys.db",
        master_key=TEST_MASTER_KEY,
    )
    service = await InProcess(create_runtime(settings, clock=lambda: NOW), Bus()).start()
    try:
        directory = directory_events(NOW, advisors=[*ADVISORS, FEMKE])
        await service.feed("directory.v1", [(e.stream_id.encode(), e.to_bytes()) for e in directory])
        routing = Routing(service)
        await open_iris_case(routing)
        yield routing
    finally:
        await service.stop()


async def open_iris_case(routing: Routing) -> None:
    ctx = routing.service.context
    assert ctx is not None and ctx.keystore is not None
    key = (await ctx.keystore.create_keys([CASE], NOW))[CASE]
    facts = {
        "client_person_id": "p-ict-1",
        "persons_involved": [],
        "preferred_advisor_id": None,
        "excluded_advisor_ids": ["adv-anna", "adv-carla", "adv-dirk"],
    }
    opened = CaseOpened(
        case_id=CASE,
        submission_id="sub-iris",
        opened_at=NOW,
        channel=Channel.WEB,
        organisation_id="min-bzk",
        unit_id="bzk-dgob-ict",
        client_role=ClientRole.EMPLOYEE,
        anonymous=False,
        categories=(Category.BULLYING,),
        personal=CaseCipher.seal_with_key(key, CASE, "personal", {}),
        routing_facts=CaseCipher.seal_with_key(key, CASE, "routing_facts", facts),
    )
    env = new_envelope(opened, stream_id=CASE, producer="intake", occurred_at=NOW, causation_id=None)
    await routing.service.feed("intake.cases.v1", [(CASE.encode(), env.to_bytes())])
    assert [e["event_type"] for e in routing.published()] == ["RoutingEscalated"]


def assign(chosen: str, *, signer: str = COORDINATOR, key_of: str | None = None) -> AssignEscalatedCase:
    unsigned = AssignEscalatedCase(
        advisor_id=signer, auth="unsigned", issued_at=NOW, case_id=CASE, chosen_advisor_id=chosen
    )
    return authorize_command(advisor_private_key(key_of or signer), unsigned, now=NOW)


def rejection(answers: list[dict[str, Any]]) -> tuple[str, str | None, str | None]:
    [answer] = answers
    assert answer["event_type"] == "AdvisorCommandRejected"
    p = answer["payload"]
    assert p["command"] == "AssignEscalatedCase"
    return p["reason_code"], p["case_id"], p["advisor_id"]


async def test_the_coordinator_assigns_the_escalated_case_to_an_eligible_cross_unit_advisor(
    routing: Routing,
) -> None:
    [assigned] = await routing.send(assign("adv-femke"))
    assert assigned["event_type"] == "AdvisorAssigned"
    p = assigned["payload"]
    assert (p["case_id"], p["advisor_id"], p["scope"], p["selection_reason"]) == (
        CASE,
        "adv-femke",
        "cross_unit",
        "coordinator_choice",
    )
    assert await routing.status() == ("assigned", "adv-femke")
    detail = await routing.cipher.open(
        CASE, "routing_detail", decode_envelope(json.dumps(assigned).encode()).payload.detail
    )
    assert detail["coordinator_id"] == COORDINATOR and detail["reason"] == "coordinator_choice"
    assert COORDINATOR not in json.dumps(p)  # who chose is sealed, not in clear


async def test_the_audit_replays_the_coordinators_choice_like_any_decision(routing: Routing) -> None:
    await routing.send(assign("adv-femke"))
    ctx = routing.service.context
    assert ctx is not None
    async with ctx.engine.connect() as conn:
        verdicts = list(await audit(conn, routing.cipher, PolicySettings(), CASE))
    assert [(v.event_type, v.matches, v.differences) for v in verdicts] == [
        ("RoutingEscalated", True, []),
        ("AdvisorAssigned", True, []),
    ]
    explanation = " ".join(verdicts[-1].explanation)
    assert "a coordinator chose for the escalated case" in explanation
    assert f"Chosen by coordinator {COORDINATOR}" in explanation


async def test_the_chosen_advisor_stays_on_the_case_when_the_directory_changes(routing: Routing) -> None:
    """Femke is outside the case's scope; the coordinator's choice keeps her in it on re-checks."""
    await routing.send(assign("adv-femke"))
    change = directory_events(NOW, advisors=[{**FEMKE, "weekly_hours": 6.0}])
    femke = [e for e in change if e.event_type == "AdvisorUpserted"]
    await routing.service.feed("directory.v1", [(e.stream_id.encode(), e.to_bytes()) for e in femke])
    assert await routing.status() == ("assigned", "adv-femke")


async def test_intake_and_schedulings_projection_names_the_chosen_advisor(
    routing: Routing, tmp_path: Path
) -> None:
    [assigned] = await routing.send(assign("adv-femke"))
    decoded = decode_envelope(json.dumps(assigned).encode())
    change = assignee_change(decoded.payload)
    assert change is not None and (change.case_id, change.advisor_id, change.state) == (
        CASE,
        "adv-femke",
        "assigned",
    )
    settings = SchedulingSettings(
        kafka_bootstrap="127.0.0.1:9", database_url=f"sqlite+aiosqlite:///{tmp_path}/scheduling.db"
    )
    scheduling = await InProcess(create_scheduling(settings, clock=lambda: NOW), Bus()).start()
    try:
        await scheduling.feed(
            ASSIGNMENTS, routing.service.bus.topics[ASSIGNMENTS]
        )  # escalated, then assigned
        ctx = scheduling.context
        assert ctx is not None
        async with ctx.engine.connect() as conn:
            assert await SCHEDULING_ASSIGNEES.assignee_of(conn, CASE) == "adv-femke"
    finally:
        await scheduling.stop()


async def test_an_advisor_who_is_no_coordinator_is_refused(routing: Routing) -> None:
    assert rejection(await routing.send(assign("adv-femke", signer="adv-anna"))) == (
        "not_coordinator",
        CASE,
        "adv-anna",
    )
    assert await routing.status() == ("escalated", None)


def directory_record(
    payload: CoordinatorAppointed | AdvisorKeyRegistered, stream_id: str
) -> tuple[bytes, bytes]:
    env = new_envelope(payload, stream_id=stream_id, producer="hr-feed", occurred_at=NOW, causation_id=None)
    return stream_id.encode(), env.to_bytes()


async def test_a_coordinator_of_another_organisation_or_no_longer_one_is_refused(routing: Routing) -> None:
    fin_key = public_key_to_b64(advisor_private_key("coord-fin").public_key())
    await routing.service.feed(
        "directory.v1",
        [
            directory_record(
                CoordinatorAppointed(coordinator_id="coord-fin", organisation_ids=("min-fin",)),
                "coordinator:coord-fin",
            ),
            directory_record(
                AdvisorKeyRegistered(
                    advisor_id="coord-fin", public_key_b64=fin_key, valid_from=NOW - timedelta(days=1)
                ),
                f"advisor-key:coord-fin:{fin_key}",
            ),
            directory_record(
                CoordinatorAppointed(coordinator_id=COORDINATOR), f"coordinator:{COORDINATOR}"
            ),  # ends
        ],
    )
    assert rejection(await routing.send(assign("adv-femke", signer="coord-fin")))[0] == "not_coordinator"
    assert rejection(await routing.send(assign("adv-femke")))[0] == "not_coordinator"
    assert await routing.status() == ("escalated", None)


async def test_a_case_that_does_not_exist_is_answered_as_another_organisations(routing: Routing) -> None:
    command = AssignEscalatedCase(
        advisor_id=COORDINATOR,
        auth="",
        issued_at=NOW,
        case_id="case-nobody-knows",
        chosen_advisor_id="adv-femke",
    )
    [answer] = await routing.send(authorize_command(advisor_private_key(COORDINATOR), command, now=NOW))
    assert answer["payload"]["reason_code"] == "not_coordinator"


@pytest.mark.parametrize(
    "command",
    [
        pytest.param(lambda: assign("adv-femke", key_of="someone-else"), id="forged"),
        pytest.param(lambda: assign("adv-femke").model_copy(update={"auth": "not-a-token"}), id="unsigned"),
        pytest.param(
            lambda: assign("adv-femke").model_copy(update={"chosen_advisor_id": "adv-bram"}), id="altered"
        ),
    ],
)
async def test_a_command_whose_token_proves_nothing_is_refused_without_its_ids(
    routing: Routing, command: Any
) -> None:
    reason, case_id, advisor_id = rejection(await routing.send(command()))
    assert reason in {"signature_invalid", "token_malformed", "command_mismatch"}
    assert (case_id, advisor_id) == (None, None)
    assert await routing.status() == ("escalated", None)


async def test_a_replayed_token_is_refused(routing: Routing) -> None:
    command = assign("adv-eva")  # admitted, then refused by the policy: its token is spent
    assert rejection(await routing.send(command))[0] == "chosen_advisor_kind_mismatch"
    assert rejection(await routing.send(command)) == ("token_replayed", None, None)


async def test_a_case_already_assigned_is_refused(routing: Routing) -> None:
    await routing.send(assign("adv-femke"))
    assert rejection(await routing.send(assign("adv-dirk"))) == ("case_not_escalated", CASE, COORDINATOR)
    assert await routing.status() == ("assigned", "adv-femke")


@pytest.mark.parametrize(
    ("chosen", "reason"),
    [
        ("adv-dirk", "chosen_advisor_conflict_of_interest"),  # R6: the client excluded him
        ("adv-bram", "chosen_advisor_conflict_of_interest"),  # R4: Iris's own small unit
        ("adv-eva", "chosen_advisor_kind_mismatch"),  # R7: a VPI for bullying
        ("adv-nobody", "chosen_advisor_unknown"),
    ],
)
async def test_an_advisor_the_policy_excludes_is_refused_and_the_case_keeps_waiting(
    routing: Routing, chosen: str, reason: str
) -> None:
    answers = await routing.send(assign(chosen))
    assert rejection(answers) == (reason, CASE, COORDINATOR)
    assert "R4_" not in json.dumps(answers) and "R6_" not in json.dumps(answers)  # rule codes stay sealed
    assert await routing.status() == ("escalated", None)
    [assigned] = await routing.send(assign("adv-femke"))  # a refusal changed nothing
    assert assigned["payload"]["advisor_id"] == "adv-femke"
