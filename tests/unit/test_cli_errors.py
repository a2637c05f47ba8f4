"""Every `caseflow` command meets bad input with one line on standard error, `caseflow: COMMAND:
reason`, a non-zero exit code (2: the input is wrong, 1: the work could not be done) and no
traceback; and a failed command leaves no file behind."""

from __future__ import annotations

import base64
import json
import logging
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import structlog

from caseflow.cli import main
from shared.logging import LIBRARY_LOGGERS

pytestmark = pytest.mark.unit
SAMPLES = Path(__file__).resolve().parents[2] / "deploy" / "samples"
KEY = base64.b64encode(bytes(32)).decode()
OTHER_KEY = base64.b64encode(bytes([1]) * 32).decode()
BOTH_KEYS = {"INTAKE_MASTER_KEY": OTHER_KEY, "INTAKE_PREVIOUS_MASTER_KEYS": KEY}
NO_BROKER = "127.0.0.1:1"  # nothing listens there: the connection is refused at once


def sample_with(change: str) -> str:
    """The sample directory with one mistake in it."""
    doc = json.loads((SAMPLES / "directory.json").read_text())
    if change == "advisers":
        doc["advisers"] = doc.pop("advisors")
    elif change == "unit":
        doc["persons"][1]["unit_id"] = "bzk-nowhere"
    elif change == "manager":
        doc["persons"][2]["manager_id"] = "p-ghost"
    elif change == "advisor":
        doc["acquaintances"][0]["advisor_id"] = "adv-nobody"
    elif change == "field":
        doc["units"][0]["colour"] = "blue"
    elif change == "kind":
        doc["advisors"][0]["kind"] = "VPX"
    return json.dumps(doc)


@dataclass(frozen=True)
class Case:
    argv: list[str]
    code: int
    word: str  # a word the one-line reason must hold
    files: dict[str, str] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return " ".join(self.argv)


CSV_HEAD = "record_type,unit_id,parent_id,name,size,organisation_id\n"
CASES = [
    Case(["frobnicate"], 2, "invalid choice"),
    Case(["report", "annual", "--org", "all"], 2, "--year"),
    Case(["serve", "billing"], 2, "invalid choice"),
    Case(["contracts", "publish"], 2, "invalid choice"),
    # directory import: a file that is not a directory, and a directory with a mistake in it
    Case(["directory", "import", "missing.json"], 2, "no such file"),
    Case(["directory", "import", "people.txt"], 2, ".json or .csv", {"people.txt": "p-1,p-2\n"}),
    Case(["directory", "import", "d.json"], 2, "not JSON", {"d.json": "{units: []"}),
    Case(["directory", "import", "d.json"], 2, "expected a JSON object", {"d.json": "[]"}),
    Case(["directory", "import", "d.json"], 2, "no records", {"d.json": "{}"}),
    Case(
        ["directory", "import", "d.json"],
        2,
        "'advisers' (allowed: units, persons, advisors",
        {"d.json": sample_with("advisers")},
    ),
    Case(
        ["directory", "import", "d.json"],
        2,
        "persons[1]: person: unit_id 'bzk-nowhere' is no unit",
        {"d.json": sample_with("unit")},
    ),
    Case(
        ["directory", "import", "d.json"],
        2,
        "persons[2]: person: manager_id 'p-ghost' is no person",
        {"d.json": sample_with("manager")},
    ),
    Case(
        ["directory", "import", "d.json"],
        2,
        "advisor_id 'adv-nobody' is no advisor",
        {"d.json": sample_with("advisor")},
    ),
    Case(
        ["directory", "import", "d.json"],
        2,
        "units[0]: unit: unknown field 'colour'",
        {"d.json": sample_with("field")},
    ),
    Case(
        ["directory", "import", "d.json"],
        2,
        "(allowed: 'VPI', 'VPO' or 'VPIO')",
        {"d.json": sample_with("kind")},
    ),
    Case(["directory", "import", "d.csv"], 2, "'record_type' column", {"d.csv": "unit_id,name\nu1,U\n"}),
    Case(
        ["directory", "import", "d.csv"],
        2,
        "unknown column 'colour'",
        {"d.csv": "record_type,unit_id,colour\nunit,u1,blue\n"},
    ),
    Case(
        ["directory", "import", "d.csv"], 2, "line 2: unit: size", {"d.csv": CSV_HEAD + "unit,u1,,U,-5,org\n"}
    ),
    Case(
        ["directory", "import", "d.csv"],
        2,
        "unknown record_type 'desk'",
        {"d.csv": CSV_HEAD + "desk,u1,,U,5,org\n"},
    ),
    Case(
        ["directory", "import", "d.csv"],
        2,
        "parent_id 'u0' is no unit",
        {"d.csv": CSV_HEAD + "unit,u1,u0,U,5,org\n"},
    ),
    Case(
        ["directory", "import", "--kafka", NO_BROKER, str(SAMPLES / "directory.json")],
        1,
        "cannot reach the Kafka broker",
    ),
    # rooms import
    Case(["rooms", "import", "missing.csv"], 2, "cannot read"),
    Case(["rooms", "import", "rooms.txt"], 2, ".csv or .json", {"rooms.txt": "room,kamer-1\n"}),
    Case(
        ["rooms", "import", "rooms.csv"],
        2,
        "'record_type' column",
        {"rooms.csv": "id,location\nkamer-1,Den Haag\n"},
    ),
    Case(["rooms", "import", "rooms.json"], 2, "not JSON", {"rooms.json": "{nope"}),
    Case(
        ["rooms", "import", "--bootstrap", NO_BROKER, "rooms.json"],
        2,
        "expected an object",
        {"rooms.json": '{"chairs": []}'},
    ),
    # report, erase, audit: a missing database is refused, not created
    Case(["report", "annual", "--org", "all", "--year", "2026"], 2, "no database at ./var/reporting.db"),
    Case(
        [
            "report",
            "annual",
            "--org",
            "all",
            "--year",
            "2026",
            "--database-url",
            "sqlite+aiosqlite:///./gone.db",
        ],
        2,
        "no database at ./gone.db",
    ),
    Case(
        ["report", "annual", "--org", "all", "--year", "2026", "--database-url", "not a url"],
        2,
        "not a database URL",
    ),
    Case(["report", "annual", "--org", "all", "--year", "2026", "--format", "pdf"], 2, "invalid choice"),
    Case(["erase", "C-1"], 2, "INTAKE_MASTER_KEY is not set"),
    Case(
        ["erase", "C-1"],
        2,
        "INTAKE_MASTER_KEY is not the base64 of 32 bytes",
        env={"INTAKE_MASTER_KEY": "c2VjcmV0"},
    ),
    Case(["erase", "C-1"], 2, "no database at ./var/intake.db", env={"INTAKE_MASTER_KEY": KEY}),
    Case(["erase", "C-1", "--reason", "boredom"], 2, "invalid choice"),
    # keys rotate|status: the master keys come from the environment, never argv, and are never echoed
    Case(["keys", "rotate"], 2, "INTAKE_MASTER_KEY is not set"),
    Case(["keys", "status"], 2, "INTAKE_MASTER_KEY is not set"),
    Case(
        ["keys", "rotate"],
        2,
        "INTAKE_MASTER_KEY is not the base64 of 32 bytes",
        env={"INTAKE_MASTER_KEY": "c2VjcmV0"},
    ),
    Case(["keys", "rotate"], 2, "INTAKE_PREVIOUS_MASTER_KEYS is not set", env={"INTAKE_MASTER_KEY": KEY}),
    Case(
        ["keys", "rotate"],
        2,
        "INTAKE_PREVIOUS_MASTER_KEYS is not a comma-separated list of base64 32-byte keys",
        env={"INTAKE_MASTER_KEY": KEY, "INTAKE_PREVIOUS_MASTER_KEYS": f"{OTHER_KEY},c2VjcmV0"},
    ),
    Case(
        ["keys", "rotate"],
        2,
        "the new key must differ from the old one",
        env={"INTAKE_MASTER_KEY": KEY, "INTAKE_PREVIOUS_MASTER_KEYS": KEY},
    ),
    Case(["keys", "rotate"], 2, "no database at ./var/keystore.db", env=BOTH_KEYS),
    Case(["keys", "status"], 2, "no database at ./var/keystore.db", env={"INTAKE_MASTER_KEY": KEY}),
    Case(["keys", "rotate", "--keystore", "not a url"], 2, "--keystore: not a database URL", env=BOTH_KEYS),
    Case(
        ["keys", "rotate", "--keystore", "sqlite+aiosqlite:///./gone.db"],
        2,
        "no database at ./gone.db: set --keystore",
        env=BOTH_KEYS,
    ),
    Case(["keys", "rotate", "--batch-size", "0"], 2, "--batch-size must be at least 1", env=BOTH_KEYS),
    Case(["keys", "rotate", "--batch-size", "ten"], 2, "invalid int value"),
    Case(["keys", "retire"], 2, "invalid choice"),
    Case(["audit", "explain", "C-1"], 2, "ROUTING_MASTER_KEY is not set"),
    Case(["audit", "verify"], 2, "no database at", env={"ROUTING_MASTER_KEY": KEY}),
    Case(
        ["audit", "verify"],
        2,
        "ROUTING_PREVIOUS_MASTER_KEYS is not a comma-separated list",
        env={"ROUTING_MASTER_KEY": KEY, "ROUTING_PREVIOUS_MASTER_KEYS": "c2VjcmV0"},
    ),
    # dlq list|show|redrive: positions and names checked before the broker is asked
    Case(["dlq"], 2, "required: ACTION"),
    Case(["dlq", "purge"], 2, "invalid choice"),
    Case(
        ["dlq", "show", "garbage"], 2, "'garbage' is no position: expected <dlq topic>:<partition>:<offset>"
    ),
    Case(["dlq", "show", "intake.cases.v1:0:3"], 2, "'intake.cases.v1' is no dead-letter topic (allowed:"),
    Case(["dlq", "redrive", "intake.cases.v1.dlq:first:3"], 2, "partition and offset must be whole numbers"),
    Case(["dlq", "redrive", "intake.cases.v1.dlq:0:-3"], 2, "partition and offset must be whole numbers"),
    Case(
        ["dlq", "list", "--topic", "billing.v1"],
        2,
        "'billing.v1' is no topic (allowed: intake.submissions.v1",
    ),
    Case(["dlq", "list", "--service", "billing"], 2, "'billing' is no service (allowed: intake, routing"),
    Case(["dlq", "list", "--kafka", NO_BROKER], 1, "cannot reach the Kafka broker"),
    Case(
        ["dlq", "show", "intake.cases.v1.dlq:0:3", "--kafka", NO_BROKER], 1, "cannot reach the Kafka broker"
    ),
    Case(
        ["dlq", "redrive", "intake.cases.v1.dlq:0:3", "--yes", "--kafka", NO_BROKER],
        1,
        "cannot reach the Kafka broker",
    ),
    # token
    Case(
        ["token", "issue", "--advisor", "adv-anna", "--key-file", "anna.pem", "--action", "AcceptCase"],
        2,
        "anna.pem: No such file",
    ),
    Case(
        ["token", "issue", "--advisor", "adv-anna", "--key-file", "anna.pem", "--action", "AcceptCase"],
        2,
        "not an Ed25519 private key",
        {"anna.pem": "not a key"},
    ),
    Case(
        [
            "token",
            "issue",
            "--advisor",
            "adv-anna",
            "--key-file",
            "anna.pem",
            "--action",
            "AcceptCase",
            "--ttl",
            "999999",
        ],
        2,
        "--ttl 999999",
    ),
    Case(
        ["token", "keygen", "--advisor", "adv-anna", "--key-file", "anna.pem"],
        2,
        "exists; use --force",
        {"anna.pem": "old"},
    ),
    # replay and export
    Case(["replay", "--database-url", "nonsense"], 2, "not a database URL"),
    Case(
        ["replay", "--kafka", NO_BROKER, "--database-url", "sqlite+aiosqlite:///./var/new/rebuilt.db"],
        1,
        "cannot reach the Kafka broker",
    ),
    Case(["export", "--out", "out", "--format", "xlsx"], 2, "allowed: parquet, csv"),
    # db: schema migrations
    Case(["db", "migrate"], 2, "invalid choice"),
    Case(["db", "status", "billing"], 2, "no service 'billing' (allowed: intake, routing"),
    Case(
        ["db", "upgrade", "intake", "routing", "--database", "sqlite+aiosqlite:///./x.db"],
        2,
        "--database names one service's database",
    ),
    Case(
        ["db", "status", "intake", "--database", "sqlite+aiosqlite:///./gone.db"],
        2,
        "no database at ./gone.db",
    ),
    Case(["db", "upgrade", "intake", "--database", "not a url"], 2, "not a database URL"),
    Case(
        ["export", "--out", "out"],
        2,
        "REPORTING_ORGANISATION_FILE",
        env={"REPORTING_ORGANISATION_FILE": "missing.json"},
    ),
    # backup and restore
    Case(["backup"], 2, "required: --to"),
    Case(["backup", "billing", "--to", "b"], 2, "no service 'billing' (allowed: intake, routing"),
    Case(["backup", "--to", "b.txt"], 2, "b.txt is not an empty folder", {"b.txt": "x"}),
    Case(["backup", "--to", "b"], 2, "no service database found to back up"),
    Case(["backup", "intake", "--to", "b", "--kafka", NO_BROKER], 1, "cannot reach the Kafka broker"),
    Case(["restore", "--from", "b"], 2, "name the services to restore"),
    Case(["restore", "intake", "--from", "b"], 2, "b holds no backup (manifest.json missing)"),
    Case(
        ["restore", "intake", "--from", "."],
        2,
        "backup format 9, this release reads 1",
        {"manifest.json": '{"format": 9}'},
    ),
    Case(
        ["restore", "intake", "--from", "."],
        2,
        "holds no intake (it holds routing)",
        {"manifest.json": '{"format": 1, "services": {"routing": {}}}'},
    ),
]


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A fresh folder, none of the deployment's variables, and the library loggers as they were."""
    import os

    for name in list(os.environ):
        if name.startswith(("CASEFLOW_", "INTAKE_", "ROUTING_", "SCHEDULING_", "REPORTING_")):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    # Commands configure logging for the process (shared/logging.py): undo it, this is pytest's.
    root = logging.getLogger()
    handlers, root_level = root.handlers[:], root.level
    loggers = {name: logging.getLogger(name) for name in LIBRARY_LOGGERS}
    saved = {name: (lg.level, lg.handlers[:], lg.propagate) for name, lg in loggers.items()}
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    # ... and structlog's: a command's WARNING filter would otherwise drop later tests' info events.
    structlog_config = structlog.get_config()
    bound = structlog.contextvars.get_contextvars()
    yield
    structlog.configure(**structlog_config)
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(**bound)
    for handler in root.handlers[:]:
        if handler not in handlers:
            root.removeHandler(handler)
    for handler in handlers:
        if handler not in root.handlers:
            root.addHandler(handler)
    root.setLevel(root_level)
    for name, (level, kept, propagate) in saved.items():
        loggers[name].setLevel(level)
        loggers[name].handlers[:] = kept
        loggers[name].propagate = propagate
    logging.captureWarnings(False)


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's usage errors, --help, --version
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("case", CASES, ids=str)
def test_bad_input_is_one_line_with_a_reason_and_an_exit_code(
    case: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, text in case.files.items():
        (tmp_path / name).write_text(text)
    for name, value in case.env.items():
        monkeypatch.setenv(name, value)
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))

    code, _, err = run(case.argv, capsys)

    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("caseflow: "), err
    assert case.word in lines[0]
    assert code == case.code, err
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before  # no file made


def test_the_error_line_names_the_command_words(capsys: pytest.CaptureFixture[str]) -> None:
    _, _, err = run(
        ["token", "issue", "--advisor", "a", "--key-file", "k.pem", "--action", "AcceptCase"], capsys
    )
    assert err.startswith("caseflow: token issue: ")


def test_several_rejected_records_are_listed_under_the_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "d.csv").write_text(CSV_HEAD + "unit,u1,u0,U,5,org\nunit,u2,,U,-1,org\n")

    code, _, err = run(["directory", "import", "d.csv"], capsys)

    first, *details = err.splitlines()
    assert code == 2 and "Traceback" not in err
    assert (
        first
        == "caseflow: directory import: d.csv: nothing published: 2 problems (fix them or pass --skip-invalid)"
    )
    assert [d.split(":")[0].strip() for d in details] == ["line 3", "line 2"]


def test_an_unexpected_error_is_one_line_that_points_to_debug(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from caseflow.commands import contracts_cmd

    def broken() -> list[str]:
        raise RuntimeError("the generator fell over\nsecond line")

    monkeypatch.setattr("caseflow.contracts_doc.drift", broken)
    assert contracts_cmd  # the module whose function is replaced

    code, _, err = run(["contracts", "check"], capsys)
    assert (code, err.splitlines()) == (
        1,
        [
            (
                "caseflow: contracts: unexpected error RuntimeError: the generator fell over "
                "(rerun with --debug for the traceback, and report it)"
            )
        ],
    )

    code, _, err = run(["--debug", "contracts", "check"], capsys)
    assert code == 1 and "Traceback" in err


def test_the_sample_directories_still_import(capsys: pytest.CaptureFixture[str]) -> None:
    for sample in ("directory.json", "directory.csv"):
        code, out, err = run(["directory", "import", "--dry-run", str(SAMPLES / sample)], capsys)
        assert (code, err) == (0, "") and "0 rejected" in out


def test_version_comes_from_the_installed_package() -> None:
    from importlib.metadata import version

    shown = subprocess.run(
        [sys.executable, "-m", "caseflow.cli", "--version"], capture_output=True, text=True, check=False
    )
    assert (shown.returncode, shown.stdout.strip()) == (0, f"caseflow {version('caseflow')}")


def test_db_status_on_a_fresh_folder_says_no_database_yet_and_makes_none(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(["db", "status"], capsys)
    assert (code, err) == (0, "")
    assert {line.split()[0] for line in out.splitlines()} == {
        "intake", "routing", "scheduling", "reporting", "workbench"
    }  # fmt: skip
    assert all("no database yet" in line for line in out.splitlines()), out
    assert list(tmp_path.rglob("*")) == []


def test_db_on_a_database_a_newer_release_migrated_says_so_and_upgrade_refuses(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import sqlite3

    with sqlite3.connect(tmp_path / "routing.db") as db:
        db.execute("CREATE TABLE alembic_version_routing (version_num VARCHAR(32) PRIMARY KEY)")
        db.execute("INSERT INTO alembic_version_routing VALUES ('9999_from_the_future')")
    url = f"sqlite+aiosqlite:///{tmp_path / 'routing.db'}"

    code, out, err = run(["db", "status", "routing", "--database", url], capsys)
    assert (code, err) == (0, "") and "9999_from_the_future, which this release does not know" in out

    code, _, err = run(["db", "upgrade", "routing", "--database", url], capsys)
    assert code == 1 and "Traceback" not in err, err
    assert len(err.splitlines()) == 1 and err.startswith("caseflow: db: routing: "), err
    assert "9999_from_the_future, which this release does not know" in err
