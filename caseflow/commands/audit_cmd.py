"""`caseflow audit explain CASE` and `caseflow audit verify`: the routing audit (key holders only)."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from typing import Any

import shared.contracts  # noqa: F401
from caseflow.commands.broker_options import add_broker_options


async def _run(args: argparse.Namespace) -> int:
    from caseflow.commands.broker_options import broker_settings
    from caseflow.commands.databases import require_database, require_master_keys
    from services.routing.application.audit import audit
    from services.routing.domain.policy import PolicySettings
    from services.routing.settings import RoutingSettings
    from shared.crypto import CaseCipher, KeyStore
    from shared.db import make_engine

    settings = broker_settings(RoutingSettings, args)
    master_keys = require_master_keys(  # during a rotation, rows still under the previous key open too
        settings.master_key.get_secret_value(),
        settings.previous_master_keys.get_secret_value(),
        "ROUTING_",
    )
    require_database(settings.database_url, "ROUTING_DATABASE_URL")
    require_database(settings.keystore_url, "ROUTING_KEYSTORE_URL")
    engine = make_engine(settings.database_url)
    keys_engine = make_engine(settings.keystore_url)
    keys = KeyStore(keys_engine, master_keys)
    policy = PolicySettings(small_unit_threshold=settings.small_unit_threshold)
    failures = total = state_failures = 0
    try:
        async with engine.connect() as conn:
            for verdict in await audit(
                conn, CaseCipher(keys), policy, args.case if args.action == "explain" else None
            ):
                total += 1
                failures += not verdict.matches
                if args.action == "explain":
                    print(
                        f"{verdict.decided_at}  {verdict.event_type}  "
                        f"{'reproduced' if verdict.matches else 'NOT REPRODUCED'}"
                    )
                    for line in verdict.explanation + verdict.differences:
                        print(f"    {line}")
                elif not verdict.matches:
                    print(
                        f"NOT REPRODUCED {verdict.case_id} {verdict.event_type}: {'; '.join(verdict.differences)}"
                    )
        if args.action == "verify" and not args.without_log:
            holders = await _state_against_log(engine, settings, args.intake_database)
            if holders is None:
                return 2
            if args.scheduling_database:
                meetings = await _ledger_against_log(settings, args.scheduling_database)
                if meetings is None:
                    return 2
                holders["scheduling's meetings"] = ("scheduling.meetings.v1", meetings)
            for holder, (topic, found) in holders.items():
                for mismatch in found:
                    print(f"STATE DIFFERS FROM LOG {mismatch.describe()}")
                print(f"{holder} against {topic}: {'all agree' if not found else f'{len(found)} differ'}.")
                state_failures += len(found)
    finally:
        await engine.dispose()
        await keys_engine.dispose()
    if args.action == "explain" and total == 0:
        print(f"caseflow: audit explain: no routing decisions recorded for case {args.case}", file=sys.stderr)
        return 1
    if args.action == "verify":
        print(f"{total} decision(s) replayed, {total - failures} reproduced exactly, {failures} not.")
    return 1 if failures or state_failures else 0


async def _published(settings: Any, logical_topic: str, what: str) -> list[dict[str, Any]] | None:
    """The envelopes on a topic of this deployment as published; None (and why) when unreadable."""
    from services.routing.domain.consistency import decode_values
    from shared.log_reader import PublishedLogUnreadable, read_published

    topic = settings.topic_prefix + logical_topic
    try:
        records = await read_published(settings, topic)
    except PublishedLogUnreadable as exc:
        print(
            f"caseflow: audit verify: cannot compare {what} with {topic}: {exc}. Pass --kafka (and "
            "--topic-prefix) or set ROUTING_KAFKA_BOOTSTRAP, or pass --without-log to replay decisions only.",
            file=sys.stderr,
        )
        return None
    return decode_values(r.value for r in records)


async def _state_against_log(
    engine: Any, settings: Any, intake_database: str | None
) -> dict[str, tuple[str, list[Any]]] | None:
    """Per holder, the topic and the differences: routing's open cases against the published
    assignments topic and, given intake's database, intake's assignments against it too and
    intake's case register against intake.cases.v1. None when a topic cannot be read."""
    from sqlalchemy import select

    from services.intake.adapters.tables import assignments, cases
    from services.intake.domain.consistency import compare_cases, published_case_states
    from services.routing.adapters.tables import routing_cases
    from services.routing.domain.consistency import compare, published_placements
    from shared.db import make_engine
    from shared.topics import INTAKE_CASES, ROUTING_ASSIGNMENTS

    assignment_events = await _published(settings, ROUTING_ASSIGNMENTS.name, "routing's state")
    if assignment_events is None:
        return None
    published = published_placements(assignment_events)
    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                select(routing_cases.c.case_id, routing_cases.c.status, routing_cases.c.current_advisor_id)
            )
        ).all()
    found: dict[str, tuple[str, list[Any]]] = {
        "routing's open cases": (ROUTING_ASSIGNMENTS.name, compare(rows, published))
    }
    if intake_database:
        case_events = await _published(settings, INTAKE_CASES.name, "intake's cases")
        if case_events is None:
            return None
        intake = make_engine(intake_database)
        try:
            async with intake.connect() as conn:
                held = (
                    await conn.execute(
                        select(
                            assignments.c.case_id,
                            assignments.c.state.label("status"),
                            assignments.c.advisor_id.label("current_advisor_id"),
                        )
                    )
                ).all()
                registered = (
                    await conn.execute(select(cases.c.case_id, cases.c.status, cases.c.erased_at))
                ).all()
        finally:
            await intake.dispose()
        # Intake forgets the assignment of an erased case: a published case it lacks is no error.
        found["intake's assignments"] = (
            ROUTING_ASSIGNMENTS.name,
            compare(held, published, holder="intake's assignments", every_published_case_held=False),
        )
        found["intake's case register"] = (
            INTAKE_CASES.name,
            compare_cases(registered, published_case_states(case_events)),
        )
    return found


async def _ledger_against_log(settings: Any, scheduling_database: str) -> list[Any] | None:
    """Each meeting's latest booking in scheduling's ledger against the published meetings topic."""
    from sqlalchemy import select

    from services.scheduling.adapters.tables import bookings
    from services.scheduling.domain.consistency import compare_meetings, published_meetings
    from shared.db import make_engine
    from shared.topics import SCHEDULING_MEETINGS

    meeting_events = await _published(settings, SCHEDULING_MEETINGS.name, "scheduling's ledger")
    if meeting_events is None:
        return None
    engine = make_engine(scheduling_database)
    try:
        async with engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(bookings)
                    .where(bookings.c.kind == "meeting")
                    .order_by(bookings.c.calendar_sequence)
                )
            ).all()
    finally:
        await engine.dispose()
    latest = {row.meeting_id: row for row in rows}  # ordered by sequence: the last one stays
    return compare_meetings(list(latest.values()), published_meetings(meeting_events))


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "audit",
        help="explain or verify routing decisions from the log",
        description=(
            "Explain why each routing decision on a case was made, or verify that replaying the directory "
            "log and the recorded case facts through the policy reproduces every decision exactly. Needs "
            "routing's database and key access: ROUTING_DATABASE_URL, ROUTING_KEYSTORE_URL, ROUTING_MASTER_KEY."
        ),
    )
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    explain = actions.add_parser("explain", help="the decisions on one case, in plain language")
    explain.add_argument("case", help="the case id")
    verify = actions.add_parser(
        "verify",
        help="replay every decision, and compare routing's open cases with the published assignments",
        description=(
            "Replays every recorded decision through the policy, then reads routing.assignments.v1 from "
            "the broker (ROUTING_KAFKA_BOOTSTRAP, ROUTING_TOPIC_PREFIX) and checks that every open case in "
            "routing's database has the status and advisor consumers were told. Exits 1 on any difference."
        ),
    )
    verify.add_argument(
        "--intake-database",
        default=os.environ.get("INTAKE_DATABASE_URL") or None,
        help="also compare intake's assignment projection (who may read a case file) with the topic, "
        "and intake's case register with intake.cases.v1 (default: $INTAKE_DATABASE_URL when set)",
    )
    verify.add_argument(
        "--scheduling-database",
        default=os.environ.get("SCHEDULING_DATABASE_URL") or None,
        help="also compare scheduling's booking ledger with scheduling.meetings.v1 "
        "(default: $SCHEDULING_DATABASE_URL when set)",
    )
    add_broker_options(verify, "ROUTING_")
    verify.add_argument(
        "--without-log",
        action="store_true",
        help="skip the comparison with the published topic (when the broker cannot be reached)",
    )
    p.set_defaults(func=lambda args: asyncio.run(_run(args)))
