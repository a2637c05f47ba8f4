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


def test_the_demo_kept_running_leaves_annas_cases_for_a_person_to_work_in_the_workbench(
    tmp_path: Path,
) -> None:
    """The README's keep-running steps: open the workbench it prints, sign in as Anna, work a case."""
    import re

    from caseflow import stack
    from tests.support.keycloak import Browser, Provider, realm_users

    home = tmp_path / "home"
    done = subprocess.run(
        [
            CASEFLOW,
            "demo",
            "--duration",
            "12",
            "--rate",
            "3",
            "--home",
            str(home),
            "--out",
            str(tmp_path / "out"),
        ]
        + ["--keep-running"],
        check=False,
        capture_output=True,
        text=True,
        timeout=900,
    )
    try:
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        printed = re.search(r"the workbench\s+(http://127\.0\.0\.1:\d+)/", done.stdout)
        assert printed, done.stdout[-2000:]
        left = re.search(r"anna's (\d+) case\(s\) were left for you to work", done.stdout)
        assert left and int(left.group(1)) > 0, done.stdout[-2000:]
        workbench, state = printed.group(1), stack.StackState.load(home)
        assert state is not None
        with Browser(Provider(state.keycloak_issuer)) as anna:
            start = anna.http.get(f"{workbench}/inloggen")
            user = realm_users()["anna"]
            result = anna.login(start.headers["location"], user.username, user.password)
            assert result.location is not None
            anna.http.get(result.location)
            cases = anna.http.get(f"{workbench}/zaken")
            assert cases.status_code == 200
            ids = re.findall(r'href="/zaken/([A-Za-z0-9-]+)\?', cases.text)
            assert ids, cases.text[:2000]
            case = anna.http.get(f"{workbench}/zaken/{ids[0]}")
            assert case.status_code == 200 and "/aannemen" in case.text, (
                "hers to accept: not worked by the simulator"
            )
    finally:
        subprocess.run([CASEFLOW, "down", "--home", str(home)], check=False, capture_output=True, timeout=120)
    assert not (home / "stack.json").exists()
