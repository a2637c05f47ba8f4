"""`caseflow audit explain CASE` and `caseflow audit verify`: the routing audit (key holders only)."""

from __future__ import annotations

import argparse
import asyncio
import sys

import shared.contracts  # noqa: F401


async def _run(args: argparse.Namespace) -> int:
    from services.routing.audit import audit
    from services.routing.policy import PolicySettings
    from services.routing.settings import RoutingSettings
    from shared.crypto import CaseCipher, KeyStore, parse_master_key
    from shared.db import make_engine

    settings = RoutingSettings()
    if not settings.master_key.get_secret_value():
        print("caseflow audit: ROUTING_MASTER_KEY is not set; the audit needs key access.", file=sys.stderr)
        return 2
    engine = make_engine(settings.database_url)
    keys = KeyStore(
        make_engine(settings.keystore_url), parse_master_key(settings.master_key.get_secret_value())
    )
    policy = PolicySettings(small_unit_threshold=settings.small_unit_threshold)
    failures = total = 0
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
    finally:
        await engine.dispose()
    if args.action == "explain" and total == 0:
        print(f"no routing decisions recorded for case {args.case}", file=sys.stderr)
        return 1
    if args.action == "verify":
        print(f"{total} decision(s) replayed, {total - failures} reproduced exactly, {failures} not.")
    return 1 if failures else 0


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
    actions.add_parser("verify", help="replay every decision and report any that is not reproduced")
    p.set_defaults(func=lambda args: asyncio.run(_run(args)))
