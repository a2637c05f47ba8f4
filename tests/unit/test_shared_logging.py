"""The log output: personal data scrubbed, every logger as JSON, library floods rate-limited."""

from __future__ import annotations

import io
import json
import logging
from typing import Any

import pytest
import structlog

from shared.logging import RateLimit, SummarisingHandler, configure_logging

pytestmark = pytest.mark.unit


def test_personal_fields_and_patterns_never_reach_the_log_output() -> None:
    out = io.StringIO()
    configure_logging("test", "DEBUG", json=True, stream=out)
    log = structlog.get_logger("t")
    log.info(
        "oops",
        narrative="MARK-NARR my manager",
        contact={"email": "jan@example.org"},
        detail="call me on +31 6 12345678 or mail jan.jansen@example.org",
        nested={"persons_involved": ["MARK-INV"], "count": 3},
        long_text="x" * 500,
    )
    line = json.loads(out.getvalue().strip().splitlines()[-1])
    text = json.dumps(line)
    for leaked in (
        "MARK-NARR",
        "jan@example.org",
        "12345678",
        "jan.jansen@example.org",
        "MARK-INV",
        "x" * 300,
    ):
        assert leaked not in text
    assert line["nested"]["count"] == 3 and line["event"] == "oops"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def configured(burst: int = 3, interval: float = 10.0) -> tuple[io.StringIO, Clock]:
    out = io.StringIO()
    configure_logging("test", "INFO", json=True, stream=out, rate_limit=RateLimit(burst, interval))
    clock = Clock()
    [handler] = logging.getLogger().handlers
    assert isinstance(handler, SummarisingHandler)
    handler.limiter.clock = clock
    return out, clock


def lines(out: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_library_loggers_write_json_with_level_timestamp_and_logger() -> None:
    out, _ = configured()
    for name in ("aiokafka.conn", "asyncio", "uvicorn.error", "faststream", "some.other.library"):
        logging.getLogger(name).warning("%s says %s", name, "hello")
    try:
        raise ZeroDivisionError("boom")
    except ZeroDivisionError:
        logging.getLogger("asyncio").exception("Task exception was never retrieved")
    written = out.getvalue().splitlines()
    assert len(written) == 6
    for line in lines(out):
        assert {"event", "level", "timestamp", "logger", "service"} <= set(line)
    assert lines(out)[0]["event"] == "aiokafka.conn says hello"
    assert lines(out)[0]["level"] == "warning"
    assert lines(out)[-1]["level"] == "error" and "exception" in lines(out)[-1]  # scrubbed like ours


def test_a_library_flood_is_cut_to_a_few_lines_per_interval_with_the_count_held_back() -> None:
    out, clock = configured(burst=3, interval=10.0)
    conn = logging.getLogger("aiokafka.conn")
    for _ in range(500):  # a broker outage: the same template many times a second
        conn.error("Unable connect to node with id %s: %s", 1, "Connect call failed")
        clock.now += 0.01
    clock.now += 10
    conn.error("Unable connect to node with id %s: %s", 1, "Connect call failed")
    events = [(line["logger"], line["event"], line.get("suppressed")) for line in lines(out)]
    flood = ("aiokafka.conn", "Unable connect to node with id 1: Connect call failed", None)
    assert events == [flood, flood, flood, ("shared.logging", "log_lines_suppressed", 497), flood]
    summary = lines(out)[3]
    assert summary["suppressed_logger"] == "aiokafka.conn"
    assert summary["suppressed_template"] == "Unable connect to node with id %s: %s"


def test_each_template_has_its_own_budget_and_our_own_events_are_never_held_back() -> None:
    out, _ = configured(burst=2, interval=10.0)
    for _ in range(5):
        logging.getLogger("aiokafka.conn").error("Unable connect to node with id %s", 1)
        logging.getLogger("aiokafka.consumer.group_coordinator").error("Heartbeat failed: %s", "x")
        structlog.get_logger("services.routing").warning("transient_failure_retrying")
    loggers = [line["logger"] for line in lines(out)]
    assert loggers.count("aiokafka.conn") == 2
    assert loggers.count("aiokafka.consumer.group_coordinator") == 2
    assert loggers.count("services.routing") == 5


def test_what_is_held_back_when_the_process_ends_is_still_counted() -> None:
    out, _ = configured(burst=1, interval=10.0)
    for _ in range(4):
        logging.getLogger("aiokafka").warning("Got error produce response: %s", "NotLeader")
    for handler in logging.getLogger().handlers:
        handler.close()
    assert [(line["event"], line.get("suppressed")) for line in lines(out)] == [
        ("Got error produce response: NotLeader", None),
        ("log_lines_suppressed", 3),
    ]
