"""The analysts' export (`caseflow export`): coded events as Parquet and CSV, one file per event type.

What goes out is an ALLOW-LIST per event type (`EXPORTED_FIELDS`); every other field of a contract is
listed in `DROPPED_FIELDS` with the reason, and a test checks that the two together cover every field,
so a field added to a contract is not exported until someone decides it may be. Never exported:
- every `Sealed` field (ciphertext: personal data, routing exclusions and inputs);
- person pseudonyms (there are none in clear on these topics; they travel sealed);
- advisor ids: advisors are people too, and per-advisor figures are not for analysts;
- free text and identifiers that link back to personal data (submission ids, message ids, locations,
  client availability windows, meeting titles).
Envelope columns: event_id, occurred_at, schema_version (stream ids are dropped: for events without a
case the stream id is an advisor id). Rows are deduplicated by event id (a re-published event is one
event) and sorted by (occurred_at, event_id), so two exports of the same log are identical.
The export is microdata for authorised analysts: what they publish from it must pass disclosure
control like the annual report (docs/reporting.md).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import Enum
from pathlib import Path
from types import UnionType
from typing import Any, Union, get_args, get_origin

import pyarrow as pa
import pyarrow.parquet as pq

import shared.contracts  # noqa: F401  (registers the event types this module decodes)
from shared.envelope import REGISTRY, EnvelopeDecodeError, decode_envelope

ENVELOPE_COLUMNS = ("event_id", "occurred_at", "schema_version")

ADVISOR = "advisor id: advisors are people; no per-advisor data for analysts"
SEALED = "Sealed: ciphertext of personal data"
LINK = "identifier that links to personal data elsewhere"
FREE_TEXT = "free text or quasi-identifying detail"

EXPORTED_FIELDS: dict[str, tuple[str, ...]] = {
    # intake.cases.v1
    "CaseOpened": (
        "case_id", "opened_at", "channel", "organisation_id", "unit_id", "client_role", "anonymous", "categories",
        "wants_external_advisor", "language", "meeting_mode", "away_from_own_unit", "is_whistleblower_report",
    ),
    "ClientFeedbackGiven": ("case_id", "rating", "given_at"),
    "CaseAccepted": ("case_id", "accepted_at", "acknowledges_report"),
    "TimeLogged": ("case_id", "minutes", "activity", "logged_at"),
    "OutcomeRecorded": ("case_id", "outcome", "recorded_at"),
    "CaseClosed": ("case_id", "outcomes", "closed_at"),
    "TrainingRegistered": ("hours", "kind", "completed_on", "registered_at"),
    "SupervisionRegistered": ("hours", "session_on", "registered_at"),
    "ActionRejected": ("action_type", "reason_code", "case_id", "rejected_at"),
    "CaseFileRead": ("case_id", "read_at"),
    "ClientMessagePosted": ("case_id", "posted_at"),
    "AdvisorMessagePosted": ("case_id", "posted_at", "counts_as_feedback"),
    "LegalDeadlineSet": ("case_id", "deadline", "basis_on", "due_on", "set_at"),
    "LegalDeadlineDue": ("case_id", "deadline", "due_on", "days_left", "noticed_at"),
    "LegalDeadlineMet": ("case_id", "deadline", "due_on", "met_at", "on_time"),
    "LegalDeadlineMissed": ("case_id", "deadline", "due_on", "noticed_at"),
    "CasePersonalDataErased": ("case_id", "reason", "erased_at"),
    # routing.assignments.v1
    "AdvisorAssigned": (
        "case_id", "scope", "policy_version", "rule_codes", "selection_reason", "decided_at", "case_opened_at",
        "directory_revision",
    ),
    "CaseReassigned": ("case_id", "reason", "scope", "policy_version", "rule_codes", "decided_at", "directory_revision"),
    "RoutingEscalated": (
        "case_id", "organisation_id", "reason_codes", "policy_version", "escalated_at", "reason", "directory_revision",
    ),
    "ReferralSuggested": ("case_id", "referral", "reason", "suggested_at"),
    "RoutingActionRejected": ("case_id", "action", "reason", "rejected_at"),
    # scheduling.meetings.v1
    "MeetingScheduled": (
        "meeting_id", "case_id", "start", "end", "mode", "room_id", "venue_id", "reason_code", "scheduled_at",
        "calendar_sequence",
    ),
    "MeetingCancelled": ("meeting_id", "case_id", "reason", "cancelled_at"),
    "NoSlotFound": ("case_id", "reason_code", "decided_at", "meeting_id"),
    "VenueBudgetReserved": (
        "organisation_id", "year", "venue_id", "meeting_id", "cost_cents", "remaining_after_cents", "reserved_at",
    ),
    "QuietRoomBooked": ("booking_id", "room_id", "start", "end", "booked_at"),
    "QuietRoomUnavailable": ("reason_code", "decided_at"),
    "MeetingRequestRejected": ("case_id", "command", "reason_code", "rejected_at"),
}  # fmt: skip

DROPPED_FIELDS: dict[str, dict[str, str]] = {
    "CaseOpened": {
        "submission_id": LINK, "location": FREE_TEXT, "availability": FREE_TEXT, "personal": SEALED,
        "routing_facts": SEALED,
    },
    "CaseAccepted": {"advisor_id": ADVISOR},
    "TimeLogged": {"advisor_id": ADVISOR},
    "OutcomeRecorded": {"advisor_id": ADVISOR},
    "CaseClosed": {"advisor_id": ADVISOR},
    "TrainingRegistered": {"advisor_id": ADVISOR},
    "SupervisionRegistered": {"advisor_id": ADVISOR},
    "ActionRejected": {"advisor_id": ADVISOR},
    "CaseFileRead": {"advisor_id": ADVISOR},
    "ClientMessagePosted": {"message_id": LINK, "content": SEALED},
    "AdvisorMessagePosted": {"message_id": LINK, "advisor_id": ADVISOR, "content": SEALED},
    "AdvisorAssigned": {"advisor_id": ADVISOR, "exclusions": SEALED, "inputs": SEALED},
    "CaseReassigned": {
        "from_advisor_id": ADVISOR, "to_advisor_id": ADVISOR, "exclusions": SEALED, "inputs": SEALED,
    },
    "RoutingEscalated": {"exclusions": SEALED, "inputs": SEALED},
    "RoutingActionRejected": {"advisor_id": ADVISOR},
    "MeetingScheduled": {"advisor_id": ADVISOR, "neutral_title": FREE_TEXT},
    "MeetingCancelled": {"advisor_id": ADVISOR},
    "NoSlotFound": {"advisor_id": ADVISOR},
    "QuietRoomBooked": {"advisor_id": ADVISOR},
    "QuietRoomUnavailable": {"advisor_id": ADVISOR, "location": FREE_TEXT},
    "MeetingRequestRejected": {"advisor_id": ADVISOR},
}  # fmt: skip


def _cell(value: Any) -> Any:
    """A payload value as a plain column value: codes as text, lists ';'-joined, maps as JSON."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (tuple, list)):
        return ";".join(str(_cell(v)) for v in value)
    if isinstance(value, Mapping):
        return json.dumps({str(k): _cell(v) for k, v in value.items()}, sort_keys=True)
    return value


def exported_row(
    event_type: str, event_id: str, occurred_at: datetime, schema_version: int, payload: Any
) -> dict[str, Any]:
    row: dict[str, Any] = {"event_id": event_id, "occurred_at": occurred_at, "schema_version": schema_version}
    for name in EXPORTED_FIELDS[event_type]:
        row[name] = _cell(getattr(payload, name))
    return row


@dataclass
class ExportCollector:
    """Decodes records, keeps the exported rows per event type; counts what it skipped."""

    rows: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)  # type -> event id -> row
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
        if env.event_type not in EXPORTED_FIELDS:
            self.not_exported_types += 1
            return
        per_type = self.rows.setdefault(env.event_type, {})
        if env.event_id in per_type:
            self.duplicates += 1
            return
        per_type[env.event_id] = exported_row(
            env.event_type, env.event_id, env.occurred_at, env.schema_version, env.payload
        )

    def sorted_rows(self, event_type: str) -> list[dict[str, Any]]:
        rows = self.rows.get(event_type, {})
        return [rows[event_id] for event_id in sorted(rows, key=lambda e: (rows[e]["occurred_at"], e))]


def _arrow_type(annotation: Any) -> pa.DataType:
    """Arrow type of an exported field: timestamps, dates, booleans and numbers as such, the rest text."""
    candidates = (
        [a for a in get_args(annotation) if a is not type(None)]
        if get_origin(annotation) in (Union, UnionType)
        else [annotation]
    )
    kind = candidates[0] if len(candidates) == 1 else str
    arrow_types: dict[Any, pa.DataType] = {
        datetime: pa.timestamp("us", tz="UTC"),
        date: pa.date32(),
        bool: pa.bool_(),
        float: pa.float64(),
        int: pa.int64(),
    }
    return arrow_types.get(kind, pa.string())


def arrow_schema(event_type: str) -> pa.Schema:
    model = REGISTRY.payload_class(event_type).model_fields
    fields = [
        pa.field("event_id", pa.string(), nullable=False),
        pa.field("occurred_at", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("schema_version", pa.int64(), nullable=False),
    ]
    fields += [pa.field(name, _arrow_type(model[name].annotation)) for name in EXPORTED_FIELDS[event_type]]
    return pa.schema(fields)


def _csv_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return str(value)


def write_files(collector: ExportCollector, out: Path, formats: Iterable[str]) -> list[Path]:
    """One file per event type and format, plus manifest.json; returns the paths written."""
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    manifest: dict[str, Any] = {"format": "caseflow.export.v1", "event_types": {}}
    for event_type in sorted(collector.rows):
        rows = collector.sorted_rows(event_type)
        columns = [*ENVELOPE_COLUMNS, *EXPORTED_FIELDS[event_type]]
        manifest["event_types"][event_type] = {"rows": len(rows), "columns": columns}
        if "parquet" in formats:
            path = out / f"{event_type}.parquet"
            table = pa.Table.from_pylist(rows, schema=arrow_schema(event_type))
            pq.write_table(table, path, compression="zstd")
            written.append(path)
        if "csv" in formats:
            path = out / f"{event_type}.csv"
            with path.open("w", newline="", encoding="utf-8") as handle:
                writer = csv.writer(handle, lineterminator="\n")
                writer.writerow(columns)
                writer.writerows([_csv_text(row[c]) for c in columns] for row in rows)
            written.append(path)
    manifest["skipped"] = {
        "unknown_event_types": collector.unknown_types,
        "undecodable": collector.undecodable,
        "types_not_exported": collector.not_exported_types,
        "duplicates": collector.duplicates,
    }
    manifest["dropped_fields"] = DROPPED_FIELDS
    path = out / "manifest.json"
    path.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    written.append(path)
    return written


async def export_topics(
    kafka_bootstrap: str,
    topic_prefix: str,
    out: Path,
    formats: Sequence[str] = ("parquet", "csv"),
    topics: Sequence[str] | None = None,
) -> tuple[ExportCollector, list[Path]]:
    from services.reporting.projection import CONSUMED_TOPICS
    from services.reporting.replay import read_to_end

    collector = ExportCollector()
    physical = [f"{topic_prefix}{t}" for t in (topics or CONSUMED_TOPICS)]
    async for batch, _total in read_to_end(kafka_bootstrap, physical):
        for record in batch:
            if record.value is not None:
                collector.add(record.value)
    return collector, write_files(collector, out, formats)
