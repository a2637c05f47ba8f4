"""`caseflow erase CASE --reason client_request`: erase a case's personal data now.

Uses intake's own settings (INTAKE_DATABASE_URL, INTAKE_KEYSTORE_URL, INTAKE_MASTER_KEY,
INTAKE_TOPIC_PREFIX; a running local stack's when unset), all required (a missing SQLite database
is an error, never created): deletes the case key, drops the dialogue and the receipt code, and writes
CasePersonalDataErased to intake's outbox; the running intake service publishes it within a
second or so. Coded fields stay, so the case still counts in the statistics.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncConnection

import shared.contracts  # noqa: F401  (registers the event types)
from caseflow.commands.databases import require_database, require_master_key
from caseflow.commands.local_stack import settings_of
from services.intake.adapters.migrations import SCHEMA
from services.intake.adapters.tables import messaging
from services.intake.application.retention import Erasure, ErasureReason, erase_case
from services.intake.settings import IntakeSettings
from shared import migrations
from shared.crypto import KeyStore
from shared.db import make_engine
from shared.outbox import EventStore, Outgoing
from shared.unit_of_work import UnitOfWork


async def erase(case_id: str, reason: ErasureReason, settings: IntakeSettings | None = None) -> Erasure:
    s = settings or settings_of(IntakeSettings)
    master_key = require_master_key(s.master_key.get_secret_value(), "INTAKE_MASTER_KEY")
    require_database(s.database_url, "INTAKE_DATABASE_URL")
    require_database(s.keystore_url, "INTAKE_KEYSTORE_URL")
    engine = make_engine(s.database_url)
    keystore = KeyStore(make_engine(s.keystore_url), master_key, cache_seconds=0)
    try:
        await migrations.prepare(engine, SCHEMA)  # refuses a schema this release cannot use
        uow = UnitOfWork(engine, EventStore(messaging), s.topic_prefix)
        now = datetime.now(UTC)

        async def work(conn: AsyncConnection) -> tuple[Erasure, list[Outgoing]]:
            return await erase_case(conn, keystore, case_id, reason, now)

        return await uow.run(work)
    finally:
        await engine.dispose()
        await keystore._engine.dispose()


def run(args: argparse.Namespace) -> int:
    result = asyncio.run(erase(args.case_id, args.reason))
    print(
        json.dumps(
            {
                "case_id": result.case_id,
                "outcome": result.outcome,
                "key_deleted_now": result.key_deleted_now,
                "dialogue_messages_deleted": result.messages_deleted,
                "event": "CasePersonalDataErased queued in intake's outbox"
                if result.outcome == "erased"
                else None,
            }
        )
    )
    return 0 if result.outcome in ("erased", "already_erased") else 1


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "erase",
        help="erase a case's personal data (client request, operator)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("case_id", metavar="CASE")
    p.add_argument(
        "--reason",
        choices=("client_request", "operator_request", "retention_expired"),
        default="client_request",
    )
    p.set_defaults(func=run)
