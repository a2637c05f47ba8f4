"""`caseflow db status|upgrade [SERVICE...]`: the schema migrations of each service's databases.

Each service's databases are found from its settings, as `caseflow serve` finds them (environment
variables such as INTAKE_DATABASE_URL and INTAKE_KEYSTORE_URL, or the embedded defaults under
./var); `--database` names another database for one service. `upgrade` brings every schema to this
release's revision in one transaction per schema, stamping a database made by release 1 (before
migrations) first; back the databases up before (docs/operations.md). A service refuses to start on
a schema older than it needs and names this command. shared/migrations, docs/decisions.md D47.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from caseflow.commands.databases import missing_sqlite_file
from caseflow.commands.local_stack import settings_of
from caseflow.errors import BadInput, CommandError, allowed

SERVICES = ("intake", "routing", "scheduling", "reporting", "workbench")


@dataclass(frozen=True)
class Target:
    schema: Any  # shared.migrations.Schema
    url: str


def targets(service: str, database: str | None) -> list[Target]:
    """The schemas of one service and the databases they live in (its settings, as `serve` reads them)."""
    from shared.crypto import KEYSTORE_SCHEMA

    builders: dict[str, Callable[[], list[Target]]] = {
        "intake": lambda: _intake(database, KEYSTORE_SCHEMA),
        "routing": lambda: _routing(database, KEYSTORE_SCHEMA),
        "scheduling": lambda: _plain(database, "scheduling"),
        "reporting": lambda: _reporting(database),
        "workbench": lambda: _plain(database, "workbench"),
    }
    return builders[service]()


def _intake(database: str | None, keystore: Any) -> list[Target]:
    from services.intake.adapters.migrations import SCHEMA
    from services.intake.adapters.submission_key_migrations import SUBMISSION_KEYS_SCHEMA
    from services.intake.settings import IntakeSettings

    s = settings_of(IntakeSettings)
    return [
        Target(SCHEMA, database or s.database_url),
        Target(keystore, s.keystore_url),
        Target(SUBMISSION_KEYS_SCHEMA, s.keystore_url),
    ]


def _routing(database: str | None, keystore: Any) -> list[Target]:
    from services.routing.adapters.migrations import SCHEMA
    from services.routing.settings import RoutingSettings

    s = settings_of(RoutingSettings)
    return [Target(SCHEMA, database or s.database_url), Target(keystore, s.keystore_url)]


def _reporting(database: str | None) -> list[Target]:
    from services.reporting.adapters.ledger_migrations import LEDGER_SCHEMA
    from services.reporting.adapters.migrations import SCHEMA
    from services.reporting.settings import ReportingSettings

    s = settings_of(ReportingSettings)
    if database:
        s = s.model_copy(update={"database_url": database})
    return [Target(SCHEMA, s.database_url), Target(LEDGER_SCHEMA, s.ledger_database_url())]


def _plain(database: str | None, service: str) -> list[Target]:
    import importlib

    schema = importlib.import_module(f"services.{service}.adapters.migrations").SCHEMA
    settings_class = {"scheduling": "SchedulingSettings", "workbench": "WorkbenchSettings"}[service]
    settings = settings_of(getattr(importlib.import_module(f"services.{service}.settings"), settings_class))
    return [Target(schema, database or settings.database_url)]


def shown(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


async def _run(args: argparse.Namespace) -> int:
    from shared import migrations
    from shared.db import make_engine
    from shared.runtime import ensure_sqlite_dir

    services = args.services or list(SERVICES)
    unknown = [name for name in services if name not in SERVICES]
    if unknown:
        raise BadInput(f"no service {unknown[0]!r} ({allowed(SERVICES)})")
    if args.database and len(services) != 1:
        raise BadInput("--database names one service's database: name that one service")
    if args.database:
        from caseflow.commands.databases import require_database, require_database_url

        # status reads a database and never creates one; upgrade may start an empty one
        (require_database if args.action == "status" else require_database_url)(args.database, "--database")
    seen: set[tuple[str, str]] = set()  # intake and routing share the key store
    for service in services:
        for target in targets(service, args.database):
            if (target.schema.name, target.url) in seen:
                continue
            seen.add((target.schema.name, target.url))
            if args.action == "upgrade":
                ensure_sqlite_dir(target.url)
            elif missing_sqlite_file(target.url) is not None:
                print(f"{service}  {target.schema.name}: no database yet ({shown(target.url)})")
                continue
            engine = make_engine(target.url)
            try:
                if args.action == "status":
                    line = (await migrations.state(engine, target.schema)).describe()
                else:
                    before, after = await migrations.upgrade(engine, target.schema)
                    line = (
                        after.describe()
                        if before.revision == after.revision
                        else f"{before.describe()}: upgraded"
                    )
            except migrations.SchemaOutOfDate as exc:
                raise CommandError(f"{service}: {exc}") from None
            finally:
                await engine.dispose()
            print(f"{service}  {line}  ({shown(target.url)})")
    return 0


def run(args: argparse.Namespace) -> int:
    return asyncio.run(_run(args))


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "db",
        help="show or upgrade the services' database schemas (migrations)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("action", choices=("status", "upgrade"))
    p.add_argument(
        "services", nargs="*", metavar="SERVICE", help=f"one or more of {', '.join(SERVICES)} (default: all)"
    )
    p.add_argument(
        "--database", metavar="URL", help="the database of the one SERVICE named (default: its settings)"
    )
    p.set_defaults(func=run)
