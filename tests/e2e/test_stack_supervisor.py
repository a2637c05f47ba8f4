"""`caseflow up` supervises the local stack (issue 15): a service that stops is started again with
backoff, `up` on a half-running stack starts what is missing, and `caseflow status` shows the
restarts, why the last one stopped and a crash loop.

The operator's view, through the command line only: processes are killed by their pids from
stack.json, as `kill -9` would.
"""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.e2e
CASEFLOW = str(Path(sys.executable).with_name("caseflow"))


def caseflow(cwd: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CASEFLOW, *argv], cwd=cwd, capture_output=True, text=True, timeout=180, check=False
    )


def processes(home: Path) -> dict[str, dict[str, Any]]:
    return {p["name"]: p for p in json.loads((home / "stack.json").read_text())["processes"]}


def wait_for(what: str, check: Callable[[], bool], timeout: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if check():
            return time.monotonic() - started
        time.sleep(0.25)
    raise AssertionError(f"not within {timeout:.0f} s: {what}")


def ready(home: Path, name: str) -> bool:
    proc = processes(home)[name]
    try:
        return httpx.get(f"http://127.0.0.1:{proc['port']}/ready", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def status_rows(cwd: Path, home: Path) -> dict[str, dict[str, Any]]:
    shown = caseflow(cwd, "status", "--home", str(home), "--json")
    return {row["name"]: row for row in json.loads(shown.stdout)}


def test_up_restarts_a_killed_service_resumes_a_half_stack_and_shows_a_crash_loop(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    home = tmp_path / "stack"
    started = caseflow(
        tmp_path, "up", "--home", str(home), "--kafka", kafka_bootstrap, "--topic-prefix", f"t-sup-{uuid.uuid4().hex[:8]}."
    )  # fmt: skip
    assert started.returncode == 0, started.stderr
    assert "supervised" in started.stdout
    try:
        # 1. SIGKILL a service: the supervisor starts it again on the same port.
        before = processes(home)["routing"]
        os.kill(before["pid"], signal.SIGKILL)
        took = wait_for(
            "routing restarted and ready",
            lambda: processes(home)["routing"]["pid"] != before["pid"] and ready(home, "routing"),
            60,
        )
        print(f"\nrouting back after SIGKILL in {took:.1f} s")
        after = processes(home)["routing"]
        assert (after["port"], after["restarts"]) == (before["port"], 1)
        assert after["last_exit"].startswith("gone")  # started by `up`, not a child of the supervisor

        # 2. The supervisor itself dies, then a service: `caseflow up` again starts what is missing.
        os.kill(processes(home)["supervisor"]["pid"], signal.SIGKILL)
        scheduling = processes(home)["scheduling"]["pid"]
        os.kill(scheduling, signal.SIGKILL)
        again = caseflow(tmp_path, "up", "--home", str(home))
        assert again.returncode == 0, again.stderr
        assert "it starts scheduling" in again.stdout, again.stdout
        wait_for(
            "scheduling started by the new supervisor",
            lambda: processes(home)["scheduling"]["pid"] != scheduling and ready(home, "scheduling"),
            60,
        )
        # ... and `up` on a supervised stack changes nothing.
        assert "its supervisor restarts what stops" in caseflow(tmp_path, "up", "--home", str(home)).stdout

        # 3. A service that cannot start: restarted with growing pauses, a crash loop in `status`.
        # Its database moved away (with its WAL: SQLite would heal a damaged header from it) and a
        # folder in its place; the running process keeps the files it has open.
        saved = home / "routing-saved"
        saved.mkdir()
        for path in home.glob("routing.db*"):
            path.rename(saved / path.name)
        (home / "routing.db").mkdir()
        base = processes(home)["routing"]["restarts"]
        os.kill(processes(home)["routing"]["pid"], signal.SIGKILL)
        wait_for(
            "three restarts after the fault", lambda: processes(home)["routing"]["restarts"] >= base + 3, 120
        )
        wait_for(
            "routing in a crash loop",
            lambda: (
                status_rows(tmp_path, home)["routing"]["crash_loop"]
                and status_rows(tmp_path, home)["routing"]["last_exit"].startswith("exit code")
            ),
            90,
        )
        text = caseflow(tmp_path, "status", "--home", str(home))
        assert text.returncode == 1  # not everything runs
        (line,) = [row for row in text.stdout.splitlines() if row.startswith("routing")]
        assert "last exit: exit code 3" in line and "CRASH LOOP" in line, line
        times = processes(home)["routing"]["restart_times"][-3:]  # the three after the fault
        pauses = [b - a for a, b in itertools.pairwise(times)]
        assert pauses[1] > pauses[0] + 1.5, f"the backoff grows (2 s, then 4 s, plus start-up): {pauses}"

        # Fixed: the next restart comes up.
        (home / "routing.db").rmdir()
        for path in saved.iterdir():
            path.rename(home / path.name)
        wait_for("routing back after the fix", lambda: ready(home, "routing"), 90)
    finally:
        stopped = caseflow(tmp_path, "down", "--home", str(home))
    assert stopped.returncode == 0, stopped.stderr
    assert "stopped supervisor" in stopped.stdout
    assert not (home / "stack.json").exists()
