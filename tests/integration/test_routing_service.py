"""Routing on the real broker: directory + opened cases -> assignments; conflicts and org changes re-route.

Intake and routing run in process, sharing one key store as they would share a KMS; submissions
enter through intake's topic, so routing sees exactly what production would.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from services.intake.app import create_runtime as intake_runtime
from services.intake.settings import IntakeSettings
from services.routing import app as routing_app
from services.routing.adapters.tables import messaging
from services.routing.app import create_runtime as routing_runtime
from services.routing.settings import RoutingSettings
from shared.auth import authorize_command
from shared.contracts.advisor_actions import DeclareConflict
from shared.contracts.directory import PersonUpserted
from shared.crypto import Sealed
from shared.envelope import new_envelope
from shared.topics import ALL_TOPICS
from tests.support import samples
from tests.support.directory import produce_directory, wait_for_units
from tests.support.kafka_io import create_topics, produce, read_all, read_json
from tests.support.services import TEST_MASTER_KEY, running, wait_until
from tools.demo.sample_org import advisor_private_key, directory_events

pytestmark = pytest.mark.integration


def submission_about_ict_manager(**overrides: Any) -> dict[str, Any]:
    """Jan (p-ict-1) in the small ICT team has a labour conflict with his manager p-ict-lead."""
    doc = samples.submission(
        uuid.uuid4().hex[:8],
        unit_id="bzk-dgob-ict",
        client_person_id="p-ict-1",
        persons_involved=[{"person_id": "p-ict-lead", "role": "direct_manager"}],
    )
    doc.update(overrides)
    return doc


@pytest.fixture
async def system(kafka_bootstrap: str, db_url: str, tmp_path: Path) -> Any:
    prefix = f"t-routing-{uuid.uuid4().hex[:8]}."
    await create_topics(
        kafka_bootstrap, [prefix + t.name for t in ALL_TOPICS] + [prefix + t.dlq for t in ALL_TOPICS]
    )
    keys = f"sqlite+aiosqlite:///{tmp_path}/keys.db"
    common = {
        "kafka_bootstrap": kafka_bootstrap,
        "topic_prefix": prefix,
        "keystore_url": keys,
        "master_key": TEST_MASTER_KEY,
        "key_cache_seconds": 0,
    }
    intake = intake_runtime(
        IntakeSettings(database_url=f"sqlite+aiosqlite:///{tmp_path}/intake.db", **common)
    )
    routing = routing_runtime(RoutingSettings(database_url=db_url, **common))
    await produce_directory(kafka_bootstrap, prefix, directory_events())
    async with running(intake), running(routing):
        await wait_for_units(intake.context.engine)
        yield prefix, routing


async def assignments(
    kafka: str, prefix: str, case_id: str | None = None, expect: int = 1
) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []

    async def enough() -> bool:
        nonlocal events
        events = [
            e
            for e in read_json(await read_all(kafka, prefix + "routing.assignments.v1", timeout=5, idle=0.5))
            if case_id is None or e["stream_id"] == case_id
        ]
        return len(events) >= expect

    await wait_until(enough, timeout=40, interval=0.5)
    return events


async def detail_of(routing: Any, payload: dict[str, Any]) -> dict[str, Any]:
    """A decision's sealed detail (rule counts; who left and why), opened with the case key."""
    sealed = Sealed.model_validate(payload["detail"])
    detail: dict[str, Any] = await routing.context.cipher.open(payload["case_id"], "routing_detail", sealed)
    return detail


async def open_case(kafka: str, prefix: str, doc: dict[str, Any]) -> str:
    await produce(kafka, prefix + "intake.submissions.v1", [(None, samples.to_bytes(doc))])
    opened = []

    async def seen() -> bool:
        nonlocal opened
        opened = [
            e
            for e in read_json(await read_all(kafka, prefix + "intake.cases.v1", timeout=5, idle=0.5))
            if e["payload"]["submission_id"] == doc["submission_id"]
        ]
        return bool(opened)

    await wait_until(seen, timeout=30)
    return str(opened[0]["payload"]["case_id"])


class TestRoutingContract:
    async def test_an_opened_case_is_assigned_to_an_advisor_without_a_conflict(
        self, system: Any, kafka_bootstrap: str
    ) -> None:
        prefix, routing = system
        case_id = await open_case(kafka_bootstrap, prefix, submission_about_ict_manager())
        events = await assignments(kafka_bootstrap, prefix, case_id, expect=2)  # assigned + labour referral
        kinds = {e["event_type"]: e["payload"] for e in events}
        assigned = kinds["AdvisorAssigned"]
        # Bram works in the small ICT team under the manager involved: never him.
        assert assigned["advisor_id"] in {"adv-anna", "adv-carla", "adv-dirk", "adv-eva"}
        # Bram is excluded under the first rule he breaks: the manager involved is his own manager.
        assert "rule_codes" not in assigned and "R2_INVOLVED_IN_ADVISOR_CHAIN" not in str(events)
        assert (await detail_of(routing, assigned))["rule_codes"] == {"R2_INVOLVED_IN_ADVISOR_CHAIN": 1}
        assert set(assigned["exclusions"]) == {"alg", "kid", "nonce", "ct"} and "adv-bram" not in str(events)
        assert kinds["ReferralSuggested"]["referral"] == "referred.labour_law_desk"

    async def test_a_declared_conflict_reassigns_the_case_to_someone_else(
        self, system: Any, kafka_bootstrap: str
    ) -> None:
        prefix, routing = system
        case_id = await open_case(kafka_bootstrap, prefix, submission_about_ict_manager())
        first = next(
            e
            for e in await assignments(kafka_bootstrap, prefix, case_id)
            if e["event_type"] == "AdvisorAssigned"
        )
        advisor = first["payload"]["advisor_id"]
        now = datetime.now(UTC)
        command = authorize_command(
            advisor_private_key(advisor),
            DeclareConflict(
                advisor_id=advisor, auth="", issued_at=now, case_id=case_id, reason="knows_person"
            ),
            now=now,
        )
        env = new_envelope(
            command, stream_id=case_id, producer="workbench", occurred_at=now, causation_id=None
        )
        await produce(kafka_bootstrap, prefix + "advisor.actions.v1", [(case_id.encode(), env.to_bytes())])
        events = await assignments(kafka_bootstrap, prefix, case_id, expect=3)
        moved = next(e["payload"] for e in events if e["event_type"] == "CaseReassigned")
        assert moved["to_advisor_id"] not in (None, advisor) and moved["cause"] == "conflict"
        detail = await detail_of(routing, moved)
        assert (detail["from_advisor_id"], detail["reason"]) == (advisor, "conflict_declared")
        assert advisor not in str({k: v for k, v in moved.items() if k != "detail"})

    async def test_a_conflict_declared_by_someone_who_is_not_the_assignee_is_refused(
        self, system: Any, kafka_bootstrap: str
    ) -> None:
        prefix, _ = system
        case_id = await open_case(kafka_bootstrap, prefix, submission_about_ict_manager())
        first = next(
            e
            for e in await assignments(kafka_bootstrap, prefix, case_id)
            if e["event_type"] == "AdvisorAssigned"
        )
        intruder = next(a for a in ("adv-dirk", "adv-eva") if a != first["payload"]["advisor_id"])
        now = datetime.now(UTC)
        command = authorize_command(
            advisor_private_key(intruder),
            DeclareConflict(advisor_id=intruder, auth="", issued_at=now, case_id=case_id, reason="other"),
            now=now,
        )
        env = new_envelope(
            command, stream_id=case_id, producer="workbench", occurred_at=now, causation_id=None
        )
        await produce(kafka_bootstrap, prefix + "advisor.actions.v1", [(case_id.encode(), env.to_bytes())])
        events = await assignments(kafka_bootstrap, prefix, case_id, expect=3)
        refused = next(e["payload"] for e in events if e["event_type"] == "AdvisorCommandRejected")
        assert refused["reason_code"] == "not_assignee"
        assert not [e for e in events if e["event_type"] == "CaseReassigned"]

    async def test_an_org_change_that_creates_a_conflict_reroutes_the_open_case(
        self, system: Any, kafka_bootstrap: str
    ) -> None:
        prefix, routing = system
        case_id = await open_case(
            kafka_bootstrap, prefix, submission_about_ict_manager(preferred_advisor_id="adv-anna")
        )
        first = next(
            e
            for e in await assignments(kafka_bootstrap, prefix, case_id)
            if e["event_type"] == "AdvisorAssigned"
        )
        assert (
            first["payload"]["advisor_id"] == "adv-anna"
            and first["payload"]["selection_reason"] == "preferred"
        )
        # Reorganisation: Anna (p-hr-2) now reports to the manager the case is about.
        now = datetime.now(UTC)
        change = new_envelope(
            PersonUpserted(person_id="p-hr-2", unit_id="bzk-dgob-hr", manager_id="p-ict-lead"),
            stream_id="p-hr-2",
            producer="hr-feed",
            occurred_at=now,
            causation_id=None,
        )
        await produce(kafka_bootstrap, prefix + "directory.v1", [(b"p-hr-2", change.to_bytes())])
        events = await assignments(kafka_bootstrap, prefix, case_id, expect=3)
        moved = next(e["payload"] for e in events if e["event_type"] == "CaseReassigned")
        assert moved["to_advisor_id"] != "adv-anna" and moved["cause"] == "conflict"
        assert {k: v for k, v in (await detail_of(routing, moved)).items() if k != "rule_codes"} == {
            "from_advisor_id": "adv-anna",
            "reason": "org_change",
        }

    async def test_top_management_involved_goes_to_an_external_advisor(
        self, system: Any, kafka_bootstrap: str
    ) -> None:
        prefix, _ = system
        doc = submission_about_ict_manager(
            persons_involved=[{"person_id": "p-dg", "role": "higher_manager"}],
            categories=["integrity.abuse_of_power"],
        )
        case_id = await open_case(kafka_bootstrap, prefix, doc)
        first = next(
            e
            for e in await assignments(kafka_bootstrap, prefix, case_id)
            if e["event_type"] == "AdvisorAssigned"
        )
        assert first["payload"]["scope"] == "external"

    async def test_the_audit_reproduces_every_decision_from_the_log(
        self, system: Any, kafka_bootstrap: str
    ) -> None:
        from services.routing.application.audit import audit
        from services.routing.domain.policy import PolicySettings

        prefix, routing = system
        case_a = await open_case(kafka_bootstrap, prefix, submission_about_ict_manager())
        case_b = await open_case(
            kafka_bootstrap,
            prefix,
            submission_about_ict_manager(
                persons_involved=[{"person_id": "p-sg", "role": "top_management"}], language="en"
            ),
        )
        await assignments(kafka_bootstrap, prefix, case_b)
        # An org change between the two decisions: the audit must replay each at its own revision.
        now = datetime.now(UTC)
        change = new_envelope(
            PersonUpserted(person_id="p-hr-2", unit_id="bzk-dgob-ict", manager_id="p-ict-lead"),
            stream_id="p-hr-2",
            producer="hr-feed",
            occurred_at=now,
            causation_id=None,
        )
        await produce(kafka_bootstrap, prefix + "directory.v1", [(b"p-hr-2", change.to_bytes())])
        case_c = await open_case(kafka_bootstrap, prefix, submission_about_ict_manager())
        await assignments(kafka_bootstrap, prefix, case_c)
        ctx = routing.context
        async with ctx.engine.connect() as conn:
            verdicts = list(await audit(conn, ctx.cipher, PolicySettings()))
        cases = {v.case_id for v in verdicts}
        assert {case_a, case_b, case_c} <= cases
        assert all(v.matches for v in verdicts), [v.differences for v in verdicts if not v.matches]
        b = next(v for v in verdicts if v.case_id == case_b)
        # Top management and an English speaker: only Eva (external, speaks English) qualifies.
        assert any("R9_LANGUAGE_MISMATCH" in line for line in b.explanation)
        assert any("Assigned to advisor adv-eva (external)" in line for line in b.explanation)

    async def test_a_tampered_record_is_not_reproduced(self, system: Any, kafka_bootstrap: str) -> None:
        from sqlalchemy import update

        from services.routing.adapters.tables import messaging
        from services.routing.application.audit import audit
        from services.routing.domain.policy import PolicySettings

        prefix, routing = system
        case_id = await open_case(kafka_bootstrap, prefix, submission_about_ict_manager())
        await assignments(kafka_bootstrap, prefix, case_id)
        ctx = routing.context
        events = messaging.events
        async with ctx.engine.begin() as conn:
            row = (
                await conn.execute(
                    events.select().where(
                        events.c.stream_id == case_id, events.c.event_type == "AdvisorAssigned"
                    )
                )
            ).first()
            forged = row.body.replace('"advisor_id":"adv-', '"advisor_id":"adv-x')
            await conn.execute(update(events).where(events.c.position == row.position).values(body=forged))
        async with ctx.engine.connect() as conn:
            verdicts = [v for v in await audit(conn, ctx.cipher, PolicySettings(), case_id)]
        assert verdicts and not verdicts[0].matches and "advisor" in verdicts[0].differences[0]


async def test_terms_ending_within_sixty_days_surface_and_ended_terms_reroute(
    kafka_bootstrap: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Carla's appointment ends in 30 days: the coordinator hears of it once. Anna's ended yesterday:
    her open case moves to someone else (§2.2 "termijnen")."""
    from datetime import date, timedelta

    from tools.demo.sample_org import ADVISORS

    prefix = f"t-terms-{uuid.uuid4().hex[:8]}."
    await create_topics(
        kafka_bootstrap, [prefix + t.name for t in ALL_TOPICS] + [prefix + t.dlq for t in ALL_TOPICS]
    )
    today = datetime.now(UTC)
    keys = f"sqlite+aiosqlite:///{tmp_path}/keys.db"
    common = {
        "kafka_bootstrap": kafka_bootstrap,
        "topic_prefix": prefix,
        "keystore_url": keys,
        "master_key": TEST_MASTER_KEY,
        "key_cache_seconds": 0,
    }
    await produce_directory(kafka_bootstrap, prefix, directory_events())
    intake = intake_runtime(
        IntakeSettings(database_url=f"sqlite+aiosqlite:///{tmp_path}/intake.db", **common)
    )
    routing = routing_runtime(
        RoutingSettings(
            database_url=f"sqlite+aiosqlite:///{tmp_path}/routing.db", term_check_interval_seconds=1, **common
        )
    )
    checks_done = 0
    check_terms = routing_app.check_terms

    async def counted_check_terms(*args: Any, **kwargs: Any) -> int:
        nonlocal checks_done
        stored = await check_terms(*args, **kwargs)
        checks_done += 1  # after its transaction committed
        return stored

    monkeypatch.setattr(routing_app, "check_terms", counted_check_terms)
    async with running(intake), running(routing):
        await wait_for_units(intake.context.engine)
        case_id = await open_case(
            kafka_bootstrap, prefix, submission_about_ict_manager(preferred_advisor_id="adv-anna")
        )
        first = next(
            e
            for e in await assignments(kafka_bootstrap, prefix, case_id)
            if e["event_type"] == "AdvisorAssigned"
        )
        assert first["payload"]["advisor_id"] == "adv-anna"
        changed = []
        for spec in ADVISORS:
            if spec["advisor_id"] in ("adv-anna", "adv-carla"):
                from shared.contracts.directory import AdvisorUpserted

                end = (
                    today.date() - timedelta(days=1)
                    if spec["advisor_id"] == "adv-anna"
                    else today.date() + timedelta(days=30)
                )
                payload = AdvisorUpserted(term_start=date(2024, 1, 1), term_end=end, **spec)
                changed.append(
                    new_envelope(
                        payload,
                        stream_id=spec["advisor_id"],
                        producer="hr-feed",
                        occurred_at=today,
                        causation_id=None,
                    )
                )
        await produce(
            kafka_bootstrap, prefix + "directory.v1", [(e.stream_id.encode(), e.to_bytes()) for e in changed]
        )
        events = await assignments(kafka_bootstrap, prefix, case_id, expect=3)
        moved = next(e["payload"] for e in events if e["event_type"] == "CaseReassigned")
        assert moved["to_advisor_id"] != "adv-anna" and moved["cause"] == "other"
        assert (await detail_of(routing, moved))["from_advisor_id"] == "adv-anna"

        alerts: list[dict[str, Any]] = []

        async def alerted() -> bool:
            nonlocal alerts
            alerts = read_json(
                await read_all(kafka_bootstrap, prefix + "routing.alerts.v1", timeout=5, idle=0.5)
            )
            return any(a["payload"]["advisor_id"] == "adv-carla" for a in alerts)

        await wait_until(alerted, timeout=30)
        # Two more checks, each committed, found Carla's notice already given (term_notices): the
        # outbox still holds one notice for her, and the topic carries no second one.
        noticed_after = checks_done
        await wait_until(lambda: checks_done >= noticed_after + 2, timeout=30)
        outbox = messaging.events
        query = select(outbox.c.body).where(outbox.c.event_type == "AdvisorTermEnding")
        async with routing.context.engine.connect() as conn:
            notices = [json.loads(body)["payload"] for body in (await conn.execute(query)).scalars()]
        assert [n["days_left"] for n in notices if n["advisor_id"] == "adv-carla"] == [30]
        alerts = read_json(await read_all(kafka_bootstrap, prefix + "routing.alerts.v1", timeout=5, idle=0.5))
        carla = [a for a in alerts if a["payload"]["advisor_id"] == "adv-carla"]
        assert len({a["event_id"] for a in carla}) == 1 and carla[0]["payload"]["days_left"] == 30
        assert routing.registry.get_sample_value("caseflow_routing_advisor_terms_ending") == 1.0
