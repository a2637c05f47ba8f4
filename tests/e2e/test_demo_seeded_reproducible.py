"""Two demo runs of one seed end in the same state; another seed ends elsewhere.

`caseflow demo --seed N --cases K` plays K contacts in logical steps (tools/demo/simulator.py),
each with its own broker and four service processes. The state digest (tools/demo/state_digest.py)
of every table of every service database and of every JSON and CSV report, with the clock's
readings and the values random by design left out, must be equal for the same seed. Seed 45's
first 20 contacts include phone contacts rated by their clients, declared conflicts (so
reassignments) and whistleblower reports, so those paths are compared too.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from tools.demo.state_digest import digests

pytestmark = pytest.mark.e2e
CASEFLOW = str(Path(sys.executable).with_name("caseflow"))
SEED, OTHER_SEED, CASES = 45, 46, 20


def _run(tmp_path: Path, name: str, seed: int) -> dict[str, str]:
    home, out = tmp_path / name / "home", tmp_path / name / "out"
    started = time.monotonic()
    done = subprocess.run(
        [CASEFLOW, "demo", "--seed", str(seed), "--cases", str(CASES), "--rate", "10"]
        + ["--home", str(home), "--out", str(out)],
        check=False,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert f"seed {seed}" in done.stdout
    found = digests(home, out)
    print(f"{name}: seed {seed}, {time.monotonic() - started:.0f} s, {len(found)} tables and reports")
    return {table: digest for table, (_count, digest, _rows) in found.items()} | {
        f"{table} rows": str(count) for table, (count, _digest, _rows) in found.items()
    }


def test_two_runs_of_one_seed_end_in_equal_state_and_another_seed_does_not(tmp_path: Path) -> None:
    first = _run(tmp_path, "first", SEED)
    assert int(first["intake.cases rows"]) == CASES
    assert int(first["intake.client_feedback rows"]) > 0  # rated phone contacts
    assert int(first["reporting.rp_assignments rows"]) > CASES  # reassignments after conflicts
    second = _run(tmp_path, "second", SEED)
    unequal = sorted(table for table in first if first[table] != second.get(table))
    assert not unequal, f"differ between two runs of seed {SEED}: {unequal}"
    other = _run(tmp_path, "other", OTHER_SEED)
    assert other["intake.cases"] != first["intake.cases"]
    assert other["reporting.rp_cases"] != first["reporting.rp_cases"]
