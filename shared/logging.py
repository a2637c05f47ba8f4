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
import threading
import time
from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass
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
        "previous_master_keys",
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


# Library loggers whose records go through the rate limit (and everything else foreign to
# structlog, see `RateLimitFilter`); named here so their levels are set in one place.
LIBRARY_LOGGERS = (
    "aiokafka",
    "kafka",
    "asyncio",
    "uvicorn",
    "uvicorn.error",
    "uvicorn.access",
    "faststream",
    "sqlalchemy",
    "httpx",
    "httpcore",
)


def configure_logging(
    service: str,
    level: str = "INFO",
    *,
    json: bool | None = None,
    stream: Any = None,
    rate_limit: RateLimit | None = None,
) -> None:
    """One output for the whole process: structlog's events and every stdlib logger (aiokafka,
    asyncio, uvicorn, faststream, warnings) rendered by the same processors, as JSON off a TTY.

    Each line carries `timestamp` (ISO 8601, UTC), `level`, `logger`, `service` and `event`. Library
    records repeating one message template are rate-limited per logger and template (`RateLimit`);
    what was held back is reported as a `log_lines_suppressed` line with its count.
    """
    stream = stream or sys.stderr
    if json is None:
        json = not stream.isatty()
    renderer: Any = (
        structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(colors=False)
    )
    shared_processors: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[
            *shared_processors,
            structlog.processors.format_exc_info,
            scrub_personal_data,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.stdlib.LoggerFactory(),
        cache_logger_on_first_use=False,
    )
    structlog.contextvars.bind_contextvars(service=service)
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*shared_processors, structlog.stdlib.ExtraAdder(_EXTRA_FIELDS)],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            scrub_personal_data,
            renderer,
        ],
    )
    limit = rate_limit or RateLimit()
    handler = SummarisingHandler(stream, RateLimitFilter(limit))
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for old in root.handlers[:]:
        root.removeHandler(old)
        if isinstance(old, SummarisingHandler):
            old.close()
    root.addHandler(handler)
    # The root passes what our own code logs at `level`; libraries speak from WARNING up.
    root.setLevel(logging.getLevelName(level.upper()))
    for name in LIBRARY_LOGGERS:
        library = logging.getLogger(name)
        library.handlers.clear()
        library.propagate = True
        library.setLevel(max(logging.WARNING, root.level))
    logging.captureWarnings(True)
    sys.excepthook = _log_uncaught


# Attributes stdlib records may carry that are worth keeping as fields (the rate limit's count).
_EXTRA_FIELDS = ["suppressed", "suppressed_logger", "suppressed_template", "interval_seconds"]


def _log_uncaught(kind: type[BaseException], exc: BaseException, tb: Any) -> None:
    logging.getLogger("uncaught").critical("uncaught_exception", exc_info=(kind, exc, tb))


@dataclass(frozen=True, slots=True)
class RateLimit:
    """At most `burst` lines per logger and message template in each `interval` seconds."""

    burst: int = 3
    interval: float = 10.0


@dataclass(slots=True)
class _Window:
    started: float
    passed: int = 0
    suppressed: int = 0


class RateLimitFilter(logging.Filter):
    """Holds back repeats of one library message (aiokafka's "Unable connect to node ..." many times
    a second while a broker is down): keyed by logger and the message's template (`record.msg`
    before its arguments), so different errors are each seen, and the same error a few times per
    interval. structlog's own events (a dict as `msg`) always pass: our code logs with intent.
    """

    def __init__(self, limit: RateLimit, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.limit = limit
        self.clock = clock
        self._windows: dict[tuple[str, str], _Window] = {}
        self._lock = threading.Lock()

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, dict) or getattr(record, "suppressed", None) is not None:
            return True
        key = (record.name, str(record.msg))
        now = self.clock()
        with self._lock:
            window = self._windows.get(key)
            if window is None or now - window.started >= self.limit.interval:
                window = self._windows[key] = _Window(now)
            if window.passed < self.limit.burst:
                window.passed += 1
                return True
            window.suppressed += 1
            return False

    def expired(self) -> list[tuple[str, str, int]]:
        """(logger, template, count held back) of every window that ended; those windows are dropped."""
        now = self.clock()
        with self._lock:
            done = [k for k, w in self._windows.items() if now - w.started >= self.limit.interval]
            return [(k[0], k[1], n) for k in done if (n := self._windows.pop(k).suppressed)]

    def pending(self) -> list[tuple[str, str, int]]:
        """Everything held back so far, windows ended or not (at shutdown)."""
        with self._lock:
            result = [(k[0], k[1], w.suppressed) for k, w in self._windows.items() if w.suppressed]
            self._windows.clear()
            return result


class SummarisingHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """A stream handler behind a `RateLimitFilter` that reports what the filter held back: one
    `log_lines_suppressed` line per logger and template, when its interval has ended (checked on
    every record handled) and at close."""

    def __init__(self, stream: Any, limiter: RateLimitFilter) -> None:
        super().__init__(stream)
        self.limiter = limiter
        self.addFilter(limiter)

    def handle(self, record: logging.LogRecord) -> bool:
        self._summarise(self.limiter.expired())
        return bool(super().handle(record))

    def close(self) -> None:
        self._summarise(self.limiter.pending())
        super().close()

    def _summarise(self, held_back: list[tuple[str, str, int]]) -> None:
        for name, template, count in held_back:
            summary = logging.LogRecord(
                "shared.logging", logging.WARNING, __file__, 0, "log_lines_suppressed", None, None
            )
            summary.suppressed = count
            summary.suppressed_logger = name
            summary.suppressed_template = template[:200]
            summary.interval_seconds = self.limiter.limit.interval
            super().handle(summary)
