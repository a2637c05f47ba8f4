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
import hashlib
import json
import random
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.errors import KafkaError
from aiokafka.structs import TopicPartition

import shared.contracts  # noqa: F401
from shared.auth import authorize_command
from shared.codes import TimeActivity
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
from shared.submission_sealing import KEY_ENDPOINT, SubmissionKey, sealed_record_bytes
from tools.demo.sample_org import advisor_private_key
from tools.demo.seeded import (
    DEMO_SEED,
    LogicalClock,
    case_plan,
    command_id,
    command_jti,
    day_anchor,
    rng_for,
    seeded_uuid,
)
from tools.demo.settle import Settler

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


def pick(rng: random.Random, weighted: Sequence[tuple[Any, float]]) -> Any:
    return rng.choices([w[0] for w in weighted], [w[1] for w in weighted])[0]


def make_submission(seed: int, index: int, clock: LogicalClock) -> tuple[str, dict[str, Any]]:
    """The `index`-th contact of the run: a function of the seed and the index only."""
    rng = rng_for(seed, "submission", index)
    now = clock.at(index)
    scenario = rng.choices(SCENARIOS, [s.weight for s in SCENARIOS])[0]
    unit = rng.choice(list(CLIENTS_BY_UNIT))
    client = rng.choice(CLIENTS_BY_UNIT[unit])
    anonymous = rng.random() < 0.2
    channel = scenario.channel or pick(rng, CHANNELS)
    start = (now + timedelta(days=rng.randint(1, 5))).replace(hour=8, minute=0, second=0, microsecond=0)
    doc: dict[str, Any] = {
        "schema_version": 1,
        "submission_id": f"sim-{seeded_uuid(rng).hex[:20]}",
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
        doc["contact"] = {
            "name": "(simulated client)",
            "email": f"client-{seeded_uuid(rng).hex[:6]}@example.org",
        }
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
    """Plays the world around the stack in logical steps (docs/operations.md, "A seeded load").

    Step i: the advisors do what their cases' plans put on step i; once the stack has settled,
    the i-th contact arrives; once it is decided and the stack has settled again, step i + 1
    begins. Every input is sent while nothing else is in flight, so each service sees the inputs
    in the same order in every run of the seed. `rate` only paces the steps (the i-th contact not
    before i / rate seconds): a slow machine takes longer, it does not play a different load.
    """

    def __init__(
        self,
        bootstrap: str,
        prefix: str,
        intake_url: str,
        *,
        seed: int = DEMO_SEED,
        clock: LogicalClock | None = None,
        left_to_people: frozenset[str] = frozenset(),
    ) -> None:
        self.bootstrap, self.prefix, self.intake_url = bootstrap, prefix, intake_url
        self.seed = seed
        self.clock = clock or LogicalClock(day_anchor(datetime.now(UTC)), 1.0)
        # Advisors whose cases the simulator leaves alone: a person works them in the workbench.
        self.left_to_people = left_to_people
        self.progress = Progress()
        self.producer: AIOKafkaProducer | None = None
        self.settler = Settler(bootstrap, prefix)
        self.receipts: dict[str, str] = {}  # case id -> receipt code (HTTP contacts), for client feedback
        self.current: dict[str, str] = {}  # case id -> assigned advisor
        self.submission_of: dict[str, str] = {}  # case id -> submission id
        self.decided: set[str] = set()  # submission ids: rejected, or opened and routed
        self.routed: set[str] = set()  # case ids
        self.whistleblower: set[str] = set()
        self.conflicted: set[str] = set()
        self.news: list[dict[str, Any]] = []  # events the watcher saw since the step took them
        self.due: dict[int, list[tuple[str, str, str]]] = {}  # step -> (action, case id, advisor)
        self.watched: dict[TopicPartition, int] = {}  # next offset the watcher has not handled
        self.submission_key: SubmissionKey | None = None  # intake's, fetched again once it is stale
        # How long a step may wait for the stack (settled, a contact decided, a service answering):
        # long enough in a chaos run (tools/demo/chaos.py) for a service's restart and a broker's.
        self.patience = 60.0

    def topic(self, name: str) -> str:
        return self.prefix + name

    async def start(self) -> None:
        self.producer = AIOKafkaProducer(
            bootstrap_servers=self.bootstrap, acks="all", enable_idempotence=True
        )
        await self.producer.start()
        await self.settler.start()

    async def stop(self) -> None:
        await self.settler.stop()
        if self.producer:
            await self.producer.stop()

    async def publish(self, topic: str, key: str, value: bytes) -> None:
        """Sent until acknowledged: while too few brokers are up the producer's own retries may run
        out, and the frontend tries again (a copy that did land is one effect: ids are the inbox's)."""
        assert self.producer is not None
        deadline = time.monotonic() + self.patience
        while True:
            try:
                await self.producer.send_and_wait(self.topic(topic), value, key=key.encode())
                return
            except KafkaError:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.5)

    async def http(self, client: httpx.AsyncClient, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """A frontend's call to intake, tried again while intake is away or not ready (a restart):
        the same Idempotency-Key or receipt code, so a second try is the same request."""
        deadline = time.monotonic() + self.patience
        while True:
            try:
                answer = await client.request(method, f"{self.intake_url}{path}", **kwargs)
                if answer.status_code < 500:
                    return answer
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"intake did not answer {method} {path} in {self.patience:.0f} s")
            await asyncio.sleep(0.25)

    async def command(self, payload: EventPayload, advisor: str, case_id: str | None, n: int = 0) -> None:
        # issued_at and the token's iat/exp are wall-clock time: services refuse stale tokens.
        now = datetime.now(UTC)
        message_id = command_id(self.seed, case_id or advisor, advisor, payload.EVENT_TYPE, n)
        signed = authorize_command(
            advisor_private_key(advisor), payload, now=now, jti=command_jti(self.seed, message_id)
        )
        env = new_envelope(
            signed,
            stream_id=case_id or advisor,
            producer="workbench-simulator",
            occurred_at=now,
            causation_id=None,
            event_id=message_id,
        )
        await self.publish("advisor.actions.v1", case_id or advisor, env.to_bytes())

    async def submit(self, client: httpx.AsyncClient, index: int) -> str:
        scenario, doc = make_submission(self.seed, index, self.clock)
        self.progress.scenarios[scenario] += 1
        self.progress.counts["submitted"] += 1
        if doc["channel"] in ("phone", "walk_in"):  # typed in by the advisor: intake's HTTP API
            answer = await self.http(
                client,
                "POST",
                "/v1/submissions",
                json=doc,
                headers={"Idempotency-Key": doc["submission_id"]},
            )
            if answer.status_code in (200, 201):
                body = answer.json()
                self.receipts[body["case_ref"]] = body["receipt_code"]
        else:  # a web or chat frontend: sealed to intake's key (docs/sealed-submissions.md)
            now = datetime.now(UTC)
            if self.submission_key is None or not self.submission_key.fresh(now):
                answer = await self.http(client, "GET", KEY_ENDPOINT)
                answer.raise_for_status()
                self.submission_key = SubmissionKey.from_json(answer.json())
            record = sealed_record_bytes(doc, self.submission_key)
            await self.publish("intake.submissions.v1", doc["submission_id"], record)
        return str(doc["submission_id"])

    async def play(self, cases: int, rate: float) -> None:
        """`cases` contacts, then the steps their plans still need, then a settled stack."""
        async with httpx.AsyncClient(timeout=10) as client:
            loop = asyncio.get_running_loop()
            begun = loop.time()
            await self.settle()
            self.take_news(0)
            step = 0
            while step < cases or any(s >= step for s in self.due):
                if await self.advisors_act(step, client):
                    await self.settle()
                    self.take_news(step)
                if step < cases:
                    pause = begun + step / rate - loop.time()
                    if pause > 0:  # pacing only: the order of inputs is the steps'
                        await asyncio.sleep(pause)
                    submission_id = await self.submit(client, step)
                    await self.wait_decided(submission_id)
                    await self.settle()
                    self.take_news(step)
                step += 1

    async def wait_decided(self, submission_id: str) -> None:
        deadline = time.monotonic() + self.patience
        while submission_id not in self.decided:
            if time.monotonic() > deadline:
                self.progress.counts["undecided"] += 1
                return
            await asyncio.sleep(0.02)

    async def settle(self) -> None:
        """The stack has settled and the watcher has handled everything on the topics it reads."""
        timeout = self.patience
        await self.settler.wait(timeout)
        ends = await self.settler.end_offsets(set(self.watched_topics()))
        deadline = time.monotonic() + timeout
        while any(self.watched.get(tp, 0) < end for tp, end in ends.items()):
            if time.monotonic() > deadline:
                raise TimeoutError("the simulator's watcher did not catch up")
            await asyncio.sleep(0.02)

    def watched_topics(self) -> list[str]:
        names = (
            "intake.cases.v1",
            "intake.rejections.v1",
            "routing.assignments.v1",
            "scheduling.meetings.v1",
        )
        return [self.topic(t) for t in names]

    async def watch(self) -> None:
        consumer = AIOKafkaConsumer(
            *self.watched_topics(),
            bootstrap_servers=self.bootstrap,
            group_id=f"demo-{uuid.uuid4().hex}",  # the watcher's own group: not part of the load
            auto_offset_reset="earliest",
            enable_auto_commit=False,
        )
        await consumer.start()
        seen: set[str] = set()
        try:
            while True:
                batch = await consumer.getmany(timeout_ms=200)
                for tp, records in batch.items():
                    for record in records:
                        self.watched[tp] = record.offset + 1
                        event = json.loads(record.value)
                        if event["event_id"] in seen:  # a re-published duplicate: counted once
                            continue
                        seen.add(event["event_id"])
                        self.see(event)
        finally:
            await consumer.stop()

    def see(self, event: dict[str, Any]) -> None:
        kind, p = event["event_type"], event["payload"]
        self.progress.counts[kind] += 1
        if kind == "MeetingScheduled" and p["mode"] in ("phone", "video"):
            self.progress.counts["remote"] += 1
        if kind == "SubmissionRejected" and p.get("submission_id"):
            self.decided.add(p["submission_id"])
        if kind == "CaseOpened":
            self.submission_of[p["case_id"]] = p["submission_id"]
            if p.get("is_whistleblower_report"):
                self.whistleblower.add(p["case_id"])
        if kind in ("AdvisorAssigned", "RoutingEscalated"):
            self.routed.add(p["case_id"])
        case_id = p.get("case_id")
        # Both of a case's facts, seen in either order (the watcher reads the topics in no fixed order).
        if case_id in self.routed and case_id in self.submission_of:
            self.decided.add(self.submission_of[case_id])
        self.news.append(event)

    def take_news(self, step: int) -> None:
        """Plan what the advisors do about the assignments seen in `step` (in a fixed order)."""
        news, self.news = self.news, []
        for event in sorted(news, key=lambda e: (e["stream_id"], e["sequence"], e["event_id"])):
            kind, p = event["event_type"], event["payload"]
            advisor = p.get("advisor_id") or p.get("to_advisor_id")
            if kind not in ("AdvisorAssigned", "CaseReassigned") or not advisor:
                continue
            case_id = p["case_id"]
            self.current[case_id] = advisor
            if advisor in self.left_to_people:
                self.progress.counts["left_to_people"] += 1
                continue
            plan = case_plan(self.seed, self.submission_of.get(case_id, case_id))
            if kind == "AdvisorAssigned" and plan.declare_conflict and case_id not in self.conflicted:
                self.due.setdefault(step + 1, []).append(("conflict", case_id, advisor))
            else:
                self.due.setdefault(step + plan.work_after, []).append(("work", case_id, advisor))

    async def advisors_act(self, step: int, client: httpx.AsyncClient) -> bool:
        todo = sorted(self.due.pop(step, []))
        for action, case_id, advisor in todo:
            if self.current.get(case_id) != advisor:  # reassigned since: the new advisor's plan counts
                continue
            if action == "conflict":
                self.conflicted.add(case_id)
                reason = "knows_person"
                await self.command(
                    DeclareConflict(
                        advisor_id=advisor,
                        auth="",
                        issued_at=datetime.now(UTC),
                        case_id=case_id,
                        reason=reason,
                    ),
                    advisor,
                    case_id,
                )
            elif action == "work":
                if case_id in self.receipts:  # the client writes to the advisor with the receipt code
                    await self.client_writes(client, case_id)
                await self.work_case(case_id, advisor, step)
            elif action == "rate":
                plan = case_plan(self.seed, self.submission_of.get(case_id, case_id))
                await self.http(
                    client,
                    "POST",
                    "/v1/dialogue/feedback",
                    headers={"X-Receipt-Code": self.receipts[case_id]},
                    json={"rating": plan.rating},
                )
        return bool(todo)

    async def client_writes(self, client: httpx.AsyncClient, case_id: str) -> None:
        """One message in the dialogue, keyed so that a retry after a lost answer posts it once."""
        key = hashlib.sha256(f"{self.seed}:dialogue:{case_id}".encode()).hexdigest()[:32]
        answer = await self.http(
            client,
            "POST",
            "/v1/dialogue/messages",
            headers={"X-Receipt-Code": self.receipts[case_id], "Idempotency-Key": f"sim-{key}"},
            json={"text": "Kunnen we volgende week nog even bellen?"},
        )
        if answer.status_code == 201:
            self.progress.counts["client_messages"] += 1

    async def work_case(self, case_id: str, advisor: str, step: int) -> None:
        plan = case_plan(self.seed, self.submission_of.get(case_id, case_id))

        def now() -> datetime:
            return datetime.now(UTC)

        await self.command(
            AcceptCase(advisor_id=advisor, auth="", issued_at=now(), case_id=case_id), advisor, case_id
        )
        for n, (activity, minutes) in enumerate(
            (
                (TimeActivity.CONVERSATION, plan.conversation_minutes),
                (TimeActivity.ADMINISTRATION, plan.administration_minutes),
            )
        ):
            time_entry = LogTime(
                advisor_id=advisor,
                auth="",
                issued_at=now(),
                case_id=case_id,
                minutes=minutes,
                activity=activity,
            )
            await self.command(time_entry, advisor, case_id, n)
        if case_id in self.whistleblower:
            await self.command(
                ProvideFeedback(advisor_id=advisor, auth="", issued_at=now(), case_id=case_id),
                advisor,
                case_id,
            )
        outcome = plan.outcome
        await self.command(
            RecordOutcome(advisor_id=advisor, auth="", issued_at=now(), case_id=case_id, outcome=outcome),
            advisor,
            case_id,
        )
        await self.command(
            CloseCase(advisor_id=advisor, auth="", issued_at=now(), case_id=case_id, outcomes=(outcome,)),
            advisor,
            case_id,
        )
        if case_id in self.receipts:  # the client rates the follow-up once the case is closed
            self.due.setdefault(step + 1, []).append(("rate", case_id, advisor))

    async def advisors_register_training(self, advisors: list[str]) -> None:
        on = self.clock.anchor  # the logical day, not the wall clock
        for advisor in advisors:
            rng = rng_for(self.seed, "training", advisor)
            await self.command(
                RegisterTraining(
                    advisor_id=advisor,
                    auth="",
                    issued_at=datetime.now(UTC),
                    hours=rng.choice([4, 8, 16]),
                    kind="refresher",
                    completed_on=on,
                ),
                advisor,
                None,
            )
            await self.command(
                RegisterSupervision(
                    advisor_id=advisor,
                    auth="",
                    issued_at=datetime.now(UTC),
                    hours=rng.choice([2, 3]),
                    session_on=on,
                ),
                advisor,
                None,
            )
