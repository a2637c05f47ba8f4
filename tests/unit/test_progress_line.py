"""Progress lines never wrap: fitted to an 80-column terminal while redrawn, folded in full at the
end, and plain lines (no carriage returns) when standard output is not a terminal."""

from __future__ import annotations

import io
from types import SimpleNamespace

import pytest

from caseflow.commands.replay_cmd import ProgressBar
from caseflow.progress import ProgressLine, fit, fold

pytestmark = pytest.mark.unit
# The demo's simulator line with four-digit counts: 144 characters.
DEMO_LINE = (
    "submitted 1234 | opened 1234 | rejected 123 | assigned 1234 | reassigned 123 | escalated 123 | "
    "scheduled 1234 | remote/no slot 123 | closed 1234"
)


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def drawn_lines(written: str) -> list[str]:
    """What the terminal shows line by line: a carriage return starts the line over."""
    return [segment for line in written.split("\n") for segment in line.split("\r")]


@pytest.fixture
def eighty_columns(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")  # shutil.get_terminal_size reads it first


def test_a_redrawn_line_fits_an_80_column_terminal(eighty_columns: None) -> None:
    screen = Terminal()
    progress = ProgressLine(screen, tty_interval=0)

    for _ in range(3):
        progress.show(DEMO_LINE, indent="  ")
    progress.finish(DEMO_LINE, indent="  ")

    shown = drawn_lines(screen.getvalue())
    assert len(DEMO_LINE) > 140 and max(len(line) for line in shown) < 80
    assert shown[1].startswith("  submitted 1234 | opened 1234") and shown[1].rstrip().endswith("…")
    final = "\n".join(screen.getvalue().split("\r")[-1].splitlines())
    assert "closed 1234" in final and all(len(line) < 80 for line in final.splitlines())


def test_off_a_terminal_every_update_is_a_plain_line_in_full() -> None:
    log = io.StringIO()
    progress = ProgressLine(log, plain_interval=0)

    progress.show(DEMO_LINE)
    progress.finish(DEMO_LINE)

    assert "\r" not in log.getvalue() and log.getvalue().splitlines() == [DEMO_LINE, DEMO_LINE]


def test_the_replay_bar_shrinks_to_the_terminal(eighty_columns: None) -> None:
    screen = Terminal()
    bar = ProgressBar(screen)
    bar.line.interval = 0

    bar(SimpleNamespace(records=1_234_567, total=9_876_543, rate=123_456.0))
    bar(SimpleNamespace(records=9_876_543, total=9_876_543, rate=123_456.0), final=True)

    shown = [line for line in drawn_lines(screen.getvalue()) if line]
    assert shown and all(len(line) < 80 for line in shown)
    assert shown[0].startswith("[#") and "9,876,543/9,876,543 events" in shown[-1]


def test_fit_keeps_whole_parts_and_fold_loses_none() -> None:
    assert fit("a | b | c", 80) == "a | b | c"
    assert fit("alpha | beta | gamma", 14) == "alpha | beta …"
    assert fit("x" * 30, 10) == "x" * 9 + "…"
    assert " | ".join(fold(DEMO_LINE, 40)).split(" | ") == DEMO_LINE.split(" | ")
