"""A progress line that never wraps: redrawn in place on a terminal, plain lines elsewhere.

On a terminal the line is fitted to its width each time it is drawn (a resized window is
followed): parts separated by " | " are kept whole from the left and the rest is cut to " …",
and a line without parts is cut at the width. The final line is written in full, folded at the
part boundaries, so no number is lost. Off a terminal (a pipe, a log file, CI) every update is a
plain line of its own, at most every `plain_interval` seconds. The width comes from
`shutil.get_terminal_size` (which honours $COLUMNS), the standard library's equivalent of rich's
console width: nothing here needs a terminal library.
"""

from __future__ import annotations

import shutil
import sys
import time
from typing import TextIO

SEPARATOR = " | "
ELLIPSIS = " …"


def fit(text: str, width: int) -> str:
    """`text` in at most `width` characters: whole parts from the left, then " …"."""
    if len(text) <= width:
        return text
    parts = text.split(SEPARATOR)
    kept = parts[0]
    for part in parts[1:]:
        if len(kept) + len(SEPARATOR) + len(part) + len(ELLIPSIS) > width:
            break
        kept += SEPARATOR + part
    if len(kept) + len(ELLIPSIS) > width:
        return text[: max(width - 1, 0)] + "…" if width > 0 else ""
    return kept + ELLIPSIS


def fold(text: str, width: int) -> list[str]:
    """`text` as lines of at most `width` characters, broken at the part boundaries."""
    lines: list[str] = []
    for part in text.split(SEPARATOR):
        if lines and len(lines[-1]) + len(SEPARATOR) + len(part) <= width:
            lines[-1] += SEPARATOR + part
        else:
            lines.append(part)
    return [line if len(line) <= width else fit(line, width) for line in lines]


class ProgressLine:
    def __init__(
        self, stream: TextIO | None = None, *, tty_interval: float = 0.2, plain_interval: float = 5.0
    ) -> None:
        self.stream = stream if stream is not None else sys.stdout
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.interval = tty_interval if self.tty else plain_interval
        self.last_drawn = float("-inf")
        self.drawn = 0  # characters of the line now on the terminal

    def width(self) -> int:
        # One column short of the edge: a character in the last column makes some terminals wrap.
        return max(shutil.get_terminal_size().columns - 1, 10)

    def show(self, text: str, *, indent: str = "") -> None:
        """Draw `text` unless one was drawn less than the interval ago."""
        now = time.monotonic()
        if now - self.last_drawn < self.interval:
            return
        self.last_drawn = now
        if not self.tty:
            self.stream.write(indent + text + "\n")
        else:
            line = indent + fit(text, self.width() - len(indent))
            self.stream.write("\r" + line.ljust(self.drawn))
            self.drawn = len(line)
        self.stream.flush()

    def finish(self, text: str, *, indent: str = "") -> None:
        """The last state, in full: on a terminal it replaces the drawn line, folded to the width."""
        if not self.tty:
            self.stream.write(indent + text + "\n")
        else:
            lines = [indent + line for line in fold(text, self.width() - len(indent))]
            self.stream.write(
                "\r" + lines[0].ljust(self.drawn) + "\n" + "".join(line + "\n" for line in lines[1:])
            )
            self.drawn = 0
        self.stream.flush()
