"""`caseflow report annual --org X --year Y --format html|csv|json`: the annual report from the projection.

Reads reporting's own settings (REPORTING_DATABASE_URL, REPORTING_ORGANISATION_FILE, REPORTING_K,
REPORTING_ROUND_TO, ...) and renders exactly what GET /v1/reports/annual serves: same projection,
same bytes. `--org all` is the government-wide report.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

import shared.contracts  # noqa: F401  (registers the event types)
from caseflow.errors import BadInput, CommandError


async def render_from_database(
    org: str, year: int, fmt: str, lang: str, database_url: str | None = None
) -> str:
    from datetime import UTC, datetime

    from caseflow.commands.databases import require_database
    from caseflow.commands.local_stack import settings_of
    from services.reporting.adapters.ledger_migrations import LEDGER_SCHEMA
    from services.reporting.adapters.organisation import load_organisation
    from services.reporting.application.report_use_cases import Reports
    from services.reporting.domain.release_problem import Requirement
    from services.reporting.settings import ReportingSettings
    from shared import migrations
    from shared.db import make_engine

    settings = settings_of(ReportingSettings)
    require_database(database_url or settings.database_url, "--database-url or REPORTING_DATABASE_URL")
    engine = make_engine(database_url or settings.database_url)
    # The same release ledger as the service: a report on the command line is a release like any other.
    if database_url:
        settings = settings.model_copy(update={"database_url": database_url})
    ledger = make_engine(settings.ledger_database_url())
    as_of = settings.release_as_of
    try:
        await migrations.prepare(ledger, LEDGER_SCHEMA)
        reports = Reports(
            engine, load_organisation(settings.organisation_file), settings.policy(), settings.baseline(),
            settings.min_unit_size, ledger=ledger, requirement=Requirement(settings.k, settings.protection_interval),
            settle_days=settings.release_settle_days, publication=settings.publication(), release_key=settings.release_key(),
            clock=(lambda: as_of) if as_of is not None else (lambda: datetime.now(UTC)),
        )  # fmt: skip
        return await reports.render(org, year, fmt, lang, audience="operator")  # type: ignore[arg-type]
    finally:
        await engine.dispose()
        await ledger.dispose()


def run(args: argparse.Namespace) -> int:
    from caseflow.commands.command_logging import configure_command_logging

    configure_command_logging("reporting-report", args)
    from services.reporting.adapters.organisation import OrganisationFileError
    from services.reporting.application.report_use_cases import NotReleasedYet, UnknownOrganisation

    try:
        body = asyncio.run(
            render_from_database(args.org, args.year, args.format, args.lang, args.database_url)
        )
    except NotReleasedYet:
        raise CommandError(
            f"nothing of {args.year} is released yet: a quarter is released once it has "
            "closed and REPORTING_RELEASE_SETTLE_DAYS have passed"
        ) from None
    except UnknownOrganisation:
        raise BadInput(f"no organisation {args.org!r} in the projection or the organisation file") from None
    except OrganisationFileError as exc:
        raise BadInput(f"REPORTING_ORGANISATION_FILE: {exc}") from None
    if args.out:
        Path(args.out).write_text(body, encoding="utf-8")
        print(f"wrote {args.out} ({len(body.encode())} bytes)", file=sys.stderr)
    else:
        sys.stdout.write(body)
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "report",
        help="render the annual report from the reporting projection",
        description="Render reports from reporting's projection (REPORTING_DATABASE_URL). Every table passes "
        "disclosure control first (REPORTING_K, REPORTING_ROUND_TO, REPORTING_MIN_CONTRIBUTORS).",
    )
    kinds = p.add_subparsers(dest="kind", metavar="KIND", required=True)
    annual = kinds.add_parser("annual", help="the annual report (jaarverslag) of an organisation or of all")
    annual.add_argument(
        "--org", required=True, help="organisation id, or 'all' for the government-wide report"
    )
    annual.add_argument("--year", required=True, type=int)
    annual.add_argument("--format", choices=("html", "csv", "json"), default="html")
    annual.add_argument(
        "--lang", choices=("nl", "en"), default="nl", help="labels of the HTML (default: Dutch)"
    )
    annual.add_argument("--out", help="write to this file instead of standard output")
    annual.add_argument(
        "--database-url",
        help="reporting's database (default: $REPORTING_DATABASE_URL); a missing SQLite file is an error, "
        "never created",
    )
    p.set_defaults(func=run)
