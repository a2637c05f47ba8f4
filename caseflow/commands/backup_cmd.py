"""`caseflow backup` and `caseflow restore`: each service's databases and the key store, consistent
with the Kafka log (caseflow/backup.py, docs/operations.md "Backup and restore", D55).

    caseflow backup [SERVICE...] --to DIR        services running; DIR new or empty
    caseflow restore SERVICE... --from DIR       the services stopped

`backup` records each service's consumer-group offsets and the end offsets of the topics it
publishes, then snapshots its databases, and backs the key store up last; DIR/manifest.json says
what was taken. `restore` puts the snapshots back, sets each group to the recorded offsets, folds
the events the service published after the backup back into its database, and catches up on what
it missed in the order it happened, taking over the decisions it had already published; the group
is then set after it, and the services can be started. The key store is put back only with
--keystore: the log cannot give back the keys of cases opened after its backup. The settings are
each service's own, as `caseflow serve` reads them (or a running local stack's).
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from caseflow.commands.broker_options import add_broker_options
from caseflow.errors import BadInput


def _backup(args: argparse.Namespace) -> int:
    from caseflow.backup import back_up, check_services

    services = check_services(args.services)
    manifest = asyncio.run(back_up(services, Path(args.to), broker=args))
    print(f"backed up {', '.join(manifest['services'])} into {args.to} ({manifest['finished_at']})")
    return 0


def _restore(args: argparse.Namespace) -> int:
    from caseflow.backup import check_services, restore

    if not args.services:
        raise BadInput("name the services to restore (each must be stopped)")
    services = check_services(args.services)
    asyncio.run(
        restore(services, Path(args.source), keystore=args.keystore, wait_seconds=args.wait, broker=args)
    )
    print(f"restored {', '.join(services)}: caught up with the log; start them")
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    b = sub.add_parser(
        "backup",
        help="back up the services' databases and the key store, with their Kafka offsets",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    b.add_argument("services", nargs="*", metavar="SERVICE", help="services to back up (default: all)")
    b.add_argument("--to", required=True, metavar="DIR", help="a new or empty folder for the backup")
    add_broker_options(b)
    b.set_defaults(func=_backup)
    r = sub.add_parser(
        "restore",
        help="restore stopped services from a backup; they continue from the log",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    r.add_argument("services", nargs="*", metavar="SERVICE", help="services to restore (each stopped)")
    r.add_argument("--from", dest="source", required=True, metavar="DIR", help="the backup's folder")
    r.add_argument(
        "--keystore",
        action="store_true",
        help="put the key store back too (only when it was lost: keys of later cases are lost with it)",
    )
    r.add_argument(
        "--wait",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="how long to wait for a stopped service's consumer group to empty (default 60)",
    )
    add_broker_options(r)
    r.set_defaults(func=_restore)
