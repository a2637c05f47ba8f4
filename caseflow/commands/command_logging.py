"""Logging of a one-shot command: warnings to standard error (standard output is the result).

A failure is told once, by `cli.main`, in one line; the broker client's own lines about the same
failure (connection retries, a consumer left unclosed) are shown only with `caseflow --debug`.
"""

from __future__ import annotations

import argparse
import logging

BROKER_CLIENT_LOGGERS = ("aiokafka", "asyncio")


def configure_command_logging(service: str, args: argparse.Namespace) -> None:
    from shared.logging import configure_logging

    configure_logging(service, "WARNING")
    if not getattr(args, "debug", False):
        for name in BROKER_CLIENT_LOGGERS:
            logging.getLogger(name).setLevel(logging.CRITICAL)
