"""`caseflow export` as a process, on real topics, checked against a real projection.

A seeded simulated year goes onto real topics (with a re-published stretch); `caseflow replay` builds
the projection into a fresh SQLite file; `caseflow export` (the command, with an organisation file of
three levels) writes the protected microdata. The exported file must pass pycanon's k-anonymity check,
hold no id and no time finer than a quarter, and every row must be the generalisation of its own case
in the projection (nothing invented, nothing counted twice).
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
from collections import Counter
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from pycanon import anonymity

from services.reporting.adapters.projection import CONSUMED_TOPICS
from services.reporting.application.export import COLUMNS, QUASI_IDENTIFIERS
from tests.support.kafka_io import create_topics, produce
from tests.support.processes import CASEFLOW
from tools.reporting.simulated_events import SimulatedEvent, simulated_year

pytestmark = pytest.mark.integration

YEAR = 2026
K = 5
UNITS = [
    ("bzk", None, 2000, "min-bzk"), ("bzk-sg", "bzk", 300, "min-bzk"), ("bzk-dgob", "bzk", 400, "min-bzk"),
    ("bzk-dgob-ict", "bzk-dgob", 30, "min-bzk"), ("bzk-dgob-hr", "bzk-dgob", 120, "min-bzk"),
    ("fin", None, 5000, "min-fin"), ("fin-tax", "fin", 20000, "min-fin"), ("fin-douane", "fin", 4000, "min-fin"),
    ("fin-bel", "fin-tax", 800, "min-fin"),
]  # fmt: skip
FINER_THAN_QUARTER = re.compile(
    rb"\d{4}-\d{2}-\d{2}|\d{4}-(0[1-9]|1[0-2])(?!\d)|\d{1,2}:\d{2}|\d{4}-W\d{2}|T\d{2}|\b\d{9,}\b"
)


def cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CASEFLOW, *args], env={**os.environ, **env}, capture_output=True, text=True, timeout=300, check=False
    )


async def publish(kafka: str, prefix: str, events: list[SimulatedEvent]) -> None:
    by_topic: dict[str, list[tuple[bytes | None, bytes]]] = {}
    for event in events:
        by_topic.setdefault(event.topic, []).append((event.key, event.value))
    for topic, messages in by_topic.items():
        await produce(kafka, prefix + topic, messages)


async def test_the_export_command_writes_k_anonymous_generalisations_of_the_projected_cases(
    kafka_bootstrap: str, unique_topic: str, tmp_path: Path
) -> None:
    prefix = unique_topic
    await create_topics(kafka_bootstrap, [prefix + t for t in CONSUMED_TOPICS])
    events = list(simulated_year(seed=31, year=YEAR, cases=1200))
    await publish(kafka_bootstrap, prefix, events)
    await publish(kafka_bootstrap, prefix, events[200:400])  # re-published: duplicates
    org_file = tmp_path / "organisation.json"
    org_file.write_text(json.dumps({"units": [
        {"unit_id": u, "parent_id": p, "name": u, "size": s, "organisation_id": o} for u, p, s, o in UNITS
    ]}))  # fmt: skip
    env = {
        "REPORTING_KAFKA_BOOTSTRAP": kafka_bootstrap,
        "REPORTING_TOPIC_PREFIX": prefix,
        "REPORTING_ORGANISATION_FILE": str(org_file),
        "REPORTING_K": str(K),
        "REPORTING_MIN_UNIT_SIZE": "50",
    }

    # The real projection, rebuilt by the replay command.
    database = tmp_path / "projection.db"
    done = cli("replay", "--database-url", f"sqlite+aiosqlite:///{database}", env=env)
    assert done.returncode == 0, done.stderr
    with sqlite3.connect(database) as conn:
        projected = conn.execute(
            "SELECT case_id, organisation_id, unit_id, quarter, channel, client_role, categories, whistleblower "
            "FROM rp_cases"
        ).fetchall()
    assert len(projected) == 1200

    # The export, as a process.
    out = tmp_path / "export"
    exported = cli("export", "--out", str(out), "--format", "parquet,csv", env=env)
    assert exported.returncode == 0, exported.stderr
    summary = json.loads(exported.stdout)
    protection = summary["protection"]
    assert protection["k"] == K and protection["quasi_identifiers"] == list(QUASI_IDENTIFIERS)
    assert protection["records_in"] == len(projected)
    assert protection["records_written"] + protection["records_suppressed"] == len(projected)
    assert protection["records_written"] > len(projected) // 2 and protection["units_generalised"] > 0
    assert summary["skipped"]["duplicates"] == sum(1 for e in events[200:400] if e.event_type == "CaseOpened")
    assert f"{protection['records_suppressed']} suppressed" in exported.stderr
    assert sorted(p.name for p in out.iterdir()) == [
        "cases.csv",
        "cases.parquet",
        "codebook.csv",
        "manifest.json",
    ]

    table = pq.read_table(out / "cases.parquet")
    assert table.column_names == list(COLUMNS) and table.num_rows == protection["records_written"]
    assert table.schema.field("categories").type == pa.list_(pa.string())
    frame = table.to_pandas()
    frame["categories"] = frame["categories"].map(";".join)
    assert anonymity.k_anonymity(frame, list(QUASI_IDENTIFIERS)) >= K
    assert anonymity.k_anonymity(pd.read_csv(out / "cases.csv"), list(QUASI_IDENTIFIERS)) >= K

    # Every row is the generalisation of its own projected case: same values, unit replaced by the label
    # that covers it (manifest), no row without a case, no case twice.
    manifest = json.loads((out / "manifest.json").read_text())
    label_of = {
        (org, unit): label
        for org, covers in manifest["unit_labels"].items()
        for label, units in covers.items()
        for unit in units
    }
    candidates = Counter(
        (org, label_of.get((org, unit), org), quarter, channel, role, tuple(cats.split(",")), bool(wb))
        for _case, org, unit, quarter, channel, role, cats, wb in projected
    )
    rows = Counter(
        (r["organisation"], r["unit"], r["quarter"], r["channel"], r["client_role"], tuple(r["categories"]),
         r["whistleblower"])
        for r in table.to_pylist()
    )  # fmt: skip
    assert not rows - candidates
    assert sum((candidates - rows).values()) == protection["records_suppressed"]

    # No id and no time finer than a quarter in any byte of any file.
    for path in out.iterdir():
        if path.suffix in (".csv", ".json"):
            assert FINER_THAN_QUARTER.search(path.read_bytes()) is None, path.name
    everything = b"".join(p.read_bytes() for p in out.iterdir())
    for case_id, *_ in projected:
        assert case_id.encode() not in everything
    for event in events:
        doc = json.loads(event.value)
        assert doc["event_id"].encode() not in everything
        for key, value in doc["payload"].items():
            if isinstance(value, dict) and "ct" in value:
                assert value["ct"].encode() not in everything, f"ciphertext of {event.event_type}.{key}"
            if key.endswith("_id") and key not in ("organisation_id", "unit_id") and isinstance(value, str):
                assert value.encode() not in everything, f"{event.event_type}.{key} exported"
