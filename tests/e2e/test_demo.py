"""The README's main command works: `caseflow demo` runs the whole case flow and leaves the report.

A short run (a few seconds of contacts) of exactly what `make demo` runs, with its own broker and
four service processes. How long the full demo takes is a measurement (docs/benchmarks.md), not an
assertion here.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e
CASEFLOW = str(Path(sys.executable).with_name("caseflow"))


def test_the_demo_runs_the_case_flow_and_writes_the_annual_report(tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = subprocess.run(
        [
            CASEFLOW,
            "demo",
            "--duration",
            "8",
            "--rate",
            "3",
            "--home",
            str(tmp_path / "home"),
            "--out",
            str(out),
        ],
        check=False,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "where to look:" in done.stdout and "stopping ..." in done.stdout
    year = datetime.now(UTC).year
    for org in ("all", "min-bzk", "min-fin"):
        for fmt in ("html", "csv", "json"):
            assert (out / f"jaarverslag-{org}-{year}.{fmt}").stat().st_size > 0
    report = json.loads((out / f"jaarverslag-all-{year}.json").read_text())
    assert report["generated_from"]["event_count"] > 0
    html = (out / f"jaarverslag-all-{year}.html").read_text()
    assert html.count("<svg") >= 10 and "Jaarverslag vertrouwenspersonen" in html
    # Everything it started has stopped: no stack is left behind.
    assert not (tmp_path / "home" / "stack.json").exists()
