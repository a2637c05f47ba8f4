"""`caseflow rooms import` as a real command against the real broker, and the service taking it in."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from services.scheduling.adapters import tables
from services.scheduling.app import create_runtime
from services.scheduling.settings import SchedulingSettings
from tests.support import scheduling_events as ev
from tests.support.kafka_io import create_topics, read_all, read_json
from tests.support.services import running, wait_until

pytestmark = pytest.mark.integration

CASEFLOW = str(Path(sys.executable).with_name("caseflow"))
ROOMS_CSV = """\
kind,id,location,building,discreet,labelled_as_advisor_room,capacity,quiet_room,bookable_hours,unit_ids,cost_eur_cents,organisation_id,year,budget_cents
room,kamer-3,Den Haag,Turfmarkt 147,yes,no,4,no,mon-fri 08:00-18:00,bzk-dgob,,,,
room,stilte-1,Den Haag,Turfmarkt 147,yes,no,1,yes,mon-fri 07:30-19:00,,,,,
venue,lunchroom-plein,Den Haag,,,,,,,,4000,org-bzk,,
budget,,,,,,,,,,,org-bzk,2026,150000
"""


def import_file(path: Path, kafka: str, prefix: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SCHEDULING_KAFKA_BOOTSTRAP": kafka, "SCHEDULING_TOPIC_PREFIX": prefix}
    return subprocess.run(
        [CASEFLOW, "rooms", "import", str(path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def test_imported_rooms_venues_and_budgets_reach_the_service_once(
    kafka_bootstrap: str, unique_topic: str, tmp_path: Path
) -> None:
    await create_topics(kafka_bootstrap, [unique_topic + t for t in ev.ALL_TOPICS])
    csv_file = tmp_path / "rooms.csv"
    csv_file.write_text(ROOMS_CSV)
    json_file = tmp_path / "more.json"
    json_file.write_text(
        json.dumps(
            {
                "rooms": [
                    {
                        "room_id": "kamer-utrecht",
                        "building": "Stationsplein 1",
                        "location": "Utrecht",
                        "discreet": True,
                        "bookable_hours": "mon-fri 08:00-18:00",
                    }
                ]
            }
        )
    )

    first = import_file(csv_file, kafka_bootstrap, unique_topic)
    again = import_file(csv_file, kafka_bootstrap, unique_topic)
    from_json = import_file(json_file, kafka_bootstrap, unique_topic)

    assert first.returncode == 0, first.stderr
    assert "published 4 events (2 rooms, 1 venues, 1 budgets)" in first.stdout
    assert again.returncode == 0 and from_json.returncode == 0
    on_topic = read_json(await read_all(kafka_bootstrap, unique_topic + ev.PLACES, expect=9))
    assert len(on_topic) == 9
    assert len({e["event_id"] for e in on_topic}) == 5  # the second import repeats the first one's ids
    assert {e["event_type"] for e in on_topic} == {"RoomRegistered", "VenueRegistered", "OffSiteBudgetSet"}

    settings = SchedulingSettings(
        kafka_bootstrap=kafka_bootstrap,
        topic_prefix=unique_topic,
        database_url=f"sqlite+aiosqlite:///{tmp_path}/scheduling.db",
        consumer_group=f"{unique_topic}scheduling",
    )
    async with running(create_runtime(settings)) as runtime:
        engine = runtime.context.engine

        async def registered() -> bool:
            async with engine.connect() as conn:
                return len((await conn.execute(select(tables.rooms.c.room_id))).all()) == 3

        await wait_until(registered)
        async with engine.connect() as conn:
            rooms = {r.room_id: r for r in await conn.execute(select(tables.rooms))}
            budget = (await conn.execute(select(tables.offsite_budgets))).one()
            venue = (await conn.execute(select(tables.venues))).one()
    assert rooms["stilte-1"].quiet_room and not rooms["kamer-3"].quiet_room
    assert rooms["kamer-3"].unit_ids == ["bzk-dgob"] and rooms["kamer-utrecht"].location == "Utrecht"
    assert (budget.organisation_id, budget.year, budget.budget_cents, budget.spent_cents) == (
        "org-bzk",
        2026,
        150000,
        0,
    )
    assert (venue.venue_id, venue.cost_eur_cents) == ("lunchroom-plein", 4000)


def test_an_invalid_file_publishes_nothing_and_names_the_rows(tmp_path: Path) -> None:
    bad = tmp_path / "rooms.csv"
    bad.write_text(ROOMS_CSV.replace("mon-fri 08:00-18:00", "always") + "desk,x,Den Haag,,,,,,,,,,,\n")

    result = import_file(bad, "127.0.0.1:1", "never-")  # no broker: it must not even try

    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "caseflow: rooms import: rooms.csv: nothing imported, 2 problem(s)" in result.stderr
    assert "row 2: bookable_hours" in result.stderr and "row 6: record_type" in result.stderr
