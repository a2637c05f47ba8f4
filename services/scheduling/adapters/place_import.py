"""Read rooms, off-site venues and yearly budgets from a CSV or JSON file (`caseflow rooms import`).

CSV: one row per place, a `record_type` column says which (room, venue or budget), as in the
directory files of `caseflow directory import`; `kind`, its older name, is still read::

    record_type,id,location,building,discreet,labelled_as_advisor_room,capacity,quiet_room,bookable_hours,unit_ids,cost_eur_cents,organisation_id,year,budget_cents
    room,kamer-3,Den Haag,Turfmarkt 147,yes,no,4,no,mon-fri 08:00-18:00,bzk-dgob,,,,
    room,stilte-1,Den Haag,Turfmarkt 147,yes,no,1,yes,mon-fri 07:30-19:00,,,,,
    venue,lunchroom-plein,Den Haag,,,,,,,,4000,org-bzk,,
    budget,,,,,,,,,,,org-bzk,2026,150000

JSON: ``{"rooms": [...], "venues": [...], "budgets": [...]}`` with the fields of RoomRegistered,
VenueRegistered and OffSiteBudgetSet (`bookable_hours` either in the text form or as a list of
``{"weekday", "start", "end"}``).

Bookable hours, in Europe/Amsterdam wall-clock time: ``mon-fri 08:00-18:00; sat 09:00-12:00``
(days mon..sun, a range ``mon-fri`` or a list ``mon,wed``). Booleans: yes/no, true/false, ja/nee,
1/0. A file with any invalid row is refused whole, every problem listed with its row number.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import time
from typing import Any

from pydantic import ValidationError

from shared.contracts.directory import WeeklyWindowSpec
from shared.contracts.scheduling import OffSiteBudgetSet, RoomRegistered, VenueRegistered
from shared.envelope import EventPayload
from shared.validation_errors import describe_validation_error

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_TRUE = {"yes", "y", "true", "1", "ja", "j"}
_FALSE = {"no", "n", "false", "0", "nee", ""}
_SPAN = re.compile(r"^(?P<days>[a-z,\-]+)\s+(?P<start>\d{1,2}:\d{2})\s*-\s*(?P<end>\d{1,2}:\d{2})$")


class PlacesFileInvalid(ValueError):
    """Raised with every problem in the file; nothing is published."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass
class PlacesFile:
    rooms: list[RoomRegistered] = field(default_factory=list)
    venues: list[VenueRegistered] = field(default_factory=list)
    budgets: list[OffSiteBudgetSet] = field(default_factory=list)

    def events(self) -> list[EventPayload]:
        return [*self.rooms, *self.venues, *self.budgets]


def stream_id_of(payload: EventPayload) -> str:
    """The record key on the compacted places topic: one entity, one key, the latest wins."""
    if isinstance(payload, RoomRegistered):
        return f"room:{payload.room_id}"
    if isinstance(payload, VenueRegistered):
        return f"venue:{payload.venue_id}"
    if isinstance(payload, OffSiteBudgetSet):
        return f"budget:{payload.organisation_id}:{payload.year}"
    raise TypeError(type(payload).__name__)


def parse_hours(text: str) -> tuple[WeeklyWindowSpec, ...]:
    """``mon-fri 08:00-18:00; sat 09:00-12:00`` -> weekly windows."""
    windows: list[WeeklyWindowSpec] = []
    for part in (p.strip().lower() for p in text.split(";")):
        if not part:
            continue
        match = _SPAN.match(part)
        if match is None:
            raise ValueError(f"bookable_hours: cannot read {part!r} (expected e.g. 'mon-fri 08:00-18:00')")
        start, end = time.fromisoformat(match["start"].zfill(5)), time.fromisoformat(match["end"].zfill(5))
        for day in _days(match["days"]):
            windows.append(WeeklyWindowSpec(weekday=day, start=start, end=end))
    if not windows:
        raise ValueError("bookable_hours: empty")
    return tuple(windows)


def _days(text: str) -> list[int]:
    days: list[int] = []
    for item in text.split(","):
        first, _, last = item.partition("-")
        if first not in DAYS or (last and last not in DAYS):
            raise ValueError(f"bookable_hours: unknown day in {text!r} (use {', '.join(DAYS)})")
        a, b = DAYS.index(first), DAYS.index(last or first)
        if b < a:
            raise ValueError(f"bookable_hours: day range {item!r} runs backwards")
        days.extend(range(a, b + 1))
    return days


def _flag(value: Any, name: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"{name}: expected yes or no")


def _room(doc: Mapping[str, Any]) -> RoomRegistered:
    hours = doc.get("bookable_hours", "")
    units = doc.get("unit_ids", ())
    return RoomRegistered(
        room_id=str(doc.get("room_id") or doc.get("id") or ""),
        building=str(doc.get("building") or ""),
        location=str(doc.get("location") or ""),
        discreet=_flag(doc.get("discreet", ""), "discreet"),
        labelled_as_advisor_room=_flag(doc.get("labelled_as_advisor_room", ""), "labelled_as_advisor_room"),
        capacity=int(doc.get("capacity") or 2),
        bookable_hours=parse_hours(hours) if isinstance(hours, str) else tuple(hours),
        quiet_room=_flag(doc.get("quiet_room", ""), "quiet_room"),
        unit_ids=tuple(u.strip() for u in units.split(";") if u.strip())
        if isinstance(units, str)
        else tuple(units),
    )


def _venue(doc: Mapping[str, Any]) -> VenueRegistered:
    return VenueRegistered(
        venue_id=str(doc.get("venue_id") or doc.get("id") or ""),
        location=str(doc.get("location") or ""),
        cost_eur_cents=int(doc.get("cost_eur_cents") or 0),
        organisation_id=str(doc.get("organisation_id") or ""),
    )


def _budget(doc: Mapping[str, Any]) -> OffSiteBudgetSet:
    return OffSiteBudgetSet(
        organisation_id=str(doc.get("organisation_id") or ""),
        year=int(doc.get("year") or 0),
        budget_cents=int(doc.get("budget_cents") or 0),
    )


_READERS = {"room": _room, "venue": _venue, "budget": _budget}
_MODELS: dict[str, type[EventPayload]] = {
    "room": RoomRegistered,
    "venue": VenueRegistered,
    "budget": OffSiteBudgetSet,
}
_REQUIRED = {
    "room": ("id", "location", "building", "bookable_hours"),
    "venue": ("id", "location", "organisation_id"),
    "budget": ("organisation_id", "year", "budget_cents"),
}


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _read_rows(rows: Iterable[tuple[str, str, Mapping[str, Any]]]) -> PlacesFile:
    """rows: (where, kind, fields). Collects every problem before refusing."""
    places = PlacesFile()
    problems: list[str] = []
    seen: set[str] = set()
    for where, kind, doc in rows:
        reader = _READERS.get(kind)
        if reader is None:
            problems.append(f"{where}: record_type {kind!r} is not a place (allowed: room, venue, budget)")
            continue
        missing = [name for name in _REQUIRED[kind] if _blank(doc.get(name, doc.get(f"{kind}_{name}")))]
        if missing:
            problems.append(f"{where}: missing {', '.join(missing)}")
            continue
        try:
            payload = reader(doc)
        except ValidationError as exc:
            problems.append(f"{where}: {describe_validation_error(exc, _MODELS[kind])}")
            continue
        except ValueError as exc:
            problems.append(f"{where}: {exc}")
            continue
        key = stream_id_of(payload)
        if key in seen:
            problems.append(f"{where}: {key} appears twice")
            continue
        seen.add(key)
        getattr(places, f"{kind}s").append(payload)
    if problems:
        raise PlacesFileInvalid(problems)
    if not places.events():
        raise PlacesFileInvalid(["the file holds no rooms, venues or budgets"])
    return places


# The record column's name, as in directory files; "kind" is its older name here.
RECORD_TYPE_COLUMNS = ("record_type", "kind")


def read_csv(text: str) -> PlacesFile:
    reader = csv.DictReader(io.StringIO(text))
    columns = reader.fieldnames or []
    column = next((c for c in RECORD_TYPE_COLUMNS if c in columns), None)
    if column is None:
        raise PlacesFileInvalid(["the CSV needs a header row with a 'record_type' column"])
    return _read_rows(
        (
            f"row {number}",
            (row.get(column) or "").strip().lower(),
            {k: (v or "").strip() for k, v in row.items() if k},
        )
        for number, row in enumerate(reader, start=2)
    )


def read_json(text: str) -> PlacesFile:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PlacesFileInvalid([f"not JSON (line {exc.lineno}, column {exc.colno})"]) from None
    if not isinstance(doc, dict) or not set(doc) <= {"rooms", "venues", "budgets"}:
        raise PlacesFileInvalid(["expected an object with 'rooms', 'venues' and/or 'budgets' lists"])
    rows: list[tuple[str, str, Mapping[str, Any]]] = []
    for section, kind in (("rooms", "room"), ("venues", "venue"), ("budgets", "budget")):
        items = doc.get(section, [])
        if not isinstance(items, list):
            raise PlacesFileInvalid([f"{section}: expected a list"])
        for number, item in enumerate(items):
            where = f"{section}[{number}]"
            if not isinstance(item, dict):
                rows.append((where, "not-an-object", {}))
                continue
            ident = item.get(f"{kind}_id")
            rows.append((where, kind, {**item, "id": ident} if ident is not None else item))
    return _read_rows(rows)


def read_places(name: str, text: str) -> PlacesFile:
    """By file name: .csv or .json."""
    lowered = name.lower()
    if lowered.endswith(".csv"):
        return read_csv(text)
    if lowered.endswith(".json"):
        return read_json(text)
    raise PlacesFileInvalid(["the file name must end in .csv or .json"])
