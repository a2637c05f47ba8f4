from __future__ import annotations

import argparse

from caseflow.serve import SERVICES, serve


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "serve",
        help="run one service in the foreground",
        description=(
            "Run one service process (Kafka consumers, outbox relay, HTTP: /metrics, /health, /ready). "
            "Configure it with its prefixed environment variables, e.g. INTAKE_KAFKA_BOOTSTRAP, "
            "INTAKE_DATABASE_URL, INTAKE_KEYSTORE_URL, INTAKE_MASTER_KEY, INTAKE_HTTP_PORT."
        ),
    )
    p.add_argument("service", choices=SERVICES)
    p.set_defaults(func=lambda args: serve(args.service))
