"""The `caseflow` command: run, operate and inspect the case-flow system."""

from __future__ import annotations

import argparse
import importlib
import sys

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
)

DESCRIPTION = """\
caseflow: event-sourced case flow for the confidential advisors (vertrouwenspersonen)
of the Dutch central government. Intake, conflict-of-interest routing, discreet scheduling
and anonymised reporting, as four services talking over Kafka.

Start with `caseflow demo` to see the whole case flow on embedded defaults.
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="caseflow", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(f"caseflow.commands.{name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    result = args.func(args)
    return int(result or 0)


if __name__ == "__main__":
    sys.exit(main())
