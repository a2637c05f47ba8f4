"""The log scrubber removes personal data even when code logs it by mistake."""

from __future__ import annotations

import io
import json

import pytest
import structlog

from shared.logging import configure_logging

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
