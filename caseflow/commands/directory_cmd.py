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
from shared.contracts.directory import (
    AcquaintanceDeclared,
    AdvisorUpserted,
    CoordinatorAppointed,
    OrgUnitUpserted,
    PersonUpserted,
)
from shared.envelope import Envelope, EventPayload, new_envelope
from shared.validation_errors import describe_validation_error

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


def read_records(path: Path) -> list[tuple[str, str, dict[str, Any]]]:
    """(where, record type, fields) for every record in a JSON or CSV file."""
    if path.suffix.lower() == ".json":
        doc = json.loads(path.read_text(encoding="utf-8"))
        return [
            (f"{section}[{i}]", kind, dict(item))
            for section, kind in JSON_SECTIONS.items()
            for i, item in enumerate(doc.get(section, []))
        ]
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return [
        (f"line {i + 2}", (row.pop("record_type", "") or "").strip(), _clean(row))
        for i, row in enumerate(rows)
    ]


def to_events(
    records: list[tuple[str, str, dict[str, Any]]], now: datetime
) -> tuple[list[Envelope[Any]], list[str]]:
    events: list[Envelope[Any]] = []
    problems: list[str] = []
    for where, kind, fields in records:
        if kind not in RECORD_TYPES:
            problems.append(f"{where}: unknown record_type {kind!r} (use {', '.join(RECORD_TYPES)})")
            continue
        cls, key_field = RECORD_TYPES[kind]
        if kind == "advisor":
            fields = _consented_profile(fields)
        try:
            payload = cls.model_validate(_fit(cls, fields) if where.startswith("line") else fields)
        except ValidationError as exc:
            problems.append(f"{where}: {kind}: {describe_validation_error(exc, cls)}")
            continue
        if kind == "acquaintance":
            stream = f"acquaintance:{fields['advisor_id']}:{fields['person_id']}"
        elif kind == "coordinator":  # apart from an advisor record with the same id (compacted topic)
            stream = f"coordinator:{fields['coordinator_id']}"
        else:
            stream = str(fields[key_field])
        events.append(
            new_envelope(
                payload, stream_id=stream, producer="directory-import", occurred_at=now, causation_id=None
            )
        )
    return events, problems


async def publish(events: list[Envelope[Any]], bootstrap: str, prefix: str) -> None:
    """Every event on directory.v1, and keys, availability and units also on their narrow copies."""
    from aiokafka import AIOKafkaProducer

    from shared.directory_copies import directory_records

    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
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
            print(f"\r  published {i + len(chunk)}/{len(events)}", end="", flush=True)
        print()
    finally:
        await producer.stop()


def run(args: argparse.Namespace) -> int:
    from shared.settings import ServiceSettings
    from shared.topics import DIRECTORY

    path = Path(args.file)
    if not path.exists():
        print(f"caseflow directory import: {path} does not exist", file=sys.stderr)
        return 2
    events, problems = to_events(read_records(path), datetime.now(UTC))
    for problem in problems:
        print(f"  rejected {problem}", file=sys.stderr)
    counts: dict[str, int] = {}
    for e in events:
        counts[e.event_type] = counts.get(e.event_type, 0) + 1
    print(
        f"{path.name}: {len(events)} valid record(s) ({', '.join(f'{v} {k}' for k, v in sorted(counts.items()))}), "
        f"{len(problems)} rejected"
    )
    if problems and not args.skip_invalid:
        print("nothing published: fix the rejected records or pass --skip-invalid", file=sys.stderr)
        return 1
    if args.dry_run:
        print("dry run: nothing published")
        return 0
    settings = ServiceSettings()
    bootstrap = args.kafka or settings.kafka_bootstrap
    prefix = args.topic_prefix or settings.topic_prefix
    print(f"publishing to {prefix}{DIRECTORY.name} (and its narrow copies) on {bootstrap}")
    asyncio.run(publish(events, bootstrap, prefix))
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
            "identified by pseudonyms only, never by name."
        ),
    )
    imp.add_argument("file", help="a .json or .csv file")
    imp.add_argument(
        "--kafka", help="bootstrap servers (default: $CASEFLOW_KAFKA_BOOTSTRAP or 127.0.0.1:9092)"
    )
    imp.add_argument("--topic-prefix", default="", help="topic prefix of the deployment (default: none)")
    imp.add_argument("--dry-run", action="store_true", help="validate only, publish nothing")
    imp.add_argument(
        "--skip-invalid", action="store_true", help="publish the valid records even if some are rejected"
    )
    p.set_defaults(func=run)
