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


def test_up_with_the_workbench_signs_in_at_its_own_keycloak_and_down_stops_all_of_it(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    from tests.support.keycloak import Browser, Provider, realm_users

    home = tmp_path / "stack"
    state = stack.up(
        home,
        kafka_bootstrap=kafka_bootstrap,
        topic_prefix=f"t-wb-{uuid.uuid4().hex[:8]}.",
        say=lambda _line: None,
        workbench=True,
    )
    try:
        names = [p.name for p in state.processes]
        assert names[0] == "keycloak" and names[-1] == "workbench"
        assert {row["name"]: row["running"] for row in stack.status(home)} == dict.fromkeys(names, True)
        with Browser(Provider(state.keycloak_issuer)) as anna:
            start = anna.http.get(f"{state.url('workbench')}/inloggen")
            assert start.headers["location"].startswith(state.keycloak_issuer)
            user = realm_users()["anna"]
            result = anna.login(start.headers["location"], user.username, user.password)
            assert result.location is not None
            assert anna.http.get(result.location).headers["location"] == "/zaken?lang=nl"
    finally:
        stack.down(home, say=lambda _line: None)
    assert [p.name for p in state.processes if stack.alive(p.pid)] == []
