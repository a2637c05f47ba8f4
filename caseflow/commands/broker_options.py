"""The broker and environment options every command that reads or writes Kafka shares.

One name per concept: `--kafka HOST:PORT` is the broker (`--bootstrap` is a hidden, deprecated
alias kept for `rooms import`), `--topic-prefix` the deployment's topic prefix. Without the option a
command uses the settings of the service whose data it touches (SCHEDULING_KAFKA_BOOTSTRAP for
`rooms import`, REPORTING_KAFKA_BOOTSTRAP for `replay` and `export`, ROUTING_... for `audit verify`),
and when that service's variable is not set, the deployment-wide CASEFLOW_ variable
(CASEFLOW_KAFKA_BOOTSTRAP, CASEFLOW_TOPIC_PREFIX, CASEFLOW_KAFKA_SECURITY_PROTOCOL, ...).
"""

from __future__ import annotations

import argparse
from typing import TypeVar

from shared.settings import ServiceSettings

S = TypeVar("S", bound=ServiceSettings)


def add_broker_options(parser: argparse.ArgumentParser, service_prefix: str = "") -> None:
    own = f"${service_prefix}KAFKA_BOOTSTRAP, then " if service_prefix else ""
    own_prefix = f"${service_prefix}TOPIC_PREFIX, then " if service_prefix else ""
    parser.add_argument(
        "--kafka",
        metavar="HOST:PORT",
        default=None,
        help=f"the Kafka bootstrap servers (default: {own}$CASEFLOW_KAFKA_BOOTSTRAP, then 127.0.0.1:9092)",
    )
    # Deprecated: `rooms import` called the broker --bootstrap. Still accepted, not advertised.
    parser.add_argument("--bootstrap", dest="kafka", default=None, help=argparse.SUPPRESS)
    parser.add_argument(
        "--topic-prefix",
        default=None,
        help=f"the deployment's topic prefix (default: {own_prefix}$CASEFLOW_TOPIC_PREFIX, then none)",
    )


def _connection_fields() -> list[str]:
    return [n for n in ServiceSettings.model_fields if n.startswith("kafka_") or n == "topic_prefix"]


def broker_settings(cls: type[S], args: argparse.Namespace | None = None) -> S:
    """The service's settings, its unset broker fields taken from CASEFLOW_, then a running local
    stack (caseflow/commands/local_stack.py), then the options."""
    from caseflow.commands.local_stack import settings_of

    own = settings_of(cls)
    if cls is ServiceSettings:
        fallback: dict[str, object] = {}
    else:
        shared = ServiceSettings()
        fallback = {
            n: getattr(shared, n)
            for n in _connection_fields()
            if n in shared.model_fields_set and n not in own.model_fields_set
        }
    given = {
        "kafka_bootstrap": getattr(args, "kafka", None),
        "topic_prefix": getattr(args, "topic_prefix", None),
    }
    return own.model_copy(update=fallback | {k: v for k, v in given.items() if v is not None})
