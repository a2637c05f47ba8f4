"""On the real broker: what a case's events say in clear (docs/topics.md, decision D20).

Intake, routing and scheduling run in process on one key store. A case whose client typed a
marker town is opened, assigned (with a rule excluding someone), reassigned after a declared
conflict, and a second case is escalated. Then every byte of `intake.cases.v1` and
`routing.assignments.v1` and every database file is searched: no town marker, no rule-code name,
no re-routing reason; the reassignment does not name who left. The sealed parts hold it all, and
`audit` still reproduces every decision from the log with the key.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from services.intake.app import create_runtime as intake_runtime
from services.intake.settings import IntakeSettings
from services.routing.app import create_runtime as routing_runtime
from services.routing.application.audit import audit
from services.routing.domain.policy import PolicySettings, RuleCode
from services.routing.settings import RoutingSettings
from services.scheduling.app import create_runtime as scheduling_runtime
from services.scheduling.settings import SchedulingSettings
from shared.auth import authorize_command
from shared.contracts.advisor_actions import DeclareConflict
from shared.contracts.routing import CONFLICT_REASONS
from shared.crypto import Sealed
from shared.envelope import new_envelope
from shared.topics import ALL_TOPICS, INTAKE_CASES, ROUTING_ASSIGNMENTS
from tests.support import samples
from tests.support.directory import produce_directory
from tests.support.kafka_io import create_topics, produce, read_all, read_json
from tests.support.services import TEST_MASTER_KEY, running, wait_until
from tools.demo.sample_org import advisor_private_key, directory_events

pytestmark = pytest.mark.integration


@pytest.fixture
async def system(kafka_bootstrap: str, tmp_path: Path) -> Any:
    prefix = f"t-clear-{uuid.uuid4().hex[:8]}."
    await create_topics(
        kafka_bootstrap, [prefix + t.name for t in ALL_TOPICS] + [prefix + t.dlq for t in ALL_TOPICS]
    )
    common = {
        "kafka_bootstrap": kafka_bootstrap,
        "topic_prefix": prefix,
        "keystore_url": f"sqlite+aiosqlite:///{tmp_path}/keys.db",
        "master_key": TEST_MASTER_KEY,
        "key_cache_seconds": 0,
    }
    await produce_directory(kafka_bootstrap, prefix, directory_events())
    intake = intake_runtime(
        IntakeSettings(database_url=f"sqlite+aiosqlite:///{tmp_path}/intake.db", **common)
    )
    routing = routing_runtime(
        RoutingSettings(database_url=f"sqlite+aiosqlite:///{tmp_path}/routing.db", **common)
    )
    scheduling = scheduling_runtime(
        SchedulingSettings(database_url=f"sqlite+aiosqlite:///{tmp_path}/scheduling.db", **common)
    )
    async with running(intake), running(routing), running(scheduling):
        yield prefix, routing


async def records(kafka: str, topic: str, enough: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []

    async def ready() -> bool:
        nonlocal found
        found = read_json(await read_all(kafka, topic, timeout=5, idle=0.5))
        return bool(enough(found))

    await wait_until(ready, timeout=60, interval=0.5)
    return found


def of_case(events: list[dict[str, Any]], case_id: str, event_type: str) -> list[dict[str, Any]]:
    return [e for e in events if e["stream_id"] == case_id and e["event_type"] == event_type]


async def test_no_town_rule_code_reason_or_previous_advisor_travels_in_clear(
    system: Any, kafka_bootstrap: str, tmp_path: Path
) -> None:
    prefix, routing = system
    town = f"Xqtown-{uuid.uuid4().hex[:10]}"
    # Jan in the small ICT team about his manager: Bram (under that manager) is excluded by R2.
    about_manager = samples.submission(
        unit_id="bzk-dgob-ict",
        client_person_id="p-ict-1",
        persons_involved=[{"person_id": "p-ict-lead", "role": "direct_manager"}],
    )
    about_manager["meeting"]["location"] = town
    # Top management and French: nobody may take it, the case is escalated.
    nobody = samples.submission(
        unit_id="bzk-dgob-ict",
        persons_involved=[{"person_id": "p-sg", "role": "top_management"}],
        categories=["integrity.abuse_of_power"],
        language="fr",
    )
    nobody["meeting"]["location"] = "Den Haag"
    await produce(
        kafka_bootstrap,
        prefix + "intake.submissions.v1",
        [(None, samples.to_bytes(about_manager)), (None, samples.to_bytes(nobody))],
    )
    cases_topic, routing_topic = prefix + INTAKE_CASES.name, prefix + ROUTING_ASSIGNMENTS.name
    opened = await records(
        kafka_bootstrap, cases_topic, lambda es: len([e for e in es if e["event_type"] == "CaseOpened"]) >= 2
    )
    case_of = {e["payload"]["submission_id"]: e["payload"]["case_id"] for e in opened}
    case_id, escalated_id = case_of[about_manager["submission_id"]], case_of[nobody["submission_id"]]
    decided = await records(
        kafka_bootstrap,
        routing_topic,
        lambda es: of_case(es, case_id, "AdvisorAssigned") and of_case(es, escalated_id, "RoutingEscalated"),
    )
    first = of_case(decided, case_id, "AdvisorAssigned")[0]["payload"]["advisor_id"]

    now = datetime.now(UTC)
    command = authorize_command(
        advisor_private_key(first),
        DeclareConflict(advisor_id=first, auth="", issued_at=now, case_id=case_id, reason="knows_person"),
        now=now,
    )
    env = new_envelope(command, stream_id=case_id, producer="workbench", occurred_at=now, causation_id=None)
    await produce(kafka_bootstrap, prefix + "advisor.actions.v1", [(case_id.encode(), env.to_bytes())])
    decided = await records(kafka_bootstrap, routing_topic, lambda es: of_case(es, case_id, "CaseReassigned"))
    reassigned = of_case(decided, case_id, "CaseReassigned")[0]

    # The topics' bytes: no town, no rule-code name, no precise reason; who left is not named.
    topic_bytes = b"".join(await read_all(kafka_bootstrap, cases_topic, timeout=5, idle=0.5))
    topic_bytes += b"".join(await read_all(kafka_bootstrap, routing_topic, timeout=5, idle=0.5))
    assert town.encode() not in topic_bytes
    assert [code.value for code in RuleCode if code.value.encode() in topic_bytes] == []
    assert [reason for reason in CONFLICT_REASONS if reason.encode() in topic_bytes] == []
    assert reassigned["payload"]["cause"] == "conflict" and first not in str(reassigned)
    opened_case = next(e for e in opened if e["stream_id"] == case_id)["payload"]
    assert opened_case["location_code"] == "unknown" and "location" not in opened_case

    # ... and no database file of intake, routing, scheduling or the key store holds the town.
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert {p.name for p in files} >= {"intake.db", "routing.db", "scheduling.db", "keys.db"}
    assert [p.name for p in files if town.encode() in p.read_bytes()] == []

    # The sealed parts hold what the clear parts no longer say.
    cipher = routing.context.cipher
    personal = await cipher.open(case_id, "personal", Sealed.model_validate(opened_case["personal"]))
    assert personal["location"] == town
    detail = await cipher.open(
        case_id, "routing_detail", Sealed.model_validate(reassigned["payload"]["detail"])
    )
    assert (detail["from_advisor_id"], detail["reason"]) == (first, "conflict_declared")
    escalation = of_case(decided, escalated_id, "RoutingEscalated")[0]["payload"]
    rules = (await cipher.open(escalated_id, "routing_detail", Sealed.model_validate(escalation["detail"])))[
        "rule_codes"
    ]
    assert rules.get(RuleCode.LANGUAGE_MISMATCH.value, 0) > 0  # nobody speaks French

    # The audit opens them with the key and reproduces every decision.
    async with routing.context.engine.connect() as conn:
        verdicts = list(await audit(conn, cipher, PolicySettings()))
    assert {(v.case_id, v.event_type) for v in verdicts} >= {
        (case_id, "AdvisorAssigned"),
        (case_id, "CaseReassigned"),
        (escalated_id, "RoutingEscalated"),
    }
    assert all(v.matches for v in verdicts), [v.differences for v in verdicts if not v.matches]
    explained = next(v for v in verdicts if v.event_type == "CaseReassigned").explanation
    assert f"Reassigned away from advisor {first} (conflict_declared)." in explained
