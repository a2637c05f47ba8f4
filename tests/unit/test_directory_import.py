"""`caseflow directory import`: JSON and CSV files become directory events; bad rows are named."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from caseflow.commands.directory_cmd import read_records, to_events

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
