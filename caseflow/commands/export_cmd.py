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
from caseflow.commands.broker_options import add_broker_options, broker_settings
from caseflow.errors import BadInput, allowed

FORMATS = ("parquet", "csv")


def run(args: argparse.Namespace) -> int:
    from caseflow.commands.command_logging import configure_command_logging

    configure_command_logging("reporting-export", args)
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
        raise BadInput(f"--format {args.format!r}: {allowed(FORMATS)} (comma-separated)")
    settings = broker_settings(ReportingSettings, args)
    try:
        organisation = load_organisation(settings.organisation_file)
    except (OSError, OrganisationFileError) as exc:
        raise BadInput(f"REPORTING_ORGANISATION_FILE: {exc}") from None
    collector = asyncio.run(collect_topics(settings.kafka_bootstrap, settings.topic_prefix))
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
    add_broker_options(p, "REPORTING_")
    p.add_argument("--out", required=True, help="output directory")
    p.add_argument("--format", default="parquet,csv", help="parquet, csv or both (default: parquet,csv)")
    p.set_defaults(func=run)
