"""The `caseflow` command: run, operate and inspect the case-flow system."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
import traceback
from importlib.metadata import PackageNotFoundError, version
from typing import NoReturn

from caseflow.commands.command_logging import BROKER_CLIENT_LOGGERS
from caseflow.errors import BAD_INPUT, OPERATIONAL, CommandError

# Subcommand modules under caseflow/commands; each registers its own parser.
COMMAND_MODULES = (
    "stack_cmd",
    "serve_cmd",
    "directory_cmd",
    "rooms_cmd",
    "audit_cmd",
    "contracts_cmd",
    "token_cmd",
    "erase_cmd",
    "report_cmd",
    "replay_cmd",
    "export_cmd",
    "db_cmd",
    "keys_cmd",
    "dlq_cmd",
    "backup_cmd",
)
# Commands that run services in this process: their library logs are the service's logs.
SERVICE_COMMANDS = frozenset({"serve", "up", "down", "status", "demo", "supervise"})

DESCRIPTION = """\
caseflow: event-sourced case flow for the confidential advisors (vertrouwenspersonen)
of the Dutch central government. Intake, conflict-of-interest routing, discreet scheduling
and anonymised reporting, as four services talking over Kafka.

Start with `caseflow demo` to see the whole case flow on embedded defaults.

Every command reports a failure as one line on standard error, `caseflow: COMMAND: reason`, and
exits 2 when the input (arguments, a file, a setting) is wrong and 1 when the work could not be
done (a broker or database that does not answer). --debug adds the Python traceback.
"""


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (with the subcommand's name) and exit code 2."""

    def error(self, message: str) -> NoReturn:
        print(
            f"caseflow: {self.prog.removeprefix('caseflow').strip() or 'usage'}: {message} (see --help)",
            file=sys.stderr,
        )
        sys.exit(BAD_INPUT)


def package_version() -> str:
    try:
        return version("caseflow")
    except PackageNotFoundError:  # a source tree that was never installed
        return "unknown"


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="caseflow", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--version", action="version", version=f"caseflow {package_version()}")
    parser.add_argument(
        "--debug", action="store_true", help="on an unexpected error, print the Python traceback too"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(f"caseflow.commands.{name}").register(sub)
    _name_commands(parser)
    return parser


def _name_commands(parser: argparse.ArgumentParser) -> None:
    """Every (sub)parser stores its words (`directory import`) as `command_name` for error lines."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                child.set_defaults(command_name=child.prog.removeprefix("caseflow").strip())
                _name_commands(child)


def first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else "(no message)"


def explain(exc: BaseException) -> tuple[int, str, tuple[str, ...]] | None:
    """(exit code, reason, details) for the errors a person can act on; None for a bug."""
    if isinstance(exc, CommandError):
        return exc.exit_code, exc.reason, exc.details
    if isinstance(exc, FileNotFoundError | IsADirectoryError | PermissionError):
        return BAD_INPUT, f"{exc.filename}: {exc.strerror}", ()
    if isinstance(exc, UnicodeDecodeError):
        return BAD_INPUT, f"the file is not UTF-8 text ({exc.reason} at byte {exc.start})", ()
    from aiokafka.errors import KafkaConnectionError, KafkaError
    from sqlalchemy.exc import DBAPIError

    from shared.migrations import SchemaOutOfDate

    if isinstance(exc, SchemaOutOfDate):  # names `caseflow db upgrade SERVICE`, or a newer release
        return OPERATIONAL, str(exc), ()

    if isinstance(exc, KafkaConnectionError):
        return (
            OPERATIONAL,
            f"cannot reach the Kafka broker: {first_line(exc)} (check --kafka or CASEFLOW_KAFKA_BOOTSTRAP)",
            (),
        )
    if isinstance(exc, KafkaError):
        return OPERATIONAL, f"Kafka: {type(exc).__name__}: {first_line(exc)}", ()
    if isinstance(exc, DBAPIError):
        return OPERATIONAL, f"database: {first_line(exc.orig if exc.orig is not None else exc)}", ()
    if isinstance(exc, ConnectionError | TimeoutError):
        return OPERATIONAL, f"{type(exc).__name__}: {first_line(exc)}", ()
    return None


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return BAD_INPUT
    name = getattr(args, "command_name", args.command)
    if args.command not in SERVICE_COMMANDS and not args.debug:
        # A one-shot command says what went wrong in one line; the broker client's own log lines
        # about the same failure (retries, an unclosed consumer) come with --debug.
        for library in BROKER_CLIENT_LOGGERS:
            logging.getLogger(library).setLevel(logging.CRITICAL)
    try:
        result = args.func(args)
    except KeyboardInterrupt:
        print(f"caseflow: {name}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001  (the edge: every error becomes one line)
        known = explain(exc)
        if known is None:
            print(
                f"caseflow: {name}: unexpected error {type(exc).__name__}: {first_line(exc)} "
                "(rerun with --debug for the traceback, and report it)",
                file=sys.stderr,
            )
            if args.debug:
                traceback.print_exc()
            return OPERATIONAL
        code, reason, details = known
        print(f"caseflow: {name}: {reason}", file=sys.stderr)
        for line in details:
            print(f"  {line}", file=sys.stderr)
        if args.debug:
            traceback.print_exc()
        return code
    return int(result or 0)


if __name__ == "__main__":
    sys.exit(main())
