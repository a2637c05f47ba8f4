"""After `caseflow up`, the commands use the stack without being told where it is (issue 16).

The operator's view: start a stack, then run `caseflow directory import FILE`, `caseflow db status`
and `caseflow report annual` from the same folder with no variables set. Each must use the stack's
broker (with its topic prefix) and databases, and say that it does.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from caseflow import stack

pytestmark = pytest.mark.e2e
CASEFLOW = str(Path(sys.executable).with_name("caseflow"))
SAMPLE = Path(__file__).resolve().parents[2] / "deploy" / "samples" / "directory.json"


def caseflow(cwd: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CASEFLOW_", "INTAKE_", "ROUTING_", "SCHEDULING_", "REPORTING_", "WORKBENCH_"))}  # fmt: skip
    return subprocess.run([CASEFLOW, *argv], cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False)  # fmt: skip


def test_directory_import_db_status_and_report_use_the_running_stack(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    home = tmp_path / "var" / "stack"
    state = stack.up(
        home,
        kafka_bootstrap=kafka_bootstrap,
        topic_prefix=f"t-find-{uuid.uuid4().hex[:8]}.",
        say=lambda _l: None,
    )
    try:
        imported = caseflow(tmp_path, "directory", "import", str(SAMPLE))
        assert imported.returncode == 0, imported.stderr
        assert "using the local stack under var/stack" in imported.stderr

        # It went to the stack's broker under the stack's prefix: the stack's intake learns it.
        deadline = time.monotonic() + 60
        while True:
            known = httpx.get(f"{state.url('intake')}/v1/directory", timeout=5).json()
            if known.get("organisations", 0) >= 2 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert known.get("organisations", 0) >= 2, known

        status = caseflow(tmp_path, "db", "status")
        assert status.returncode == 0, status.stderr
        for service in stack.SERVICES:
            assert f"({Path('var/stack') / f'{service}.db'})" in status.stdout.replace(
                "sqlite+aiosqlite:///", ""
            ), status.stdout
        assert "no database yet" not in status.stdout.split("workbench")[0]

        report = caseflow(tmp_path, "report", "annual", "--org", "all", "--year", str(datetime.now(UTC).year))
        assert "no database at" not in report.stderr  # it found the stack's reporting database
        assert "using the local stack under var/stack for reporting" in report.stderr
        assert report.returncode in (0, 1), report.stderr
    finally:
        stack.down(home, say=lambda _l: None)
    assert not (tmp_path / "var" / "reporting.db").exists()  # nothing was made where no stack runs
