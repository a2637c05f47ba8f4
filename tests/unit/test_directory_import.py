"""`caseflow directory import`: JSON and CSV files become directory events; bad rows are named."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from caseflow.commands.directory_cmd import DirectoryFileInvalid, read_records, to_events

pytestmark = pytest.mark.unit
SAMPLES = Path(__file__).resolve().parents[2] / "deploy" / "samples"
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def test_the_sample_json_directory_becomes_events_keyed_by_their_ids() -> None:
    events, problems = to_events(read_records(SAMPLES / "directory.json"), NOW)
    assert problems == []
    assert {e.event_type for e in events} == {
        "OrgUnitUpserted",
        "PersonUpserted",
        "AdvisorUpserted",
        "AcquaintanceDeclared",
        "CoordinatorAppointed",
    }
    coordinator = next(e for e in events if e.event_type == "CoordinatorAppointed")
    assert (coordinator.stream_id, coordinator.payload.organisation_ids) == (
        "coordinator:coord-bzk",
        ("min-bzk",),
    )
    adv = next(e for e in events if e.event_type == "AdvisorUpserted" and e.stream_id == "adv-dirk")
    assert adv.payload.person_id is None and adv.payload.scope.value == "external"


def test_the_sample_csv_fills_empty_cells_and_splits_lists() -> None:
    events, problems = to_events(read_records(SAMPLES / "directory.csv"), NOW)
    assert problems == []
    unit = next(e for e in events if e.stream_id == "ienw")
    assert unit.payload.parent_id is None
    advisor = next(e for e in events if e.event_type == "AdvisorUpserted")
    assert advisor.payload.languages == ("nl", "en")


def test_bad_rows_are_rejected_with_their_line_and_field(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "record_type,unit_id,parent_id,name,size,organisation_id,person_id,manager_id,advisor_id,kind,scope,term_start,term_end\n"
        "unit,u1,,Unit one,-5,org,,,,,,,\n"
        "advisor,,,,,org,,,a1,VPX,internal,2025-01-01,\n"
        "spaceship,,,,,,,,,,,,\n"
    )
    events, problems = to_events(read_records(bad), NOW)
    assert events == []
    assert problems[0].startswith("line 2: unit: size")
    assert problems[1].startswith("line 3: advisor: kind")
    assert problems[2].startswith("line 4: unknown record_type 'spaceship'")


def test_a_profile_is_published_only_when_the_advisor_agreed_to_show_it() -> None:
    events, problems = to_events(read_records(SAMPLES / "directory.json"), NOW)
    assert problems == []
    profiles = {e.stream_id: e.payload.profile for e in events if e.event_type == "AdvisorUpserted"}
    assert profiles["adv-bram"] is None  # his record says show: false, so nothing of it is published
    assert profiles["adv-dirk"] is not None and profiles["adv-dirk"].display_name == "Dirk Jansen"
    assert profiles["adv-eva"] is not None and profiles["adv-eva"].languages == ("nl", "en")


def test_a_csv_profile_comes_from_its_profile_columns() -> None:
    events, problems = to_events(read_records(SAMPLES / "directory.csv"), NOW)
    assert problems == []
    advisor = next(e for e in events if e.event_type == "AdvisorUpserted").payload
    assert advisor.profile is not None and advisor.profile.show
    assert (advisor.profile.display_name, advisor.profile.languages) == ("Femke Visser", ("nl", "en"))


def test_an_advisor_record_from_before_profiles_reads_as_showing_none() -> None:
    from shared.contracts.directory import AdvisorUpserted

    old = {
        "advisor_id": "adv-old",
        "person_id": None,
        "kind": "VPIO",
        "scope": "external",
        "organisation_id": None,
        "term_start": "2024-01-01",
        "term_end": None,
    }
    assert AdvisorUpserted.model_validate(old).profile is None


def test_a_profile_without_consent_is_dropped_by_the_contract_itself() -> None:
    from shared.contracts.directory import AdvisorUpserted

    record = {
        "advisor_id": "adv-x",
        "person_id": None,
        "kind": "VPI",
        "scope": "external",
        "organisation_id": None,
        "term_start": "2024-01-01",
        "term_end": None,
        "profile": {"show": False, "display_name": "Niet tonen"},
    }
    assert AdvisorUpserted.model_validate(record).profile is None


def write_sample(tmp_path: Path, change: Callable[[dict[str, Any]], None]) -> Path:
    doc = json.loads((SAMPLES / "directory.json").read_text())
    change(doc)
    path = tmp_path / "directory.json"
    path.write_text(json.dumps(doc))
    return path


def test_a_misspelled_section_is_refused_with_the_allowed_ones(tmp_path: Path) -> None:
    path = write_sample(tmp_path, lambda doc: doc.update(advisers=doc.pop("advisors")))

    with pytest.raises(DirectoryFileInvalid) as refused:
        read_records(path)

    assert refused.value.reason == (
        "directory.json: unknown top-level key 'advisers' "
        "(allowed: units, persons, advisors, acquaintances, coordinators)"
    )


def test_people_in_missing_units_or_under_missing_managers_are_errors(tmp_path: Path) -> None:
    def break_references(doc: dict[str, Any]) -> None:
        doc["persons"][1]["unit_id"] = "bzk-nowhere"
        doc["persons"][2]["manager_id"] = "p-ghost"
        doc["advisors"][0]["served_unit_ids"] = ["fin-tax", "fin-gone"]
        doc["coordinators"][0]["organisation_ids"] = ["min-xyz"]

    events, problems = to_events(read_records(write_sample(tmp_path, break_references)), NOW)

    assert [p.split(" (allowed")[0] for p in problems] == [
        "persons[1]: person: unit_id 'bzk-nowhere' is no unit in the file",
        "persons[2]: person: manager_id 'p-ghost' is no person in the file",
        "advisors[0]: advisor: served_unit_ids 'fin-gone' is no unit in the file",
        "coordinators[0]: coordinator: organisation_ids 'min-xyz' is no organisation in the file",
    ]
    assert problems[3].endswith("(allowed: min-bzk, min-fin)")
    assert len(events) == 28 - 4


def test_an_unknown_field_is_named_with_the_record_types_fields(tmp_path: Path) -> None:
    path = write_sample(tmp_path, lambda doc: doc["units"][0].update(colour="blue"))

    _, problems = to_events(read_records(path), NOW)

    assert problems == [
        (
            "units[0]: unit: unknown field 'colour' in a unit record "
            "(allowed: unit_id, parent_id, name, size, organisation_id)"
        )
    ]  # the units under it are not reported a second time


def test_with_skip_invalid_what_refers_to_a_skipped_record_is_skipped_too(tmp_path: Path) -> None:
    path = write_sample(tmp_path, lambda doc: doc["units"][0].update(size=-1))

    events, problems = to_events(read_records(path), NOW, skip_invalid=True)

    assert problems[0].startswith("units[0]: unit: size")
    assert "units[1]: unit: parent_id 'bzk' is no unit in the file" in problems[1]
    assert all(e.stream_id != "bzk" for e in events)


def test_a_csv_cell_of_another_record_type_is_an_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "record_type,unit_id,parent_id,name,size,organisation_id,person_id,manager_id,kind\n"
        "unit,u1,,Unit one,5,org,,,\n"
        "person,u1,,,,,p1,,VPI\n"
    )

    _, problems = to_events(read_records(bad), NOW)

    assert problems == [
        (
            "line 3: person: column 'kind' does not apply to a person record "
            "(allowed: person_id, unit_id, manager_id, is_top_management)"
        )
    ]


def test_an_advisor_kind_outside_the_set_names_the_allowed_kinds(tmp_path: Path) -> None:
    path = write_sample(tmp_path, lambda doc: doc["advisors"][0].update(kind="VPX"))

    _, problems = to_events(read_records(path), NOW)

    assert problems == ["advisors[0]: advisor: kind:enum (allowed: 'VPI', 'VPO' or 'VPIO')"]
