"""`caseflow replay`: rebuild the reporting projection from offset 0 into a fresh database.

Reads intake.cases.v1, routing.assignments.v1 and scheduling.meetings.v1 from their beginning to the
end offsets captured at the start, through the live service's own pipeline, with a progress bar on
standard error. The rebuilt database renders byte-identical reports (`caseflow report annual
--database-url ...`). Nothing is published and no consumer-group offset is committed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import shared.contracts  # noqa: F401  (registers the event types)
from caseflow.commands.broker_options import add_broker_options, broker_settings
from caseflow.errors import BadInput
from caseflow.progress import ProgressLine

BAR_WIDTH = 30


class ProgressBar:
    """A progress bar with events/s on a stream, redrawn at most 5 times a second on a terminal
    (never wider than it: the bar shrinks, then goes) and a plain line every 5 s elsewhere."""

    def __init__(self, stream: Any = None) -> None:
        self.line = ProgressLine(stream if stream is not None else sys.stderr)

    def __call__(self, progress: Any, final: bool = False) -> None:
        total = max(progress.total, 1)
        done = min(progress.records / total, 1.0)
        numbers = (
            f"{progress.records:,}/{progress.total:,} events {done:6.1%} | {progress.rate:,.0f} events/s"
        )
        room = min(BAR_WIDTH, self.line.width() - len(numbers) - 3) if self.line.tty else BAR_WIDTH
        if room >= 10:
            filled = int(done * room)
            numbers = f"[{'#' * filled}{'-' * (room - filled)}] {numbers}"
        if final:
            self.line.finish(numbers)
        else:
            self.line.show(numbers)


async def run_replay(kafka: str, prefix: str, database_url: str, max_records: int) -> Any:
    from services.reporting.entrypoints.replay import ReplayProgress, replay
    from shared.db import make_engine
    from shared.runtime import ensure_sqlite_dir

    ensure_sqlite_dir(database_url)
    engine = make_engine(database_url)
    bar = ProgressBar()
    last: list[ReplayProgress] = []

    def show(progress: ReplayProgress) -> None:
        last[:] = [progress]
        bar(progress)

    try:
        result = await replay(engine, kafka, prefix, max_records=max_records, on_progress=show)
    finally:
        await engine.dispose()
    if last:
        bar(last[0], final=True)
    return result


def files_it_would_create(database_url: str) -> list[Path]:
    """A SQLite database that does not exist yet, with its journal files: what a failed replay removes."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        url = make_url(database_url)
    except ArgumentError:
        raise BadInput(f"--database-url: not a database URL ({database_url.split('@')[-1]!r})") from None
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return []
    path = Path(url.database)
    if path.exists():
        return []
    made = [path, *(path.with_name(path.name + suffix) for suffix in ("-wal", "-shm", "-journal"))]
    folder = path.parent
    while not folder.exists():  # ensure_sqlite_dir makes the missing folders: they go too
        made.append(folder)
        folder = folder.parent
    return made


def run(args: argparse.Namespace) -> int:
    from caseflow.commands.command_logging import configure_command_logging

    configure_command_logging("reporting-replay", args)
    from services.reporting.adapters.fresh_database import DatabaseNotFresh
    from services.reporting.settings import ReportingSettings

    settings = broker_settings(ReportingSettings, args)
    new_files = files_it_would_create(args.database_url)
    try:
        result = asyncio.run(
            run_replay(settings.kafka_bootstrap, settings.topic_prefix, args.database_url, args.batch)
        )
    except DatabaseNotFresh as exc:
        raise BadInput(f"--database-url: {exc}") from None
    except BaseException:
        for path in new_files:  # a failed replay leaves no half-built database behind
            if path.is_dir():
                path.rmdir()
            else:
                path.unlink(missing_ok=True)
        raise
    print(
        json.dumps(
            {
                "records_read": result.records,
                "events_in_projection": result.events_in_projection,
                "fingerprint": result.fingerprint,
                "duplicates_skipped": result.duplicates,
                "unknown_types_skipped": result.ignored_types,
                "dead_lettered": result.dead_lettered,
                "seconds": round(result.seconds, 2),
                "events_per_second": round(result.rate),
                "database_url": args.database_url.split("@")[-1],  # never echo a password
            },
            indent=2,
        )
    )
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "replay",
        help="rebuild the reporting projection from offset 0 into a fresh database",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_broker_options(p, "REPORTING_")
    p.add_argument(
        "--database-url", required=True, help="a NEW database, e.g. sqlite+aiosqlite:///./var/rebuilt.db"
    )
    p.add_argument("--batch", type=int, default=5000, help="records per transaction (default: 5000)")
    p.set_defaults(func=run)
