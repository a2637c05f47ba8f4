"""Commands take what the environment leaves unset from a running local stack, and only then.

The stack here is a stack.json whose "process" is this test process (alive) or a pid that has
exited (a stack killed without `caseflow down`); the end-to-end check against `caseflow up` is
tests/e2e/test_commands_find_the_local_stack.py.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from caseflow import stack
from caseflow.commands import local_stack
from caseflow.commands.broker_options import broker_settings
from services.reporting.settings import ReportingSettings
from shared.settings import ServiceSettings

pytestmark = pytest.mark.unit


def write_stack(home: Path, pid: int) -> None:
    home.mkdir(parents=True)
    stack.StackState(
        home=str(home),
        kafka_bootstrap="127.0.0.1:39092",
        topic_prefix="demo.",
        processes=[stack.ProcessInfo("kafka", pid, 39092), stack.ProcessInfo("reporting", pid, 38004)],
    ).save()


@pytest.fixture(autouse=True)
def clean(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import os

    for name in list(os.environ):
        if name.startswith(("CASEFLOW_", "REPORTING_")):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(local_stack, "_announced", set())


def test_a_running_stack_fills_in_the_broker_and_the_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import os

    write_stack(tmp_path / "var/stack", os.getpid())

    settings = local_stack.settings_of(ReportingSettings)

    assert settings.kafka_bootstrap == "127.0.0.1:39092" and settings.topic_prefix == "demo."
    assert settings.database_url == f"sqlite+aiosqlite:///{Path('var/stack')}/reporting.db"
    err = capsys.readouterr().err
    assert err.startswith("caseflow: using the local stack under var/stack for reporting (")
    assert "database_url" in err and "kafka_bootstrap" in err
    local_stack.settings_of(ReportingSettings)
    assert capsys.readouterr().err == ""  # said once per command


def test_the_environment_comes_before_the_stack(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import os

    write_stack(tmp_path / "var/stack", os.getpid())
    monkeypatch.setenv("REPORTING_DATABASE_URL", "sqlite+aiosqlite:///./mine.db")
    monkeypatch.setenv("CASEFLOW_KAFKA_BOOTSTRAP", "kafka.example.org:9093")

    settings = broker_settings(ReportingSettings)

    assert settings.database_url == "sqlite+aiosqlite:///./mine.db"
    assert settings.kafka_bootstrap == "kafka.example.org:9093"
    assert settings.topic_prefix == "demo."  # what the environment leaves unset still comes from the stack
    assert "database_url" not in capsys.readouterr().err


def test_a_stack_whose_processes_are_gone_is_no_stack(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], check=True, capture_output=True, text=True
    )
    write_stack(tmp_path / "var/stack", int(done.stdout))

    assert local_stack.running_stack_home() is None
    assert local_stack.settings_of(ReportingSettings).database_url == ReportingSettings().database_url


def test_caseflow_stack_home_names_the_stack_and_the_broker_only_commands_get_its_broker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    write_stack(tmp_path / "elsewhere", os.getpid())
    assert local_stack.running_stack_home() is None  # not under ./var/stack or ./var/demo
    monkeypatch.setenv("CASEFLOW_STACK_HOME", str(tmp_path / "elsewhere"))

    shared = local_stack.settings_of(ServiceSettings)

    assert (shared.kafka_bootstrap, shared.topic_prefix) == ("127.0.0.1:39092", "demo.")
