"""The demo's stand-ins for the world around the system: frontends, clients and advisors' workbench.

Contacts follow the mix the study describes (DOMAIN.md): most are labour conflicts with a manager
(~80% in one focus group), some are about an advisor's own manager, some involve top management,
a few are complaints about an advisor; a share is anonymous; phone and walk-in contacts are
entered by the advisor through intake's HTTP API. Advisors accept their cases, log time, record an
outcome and close them; now and then one declares a conflict of interest.
Everything the simulator sends is a real message on a real topic or a real HTTP request.
"""

from __future__ import annotations

import asyncio
import json
import random
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

import shared.contracts  # noqa: F401
from shared.auth import authorize_command
from shared.codes import Outcome, TimeActivity
from shared.contracts.advisor_actions import (
    AcceptCase,
    CloseCase,
    DeclareConflict,
    LogTime,
    ProvideFeedback,
    RecordOutcome,
    RegisterSupervision,
    RegisterTraining,
)
from shared.envelope import EventPayload, new_envelope
from shared.submission_sealing import SubmissionKey, fetch_submission_key, sealed_record_bytes
from tools.demo.sample_org import advisor_private_key

# (weight, scenario name, builder of the submission's specific fields)
CLIENTS_BY_UNIT = {
    "bzk-dgob-ict": ["p-ict-1", "p-ict-2"],
    "bzk-dgob-hr": ["p-hr-1", "p-hr-3"],
    "fin-tax": ["p-tax-1"],
}
MANAGER_OF = {
    "p-ict-1": "p-ict-lead",
    "p-ict-2": "p-ict-lead",
    "p-hr-1": "p-hr-lead",
    "p-hr-3": "p-hr-lead",
    "p-tax-1": "p-tax-lead",
}
ORG_OF_UNIT = {"bzk-dgob-ict": "min-bzk", "bzk-dgob-hr": "min-bzk", "fin-tax": "min-fin"}


@dataclass
class Scenario:
    name: str
    weight: float
    categories: list[str]
    involved: Callable[[str], list[dict[str, Any]]]
    client_role: str = "employee"
    channel: str | None = None
    whistleblower: bool = False


SCENARIOS = [
    Scenario(
        "labour conflict with own manager",
        55,
        ["labour.conflict_with_manager"],
        lambda client: [{"person_id": MANAGER_OF[client], "role": "direct_manager"}],
    ),
    Scenario(
        "case about an advisor's own manager",
        8,
        ["labour.conflict_with_manager", "unwanted_behaviour.bullying"],
        lambda client: [{"person_id": "p-hr-lead", "role": "direct_manager"}],
    ),
    Scenario(
        "top management involved",
        6,
        ["integrity.abuse_of_power"],
        lambda client: [{"person_id": "p-dg", "role": "higher_manager"}],
    ),
    Scenario(
        "complaint about an advisor",
        3,
        ["unwanted_behaviour.intimidation_other"],
        lambda client: [{"person_id": "p-ict-3", "role": "advisor"}],
    ),
    Scenario(
        "bullying by a colleague", 9, ["unwanted_behaviour.bullying"], lambda client: [{"role": "colleague"}]
    ),
    Scenario(
        "integrity report",
        7,
        ["integrity.fraud_theft"],
        lambda client: [{"role": "colleague"}],
        whistleblower=True,
    ),
    Scenario(
        "manager asking advice",
        7,
        ["integrity.gifts"],
        lambda client: [],
        client_role="manager",
        channel="via_manager",
    ),
    Scenario("workload", 5, ["workload"], lambda client: []),
]
CHANNELS = [("web", 40), ("chat", 25), ("phone", 15), ("walk_in", 5), ("email", 15)]
MEETINGS = [("on_site_discreet_room", 60), ("phone", 15), ("video", 10), ("off_site_venue", 15)]
OUTCOMES = [
    (Outcome.ADVICE_GIVEN, 45),
    (Outcome.REFERRED_LABOUR_LAW_DESK, 20),
    (Outcome.REFERRED_SOCIAL_WORKER, 8),
    (Outcome.REFERRED_COMPANY_DOCTOR, 5),
    (Outcome.MEDIATION, 10),
    (Outcome.FORMAL_COMPLAINT, 5),
    (Outcome.NO_FOLLOW_UP, 7),
]


def pick(rng: random.Random, weighted: Sequence[tuple[Any, float]]) -> Any:
    return rng.choices([w[0] for w in weighted], [w[1] for w in weighted])[0]


def make_submission(rng: random.Random, now: datetime) -> tuple[str, dict[str, Any]]:
    scenario = rng.choices(SCENARIOS, [s.weight for s in SCENARIOS])[0]
    unit = rng.choice(list(CLIENTS_BY_UNIT))
    client = rng.choice(CLIENTS_BY_UNIT[unit])
    anonymous = rng.random() < 0.2
    channel = scenario.channel or pick(rng, CHANNELS)
    start = (now + timedelta(days=rng.randint(1, 5))).replace(hour=8, minute=0, second=0, microsecond=0)
    doc: dict[str, Any] = {
        "schema_version": 1,
        "submission_id": f"sim-{uuid.uuid4().hex[:20]}",
        "submitted_at": now.isoformat(),
        "channel": channel,
        "organisation_id": ORG_OF_UNIT[unit],
        "unit_id": unit,
        "client_role": scenario.client_role,
        "anonymous": anonymous,
        "categories": scenario.categories,
        "narrative": f"(simulated) {scenario.name}: a story only the assigned advisor may read.",
        "persons_involved": scenario.involved(client),
        "is_whistleblower_report": scenario.whistleblower,
        "language": "en" if rng.random() < 0.05 else "nl",
        "meeting": {
            "mode": pick(rng, MEETINGS),
            "location": "Den Haag",
            "availability": [{"start": start.isoformat(), "end": (start + timedelta(hours=9)).isoformat()}],
        },
    }
    if not anonymous:
        doc["contact"] = {"name": "(simulated client)", "email": f"client-{uuid.uuid4().hex[:6]}@example.org"}
        doc["client_person_id"] = client
    return scenario.name, doc


@dataclass
class Progress:
    counts: Counter[str] = field(default_factory=Counter)
    scenarios: Counter[str] = field(default_factory=Counter)

    def line(self) -> str:
        c = self.counts
        return (
            f"submitted {c['submitted']:>4} | opened {c['CaseOpened']:>4} | rejected {c['SubmissionRejected']:>3} | "
            f"assigned {c['AdvisorAssigned']:>4} | reassigned {c['CaseReassigned']:>3} | "
            f"escalated {c['RoutingEscalated']:>3} | scheduled {c['MeetingScheduled']:>4} | "
            f"remote/no slot {c['remote'] + c['NoSlotFound']:>3} | closed {c['CaseClosed']:>4}"
        )


class Simulator:
    def __init__(
        self,
        bootstrap: str,
        prefix: str,
        intake_url: str,
        *,
        seed: int = 2019,
        left_to_people: frozenset[str] = frozenset(),
    ) -> None:
        self.bootstrap, self.prefix, self.intake_url = bootstrap, prefix, intake_url
        # Advisors whose cases the simulator leaves alone: a person works them in the workbench.
        self.left_to_people = left_to_people
        self.rng = random.Random(seed)
        self.progress = Progress()
        self.producer: AIOKafkaProducer | None = None
        self.receipts: dict[str, str] = {}  # case id -> receipt code (HTTP contacts), for client feedback
        self.open_cases: dict[str, str] = {}  # case id -> advisor
        self.whistleblower: set[str] = set()
        self.submission_key: SubmissionKey | None = None  # intake's, fetched again once it is stale

    def topic(self, name: str) -> str:
        return self.prefix + name

    async def start(self) -> None:
        self.producer = AIOKafkaProducer(
            bootstrap_servers=self.bootstrap, acks="all", enable_idempotence=True
        )
        await self.producer.start()

    async def stop(self) -> None:
        if self.producer:
            await self.producer.stop()

    async def publish(self, topic: str, key: str, value: bytes) -> None:
        assert self.producer is not None
        await self.producer.send_and_wait(self.topic(topic), value, key=key.encode())

    async def command(self, payload: EventPayload, advisor: str, case_id: str | None) -> None:
        now = datetime.now(UTC)
        signed = authorize_command(advisor_private_key(advisor), payload, now=now)
        env = new_envelope(
            signed,
            stream_id=case_id or advisor,
            producer="workbench-simulator",
            occurred_at=now,
            causation_id=None,
        )
        await self.publish("advisor.actions.v1", case_id or advisor, env.to_bytes())

    async def submit(self, client: httpx.AsyncClient) -> None:
        now = datetime.now(UTC)
        scenario, doc = make_submission(self.rng, now)
        self.progress.scenarios[scenario] += 1
        self.progress.counts["submitted"] += 1
        if doc["channel"] in ("phone", "walk_in"):  # typed in by the advisor: intake's HTTP API
            answer = await client.post(f"{self.intake_url}/v1/submissions", json=doc)
            if answer.status_code in (200, 201):
                body = answer.json()
                self.receipts[body["case_ref"]] = body["receipt_code"]
        else:  # a web or chat frontend: sealed to intake's key (docs/sealed-submissions.md)
            if self.submission_key is None or not self.submission_key.fresh(now):
                self.submission_key = await fetch_submission_key(client, self.intake_url)
            record = sealed_record_bytes(doc, self.submission_key)
            await self.publish("intake.submissions.v1", doc["submission_id"], record)

    async def frontends(self, duration: float, rate: float) -> None:
        async with httpx.AsyncClient(timeout=10) as client:
            loop = asyncio.get_running_loop()
            end = loop.time() + duration
            while loop.time() < end:
                await self.submit(client)
                await asyncio.sleep(self.rng.expovariate(rate))

    async def watch(self, on_event: Callable[[dict[str, Any]], Any]) -> None:
        topics = [
            self.topic(t)
            for t in (
                "intake.cases.v1",
                "intake.rejections.v1",
                "routing.assignments.v1",
                "scheduling.meetings.v1",
            )
        ]
        consumer = AIOKafkaConsumer(
            *topics,
            bootstrap_servers=self.bootstrap,
            group_id=f"demo-{uuid.uuid4().hex}",
            auto_offset_reset="earliest",
            enable_auto_commit=False,
        )
        await consumer.start()
        seen: set[str] = set()
        try:
            while True:
                batch = await consumer.getmany(timeout_ms=200)
                for records in batch.values():
                    for record in records:
                        event = json.loads(record.value)
                        if event["event_id"] in seen:  # a re-published duplicate: counted once
                            continue
                        seen.add(event["event_id"])
                        self.progress.counts[event["event_type"]] += 1
                        if event["event_type"] == "MeetingScheduled" and event["payload"]["mode"] in (
                            "phone",
                            "video",
                        ):
                            self.progress.counts["remote"] += 1
                        await on_event(event)
        finally:
            await consumer.stop()

    async def workbench(self, event: dict[str, Any]) -> None:
        """Advisors react to what routing and intake tell them."""
        kind, p = event["event_type"], event["payload"]
        if kind == "CaseOpened" and p.get("is_whistleblower_report"):
            self.whistleblower.add(p["case_id"])
        if kind in ("AdvisorAssigned", "CaseReassigned") and (p.get("advisor_id") or p.get("to_advisor_id")):
            advisor = p.get("advisor_id") or p["to_advisor_id"]
            case_id = p["case_id"]
            self.open_cases[case_id] = advisor
            if advisor in self.left_to_people:
                self.progress.counts["left_to_people"] += 1
                return
            now = datetime.now(UTC)
            if kind == "AdvisorAssigned" and self.rng.random() < 0.03:
                await self.command(
                    DeclareConflict(
                        advisor_id=advisor, auth="", issued_at=now, case_id=case_id, reason="knows_person"
                    ),
                    advisor,
                    case_id,
                )
                return
            asyncio.get_running_loop().create_task(self._work_case(case_id, advisor))

    async def _work_case(self, case_id: str, advisor: str) -> None:
        await asyncio.sleep(self.rng.uniform(0.5, 3))
        if self.open_cases.get(case_id) != advisor:
            return
        now = datetime.now(UTC)
        await self.command(
            AcceptCase(advisor_id=advisor, auth="", issued_at=now, case_id=case_id), advisor, case_id
        )
        for activity, minutes in (
            (TimeActivity.CONVERSATION, self.rng.choice([45, 60, 90])),
            (TimeActivity.ADMINISTRATION, self.rng.choice([15, 30])),
        ):
            await self.command(
                LogTime(
                    advisor_id=advisor,
                    auth="",
                    issued_at=datetime.now(UTC),
                    case_id=case_id,
                    minutes=minutes,
                    activity=activity,
                ),
                advisor,
                case_id,
            )
        if case_id in self.whistleblower:
            await self.command(
                ProvideFeedback(advisor_id=advisor, auth="", issued_at=datetime.now(UTC), case_id=case_id),
                advisor,
                case_id,
            )
        await asyncio.sleep(self.rng.uniform(0.5, 3))
        outcome = pick(self.rng, OUTCOMES)
        await self.command(
            RecordOutcome(
                advisor_id=advisor, auth="", issued_at=datetime.now(UTC), case_id=case_id, outcome=outcome
            ),
            advisor,
            case_id,
        )
        await self.command(
            CloseCase(
                advisor_id=advisor, auth="", issued_at=datetime.now(UTC), case_id=case_id, outcomes=(outcome,)
            ),
            advisor,
            case_id,
        )
        code = self.receipts.get(case_id)
        if code:
            async with httpx.AsyncClient(timeout=10) as client:
                await client.post(
                    f"{self.intake_url}/v1/dialogue/feedback",
                    headers={"X-Receipt-Code": code},
                    json={"rating": self.rng.choice([3, 4, 4, 5, 5, 2])},
                )

    async def advisors_register_training(self, advisors: list[str]) -> None:
        now = datetime.now(UTC)
        for advisor in advisors:
            await self.command(
                RegisterTraining(
                    advisor_id=advisor,
                    auth="",
                    issued_at=now,
                    hours=self.rng.choice([4, 8, 16]),
                    kind="refresher",
                    completed_on=now,
                ),
                advisor,
                None,
            )
            await self.command(
                RegisterSupervision(
                    advisor_id=advisor, auth="", issued_at=now, hours=self.rng.choice([2, 3]), session_on=now
                ),
                advisor,
                None,
            )
