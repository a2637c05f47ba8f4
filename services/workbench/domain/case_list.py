"""An advisor's list of cases and the coordinators' queue, as coded facts only (pure).

Nothing here is personal or free text: a case is its id, when it was opened, its categories, its
channel and its status. The narrative and every name stay sealed in intake, which opens them per
request for the current assignee only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class CaseLine:
    case_id: str
    opened_at: datetime | None  # None until intake's CaseOpened has been read
    categories: tuple[str, ...]
    channel: str | None
    status: str  # open | closed | erased
    next_meeting: datetime | None = None  # start of the next meeting still scheduled, if any


def newest_first(lines: list[CaseLine]) -> list[CaseLine]:
    """Open cases first, each group by opening time, newest first; unknown times last."""

    def key(line: CaseLine) -> tuple[int, float, str]:
        opened = -line.opened_at.timestamp() if line.opened_at is not None else float("inf")
        return (0 if line.status == "open" else 1, opened, line.case_id)

    return sorted(lines, key=key)
