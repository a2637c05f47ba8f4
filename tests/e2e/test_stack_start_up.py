"""`caseflow up` (and the demo, which uses it) never leaves half a stack behind.

A service that dies during start-up used to leave the broker and the other services running with
nobody to stop them, and the next `up` refused to start ("a stack is already running"). Here
reporting is given an organisation file that does not exist, so it exits while starting.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from caseflow import stack

pytestmark = pytest.mark.e2e


def test_a_service_that_dies_during_start_up_takes_the_started_ones_down_with_it(
    kafka_bootstrap: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "stack"
    lines: list[str] = []
    pids: dict[str, int] = {}  # every process `up` started, as it saved them
    save = stack.StackState.save

    def save_and_note(state: stack.StackState) -> None:
        pids.update({p.name: p.pid for p in state.processes})
        save(state)

    monkeypatch.setattr(stack.StackState, "save", save_and_note)
    with pytest.raises(SystemExit, match="reporting exited during start-up"):
        stack.up(
            home,
            kafka_bootstrap=kafka_bootstrap,
            topic_prefix=f"t-startup-{uuid.uuid4().hex[:8]}.",
            say=lines.append,
            extra_env={"REPORTING_ORGANISATION_FILE": str(tmp_path / "missing.json")},
        )
    assert "start-up failed: stopping what was started ..." in lines
    # All four were started, none is left alive, and the stack file is gone: the next `up` starts.
    assert set(pids) == set(stack.SERVICES)
    assert [name for name, pid in pids.items() if stack.alive(pid)] == []
    assert not (home / "stack.json").exists()
