"""POST /v1/cases/{id}/facts: the current assignee adds persons involved through intake's case-file
API (a token signed for exactly this request, as for messages). Intake checks the persons, seals them
under the case key with the purpose routing opens amendments with, publishes CaseFactsAmended, and
its case file shows them; routing, fed that event, folds them into the case's facts.

Intake and routing are built by their composition roots on SQLite, on one key store, fed in process
(tests/support/in_process.py); every record they publish is searched for the description's marker."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select
from starlette.applications import Starlette

from services.intake.app import create_runtime as intake_runtime
from services.intake.entrypoints.http_api import intake_routes
from services.intake.settings import IntakeSettings
from services.routing.adapters.facts import case_facts
from services.routing.adapters.tables import routing_cases
from services.routing.app import create_runtime as routing_runtime
from services.routing.settings import RoutingSettings
from services.workbench.adapters.command_signer import CommandSigner
from shared.codes import InvolvedRole
from shared.topics import directory_topics_for
from tests.support import samples
from tests.support.in_process import Bus, InProcess
from tests.support.scheduling_events import ASSIGNMENTS, CASES
from tests.support.services import TEST_MASTER_KEY
from tests.support.workbench import signer_registration
from tools.demo.sample_org import directory_events

pytestmark = pytest.mark.handlers

ACTION = "POST /v1/cases/{id}/facts"
SIGNER = CommandSigner("workbench", Ed25519PrivateKey.generate())


@dataclass
class Services:
    intake: InProcess
    routing: InProcess
    http: httpx.AsyncClient
    case_id: str
    holder: str

    async def post(
        self, body: Any, *, advisor: str | None = None, token: str | None = None
    ) -> httpx.Response:
        advisor = advisor or self.holder
        if token is None:
            token = SIGNER.token(advisor, ACTION, self.case_id, body, datetime.now(UTC))
        return await self.http.post(
            f"/v1/cases/{self.case_id}/facts", json=body, headers={"Authorization": f"Bearer {token}"}
        )

    async def read(self) -> dict[str, Any]:
        token = SIGNER.token(self.holder, "GET /v1/cases/{id}", self.case_id, {}, datetime.now(UTC))
        answer = await self.http.get(
            f"/v1/cases/{self.case_id}", headers={"Authorization": f"Bearer {token}"}
        )
        assert answer.status_code == 200, answer.text
        doc: dict[str, Any] = answer.json()
        return doc

    def published(self) -> str:
        records = [*self.intake.bus.topics.items(), *self.routing.bus.topics.items()]
        return json.dumps([[topic, [value.decode() for _k, value in rs]] for topic, rs in records])


@pytest.fixture
async def services(tmp_path: Path) -> AsyncIterator[Services]:
    keys: dict[str, Any] = {
        "kafka_bootstrap": "127.0.0.1:9",
        "keystore_url": f"sqlite+aiosqlite:///{tmp_path}/keys.db",
        "master_key": TEST_MASTER_KEY,
        "key_cache_seconds": 0,
    }
    intake = await InProcess(
        intake_runtime(IntakeSettings(database_url=f"sqlite+aiosqlite:///{tmp_path}/intake.db", **keys)),
        Bus(),
    ).start()
    routing = await InProcess(
        routing_runtime(RoutingSettings(database_url=f"sqlite+aiosqlite:///{tmp_path}/routing.db", **keys)),
        Bus(),
    ).start()
    for service in (intake, routing):
        directory = [
            (topic, e.stream_id.encode(), e.to_bytes())
            for e in directory_events(datetime.now(UTC))
            for topic in directory_topics_for(e.event_type)
            if topic in service.consumes
        ]
        await service.feed_batch(directory)
    await intake.feed("directory.advisors.v1", [signer_registration(SIGNER.key)])
    doc = samples.submission()
    await intake.feed("intake.submissions.v1", [(doc["submission_id"].encode(), samples.to_bytes(doc))])
    [(key, opened)] = [(k, v) for k, v in intake.bus.topics[CASES] if b'"CaseOpened"' in v]
    await routing.feed(CASES, [(key, opened)])
    [(k, v)] = [(k, v) for k, v in routing.bus.topics[ASSIGNMENTS] if b'"AdvisorAssigned"' in v]
    decision = json.loads(v)
    case_id, holder = decision["payload"]["case_id"], decision["payload"]["advisor_id"]
    await intake.feed(ASSIGNMENTS, [(k, v)])  # intake learns the assignee from routing
    assert intake.context is not None
    context = intake.context
    app = Starlette(routes=intake_routes(lambda: context))  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://intake") as http:
        try:
            yield Services(intake, routing, http, case_id, holder)
        finally:
            await intake.stop()
            await routing.stop()


def person(marker: str, role: str = "colleague") -> dict[str, Any]:
    return {"role": role, "description": f"the colleague at the desk {marker}"}


async def test_the_assignee_adds_a_person_intake_shows_it_and_routing_learns_it(services: Services) -> None:
    marker = f"MARK-ADD-{uuid.uuid4().hex[:8]}"
    before = len((await services.read())["personal"]["persons_involved"])
    body = {"persons_involved": [person(marker, "hr")]}
    answer = await services.post(body)
    assert answer.status_code == 201 and answer.json()["status"] == "amended", answer.text
    persons = (await services.read())["personal"]["persons_involved"]
    assert len(persons) == before + 1
    assert (persons[-1]["role"], persons[-1]["description"]) == ("hr", f"the colleague at the desk {marker}")

    [amended] = [json.loads(v) for _k, v in services.intake.bus.topics[CASES] if b'"CaseFactsAmended"' in v]
    assert (amended["payload"]["case_id"], amended["payload"]["advisor_id"]) == (
        services.case_id,
        services.holder,
    )
    assert set(amended["payload"]["added_facts"]) == {"alg", "kid", "nonce", "ct"}
    await services.routing.feed(
        CASES, [(services.case_id.encode(), json.dumps(amended).encode())]
    )  # as the broker would
    ctx = services.routing.context
    assert ctx is not None and ctx.cipher is not None
    async with ctx.engine.connect() as conn:
        row = (
            await conn.execute(select(routing_cases).where(routing_cases.c.case_id == services.case_id))
        ).one()
    facts = await case_facts(ctx.cipher, row)
    assert InvolvedRole.HR in [p.role for p in facts.persons_involved]
    assert marker not in services.published()  # the description is sealed wherever it travels


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"persons_involved": []},
        {"persons_involved": [{"description": "no role MARK-BAD"}]},
        {"persons_involved": [{"role": "best_friend", "description": "MARK-BAD"}]},
        {"persons_involved": [{"role": "hr", "description": "x" * 1001}]},
        {"persons_involved": [{"role": "hr", "name": "MARK-BAD"}]},
        {"persons_involved": [person("MARK-BAD")] * 11},
        {"persons_involved": [person("MARK-BAD")], "also": 1},
        {"persons_involved": "MARK-BAD"},
    ],
)
async def test_an_invalid_body_is_refused_and_nothing_is_recorded(services: Services, body: Any) -> None:
    answer = await services.post(body)
    assert (answer.status_code, answer.json()) == (400, {"status": "refused", "reason": "invalid_body"})
    assert "MARK-BAD" not in answer.text and "MARK-BAD" not in services.published()
    assert not [v for _k, v in services.intake.bus.topics[CASES] if b'"CaseFactsAmended"' in v]


async def test_no_token_another_advisor_and_a_forged_signer_are_refused(services: Services) -> None:
    body = {"persons_involved": [person("MARK-NO")]}
    missing = await services.http.post(f"/v1/cases/{services.case_id}/facts", json=body)
    assert (missing.status_code, missing.json()["reason"]) == (401, "token_missing")
    other = next(a for a in ("adv-anna", "adv-bram", "adv-carla", "adv-dirk") if a != services.holder)
    theirs = await services.post(body, advisor=other)
    assert (theirs.status_code, theirs.json()["reason"]) == (403, "not_assignee")
    forged = CommandSigner("workbench", Ed25519PrivateKey.generate())
    token = forged.token(services.holder, ACTION, services.case_id, body, datetime.now(UTC))
    forged_answer = await services.post(body, token=token)
    assert (forged_answer.status_code, forged_answer.json()["reason"]) == (401, "signature_invalid")
    other_body = {"persons_involved": [person("MARK-OTHER")]}  # signed for another body
    token = SIGNER.token(services.holder, ACTION, services.case_id, other_body, datetime.now(UTC))
    mismatch = await services.post(body, token=token)
    assert mismatch.json() == {"status": "refused", "reason": "command_mismatch"}
    assert not [v for _k, v in services.intake.bus.topics[CASES] if b'"CaseFactsAmended"' in v]
    assert "MARK-NO" not in services.published()
