"""`caseflow export --out DIR --format parquet,csv`: protected case microdata for analysts (pandas, DuckDB).

Reads intake.cases.v1 from offset 0 to its end offsets of now and writes one row per case opened to
cases.parquet and/or cases.csv, with codebook.csv and manifest.json. Only the allow-listed columns go
out: organisation, unit, quarter, channel, client role (the quasi-identifiers), categories and the
whistleblower flag. No case id, no timestamp finer than the quarter, no free text, no person or
advisor id. Units are generalised up the unit tree of the organisation file (REPORTING_ORGANISATION_FILE;
units smaller than REPORTING_MIN_UNIT_SIZE first), then records are suppressed, until every
combination of the quasi-identifiers holds at least REPORTING_K records (services/reporting/application/export.py).
The protection summary (k, quasi-identifiers, records written and suppressed, units generalised) is
printed as JSON on standard output; the suppressed records are written nowhere.
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
    from services.reporting.adapters.organisation import OrganisationFileError, load_organisation
    from services.reporting.application.export import (
        collect_topics,
        protect_cases,
        protection_summary,
        write_files,
    )
    from services.reporting.settings import ReportingSettings

    formats = [f.strip() for f in args.format.split(",") if f.strip()]
    if not formats or any(f not in FORMATS for f in formats):
        print(f"caseflow export: --format takes {', '.join(FORMATS)} (comma-separated)", file=sys.stderr)
        return 2
    settings = ReportingSettings()
    try:
        organisation = load_organisation(settings.organisation_file)
    except (OSError, OrganisationFileError) as exc:
        print(f"caseflow export: organisation file: {exc}", file=sys.stderr)
        return 2
    kafka = args.kafka or settings.kafka_bootstrap
    prefix = settings.topic_prefix if args.topic_prefix is None else args.topic_prefix
    collector = asyncio.run(collect_topics(kafka, prefix))
    protected = protect_cases(collector.records(), organisation, settings.k, settings.min_unit_size)
    written = write_files(protected, Path(args.out), formats, collector.skipped())
    protection = protection_summary(protected)
    summary = {"files": [str(p) for p in written], "protection": protection, "skipped": collector.skipped()}
    print(json.dumps(summary, indent=2))
    print(
        f"caseflow export: {protection['records_written']} cases written, {protection['records_suppressed']} "
        f"suppressed (k={protection['k']} on {', '.join(protection['quasi_identifiers'])}; "
        f"{protection['units_generalised']} units generalised)",
        file=sys.stderr,
    )
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "export",
        help="write protected case microdata (k-anonymous) to Parquet and CSV for analysts",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--kafka", help="bootstrap servers (default: $REPORTING_KAFKA_BOOTSTRAP)")
    p.add_argument("--topic-prefix", default=None, help="topic prefix (default: $REPORTING_TOPIC_PREFIX)")
    p.add_argument("--out", required=True, help="output directory")
    p.add_argument("--format", default="parquet,csv", help="parquet, csv or both (default: parquet,csv)")
    p.set_defaults(func=run)
