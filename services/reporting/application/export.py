"""The analysts' export (`caseflow export`): protected case microdata as Parquet and CSV.

One row per case opened, and only the columns in `COLUMNS` (the allow-list; nothing else is ever
written):

    organisation, unit, quarter, channel, client_role   the quasi-identifiers (`QUASI_IDENTIFIERS`)
    categories, whistleblower                            the sensitive attributes (`SENSITIVE`)

Each column comes from one field of CaseOpened (`SOURCE_FIELDS`); every other field of CaseOpened is
listed in `DROPPED_FIELDS` with the reason, and a unit test fails when the contract grows a field
nobody classified. No case id, submission id or other identifier (a row cannot be linked to any other
event, and there is no row id either: a row is one case, nothing more); no timestamp: `opened_at`
becomes its calendar quarter in Europe/Amsterdam ("2026-Q1"), as in the annual report; no free text,
no person pseudonym, no advisor id. The other event types are not exported at all: every one of them
carries a case id or an advisor id and a timestamp, which would undo the protection below.

Protection (`protect_cases`), per organisation, deterministic:
1. Units smaller than `min_unit_size` fold into their parent, exactly as for the management view
   (`disclosure.merge_small_units` on `OrganisationModel.unit_tree`; units the organisation file does
   not describe fold into the organisation).
2. Generalisation: while some group of records sharing all quasi-identifiers is not acceptable (see
   below) and its unit is not the root (the organisation itself), the deepest such unit (ties: fewest
   records, then unit id) is folded one level up into its parent. Folding is global recoding: every
   record of the unit, in every quarter, channel and role, takes the parent's label, so a unit label
   always covers the same units throughout the file.
3. Suppression: records of groups that are still not acceptable at the root are dropped and counted;
   they are written nowhere.
A group is acceptable when it holds at least `k` records (k-anonymity) and, for the sensitive
attributes (a one-sided l-diversity): not every record of it is a whistleblower report, and no
category is mentioned by every record of it. Otherwise knowing that someone is in the group would
reveal that they reported as a whistleblower, or what their case was about.

Rows are sorted by their values (never by time or arrival), so two exports of the same events are
byte-identical and the row order tells nothing. The export is microdata for authorised analysts
under an agreement: whatever they publish from it must pass the same disclosure control as the
annual report (docs/reporting.md, "Analyst export").
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

import shared.contracts  # noqa: F401  (registers the event types this module decodes)
from services.reporting.adapters.organisation import OrganisationModel
from services.reporting.domain.disclosure import merge_small_units
from shared.envelope import EnvelopeDecodeError, decode_envelope

FORMAT = "caseflow.export.v2"
QUASI_IDENTIFIERS = ("organisation", "unit", "quarter", "channel", "client_role")
SENSITIVE = ("categories", "whistleblower")
COLUMNS = (*QUASI_IDENTIFIERS, *SENSITIVE)

# column -> the CaseOpened field it is derived from
SOURCE_FIELDS: dict[str, str] = {
    "organisation": "organisation_id",
    "unit": "unit_id",
    "quarter": "opened_at",
    "channel": "channel",
    "client_role": "client_role",
    "categories": "categories",
    "whistleblower": "is_whistleblower_report",
}

IDENTIFIER = "identifier: links the row to the case's other events"
LINK = "identifier that links to personal data elsewhere"
SEALED = "Sealed: ciphertext of personal data"
FREE_TEXT = "free text or quasi-identifying detail"
EXTRA_QI = "one more quasi-identifier: would split the k-anonymous groups further"

DROPPED_FIELDS: dict[str, str] = {
    "case_id": IDENTIFIER,
    "submission_id": LINK,
    "anonymous": EXTRA_QI,
    "wants_external_advisor": EXTRA_QI,
    "language": EXTRA_QI + " (a rare language identifies)",
    "meeting_mode": EXTRA_QI,
    "away_from_own_unit": EXTRA_QI,
    "location_code": EXTRA_QI,
    "availability": FREE_TEXT,
    "personal": SEALED,
    "routing_facts": SEALED,
    "receipt": SEALED,
}
NOT_EXPORTED_TYPES = (
    "every event type but CaseOpened: each carries a case id or an advisor id and timestamps, "
    "which would link the protected rows back to cases"
)

COLUMN_DESCRIPTIONS: dict[str, tuple[str, str]] = {  # column -> (type, meaning)
    "organisation": ("string", "organisation (ministry) code of the case"),
    "unit": ("string", "unit code, generalised up the unit tree; the organisation code for its root"),
    "quarter": ("string", "calendar quarter the case was opened, Europe/Amsterdam, YYYY-Qn"),
    "channel": ("string", "how the client made contact (code)"),
    "client_role": ("string", "the client's role (code)"),
    "categories": ("list<string>", "subject categories in recorded order (CSV: ';'-joined)"),
    "whistleblower": ("bool", "the case is a whistleblower report"),
}


@dataclass(frozen=True, order=True)
class CaseRecord:
    """One case as the export sees it: quasi-identifiers and sensitive attributes, nothing else."""

    organisation: str
    unit: str
    quarter: str
    channel: str
    client_role: str
    categories: tuple[str, ...]
    whistleblower: bool

    def key(self) -> tuple[str, str, str, str, str]:
        """The quasi-identifiers."""
        return (self.organisation, self.unit, self.quarter, self.channel, self.client_role)


def case_record(payload: Any) -> CaseRecord:
    """The export's view of a CaseOpened payload (unit not yet generalised)."""
    from services.reporting.adapters.projection import quarter_of

    return CaseRecord(
        organisation=str(payload.organisation_id),
        unit=str(payload.unit_id),
        quarter=quarter_of(payload.opened_at),
        channel=str(payload.channel.value),
        client_role=str(payload.client_role.value),
        categories=tuple(str(c.value) for c in payload.categories),
        whistleblower=bool(payload.is_whistleblower_report),
    )


@dataclass
class ExportCollector:
    """Decodes records and keeps one CaseRecord per case, in memory only; counts what it skipped.

    A case opened twice (two CaseOpened events with the same case id) keeps the one with the smallest
    event id, as the projection does.
    """

    cases: dict[str, tuple[str, CaseRecord]] = field(default_factory=dict)  # case id -> (event id, record)
    unknown_types: int = 0
    undecodable: int = 0
    not_exported_types: int = 0
    duplicates: int = 0

    def add(self, raw: bytes) -> None:
        try:
            env = decode_envelope(raw)
        except EnvelopeDecodeError as exc:
            if exc.reason == "unknown_event_type":
                self.unknown_types += 1
            else:
                self.undecodable += 1
            return
        if env.event_type != "CaseOpened":
            self.not_exported_types += 1
            return
        case_id = str(env.payload.case_id)  # type: ignore[attr-defined]
        known = self.cases.get(case_id)
        if known is not None and known[0] <= env.event_id:
            self.duplicates += 1
            return
        if known is not None:
            self.duplicates += 1
        self.cases[case_id] = (env.event_id, case_record(env.payload))

    @property
    def rows(self) -> dict[str, dict[str, CaseRecord]]:
        """The unprotected records by event type and case id (in memory; never written)."""
        return {"CaseOpened": {case: rec for case, (_, rec) in self.cases.items()}} if self.cases else {}

    def records(self) -> list[CaseRecord]:
        return [self.cases[case][1] for case in sorted(self.cases)]

    def skipped(self) -> dict[str, int]:
        return {
            "unknown_event_types": self.unknown_types,
            "undecodable": self.undecodable,
            "types_not_exported": self.not_exported_types,
            "duplicates": self.duplicates,
        }


# --------------------------------------------------------------------------------------------------
# Protection


@dataclass(frozen=True)
class ProtectedCases:
    """The records that may go out, and what protection did to get there."""

    records: tuple[CaseRecord, ...]  # sorted; units replaced by their labels
    records_in: int
    suppressed: int
    k: int
    min_unit_size: int
    # organisation -> unit seen in the input -> the label its records carry (itself when kept)
    unit_labels: Mapping[str, Mapping[str, str]]
    # organisation -> label written -> the units of the organisation file it covers
    label_covers: Mapping[str, Mapping[str, tuple[str, ...]]]
    units_folded_small: int  # input units folded because they are smaller than min_unit_size
    units_folded_for_k: int  # input units folded further for k-anonymity / diversity

    @property
    def units_generalised(self) -> int:
        return sum(1 for labels in self.unit_labels.values() for u, lab in labels.items() if u != lab)


def acceptable(group: Sequence[CaseRecord], k: int) -> bool:
    """At least k records; not all whistleblower reports; no category that every record mentions."""
    if len(group) < k:
        return False
    if all(r.whistleblower for r in group):
        return False
    common = set(group[0].categories)
    for record in group[1:]:
        common &= set(record.categories)
        if not common:
            break
    return not common


def _depth(unit: str, parent_of: Mapping[str, str | None]) -> int:
    steps = 0
    parent = parent_of.get(unit)
    while parent is not None:
        steps += 1
        parent = parent_of.get(parent)
    return steps


def _protect_organisation(
    records: Sequence[CaseRecord],
    organisation_id: str,
    model: OrganisationModel,
    k: int,
    min_unit_size: int,
) -> tuple[list[CaseRecord], dict[str, str], dict[str, tuple[str, ...]], int, int]:
    seen = sorted({r.unit for r in records})
    sizes, parent_of = model.unit_tree(organisation_id, seen)
    # 1. Small units fold into their parent, as in the management view.
    merged = merge_small_units({u: {u: 1} for u in parent_of}, sizes, parent_of, min_unit_size)
    label: dict[str, str] = {unit: target for target, members in merged.items() for unit in members}
    after_small = dict(label)
    # 2. Generalisation: fold the deepest unit holding an unacceptable group one level up.
    while True:
        groups: dict[tuple[str, ...], list[CaseRecord]] = {}
        for r in records:
            groups.setdefault((label[r.unit], r.quarter, r.channel, r.client_role), []).append(r)
        bad = {key[0] for key, group in groups.items() if not acceptable(group, k)}
        foldable = [unit for unit in bad if parent_of.get(unit) is not None]
        if not foldable:
            break
        per_label = Counter(label[r.unit] for r in records)
        target = min(foldable, key=lambda u: (-_depth(u, parent_of), per_label[u], u))
        parent = parent_of.get(target)
        assert parent is not None
        into = label.get(parent, parent)
        for unit, current in label.items():
            if current == target:
                label[unit] = into
    # 3. Suppression of what is still unacceptable at the root.
    kept = [
        CaseRecord(
            r.organisation, label[r.unit], r.quarter, r.channel, r.client_role, r.categories, r.whistleblower
        )
        for key, group in groups.items()
        if acceptable(group, k)
        for r in group
    ]
    folded_small = sum(1 for u in seen if after_small[u] != u)
    folded_for_k = sum(1 for u in seen if label[u] != after_small[u])
    written = {r.unit for r in kept}
    covers: dict[str, list[str]] = {}
    for unit in sorted(model.units):
        if unit in label and model.units[unit].organisation_id == organisation_id and label[unit] in written:
            covers.setdefault(label[unit], []).append(unit)
    return (
        kept,
        {u: label[u] for u in seen},
        {lab: tuple(units) for lab, units in sorted(covers.items())},
        folded_small,
        folded_for_k,
    )


def protect_cases(
    records: Iterable[CaseRecord], model: OrganisationModel, k: int, min_unit_size: int
) -> ProtectedCases:
    """Generalise units, then suppress, until every quasi-identifier group is acceptable (see above)."""
    if k < 1:
        raise ValueError("k must be at least 1")
    by_org: dict[str, list[CaseRecord]] = {}
    count = 0
    for record in records:
        by_org.setdefault(record.organisation, []).append(record)
        count += 1
    kept: list[CaseRecord] = []
    unit_labels: dict[str, dict[str, str]] = {}
    label_covers: dict[str, dict[str, tuple[str, ...]]] = {}
    folded_small = folded_for_k = 0
    for org in sorted(by_org):
        rows, labels, covers, small, for_k = _protect_organisation(by_org[org], org, model, k, min_unit_size)
        kept += rows
        unit_labels[org] = labels
        label_covers[org] = covers
        folded_small += small
        folded_for_k += for_k
    return ProtectedCases(
        records=tuple(sorted(kept)),
        records_in=count,
        suppressed=count - len(kept),
        k=k,
        min_unit_size=min_unit_size,
        unit_labels=unit_labels,
        label_covers=label_covers,
        units_folded_small=folded_small,
        units_folded_for_k=folded_for_k,
    )


# --------------------------------------------------------------------------------------------------
# Files

ARROW_SCHEMA = pa.schema(
    [
        pa.field("organisation", pa.string(), nullable=False),
        pa.field("unit", pa.string(), nullable=False),
        pa.field("quarter", pa.string(), nullable=False),
        pa.field("channel", pa.string(), nullable=False),
        pa.field("client_role", pa.string(), nullable=False),
        pa.field("categories", pa.list_(pa.string()), nullable=False),
        pa.field("whistleblower", pa.bool_(), nullable=False),
    ]
)


if tuple(ARROW_SCHEMA.names) != COLUMNS or set(COLUMN_DESCRIPTIONS) != set(COLUMNS):
    raise RuntimeError("the Parquet schema and the codebook must hold exactly the allow-listed columns")


def _row(record: CaseRecord) -> dict[str, Any]:
    """The allow-listed columns of a record, and nothing else."""
    row = {column: getattr(record, column) for column in COLUMNS}
    row["categories"] = list(record.categories)
    return row


def _csv_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ";".join(str(v) for v in value)
    return str(value)


def protection_summary(protected: ProtectedCases) -> dict[str, Any]:
    """What the export did, for the manifest and the command's output. Suppressed records: a count."""
    return {
        "k": protected.k,
        "min_unit_size": protected.min_unit_size,
        "quasi_identifiers": list(QUASI_IDENTIFIERS),
        "sensitive_attributes": list(SENSITIVE),
        "diversity": "no group of only whistleblower reports; no category mentioned by every record of a group",
        "records_in": protected.records_in,
        "records_written": len(protected.records),
        "records_suppressed": protected.suppressed,
        "units_generalised": protected.units_generalised,
        "units_folded_below_min_size": protected.units_folded_small,
        "units_folded_for_k": protected.units_folded_for_k,
    }


def write_files(
    protected: ProtectedCases, out: Path, formats: Iterable[str], skipped: Mapping[str, int] | None = None
) -> list[Path]:
    """cases.parquet and/or cases.csv, codebook.csv and manifest.json; returns the paths written."""
    formats = list(formats)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    rows = [_row(r) for r in protected.records]
    if "parquet" in formats:
        path = out / "cases.parquet"
        pq.write_table(pa.Table.from_pylist(rows, schema=ARROW_SCHEMA), path, compression="zstd")
        written.append(path)
    if "csv" in formats:
        path = out / "cases.csv"
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(COLUMNS)
            writer.writerows([_csv_text(row[c]) for c in COLUMNS] for row in rows)
        written.append(path)
    path = out / "codebook.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(("column", "type", "role", "meaning"))
        for column in COLUMNS:
            kind, meaning = COLUMN_DESCRIPTIONS[column]
            role = "quasi-identifier" if column in QUASI_IDENTIFIERS else "sensitive"
            writer.writerow((column, kind, role, meaning))
    written.append(path)
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "unit_of_observation": "one case opened",
        "columns": list(COLUMNS),
        "files": sorted(p.name for p in written) + ["manifest.json"],
        "protection": protection_summary(protected),
        "unit_labels": {org: dict(covers) for org, covers in protected.label_covers.items()},
        "dropped_fields": {"CaseOpened": DROPPED_FIELDS},
        "not_exported": NOT_EXPORTED_TYPES,
        "skipped": dict(skipped or {}),
    }
    path = out / "manifest.json"
    path.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    written.append(path)
    return written


async def collect_topics(
    kafka_bootstrap: str, topic_prefix: str, topics: Sequence[str] | None = None
) -> ExportCollector:
    """Reads the topics (default: intake.cases.v1) from offset 0 to their end offsets of now."""
    from services.reporting.adapters.topic_log import read_to_end
    from shared.topics import INTAKE_CASES

    collector = ExportCollector()
    physical = [f"{topic_prefix}{t}" for t in (topics or (INTAKE_CASES.name,))]
    async for batch, _total in read_to_end(kafka_bootstrap, physical):
        for record in batch:
            if record.value is not None:
                collector.add(record.value)
    return collector


async def export_topics(
    kafka_bootstrap: str,
    topic_prefix: str,
    out: Path,
    formats: Sequence[str] = ("parquet", "csv"),
    topics: Sequence[str] | None = None,
    *,
    organisation: OrganisationModel | None = None,
    k: int = 5,
    min_unit_size: int = 50,
) -> tuple[ExportCollector, list[Path]]:
    collector = await collect_topics(kafka_bootstrap, topic_prefix, topics)
    protected = protect_cases(collector.records(), organisation or OrganisationModel(), k, min_unit_size)
    return collector, write_files(protected, out, formats, collector.skipped())
