"""`caseflow directory import FILE`: the HR feed as a file, published as `directory.v1` events."""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

import shared.contracts  # noqa: F401
from caseflow.commands.broker_options import add_broker_options, broker_settings
from caseflow.errors import BadInput, allowed, validation_reason
from caseflow.progress import ProgressLine
from shared.contracts.directory import (
    AcquaintanceDeclared,
    AdvisorProfile,
    AdvisorUpserted,
    CoordinatorAppointed,
    OrgUnitUpserted,
    PersonUpserted,
)
from shared.envelope import Envelope, EventPayload, new_envelope

RECORD_TYPES: dict[str, tuple[type[EventPayload], str]] = {
    "unit": (OrgUnitUpserted, "unit_id"),
    "person": (PersonUpserted, "person_id"),
    "advisor": (AdvisorUpserted, "advisor_id"),
    "acquaintance": (AcquaintanceDeclared, "advisor_id"),
    "coordinator": (CoordinatorAppointed, "coordinator_id"),
}
LIST_FIELDS = {"served_unit_ids", "languages", "locations", "organisation_ids", "profile_languages"}
# An advisor's public profile: a "profile" object in JSON, `profile_*` columns in CSV.
PROFILE_PREFIX = "profile_"
JSON_SECTIONS = {
    "units": "unit",
    "persons": "person",
    "advisors": "advisor",
    "acquaintances": "acquaintance",
    "coordinators": "coordinator",
}


def _clean(record: dict[str, Any]) -> dict[str, Any]:
    """CSV cells are strings: empty means absent, lists are ';'-separated, booleans are words."""
    out: dict[str, Any] = {}
    for key, value in record.items():
        if value is None or value == "":
            continue
        if isinstance(value, str) and key in LIST_FIELDS:
            out[key] = [v.strip() for v in value.split(";") if v.strip()]
        elif isinstance(value, str) and value.lower() in ("true", "false") and key.startswith("is_"):
            out[key] = value.lower() == "true"
        else:
            out[key] = value
    return out


def _fit(cls: type[EventPayload], fields: dict[str, Any]) -> dict[str, Any]:
    """A CSV row has every record type's columns: keep this type's, and give an empty cell of a
    required-but-nullable field (a unit without parent, an external advisor) its None."""
    kept = {k: v for k, v in fields.items() if k in cls.model_fields}
    for name, info in cls.model_fields.items():
        if name not in kept and info.is_required() and "None" in str(info.annotation):
            kept[name] = None
    return kept


def _consented_profile(fields: dict[str, Any]) -> dict[str, Any]:
    """An advisor record with its profile only when the advisor agreed to show it (`show` true):
    without that consent no profile is published at all, not even a hidden one."""
    out = {k: v for k, v in fields.items() if not k.startswith(PROFILE_PREFIX) and k != "profile"}
    profile = dict(fields.get("profile") or {})
    profile |= {k.removeprefix(PROFILE_PREFIX): v for k, v in fields.items() if k.startswith(PROFILE_PREFIX)}
    if profile.get("show") in (True, "true", "True", "yes", "1"):
        out["profile"] = profile | {"show": True}
    return out


class DirectoryFileInvalid(BadInput):
    """The file as a whole cannot be read as a directory: nothing in it is imported."""


def _record_fields(kind: str) -> tuple[str, ...]:
    cls = RECORD_TYPES[kind][0]
    return tuple(cls.model_fields)


CSV_COLUMNS = (
    "record_type",
    *dict.fromkeys(name for kind in RECORD_TYPES for name in _record_fields(kind) if name != "profile"),
    *(PROFILE_PREFIX + name for name in AdvisorProfile.model_fields),
)


def _read_json(path: Path) -> list[tuple[str, str, dict[str, Any]]]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise DirectoryFileInvalid(
            f"{path.name}: not JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        ) from None
    if not isinstance(doc, dict):
        raise DirectoryFileInvalid(
            f"{path.name}: expected a JSON object with the lists {', '.join(JSON_SECTIONS)}"
        )
    unknown = [key for key in doc if key not in JSON_SECTIONS]
    if unknown:
        raise DirectoryFileInvalid(
            f"{path.name}: unknown top-level key {unknown[0]!r} ({allowed(list(JSON_SECTIONS))})"
        )
    records = []
    for section, kind in JSON_SECTIONS.items():
        items = doc.get(section, [])
        if not isinstance(items, list):
            raise DirectoryFileInvalid(f"{path.name}: {section}: expected a list of objects")
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                raise DirectoryFileInvalid(f"{path.name}: {section}[{i}]: expected an object")
            records.append((f"{section}[{i}]", kind, dict(item)))
    return records


def _read_csv(path: Path) -> list[tuple[str, str, dict[str, Any]]]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        columns = reader.fieldnames or []
        if "record_type" not in columns:
            raise DirectoryFileInvalid(f"{path.name}: the CSV needs a header row with a 'record_type' column")
        unknown = [c for c in columns if c not in CSV_COLUMNS]
        if unknown:
            raise DirectoryFileInvalid(f"{path.name}: unknown column {unknown[0]!r} ({allowed(CSV_COLUMNS)})")
        rows = list(reader)
    records = []
    for i, row in enumerate(rows):
        if None in row:  # more cells than the header has columns
            raise DirectoryFileInvalid(f"{path.name}: line {i + 2}: more cells than the header has columns")
        records.append((f"line {i + 2}", (row.pop("record_type", "") or "").strip(), _clean(row)))
    return records


def read_records(path: Path) -> list[tuple[str, str, dict[str, Any]]]:
    """(where, record type, fields) for every record in a JSON or CSV file. A file that cannot be
    read as a directory at all (not JSON, an unknown top-level key or column) raises
    DirectoryFileInvalid; a record's own problems are found by `to_events`."""
    suffix = path.suffix.lower()
    if suffix == ".json":
        return _read_json(path)
    if suffix == ".csv":
        return _read_csv(path)
    raise DirectoryFileInvalid(
        f"{path.name}: a directory file is .json or .csv, not {suffix or 'without suffix'}"
    )


def _unknown_fields(where: str, kind: str, fields: dict[str, Any]) -> list[str]:
    """A JSON record's keys and a CSV row's filled cells must be fields of its record type."""
    names = _record_fields(kind)
    in_csv = where.startswith("line")
    foreign = [
        k
        for k in fields
        if k not in names and not (in_csv and kind == "advisor" and k.startswith(PROFILE_PREFIX))
    ]
    what = "column {!r} does not apply to a {} record" if in_csv else "unknown field {!r} in a {} record"
    return [f"{where}: {kind}: {what.format(k, kind)} ({allowed(names)})" for k in foreign]


def to_events(
    records: list[tuple[str, str, dict[str, Any]]], now: datetime, *, skip_invalid: bool = False
) -> tuple[list[Envelope[Any]], list[str]]:
    """The events of the valid records and a problem for each other one. A reference must name a
    record of the file; with `skip_invalid` a valid one, so what refers to a skipped record is
    skipped too (otherwise a rejected unit's persons are not reported a second time)."""
    events: list[tuple[str, Envelope[Any]]] = []
    problems: list[str] = []
    valid: list[tuple[str, str, EventPayload]] = []
    for where, kind, fields in records:
        if kind not in RECORD_TYPES:
            problems.append(f"{where}: unknown record_type {kind!r} ({allowed(list(RECORD_TYPES))})")
            continue
        unknown = _unknown_fields(where, kind, fields)
        if unknown:
            problems.extend(unknown)
            continue
        cls, key_field = RECORD_TYPES[kind]
        if kind == "advisor":
            fields = _consented_profile(fields)
        try:
            payload = cls.model_validate(_fit(cls, fields) if where.startswith("line") else fields)
        except ValidationError as exc:
            problems.append(f"{where}: {kind}: {validation_reason(exc, cls)}")
            continue
        valid.append((where, kind, payload))
        if kind == "acquaintance":
            stream = f"acquaintance:{fields['advisor_id']}:{fields['person_id']}"
        elif kind == "coordinator":  # apart from an advisor record with the same id (compacted topic)
            stream = f"coordinator:{fields['coordinator_id']}"
        else:
            stream = str(fields[key_field])
        envelope = new_envelope(
            payload, stream_id=stream, producer="directory-import", occurred_at=now, causation_id=None
        )
        events.append((where, envelope))
    declared = (
        valid if skip_invalid else [(w, k, _Declared(k, f)) for w, k, f in records if k in RECORD_TYPES]
    )
    dangling = dangling_references(valid, declared)
    problems.extend(problem for _, problem in dangling)
    refused = {where for where, _ in dangling}
    return [e for where, e in events if where not in refused], problems


# (record type, field, the record type whose ids it names): every reference must resolve in the file.
REFERENCES: tuple[tuple[str, str, str], ...] = (
    ("unit", "parent_id", "unit"),
    ("person", "unit_id", "unit"),
    ("person", "manager_id", "person"),
    ("advisor", "person_id", "person"),
    ("advisor", "served_unit_ids", "unit"),
    ("advisor", "organisation_id", "organisation"),
    ("acquaintance", "advisor_id", "advisor"),
    ("acquaintance", "person_id", "person"),
    ("coordinator", "organisation_ids", "organisation"),
)


class _Declared:
    """The ids a record declares, read from its fields whether or not it is valid."""

    def __init__(self, kind: str, fields: dict[str, Any]) -> None:
        self.id = fields.get(RECORD_TYPES[kind][1])
        self.organisation_id = fields.get("organisation_id") if kind == "unit" else None


def dangling_references(
    records: list[tuple[str, str, EventPayload]], declared: list[tuple[str, str, Any]]
) -> list[tuple[str, str]]:
    """A person in a unit the file does not hold (among `declared`), under a manager it does not
    hold, and so on: routing would treat an unknown unit as a small one, so it is an error."""
    known: dict[str, list[str]] = {"unit": [], "person": [], "advisor": [], "organisation": []}
    for _, kind, record in declared:
        ident = record.id if isinstance(record, _Declared) else getattr(record, RECORD_TYPES[kind][1])
        if kind in known and ident is not None:
            known[kind].append(str(ident))
        if kind == "unit" and record.organisation_id is not None:
            known["organisation"].append(str(record.organisation_id))
    ids = {kind: set(values) for kind, values in known.items()}
    problems = []
    for where, kind, payload in records:
        for source, field, target in REFERENCES:
            if source != kind:
                continue
            value = getattr(payload, field)
            for ref in value if isinstance(value, tuple) else (value,):
                if ref is not None and ref not in ids[target]:
                    listed = (
                        allowed(list(dict.fromkeys(known[target])), limit=10) if known[target] else "none"
                    )
                    problem = f"{where}: {kind}: {field} {ref!r} is no {target} in the file ({listed})"
                    problems.append((where, problem))
    return problems


async def publish(events: list[Envelope[Any]], bootstrap: str, prefix: str) -> None:
    """Every event on directory.v1, and keys, availability and units also on their narrow copies."""
    from aiokafka import AIOKafkaProducer

    from shared.directory_copies import directory_records

    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    progress = ProgressLine(sys.stdout)
    await producer.start()
    try:
        for i in range(0, len(events), 1000):
            chunk = events[i : i + 1000]
            futures = [
                await producer.send(prefix + topic, value, key=key)
                for e in chunk
                for topic, key, value in directory_records(e)
            ]
            await asyncio.gather(*futures)
            progress.show(f"published {i + len(chunk)}/{len(events)}", indent="  ")
        progress.finish(f"published {len(events)}/{len(events)}", indent="  ")
    finally:
        await producer.stop()


def run(args: argparse.Namespace) -> int:
    from shared.settings import ServiceSettings
    from shared.topics import DIRECTORY

    path = Path(args.file)
    if not path.is_file():
        raise BadInput(f"{path}: no such file")
    events, problems = to_events(read_records(path), datetime.now(UTC), skip_invalid=args.skip_invalid)
    counts: dict[str, int] = {}
    for e in events:
        counts[e.event_type] = counts.get(e.event_type, 0) + 1
    if not events and not problems:
        raise BadInput(f"{path.name}: the file holds no records ({', '.join(JSON_SECTIONS)} are all empty)")
    if problems and not args.skip_invalid:
        first = (
            problems[0]
            if len(problems) == 1
            else f"{len(problems)} problems (fix them or pass --skip-invalid)"
        )
        raise BadInput(
            f"{path.name}: nothing published: {first}", details=problems if len(problems) > 1 else ()
        )
    for problem in problems:
        print(f"  skipped {problem}", file=sys.stderr)
    print(
        f"{path.name}: {len(events)} valid record(s) ({', '.join(f'{v} {k}' for k, v in sorted(counts.items()))}), "
        f"{len(problems)} rejected"
    )
    if args.dry_run:
        print("dry run: nothing published")
        return 0
    settings = broker_settings(ServiceSettings, args)
    print(
        f"publishing to {settings.topic_prefix}{DIRECTORY.name} (and its narrow copies) on {settings.kafka_bootstrap}"
    )
    asyncio.run(publish(events, settings.kafka_bootstrap, settings.topic_prefix))
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "directory",
        help="import the organisation and advisor directory",
        description="Manage the directory that routing decides with (units, people by pseudonym, advisors).",
    )
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    imp = actions.add_parser(
        "import",
        help="publish a CSV or JSON file as directory.v1 events",
        description=(
            "Validate every record and publish it as a directory.v1 event (keyed by its id, so the compacted "
            'topic keeps the latest). JSON: {"units": [...], "persons": [...], "advisors": [...], '
            '"acquaintances": [...], "coordinators": [...]} with the fields of OrgUnitUpserted, PersonUpserted, '
            "AdvisorUpserted, AcquaintanceDeclared and CoordinatorAppointed. CSV: one record per line with a "
            "record_type column (unit, person, advisor, acquaintance, coordinator); list fields (languages, "
            "locations, served_unit_ids, organisation_ids) are ';'-separated. An advisor's public profile (shown "
            'to employees on the web form) is a "profile" object in JSON, profile_* columns in CSV '
            "(show, display_name, languages, location, text_nl, text_en, photo_ref); it is published only "
            "with show true, the advisor's consent. People are "
            "identified by pseudonyms only, never by name. The import is strict: an unknown top-level key, "
            "column or field, and a reference to a unit, person, advisor or organisation the file does not "
            "hold (a person's unit_id or manager_id, an advisor's person_id, served_unit_ids or "
            "organisation_id, ...) are errors naming the record and the field; nothing is published then "
            "unless --skip-invalid. Exit codes: 0 published, 2 a bad file (one line per problem on "
            "standard error), 1 the broker could not be reached."
        ),
    )
    imp.add_argument("file", help="a .json or .csv file")
    add_broker_options(imp)
    imp.add_argument("--dry-run", action="store_true", help="validate only, publish nothing")
    imp.add_argument(
        "--skip-invalid", action="store_true", help="publish the valid records even if some are rejected"
    )
    p.set_defaults(func=run)
