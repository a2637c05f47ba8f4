"""An advisor works a case from the workbench, every hop between the services through a real Kafka
broker: the workbench's signed commands go to intake over the broker, intake's events come back
over it and are folded onto the page. Intake and the workbench run in process (tests/support/
workbench.py); sign-in is the real Keycloak's.

Scheduling runs in process too (its composition root on SQLite, fed the sample organisation's
directory and the workbench's command signer): it reads intake's CaseOpened and routing's
assignment (the latter published by the test, as routing is not run), plans the meeting the client
asked for, moves, cancels and plans again as the workbench asks, and its answers come back over
the broker to the workbench's page and .ics.
"""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from devinfra.keycloak import KeycloakNode
from services.scheduling.app import create_runtime as scheduling_runtime
from services.scheduling.settings import SchedulingSettings
from shared.topics import directory_topics_for
from tests.support.in_process import Bus, InProcess
from tests.support.kafka_io import create_topics, produce, read_records
from tests.support.scheduling_events import MEETINGS, assigned, envelope_bytes
from tests.support.workbench import SIGNER, TwoServices, signed_in, signer_registration
from tools.demo.sample_org import directory_events

ZONE = ZoneInfo("Europe/Amsterdam")

pytestmark = pytest.mark.integration

ACTIONS, CASES, ASSIGNMENTS = "advisor.actions.v1", "intake.cases.v1", "routing.assignments.v1"


@pytest.fixture
def scheduling(services: TwoServices, tmp_path: Path) -> Iterator[InProcess]:
    """Scheduling on the workbench server's loop, knowing the directory and the workbench signer."""
    settings = SchedulingSettings(
        kafka_bootstrap="127.0.0.1:9", database_url=f"sqlite+aiosqlite:///{tmp_path}/scheduling.db"
    )
    scheduling = InProcess(scheduling_runtime(settings), Bus())
    services.workbench.run(scheduling.start())
    directory = [
        (topic, e.stream_id.encode(), e.to_bytes())
        for e in directory_events(datetime.now(UTC))
        for topic in directory_topics_for(e.event_type)
        if topic in scheduling.consumes
    ]
    services.workbench.run(scheduling.feed_batch(directory))
    services.workbench.run(scheduling.feed("directory.advisors.v1", [signer_registration(SIGNER)]))
    try:
        yield scheduling
    finally:
        services.workbench.run(scheduling.stop())


@pytest.fixture
def services(tmp_path: Path, keycloak_node: KeycloakNode) -> Iterator[TwoServices]:
    both = TwoServices(tmp_path, keycloak_node)
    try:
        yield both
    finally:
        both.stop()


class Broker:
    """Carries records from one service to another through a real topic (one partition, so in order)."""

    def __init__(self, bootstrap: str, prefix: str) -> None:
        self.bootstrap, self.prefix = bootstrap, prefix
        self.sent: dict[str, int] = defaultdict(int)
        asyncio.run(create_topics(bootstrap, [prefix + t for t in (ACTIONS, CASES, MEETINGS)], partitions=1))

    def carry(self, topic: str, records: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
        """Produce `records` and read them back off the broker (waiting, with a deadline)."""
        name = self.prefix + topic
        asyncio.run(produce(self.bootstrap, name, records))
        before, self.sent[topic] = self.sent[topic], self.sent[topic] + len(records)
        got = asyncio.run(read_records(self.bootstrap, name, expect=self.sent[topic], timeout=30))
        assert len(got) == self.sent[topic], f"{topic}: {len(got)} of {self.sent[topic]} came back"
        return [(key or b"", value) for key, value in got[before:]]


def free_on_a_working_day() -> dict[str, Any]:
    """The client's meeting wishes: free all day on a working day at least two days ahead."""
    day = datetime.now(UTC).date() + timedelta(days=2)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    start = datetime.combine(day, time(8, 0), tzinfo=UTC)
    window = {"start": start.isoformat(), "end": (start + timedelta(hours=8)).isoformat()}
    return {"mode": "video", "location": "Den Haag", "availability": [window]}


def local(instant: str) -> str:
    return datetime.fromisoformat(instant).astimezone(ZONE).strftime("%d-%m-%Y %H:%M")


def csrf_of(html: str) -> str:
    return html.split('name="csrf" value="', 1)[1].split('"', 1)[0]


def test_an_advisor_logs_time_meets_the_client_records_an_outcome_and_closes_the_case(
    services: TwoServices,
    keycloak_node: KeycloakNode,
    kafka_bootstrap: str,
    unique_topic: str,
    scheduling: InProcess,
) -> None:
    broker = Broker(kafka_bootstrap, unique_topic)
    workbench, intake = services.workbench, services.intake
    annas = services.open_case("adv-anna", meeting=free_on_a_working_day())
    # what scheduling reads of the case: intake's CaseOpened and routing's assignment
    workbench.run(scheduling.feed(CASES, list(intake.bus.topics[CASES])))
    _id, key, value = envelope_bytes(assigned(annas, "adv-anna"), producer="routing")
    workbench.run(scheduling.feed(ASSIGNMENTS, [(key, value)]))
    url = workbench.url
    seen = {"commands": 0, "intake": len(intake.bus.topics[CASES]), "meetings": 0}

    def commands_to_intake() -> list[dict[str, Any]]:
        """The workbench's new commands, over the broker to both services that consume them."""
        new = workbench.service.bus.topics[ACTIONS][seen["commands"] :]
        seen["commands"] += len(new)
        carried = broker.carry(ACTIONS, list(new))
        workbench.run(intake.feed(ACTIONS, carried))
        workbench.run(scheduling.feed(ACTIONS, carried))
        return [json.loads(v) for _k, v in new]

    def scheduling_to_workbench() -> list[dict[str, Any]]:
        new = scheduling.bus.topics[MEETINGS][seen["meetings"] :]
        seen["meetings"] += len(new)
        workbench.run(workbench.service.feed(MEETINGS, broker.carry(MEETINGS, list(new))))
        return [json.loads(v) for _k, v in new]

    def scheduled_now() -> list[dict[str, Any]]:
        """What scheduling newly planned (MeetingScheduled payloads), after the broker carried all
        its answers to the workbench."""
        return [a["payload"] for a in scheduling_to_workbench() if a["event_type"] == "MeetingScheduled"]

    def intake_to_workbench() -> list[str]:
        new = intake.bus.topics[CASES][seen["intake"] :]
        seen["intake"] += len(new)
        workbench.run(workbench.service.feed(CASES, broker.carry(CASES, list(new))))
        return [json.loads(v)["event_type"] for _k, v in new]

    with signed_in(workbench, keycloak_node, "anna") as anna:
        csrf = csrf_of(anna.http.get(f"{url}/zaken/{annas}").text)
        assert anna.http.post(f"{url}/zaken/{annas}/aannemen", data={"csrf": csrf}).status_code == 303
        commands_to_intake()
        intake_to_workbench()

        logged = anna.http.post(
            f"{url}/zaken/{annas}/tijd",
            data={"csrf": csrf, "activity": "conversation", "hours": "1", "minutes": "20"},
        )
        assert logged.status_code == 303 and logged.headers["location"].endswith("klaar=time_logged")
        [log_time] = commands_to_intake()
        assert log_time["event_type"] == "LogTime"
        assert "TimeLogged" in intake_to_workbench()
        page = anna.http.get(f"{url}/zaken/{annas}").text
        time_section = page.split('id="time-title"', 1)[1].split("</section>", 1)[0]
        assert "Gesprek" in time_section and "80 min." in time_section

        # The client asked for a video meeting at intake: scheduling planned it on the assignment.
        [first] = scheduled_now()
        page = anna.http.get(f"{url}/zaken/{annas}").text
        assert local(first["start"]) in page and "Video" in page
        assert 'name="mode"' not in page  # a meeting is planned: it can be moved or cancelled

        moved = anna.http.post(
            f"{url}/zaken/{annas}/afspraak/verzetten", data={"csrf": csrf, "meeting_id": first["meeting_id"]}
        )
        assert moved.status_code == 303 and moved.headers["location"].endswith("klaar=meeting_moving")
        [move] = commands_to_intake()
        assert (move["event_type"], move["payload"]["reschedule"]) == ("CancelMeeting", True)
        [again] = scheduled_now()
        assert (again["meeting_id"], again["calendar_sequence"]) == (first["meeting_id"], 1)
        ics = anna.http.get(f"{url}/zaken/{annas}/afspraken/{again['meeting_id']}.ics")
        assert ics.status_code == 200 and ics.headers["content-type"].startswith("text/calendar")
        assert ics.headers["content-disposition"].startswith("attachment")
        [event] = Calendar.from_ical(ics.content).walk("VEVENT")
        assert (str(event["uid"]), int(event["sequence"])) == (again["meeting_id"], 1)
        assert event.decoded("dtstart") == datetime.fromisoformat(again["start"])
        assert annas not in ics.text

        cancelled = anna.http.post(
            f"{url}/zaken/{annas}/afspraak/annuleren", data={"csrf": csrf, "meeting_id": again["meeting_id"]}
        )
        assert cancelled.status_code == 303
        assert [c["event_type"] for c in commands_to_intake()] == ["CancelMeeting"]
        assert scheduled_now() == []
        page = anna.http.get(f"{url}/zaken/{annas}").text
        assert "Er staat geen afspraak gepland." in page and 'name="mode"' in page

        asked = anna.http.post(f"{url}/zaken/{annas}/afspraak", data={"csrf": csrf, "mode": "phone"})
        assert asked.status_code == 303 and asked.headers["location"].endswith("klaar=meeting_requested")
        [request] = commands_to_intake()  # intake ignores it; scheduling answers
        assert (request["event_type"], request["payload"]["mode"]) == ("RequestMeeting", "phone")
        [fresh] = scheduled_now()
        assert fresh["meeting_id"] != first["meeting_id"] and fresh["mode"] == "phone"
        page = anna.http.get(f"{url}/zaken/{annas}").text
        assert local(fresh["start"]) in page and "Telefoon" in page
        assert f'href="/zaken/{annas}/afspraken/{fresh["meeting_id"]}.ics?lang=nl"' in page
        meeting_id = fresh["meeting_id"]

        outcome = anna.http.post(
            f"{url}/zaken/{annas}/uitkomst", data={"csrf": csrf, "outcome": "advice_given"}
        )
        assert outcome.status_code == 303
        closing = anna.http.post(
            f"{url}/zaken/{annas}/sluiten", data={"csrf": csrf, "outcomes": ["advice_given", "mediation"]}
        )
        assert closing.status_code == 303 and closing.headers["location"].endswith("klaar=closing")
        assert [c["event_type"] for c in commands_to_intake()] == ["RecordOutcome", "CloseCase"]
        answered = intake_to_workbench()
        assert "OutcomeRecorded" in answered and "CaseClosed" in answered
        listed = anna.http.get(f"{url}/zaken").text
        row = listed.split(f'href="/zaken/{annas}?lang=nl"', 1)[1].split("</tr>", 1)[0]
        assert "Gesloten" in row
    with signed_in(workbench, keycloak_node, "bram") as bram:
        assert bram.http.get(f"{url}/zaken/{annas}/afspraken/{meeting_id}.ics").status_code == 404
