"""Whatever intake accepts, every service can process: no accepted submission dead-letters anywhere.

Generated submissions (dates near the edges of what intake allows: zones from -14:00 to +14:00,
windows up to 14 days, from a month ago to two years ahead, and some beyond) go through intake's
real validation and, when accepted, through routing's, scheduling's and reporting's decoders and
handlers, each service on its own SQLite database with its own pipeline (tests/support/in_process.py).
The property: an accepted submission leaves no dead letter on any topic and no MeetingNotPlanned;
a refused one is a reason-coded SubmissionRejected, never a dead letter.

And the safety net for what slips through anyway: a case event scheduling cannot read, or cannot
process, tells the advisor with MeetingNotPlanned instead of dead-lettering in silence.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import event as sqlalchemy_event

from services.intake.app import create_runtime as intake_runtime
from services.intake.settings import IntakeSettings
from services.reporting.app import create_runtime as reporting_runtime
from services.reporting.settings import ReportingSettings
from services.routing.app import create_runtime as routing_runtime
from services.routing.settings import RoutingSettings
from services.scheduling.adapters import projection
from services.scheduling.app import create_runtime as scheduling_runtime
from services.scheduling.settings import SchedulingSettings
from shared.codes import Category, MeetingMode
from shared.directory_copies import directory_records
from tests.support import samples
from tests.support.in_process import Bus, InProcess
from tests.support.scheduling_events import case_opened, envelope_bytes
from tests.support.services import TEST_MASTER_KEY
from tools.demo.sample_org import UNITS, directory_events, places_events

pytestmark = pytest.mark.handlers

SUBMISSIONS, CASES, REJECTIONS = "intake.submissions.v1", "intake.cases.v1", "intake.rejections.v1"
MEETINGS = "scheduling.meetings.v1"
PLACES = [(unit_id, org) for unit_id, _parent, _name, _size, org in UNITS]


class System:
    """The four services in process, and delivery of what each published to those that consume it."""

    def __init__(self, tmp: Path) -> None:
        self.bus = Bus()
        keys = f"sqlite+aiosqlite:///{tmp}/keys.db"
        common: dict[str, Any] = {"kafka_bootstrap": "127.0.0.1:9", "topic_prefix": ""}
        holder = {**common, "keystore_url": keys, "master_key": TEST_MASTER_KEY, "key_cache_seconds": 0}
        db = lambda name: f"sqlite+aiosqlite:///{tmp}/{name}.db"
        self.services = [
            InProcess(intake_runtime(IntakeSettings(database_url=db("intake"), **holder)), self.bus),
            InProcess(routing_runtime(RoutingSettings(database_url=db("routing"), **holder)), self.bus),
            InProcess(
                scheduling_runtime(SchedulingSettings(database_url=db("scheduling"), **common)), self.bus
            ),
            InProcess(reporting_runtime(ReportingSettings(database_url=db("reporting"), **common)), self.bus),
        ]
        self.read: dict[tuple[str, str], int] = {}

    async def start(self) -> None:
        for service in self.services:
            await service.start()
        for e in directory_events():  # as the HR feed publishes it: directory.v1 and its narrow copies
            for topic, key, value in directory_records(e):
                self.bus.topics[topic].append((key, value))
        for e in places_events():
            self.bus.topics["scheduling.places.v1"].append((e.stream_id.encode(), e.to_bytes()))
        await self.deliver()

    async def deliver(self) -> None:
        """Until nothing new was published: each service consumes what it has not read yet."""
        moved = True
        while moved:
            moved = False
            for service in self.services:
                for topic in service.consumes:
                    seen = self.read.get((service.runtime.service, topic), 0)
                    fresh = self.bus.topics[topic][seen:]
                    if fresh:
                        self.read[(service.runtime.service, topic)] = seen + len(fresh)
                        await service.feed(topic, fresh)
                        moved = True

    def events(self, topic: str) -> list[dict[str, Any]]:
        return [json.loads(value) for _key, value in self.bus.topics[topic]]

    async def stop(self) -> None:
        for service in self.services:
            await service.stop()


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[System, asyncio.AbstractEventLoop]]:
    # Hypothesis drives a synchronous test; the services live on a loop of their own for the module.
    loop = asyncio.new_event_loop()
    running = System(tmp_path_factory.mktemp("processable"))
    loop.run_until_complete(running.start())
    yield running, loop
    loop.run_until_complete(running.stop())
    loop.close()


zones = st.integers(min_value=-15 * 4, max_value=15 * 4).map(lambda q: timezone(timedelta(minutes=15 * q)))
# Minutes from now: mostly inside intake's bounds (a month back, two years ahead), some beyond.
starts = st.one_of(
    st.integers(min_value=-31 * 24 * 60, max_value=2 * 366 * 24 * 60),
    st.integers(min_value=-5 * 366 * 24 * 60, max_value=40 * 366 * 24 * 60),
)
lengths = st.integers(min_value=15, max_value=15 * 24 * 60)


@st.composite
def windows(draw: st.DrawFn, now: datetime) -> dict[str, str]:
    zone = draw(zones)
    start = (now + timedelta(minutes=draw(starts))).astimezone(zone)
    end = start + timedelta(minutes=draw(lengths))
    return {"start": start.isoformat(), "end": end.isoformat()}


@st.composite
def submissions(draw: st.DrawFn) -> dict[str, Any]:
    now = datetime.now(UTC)
    unit_id, organisation_id = draw(st.sampled_from(PLACES))
    anonymous = draw(st.booleans())
    doc = samples.submission(
        uuid.uuid4().hex[:8],
        anonymous=anonymous,
        submitted_at=(now - timedelta(minutes=draw(st.integers(0, 60 * 24 * 400)))).isoformat(),
        organisation_id=organisation_id,
        unit_id=unit_id,
        categories=draw(
            st.lists(st.sampled_from([c.value for c in Category]), min_size=1, max_size=5, unique=True)
        ),
        wants_external_advisor=draw(st.booleans()),
        is_whistleblower_report=draw(st.booleans()),
        language=draw(st.sampled_from(["nl", "en", "de", None])),
        meeting={
            "mode": draw(st.sampled_from([m.value for m in MeetingMode])),
            "location": draw(st.sampled_from(["Den Haag", "Utrecht", None])),
            "away_from_own_unit": draw(st.booleans()),
            "availability": draw(st.lists(windows(now), max_size=4)),
        },
    )
    if anonymous:
        doc.pop("persons_involved")
    return doc


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(doc=submissions())
def test_no_service_dead_letters_an_accepted_submission(
    system: tuple[System, asyncio.AbstractEventLoop], doc: dict[str, Any]
) -> None:
    running, loop = system
    running.bus.topics[SUBMISSIONS].append((doc["submission_id"].encode(), samples.to_bytes(doc)))
    loop.run_until_complete(running.deliver())

    assert running.bus.dead_letters() == {}
    sid = doc["submission_id"]
    opened = [
        e
        for e in running.events(CASES)
        if e["event_type"] == "CaseOpened" and e["payload"]["submission_id"] == sid
    ]
    refused = [e for e in running.events(REJECTIONS) if e["payload"]["submission_id"] == sid]
    assert len(opened) + len(refused) == 1, "every submission gets exactly one answer"
    event("accepted" if opened else f"refused: {refused[0]['payload']['reason']}")
    if opened:
        case_id = opened[0]["payload"]["case_id"]
        assert [e for e in running.events("routing.assignments.v1") if e["stream_id"] == case_id]
        told = [e for e in running.events(MEETINGS) if e["event_type"] == "MeetingNotPlanned"]
        assert not [e for e in told if e["payload"]["case_id"] == case_id]
        answers = sorted({e["event_type"] for e in running.events(MEETINGS) if e["stream_id"] == case_id})
        event(f"scheduling answered: {', '.join(answers) or 'nothing (no meeting asked for now)'}")
    else:
        assert refused[0]["payload"]["reason"] != "directory_not_loaded"


def unreadable_case_opened(case_id: str) -> bytes:
    """A CaseOpened with a window in year 9999, as a producer without today's checks wrote it."""
    valid = samples.submission()
    envelope = {
        "event_id": str(uuid.uuid4()),
        "event_type": "CaseOpened",
        "schema_version": 2,
        "occurred_at": datetime.now(UTC).isoformat(),
        "producer": "intake",
        "stream_id": case_id,
        "sequence": 1,
        "correlation_id": case_id,
        "causation_id": None,
        "payload": {
            "case_id": case_id,
            "submission_id": valid["submission_id"],
            "opened_at": datetime.now(UTC).isoformat(),
            "channel": "web",
            "organisation_id": "min-bzk",
            "unit_id": "bzk-dgob-ict",
            "client_role": "employee",
            "anonymous": True,
            "categories": ["workload"],
            "meeting_mode": "on_site_discreet_room",
            "availability": [{"start": "9999-12-31T20:00:00+00:00", "end": "9999-12-31T22:00:00+00:00"}],
            "personal": {"alg": "AES-256-GCM", "kid": case_id, "nonce": "bm9uY2U=", "ct": "Y3Q="},
            "routing_facts": {"alg": "AES-256-GCM", "kid": case_id, "nonce": "bm9uY2U=", "ct": "Y3Q="},
        },
    }
    return json.dumps(envelope).encode()


def test_a_case_event_scheduling_cannot_read_tells_the_advisor_instead_of_dead_lettering(
    system: tuple[System, asyncio.AbstractEventLoop],
) -> None:
    running, loop = system
    scheduling = next(s for s in running.services if s.runtime.service == "scheduling")
    case_id = str(uuid.uuid4())
    loop.run_until_complete(scheduling.feed(CASES, [(case_id.encode(), unreadable_case_opened(case_id))]))
    told = [e for e in running.events(MEETINGS) if e["event_type"] == "MeetingNotPlanned"]
    assert [(e["stream_id"], e["payload"]["reason_code"], e["payload"]["failed_event"]) for e in told] == [
        (case_id, "event_unreadable", "CaseOpened")
    ]
    loop.run_until_complete(running.deliver())  # reporting reads the answer like any other
    assert running.bus.dead_letters() == {}


def test_a_case_event_scheduling_fails_to_process_is_rolled_back_and_the_advisor_told(
    system: tuple[System, asyncio.AbstractEventLoop], monkeypatch: pytest.MonkeyPatch
) -> None:
    running, loop = system
    scheduling = next(s for s in running.services if s.runtime.service == "scheduling")
    case_id = str(uuid.uuid4())

    async def defect(*_args: Any) -> None:
        raise ZeroDivisionError  # a bug no validation could have caught

    monkeypatch.setattr(projection, "record_case_opened", defect)
    _id, key, value = envelope_bytes(case_opened(case_id), producer="intake")
    loop.run_until_complete(scheduling.feed(CASES, [(key, value)]))
    told = [e for e in running.events(MEETINGS) if e["stream_id"] == case_id]
    assert [(e["event_type"], e["payload"]["reason_code"], e["payload"]["failed_event"]) for e in told] == [
        ("MeetingNotPlanned", "planning_failed", "CaseOpened")
    ]
    loop.run_until_complete(running.deliver())
    assert running.bus.dead_letters() == {}
    assert loop.run_until_complete(case_known(scheduling, case_id)) is False  # nothing half-done kept


def test_one_failing_case_event_in_a_batch_leaves_the_others_planned_and_is_told_once(
    system: tuple[System, asyncio.AbstractEventLoop], monkeypatch: pytest.MonkeyPatch
) -> None:
    """In a batch planning runs without its savepoint (D64): the failure fails the batch, which is
    applied again one event at a time. The other cases are kept, once each; the failing one is
    told, once, with nothing of it kept and nothing dead-lettered."""
    running, loop = system
    scheduling = next(s for s in running.services if s.runtime.service == "scheduling")
    case_ids = [str(uuid.uuid4()) for _ in range(5)]
    broken = case_ids[2]
    record_case_opened = projection.record_case_opened

    async def defect_for_one(conn: Any, event: Any, *args: Any) -> Any:
        if event.case_id == broken:
            raise ZeroDivisionError  # a bug no validation could have caught
        return await record_case_opened(conn, event, *args)

    monkeypatch.setattr(projection, "record_case_opened", defect_for_one)
    records = [envelope_bytes(case_opened(c), producer="intake")[1:] for c in case_ids]
    loop.run_until_complete(scheduling.feed(CASES, records))
    told = [e for e in running.events(MEETINGS) if e["stream_id"] in case_ids]
    assert [(e["stream_id"], e["event_type"], e["payload"]["reason_code"]) for e in told] == [
        (broken, "MeetingNotPlanned", "planning_failed")
    ]
    known = {c: loop.run_until_complete(case_known(scheduling, c)) for c in case_ids}
    assert known == {c: c != broken for c in case_ids}
    loop.run_until_complete(running.deliver())
    assert running.bus.dead_letters() == {}


def test_a_batch_of_case_events_plans_without_a_savepoint(
    system: tuple[System, asyncio.AbstractEventLoop],
) -> None:
    """The saving D64 buys: planning's savepoint is two statements per event."""
    running, loop = system
    scheduling = next(s for s in running.services if s.runtime.service == "scheduling")
    assert scheduling.context is not None
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    engine = scheduling.context.engine.sync_engine
    sqlalchemy_event.listen(engine, "before_cursor_execute", seen)
    try:
        records = [envelope_bytes(case_opened(str(uuid.uuid4())), producer="intake")[1:] for _ in range(3)]
        loop.run_until_complete(scheduling.feed(CASES, records))
    finally:
        sqlalchemy_event.remove(engine, "before_cursor_execute", seen)
    assert any("INSERT" in s for s in statements)  # the cases were written in these statements
    assert [s for s in statements if "SAVEPOINT" in s.upper()] == []


async def case_known(scheduling: InProcess, case_id: str) -> bool:
    assert scheduling.context is not None
    async with scheduling.context.engine.connect() as conn:
        return await projection.load_case(conn, case_id) is not None
