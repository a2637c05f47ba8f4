"""`caseflow keys rotate|status`: re-wrap every stored key under a new master key, services running.

The master keys come from intake's settings, as the services read them, and never from the
command line (argv shows in `ps`): INTAKE_MASTER_KEY is the new, current key and
INTAKE_PREVIOUS_MASTER_KEYS the old one(s), base64, comma-separated. The key store is
INTAKE_KEYSTORE_URL, or --keystore. Routing shares the key store and must hold the same keys.

`rotate` re-wraps the case keys (case_keys) and intake's submission private keys
(submission_keys) that are not under the current key, --batch-size rows per transaction; a row
erased meanwhile stays erased. It is safe to stop at any moment (a crash, Ctrl-C) and to rerun: a
rerun skips what is done. It exits 1 while rows remain that no key given opens.

`status` counts the live rows under each master key id (never the keys) and exits 0 only when none
is left under another key than the current one: then the previous key can be retired (removed
from INTAKE_/ROUTING_PREVIOUS_MASTER_KEYS). docs/operations.md, "Rotating the master key".
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

from caseflow.errors import BadInput, CommandError


def columns() -> list[Any]:  # WrappedColumn, with its schema
    from services.intake.adapters.submission_key_migrations import SUBMISSION_KEYS_SCHEMA
    from services.intake.adapters.submission_keys import SUBMISSION_KEYS_WRAPPED
    from shared.crypto import CASE_KEYS_WRAPPED, KEYSTORE_SCHEMA

    return [(CASE_KEYS_WRAPPED, KEYSTORE_SCHEMA), (SUBMISSION_KEYS_WRAPPED, SUBMISSION_KEYS_SCHEMA)]


async def _present(engine: Any, schema: Any) -> bool:
    """The schema is at this release's revision (False: not made in this database at all)."""
    from shared import migrations

    found = await migrations.state(engine, schema)
    if found.empty:
        return False
    if found.revision != found.head:
        raise CommandError(f"{found.describe()}: run `{schema.upgrade_hint}` first")
    return True


async def _run(args: argparse.Namespace) -> int:
    from caseflow.commands.databases import require_database, require_master_keys
    from services.intake.settings import IntakeSettings
    from shared import key_rotation
    from shared.db import make_engine

    s = IntakeSettings()
    keys = require_master_keys(
        s.master_key.get_secret_value(),
        s.previous_master_keys.get_secret_value(),
        "INTAKE_",
        need_previous=args.action == "rotate",
    )
    if args.batch_size < 1:
        raise BadInput("--batch-size must be at least 1")
    if args.pause < 0:
        raise BadInput("--pause must not be negative")
    url = args.keystore or s.keystore_url
    require_database(url, "--keystore" if args.keystore else "INTAKE_KEYSTORE_URL")
    engine = make_engine(url)
    report: dict[str, Any] = {"current_key_id": keys.current.key_id}
    left = unopenable = 0
    try:
        for column, schema in columns():
            if not await _present(engine, schema):
                continue
            if args.action == "rotate":

                def progress(r: key_rotation.RotationResult) -> None:
                    print(
                        f"{r.name}: batch {r.batches}, {r.rewrapped} re-wrapped "
                        f"({r.per_second:.0f}/s), {r.changed_meanwhile} changed meanwhile",
                        file=sys.stderr,
                        flush=True,
                    )

                done = await key_rotation.rotate(
                    engine, column, keys, batch_size=args.batch_size, pause=args.pause, on_batch=progress
                )
                unopenable += sum(done.unopenable.values())
                report[column.name + "_rotation"] = {
                    "rewrapped": done.rewrapped,
                    "changed_meanwhile": done.changed_meanwhile,
                    "unopenable_by_key_id": dict(done.unopenable),
                    "seconds": round(done.seconds, 3),
                    "per_second": round(done.per_second, 1),
                }
            found = await key_rotation.status(engine, column, keys)
            left += found.remaining
            report[column.name] = {"under_current_key": found.current, "under_other_keys": found.others}
    finally:
        await engine.dispose()
    report["rows_under_other_keys"] = left
    report["retire_previous_keys"] = left == 0
    print(json.dumps(report, indent=2))
    if unopenable:
        raise CommandError(
            f"{unopenable} row(s) are wrapped under a master key not given (see unopenable_by_key_id): "
            "add that key to INTAKE_PREVIOUS_MASTER_KEYS and rerun"
        )
    if left and args.action == "status":
        return 1
    return 0


def run(args: argparse.Namespace) -> int:
    return asyncio.run(_run(args))


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "keys",
        help="rotate the master key: re-wrap the stored keys under a new one, services running",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("action", choices=("rotate", "status"))
    p.add_argument(
        "--keystore", metavar="URL", help="the key store's database (default: INTAKE_KEYSTORE_URL)"
    )
    p.add_argument(
        "--batch-size",
        type=int,
        default=500,
        metavar="N",
        help="rows re-wrapped per transaction (default 500)",
    )
    p.add_argument(
        "--pause",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="wait between batches, to spare a busy database (default 0)",
    )
    p.set_defaults(func=run)
