"""structlog set-up: JSON off a TTY, readable on one, and personal data scrubbed out.

Logs are read by operators, who must never see personal data. The scrubber removes values of
known personal fields wherever they occur (nested too), and masks e-mail addresses, phone numbers
and long free text in any remaining string. It is the last line of defence: code should not log
personal data in the first place.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Mapping, MutableMapping
from typing import Any

import structlog

PERSONAL_KEYS = frozenset(
    {
        "narrative",
        "story",
        "message",
        "messages",
        "text",
        "body",
        "contact",
        "contact_details",
        "email",
        "phone",
        "name",
        "full_name",
        "first_name",
        "last_name",
        "address",
        "persons_involved",
        "person_id",
        "client_person_id",
        "involved",
        "preferred_advisor_id",
        "excluded_advisor_ids",
        "receipt_code",
        "token",
        "authorization",
        "password",
        "key",
        "master_key",
        "wrapped_key",
        "sealed",
        "plaintext",
        "payload",
        "raw",
    }
)
REDACTED = "[redacted]"
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
_PHONE = re.compile(r"(?<!\w)(\+?\d[\d\s-]{7,}\d)(?!\w)")
_MAX_FREE_TEXT = 200


def scrub_value(value: Any) -> Any:
    if isinstance(value, str):
        if len(value) > _MAX_FREE_TEXT:
            return f"[redacted {len(value)} chars]"
        return _PHONE.sub("[phone]", _EMAIL.sub("[email]", value))
    if isinstance(value, Mapping):
        return {
            k: (REDACTED if str(k).lower() in PERSONAL_KEYS else scrub_value(v)) for k, v in value.items()
        }
    if isinstance(value, (list, tuple, set, frozenset)):
        return [scrub_value(v) for v in value]
    return value


def scrub_personal_data(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """structlog processor: see the module docstring."""
    for key in list(event_dict):
        if key in ("event", "level", "timestamp", "logger", "service"):
            continue
        if key.lower() in PERSONAL_KEYS:
            event_dict[key] = REDACTED
        else:
            event_dict[key] = scrub_value(event_dict[key])
    if isinstance(event_dict.get("event"), str):
        event_dict["event"] = scrub_value(event_dict["event"])
    if "exception" in event_dict and isinstance(event_dict["exception"], str):
        event_dict["exception"] = scrub_value(event_dict["exception"])
    return event_dict


def configure_logging(
    service: str, level: str = "INFO", *, json: bool | None = None, stream: Any = None
) -> None:
    """Configure structlog and the stdlib root logger (aiokafka, uvicorn) for one service process."""
    stream = stream or sys.stderr
    if json is None:
        json = not stream.isatty()
    renderer: Any = (
        structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            scrub_personal_data,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(file=stream),
        cache_logger_on_first_use=False,
    )
    structlog.contextvars.bind_contextvars(service=service)
    # Library loggers (aiokafka, uvicorn) go through a handler that also scrubs.
    handler = logging.StreamHandler(stream)
    handler.setFormatter(_ScrubbingFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING)


class _ScrubbingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        return str(scrub_value(text)) if len(text) <= _MAX_FREE_TEXT * 5 else _EMAIL.sub("[email]", text)
