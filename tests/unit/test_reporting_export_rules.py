"""What the analysts' export may carry: an allow-list that covers every field of every contract."""

from __future__ import annotations

import csv
import json
import typing
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from services.reporting.export import DROPPED_FIELDS, EXPORTED_FIELDS, ExportCollector, write_files
from services.reporting.simulated_events import simulated_year
from shared.crypto import Sealed
from shared.envelope import REGISTRY

pytestmark = pytest.mark.unit

# Event types on reporting's input topics that are not exported at all (none today).
NOT_EXPORTED: set[str] = set()
PERSON_FIELDS = ("person", "advisor_id", "participants", "involved", "contact", "narrative", "name", "email")


def _is_sealed(annotation: object) -> bool:
    return annotation is Sealed or Sealed in typing.get_args(annotation)


def test_every_field_of_every_exported_type_is_either_exported_or_dropped_with_a_reason() -> None:
    for event_type, exported in EXPORTED_FIELDS.items():
        fields = set(REGISTRY.payload_class(event_type).model_fields)
        dropped = set(DROPPED_FIELDS.get(event_type, {}))
        assert set(exported) | dropped == fields, (
            f"{event_type}: decide on {fields - set(exported) - dropped}"
        )
        assert not set(exported) & dropped, event_type
    assert set(DROPPED_FIELDS) <= set(EXPORTED_FIELDS)


def test_no_sealed_field_no_advisor_id_and_no_person_field_is_exported() -> None:
    for event_type, exported in EXPORTED_FIELDS.items():
        model = REGISTRY.payload_class(event_type).model_fields
        for name in exported:
            assert not _is_sealed(model[name].annotation), f"{event_type}.{name} is ciphertext"
            assert not any(word in name for word in PERSON_FIELDS), f"{event_type}.{name}"
        for name, info in model.items():
            if _is_sealed(info.annotation):
                assert name in DROPPED_FIELDS[event_type], f"{event_type}.{name}"


def test_every_type_the_three_topics_can_carry_is_classified() -> None:
    from shared.contracts import intake, routing, scheduling

    on_other_topics = {
        "SubmissionRejected",
        "AdvisorTermEnding",
        "RoomRegistered",
        "VenueRegistered",
        "OffSiteBudgetSet",
    }
    carried = {
        cls.EVENT_TYPE
        for module in (intake, routing, scheduling)
        for cls in vars(module).values()
        if isinstance(cls, type) and getattr(cls, "EVENT_TYPE", "") and cls.__module__ == module.__name__
    }
    assert carried - on_other_topics <= set(EXPORTED_FIELDS) | NOT_EXPORTED
    assert {e.event_type for e in simulated_year(seed=3, cases=150)} <= set(EXPORTED_FIELDS)


def test_files_hold_the_allow_listed_columns_once_per_event_and_nothing_sealed(tmp_path: Path) -> None:
    events = list(simulated_year(seed=4, cases=60))
    collector = ExportCollector()
    for event in [*events, *events[:25]]:  # a re-published stretch: the same events twice
        collector.add(event.value)
    collector.add(b"not json")
    written = write_files(collector, tmp_path, ("parquet", "csv"))
    assert collector.duplicates == 25 and collector.undecodable == 1
    opened = pq.read_table(tmp_path / "CaseOpened.parquet")
    assert opened.column_names == [
        "event_id",
        "occurred_at",
        "schema_version",
        *EXPORTED_FIELDS["CaseOpened"],
    ]
    assert opened.num_rows == sum(1 for e in events if e.event_type == "CaseOpened")
    with (tmp_path / "TimeLogged.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert rows and "advisor_id" not in rows[0] and {r["activity"] for r in rows} <= {
        "conversation", "administration", "publicity", "training"}  # fmt: skip
    everything = b"".join(p.read_bytes() for p in written)
    for event in events:
        doc = json.loads(event.value)
        for value in doc["payload"].values():
            if isinstance(value, dict) and "ct" in value:
                assert value["ct"].encode() not in everything
        for key in ("advisor_id", "from_advisor_id", "to_advisor_id"):
            if doc["payload"].get(key):
                assert doc["payload"][key].encode() not in everything
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["event_types"]["CaseOpened"]["rows"] == opened.num_rows


def test_two_exports_of_the_same_events_are_identical(tmp_path: Path) -> None:
    events = list(simulated_year(seed=6, cases=30))
    outputs = []
    for name, order in (("a", events), ("b", list(reversed(events)))):
        collector = ExportCollector()
        for event in order:
            collector.add(event.value)
        outputs.append(
            {p.name: p.read_bytes() for p in write_files(collector, tmp_path / name, ("csv", "parquet"))}
        )
    assert outputs[0] == outputs[1]
