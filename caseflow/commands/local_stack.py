"""Commands find a running local stack (`caseflow up`, `caseflow demo --keep-running`) by itself.

After `caseflow up`, `caseflow directory import FILE` should publish to the stack's broker and
`caseflow report annual` read the stack's reporting database, without the operator copying ports
and paths out of stack.json. Where a setting comes from, first that says:
1. the command's option (`--kafka`, `--database-url`, ...);
2. the service's own variable (`REPORTING_DATABASE_URL`), then the deployment-wide `CASEFLOW_` one;
3. a local stack that runs: `$CASEFLOW_STACK_HOME`, else `./var/stack`, else `./var/demo`
   (the settings `caseflow up` gave that service: its broker, SQLite database, key store and the
   stack's generated master key);
4. the built-in default.
A command that takes anything from a stack says so on standard error, once, so that nobody
reports on the demo's database thinking it is production's.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, TypeVar

from shared.settings import ServiceSettings

S = TypeVar("S", bound=ServiceSettings)
STACK_HOMES = (Path("var/stack"), Path("var/demo"))
# What a command takes from a stack: where the data is (not how the service itself runs).
STACK_FIELDS = frozenset({"kafka_bootstrap", "topic_prefix", "database_url", "keystore_url", "master_key"})
_announced: set[str] = set()


def running_stack_home() -> Path | None:
    """The home of a local stack with a process alive (the broker, or with `up --kafka` a
    service), or None: a stack.json left by a killed stack is not a stack."""
    from caseflow.stack import StackState, alive

    explicit = os.environ.get("CASEFLOW_STACK_HOME")
    for home in [Path(explicit)] if explicit else list(STACK_HOMES):
        try:
            state = StackState.load(home)
        except (OSError, ValueError, TypeError, KeyError):
            continue  # a stack.json half written or from another version: not a stack to trust
        if state is None:
            continue
        if any(alive(p.pid) for p in state.processes):
            return home
    return None


def stack_environment(service: str | None) -> dict[str, str]:
    """The variables `caseflow up` gave `service` (None: only the broker's, as CASEFLOW_)."""
    from caseflow.stack import StackState, service_env

    home = running_stack_home()
    state = StackState.load(home) if home is not None else None
    if home is None or state is None:
        return {}
    if service is None:
        return {
            "CASEFLOW_KAFKA_BOOTSTRAP": state.kafka_bootstrap,
            "CASEFLOW_TOPIC_PREFIX": state.topic_prefix,
        }
    proc = next((p for p in state.processes if p.name == service), None)
    if proc is None or proc.port is None:  # the stack does not run this service (the workbench)
        return {
            f"{service.upper()}_KAFKA_BOOTSTRAP": state.kafka_bootstrap,
            f"{service.upper()}_TOPIC_PREFIX": state.topic_prefix,
        }
    return service_env(service, home, state, proc.port)


def settings_of(cls: type[S]) -> S:
    """`cls()` from the environment, with what it leaves unset taken from a running local stack."""
    prefix = str(cls.model_config.get("env_prefix", ""))
    service = None if prefix == "CASEFLOW_" else prefix.removesuffix("_").lower()
    overlay: dict[str, Any] = {}
    for name, value in stack_environment(service).items():
        field = name.removeprefix(prefix).lower()
        shared_name = f"CASEFLOW_{name.removeprefix(prefix)}"
        if field not in STACK_FIELDS or field not in cls.model_fields or name in os.environ:
            continue
        if field in ServiceSettings.model_fields and shared_name in os.environ:
            continue  # the deployment-wide variable comes before a stack
        overlay[field] = value
    if overlay:
        home = running_stack_home()
        key = f"{home}:{service}"
        if key not in _announced:
            _announced.add(key)
            shown = ", ".join(sorted(name for name in overlay if not name.endswith("master_key")))
            print(
                f"caseflow: using the local stack under {home} for {service or 'the broker'} "
                f"({shown}); set the variables or options to use another",
                file=sys.stderr,
            )
    return cls(**overlay)
