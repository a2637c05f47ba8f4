"""An advisor works a case from the workbench, every hop between the services through a real Kafka
broker: the workbench's signed commands go to intake over the broker, intake's events come back
over it and are folded onto the page. Intake and the workbench run in process (tests/support/
workbench.py); sign-in is the real Keycloak's.

Scheduling is not run here: after the workbench has sent RequestMeeting, the test publishes the
MeetingScheduled scheduling would answer with (same meeting, case and advisor fields) on the
broker, and the page shows it with its .ics.
"""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from devinfra.keycloak import KeycloakNode
from shared.codes import MeetingMode
from shared.contracts.scheduling import MeetingScheduled
from tests.support.kafka_io import create_topics, produce, read_records
from tests.support.scheduling_events import MEETINGS, envelope_bytes
from tests.support.workbench import TwoServices, signed_in

ZONE = ZoneInfo("Europe/Amsterdam")

pytestmark = pytest.mark.integration

ACTIONS, CASES = "advisor.actions.v1", "intake.cases.v1"


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


def csrf_of(html: str) -> str:
    return html.split('name="csrf" value="', 1)[1].split('"', 1)[0]


def test_an_advisor_logs_time_meets_the_client_records_an_outcome_and_closes_the_case(
    services: TwoServices, keycloak_node: KeycloakNode, kafka_bootstrap: str, unique_topic: str
) -> None:
    broker = Broker(kafka_bootstrap, unique_topic)
    workbench, intake = services.workbench, services.intake
    annas = services.open_case("adv-anna")
    url = workbench.url
    seen = {"commands": 0, "intake": len(intake.bus.topics[CASES])}

    def commands_to_intake() -> list[dict[str, Any]]:
        new = workbench.service.bus.topics[ACTIONS][seen["commands"] :]
        seen["commands"] += len(new)
        workbench.run(intake.feed(ACTIONS, broker.carry(ACTIONS, list(new))))
        return [json.loads(v) for _k, v in new]

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

        asked = anna.http.post(f"{url}/zaken/{annas}/afspraak", data={"csrf": csrf, "mode": "video"})
        assert asked.status_code == 303
        [request] = commands_to_intake()  # intake ignores it; scheduling is the one that answers
        assert (request["event_type"], request["payload"]["mode"]) == ("RequestMeeting", "video")
        start = (datetime.now(UTC) + timedelta(days=2)).replace(hour=9, minute=0, second=0, microsecond=0)
        scheduled = MeetingScheduled(
            meeting_id="mtg-0b1e",
            case_id=annas,
            advisor_id="adv-anna",
            start=start,
            end=start + timedelta(hours=1),
            mode=MeetingMode.VIDEO,
            neutral_title="Afspraak",
            reason_code="slot_found",
            scheduled_at=datetime.now(UTC),
        )
        _id, key, value = envelope_bytes(scheduled, producer="scheduling")
        workbench.run(workbench.service.feed(MEETINGS, broker.carry(MEETINGS, [(key, value)])))
        page = anna.http.get(f"{url}/zaken/{annas}").text
        assert start.astimezone(ZONE).strftime("%d-%m-%Y %H:%M") in page and "Video" in page
        ics = anna.http.get(f"{url}/zaken/{annas}/afspraken/mtg-0b1e.ics")
        assert ics.status_code == 200 and ics.headers["content-type"].startswith("text/calendar")
        [event] = Calendar.from_ical(ics.content).walk("VEVENT")
        assert str(event["uid"]) == "mtg-0b1e" and event.decoded("dtstart") == start
        assert annas not in ics.text

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
        assert bram.http.get(f"{url}/zaken/{annas}/afspraken/mtg-0b1e.ics").status_code == 404
