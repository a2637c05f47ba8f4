"""Reading rooms, venues and budgets from CSV and JSON for `caseflow rooms import`."""

from __future__ import annotations

import json
from datetime import time

import pytest

from services.scheduling.adapters.place_import import PlacesFileInvalid, parse_hours, read_places

pytestmark = pytest.mark.unit

HEADER = (
    "kind,id,location,building,discreet,labelled_as_advisor_room,capacity,quiet_room,bookable_hours,unit_ids,"
    "cost_eur_cents,organisation_id,year,budget_cents\n"
)
GOOD_CSV = HEADER + (
    "room,kamer-3,Den Haag,Turfmarkt 147,yes,no,4,no,mon-fri 08:00-18:00,bzk-dgob;bzk-cio,,,,\n"
    'room,stilte-1,Den Haag,Turfmarkt 147,ja,nee,1,ja,"mon,wed 7:30-19:00; sat 09:00-12:00",,,,,\n'
    "venue,lunchroom-plein,Den Haag,,,,,,,,4000,org-bzk,,\n"
    "budget,,,,,,,,,,,org-bzk,2026,150000\n"
)


def test_a_csv_file_gives_rooms_venues_and_budgets() -> None:
    places = read_places("rooms.csv", GOOD_CSV)

    kamer, stilte = places.rooms
    assert (kamer.room_id, kamer.discreet, kamer.quiet_room, kamer.capacity) == ("kamer-3", True, False, 4)
    assert [w.weekday for w in kamer.bookable_hours] == [0, 1, 2, 3, 4]
    assert kamer.unit_ids == ("bzk-dgob", "bzk-cio")
    assert stilte.quiet_room and [(w.weekday, w.start) for w in stilte.bookable_hours] == [
        (0, time(7, 30)),
        (2, time(7, 30)),
        (5, time(9)),
    ]
    assert [(v.venue_id, v.cost_eur_cents, v.organisation_id) for v in places.venues] == [
        ("lunchroom-plein", 4000, "org-bzk")
    ]
    assert [(b.organisation_id, b.year, b.budget_cents) for b in places.budgets] == [
        ("org-bzk", 2026, 150000)
    ]


def test_a_json_file_takes_the_contract_fields_and_either_form_of_hours() -> None:
    doc = {
        "rooms": [
            {
                "room_id": "kamer-3",
                "building": "Turfmarkt 147",
                "location": "Den Haag",
                "discreet": True,
                "capacity": 4,
                "bookable_hours": "mon-fri 08:00-18:00",
            },
            {
                "room_id": "kamer-4",
                "building": "Turfmarkt 147",
                "location": "Den Haag",
                "discreet": False,
                "bookable_hours": [{"weekday": 0, "start": "09:00", "end": "12:00"}],
            },
        ],
        "venues": [
            {"venue_id": "cafe", "location": "Utrecht", "cost_eur_cents": 1500, "organisation_id": "org"}
        ],
        "budgets": [{"organisation_id": "org", "year": 2026, "budget_cents": 0}],
    }

    places = read_places("places.JSON", json.dumps(doc))

    assert [r.room_id for r in places.rooms] == ["kamer-3", "kamer-4"]
    assert places.rooms[1].bookable_hours[0].end == time(12)
    assert len(places.events()) == 4


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        (
            "room,kamer-3,Den Haag,Turfmarkt 147,maybe,no,4,no,mon-fri 08:00-18:00,,,,,",
            "discreet: expected yes or no",
        ),
        ("room,kamer-3,Den Haag,Turfmarkt 147,yes,no,0,no,mon-fri 08:00-18:00,,,,,", "capacity"),
        ("room,kamer-3,Den Haag,Turfmarkt 147,yes,no,4,no,weekdays 8-6,,,,,", "bookable_hours"),
        ("room,kamer-3,Den Haag,Turfmarkt 147,yes,no,4,no,fri-mon 08:00-18:00,,,,,", "runs backwards"),
        ("room,kamer-3,Den Haag,,yes,no,4,no,mon-fri 08:00-18:00,,,,,", "missing building"),
        ("venue,cafe,Den Haag,,,,,,,,-5,org-bzk,,", "cost_eur_cents"),
        ("budget,,,,,,,,,,,org-bzk,,100", "missing year"),
        ("desk,x,Den Haag,,,,,,,,,,,", "record_type 'desk' is not a place (allowed: room, venue, budget)"),
    ],
)
def test_an_invalid_row_refuses_the_whole_file_and_says_where(row: str, problem: str) -> None:
    with pytest.raises(PlacesFileInvalid) as refused:
        read_places("rooms.csv", GOOD_CSV + row + "\n")

    (reported,) = refused.value.problems
    assert reported.startswith("row 6:") and problem in reported


def test_the_same_room_twice_is_a_mistake() -> None:
    with pytest.raises(PlacesFileInvalid, match="room:kamer-3 appears twice"):
        read_places("rooms.csv", GOOD_CSV + GOOD_CSV.splitlines()[1] + "\n")


@pytest.mark.parametrize(
    ("name", "text", "problem"),
    [
        ("rooms.xlsx", "", "must end in .csv or .json"),
        ("rooms.csv", "id,location\n", "'record_type' column"),
        ("rooms.csv", HEADER, "no rooms, venues or budgets"),
        ("rooms.json", "{nope", "not JSON"),
        ("rooms.json", '{"chairs": []}', "expected an object"),
    ],
)
def test_files_that_are_not_a_places_file_are_refused(name: str, text: str, problem: str) -> None:
    with pytest.raises(PlacesFileInvalid, match=problem):
        read_places(name, text)


def test_hours_text_allows_ranges_lists_and_several_spans() -> None:
    windows = parse_hours("Mon-Tue 08:00-12:00; thu 13:00 - 17:30")

    assert [(w.weekday, w.start, w.end) for w in windows] == [
        (0, time(8), time(12)),
        (1, time(8), time(12)),
        (3, time(13), time(17, 30)),
    ]
