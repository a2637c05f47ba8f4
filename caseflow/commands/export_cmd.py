"""`caseflow export --out DIR --format parquet,csv`: coded events for analysts (pandas, DuckDB).

Reads reporting's input topics from offset 0 to the end offsets of now and writes one Parquet and/or
CSV file per event type, plus manifest.json. Only the allow-listed coded fields go out: no ciphertext,
no person pseudonyms, no advisor ids (services/reporting/export.py lists every dropped field and why).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

import shared.contracts  # noqa: F401  (registers the event types)

FORMATS = ("parquet", "csv")


def run(args: argparse.Namespace) -> int:
    from shared.logging import configure_logging

    configure_logging("reporting-export", "WARNING")  # logs to standard error: standard output is the result
    from services.reporting.export import export_topics
    from services.reporting.settings import ReportingSettings

    formats = [f.strip() for f in args.format.split(",") if f.strip()]
    if not formats or any(f not in FORMATS for f in formats):
        print(f"caseflow export: --format takes {', '.join(FORMATS)} (comma-separated)", file=sys.stderr)
        return 2
    settings = ReportingSettings()
    kafka = args.kafka or settings.kafka_bootstrap
    prefix = settings.topic_prefix if args.topic_prefix is None else args.topic_prefix
    collector, written = asyncio.run(export_topics(kafka, prefix, Path(args.out), formats))
    summary = {
        "files": [str(p) for p in written],
        "rows": {t: len(rows) for t, rows in sorted(collector.rows.items())},
        "skipped": {
            "unknown_event_types": collector.unknown_types,
            "undecodable": collector.undecodable,
            "types_not_exported": collector.not_exported_types,
            "duplicates": collector.duplicates,
        },
    }
    print(json.dumps(summary, indent=2))
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "export",
        help="write the coded events to Parquet and CSV for analysts",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--kafka", help="bootstrap servers (default: $REPORTING_KAFKA_BOOTSTRAP)")
    p.add_argument("--topic-prefix", default=None, help="topic prefix (default: $REPORTING_TOPIC_PREFIX)")
    p.add_argument("--out", required=True, help="output directory")
    p.add_argument("--format", default="parquet,csv", help="parquet, csv or both (default: parquet,csv)")
    p.set_defaults(func=run)
