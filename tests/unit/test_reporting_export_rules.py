"""What the analysts' export may carry: an allow-list of case columns, no ids, no time finer than a quarter."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from pycanon import anonymity

from services.reporting.adapters.organisation import OrganisationModel, Unit
from services.reporting.application.export import (
    COLUMNS,
    DROPPED_FIELDS,
    QUASI_IDENTIFIERS,
    SENSITIVE,
    SOURCE_FIELDS,
    ExportCollector,
    protect_cases,
    write_files,
)
from shared.crypto import Sealed
from shared.envelope import REGISTRY
from tools.reporting.simulated_events import simulated_year

pytestmark = pytest.mark.unit

PERSON_WORDS = ("person", "advisor", "participant", "involved", "contact", "narrative", "name", "email")
ID_COLUMN = re.compile(r"(^|_)(id|ids|uuid|key|number|nr)($|_)", re.IGNORECASE)
# Anything finer than a quarter: a date, a month, a time of day, an ISO week, an epoch number.
FINER_THAN_QUARTER = re.compile(
    rb"\d{4}-\d{2}-\d{2}|\d{4}-(0[1-9]|1[0-2])(?!\d)|\d{1,2}:\d{2}|\d{4}-W\d{2}|T\d{2}|\b\d{9,}\b"
)
K = 5


def simulated_units() -> OrganisationModel:
    """The simulated organisations' units as a three-level tree (sizes chosen so some fold)."""
    spec = [
        ("bzk", None, 2000, "min-bzk"), ("bzk-sg", "bzk", 300, "min-bzk"), ("bzk-dgob", "bzk", 400, "min-bzk"),
        ("bzk-dgob-ict", "bzk-dgob", 30, "min-bzk"), ("bzk-dgob-hr", "bzk-dgob", 120, "min-bzk"),
        ("fin", None, 5000, "min-fin"), ("fin-tax", "fin", 20000, "min-fin"), ("fin-douane", "fin", 4000, "min-fin"),
        ("fin-bel", "fin-tax", 800, "min-fin"),
    ]  # fmt: skip
    return OrganisationModel(units={u: Unit(u, p, u, s, o) for u, p, s, o in spec})


def collect(events: list) -> ExportCollector:  # type: ignore[type-arg]
    collector = ExportCollector()
    for event in events:
        collector.add(event.value)
    return collector


def test_every_case_opened_field_is_a_column_source_or_dropped_with_a_reason() -> None:
    fields = set(REGISTRY.payload_class("CaseOpened").model_fields)
    sources = set(SOURCE_FIELDS.values())
    assert sources | set(DROPPED_FIELDS) == fields, f"decide on {fields - sources - set(DROPPED_FIELDS)}"
    assert not sources & set(DROPPED_FIELDS)
    assert set(SOURCE_FIELDS) == set(COLUMNS) == set(QUASI_IDENTIFIERS) | set(SENSITIVE)
    assert {"case_id", "submission_id", "personal", "routing_facts", "location_code"} <= set(DROPPED_FIELDS)


def test_no_column_is_an_id_a_person_field_a_timestamp_or_ciphertext() -> None:
    model = REGISTRY.payload_class("CaseOpened").model_fields
    for column in COLUMNS:
        assert not ID_COLUMN.search(column), column
        assert not any(word in column for word in PERSON_WORDS), column
        assert model[SOURCE_FIELDS[column]].annotation is not Sealed
    assert "opened_at" not in COLUMNS and "case_id" not in COLUMNS


def test_only_case_opened_is_read_other_types_are_counted_not_exported() -> None:
    events = list(simulated_year(seed=3, cases=150))
    collector = collect([*events, *events[:40]])  # a re-published stretch: the same events twice
    collector.add(b"not json")
    opened = [e for e in events if e.event_type == "CaseOpened"]
    assert len(collector.cases) == len(opened) == 150
    assert collector.duplicates == sum(1 for e in events[:40] if e.event_type == "CaseOpened")
    assert collector.undecodable == 1
    assert collector.not_exported_types == len(events) - len(opened) + 40 - collector.duplicates
    assert set(collector.rows) == {"CaseOpened"}


def test_the_files_hold_the_allow_listed_columns_k_anonymous_with_no_id_and_no_timestamp(
    tmp_path: Path,
) -> None:
    events = list(simulated_year(seed=4, cases=1500))
    collector = collect(events)
    protected = protect_cases(collector.records(), simulated_units(), K, 50)
    written = write_files(protected, tmp_path, ("parquet", "csv"), collector.skipped())
    assert sorted(p.name for p in written) == ["cases.csv", "cases.parquet", "codebook.csv", "manifest.json"]
    # Numbers of this dataset (also in the report): most is kept, units generalised, a few suppressed.
    assert protected.records_in == 1500
    assert 0 < protected.suppressed < 300 and protected.units_generalised >= 5
    table = pq.read_table(tmp_path / "cases.parquet")
    assert table.column_names == list(COLUMNS)
    assert table.schema.field("categories").type == pa.list_(pa.string())
    assert table.schema.field("whistleblower").type == pa.bool_()
    assert not any(pa.types.is_temporal(f.type) for f in table.schema)
    assert table.num_rows == len(protected.records) == 1500 - protected.suppressed
    with (tmp_path / "cases.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == list(COLUMNS) and len(rows) == table.num_rows
    assert {r["quarter"] for r in rows} <= {f"2026-Q{q}" for q in (1, 2, 3, 4)}
    assert any(";" in r["categories"] for r in rows)
    # pycanon on both files: every combination of the quasi-identifiers holds at least k records.
    frame = table.to_pandas()
    frame["categories"] = frame["categories"].map(";".join)
    assert anonymity.k_anonymity(frame, list(QUASI_IDENTIFIERS)) >= K
    assert anonymity.k_anonymity(pd.read_csv(tmp_path / "cases.csv"), list(QUASI_IDENTIFIERS)) >= K
    # No byte of any text file looks like a time finer than a quarter.
    for path in written:
        if path.suffix in (".csv", ".json"):
            found = FINER_THAN_QUARTER.search(path.read_bytes())
            assert found is None, f"{path.name}: {found.group() if found else ''}"
    # No case id, submission id, advisor id, event id or ciphertext anywhere, in any file.
    everything = b"".join(p.read_bytes() for p in written)
    for event in events:
        doc = json.loads(event.value)
        assert doc["event_id"].encode() not in everything
        for key, value in doc["payload"].items():
            if isinstance(value, dict) and "ct" in value:
                assert value["ct"].encode() not in everything
            if (key.endswith("_id") and key not in ("organisation_id", "unit_id")) and isinstance(value, str):
                assert value.encode() not in everything, f"{event.event_type}.{key}"
    first_case = next(e for e in events if e.event_type == "CaseOpened")
    known_case_id = json.loads(first_case.value)["payload"]["case_id"]
    assert len(known_case_id) == 36 and known_case_id.encode() not in everything
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["protection"]["k"] == K
    assert manifest["protection"]["quasi_identifiers"] == list(QUASI_IDENTIFIERS)
    assert manifest["protection"]["records_written"] == table.num_rows
    assert manifest["protection"]["records_suppressed"] == protected.suppressed
    codebook = list(csv.DictReader(io.StringIO((tmp_path / "codebook.csv").read_text())))
    assert [r["column"] for r in codebook] == list(COLUMNS)


def test_rows_are_ordered_by_value_so_two_exports_of_the_same_events_are_identical(tmp_path: Path) -> None:
    events = list(simulated_year(seed=6, cases=400))
    outputs = []
    for name, order in (("a", events), ("b", list(reversed(events)))):
        collector = collect(order)
        protected = protect_cases(collector.records(), simulated_units(), K, 50)
        outputs.append(
            {p.name: p.read_bytes() for p in write_files(protected, tmp_path / name, ("csv", "parquet"))}
        )
    assert outputs[0] == outputs[1]
    rows = list(csv.reader(io.StringIO(outputs[0]["cases.csv"].decode())))[1:]
    assert rows == sorted(rows, key=lambda r: (r[:5], r[5].split(";"), r[6]))


def test_an_empty_export_writes_the_header_and_the_schema(tmp_path: Path) -> None:
    protected = protect_cases([], OrganisationModel(), K, 50)
    write_files(protected, tmp_path, ("parquet", "csv"))
    assert (tmp_path / "cases.csv").read_text() == ",".join(COLUMNS) + "\n"
    assert pq.read_table(tmp_path / "cases.parquet").column_names == list(COLUMNS)
