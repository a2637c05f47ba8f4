"""The projection's rows of one organisation's (or the government's) year, as plain values (pure).

`adapters/queries.py` reads them (every query ordered, so the same rows come in the same order on
every database and after every rebuild); `application/counting.py` counts them by the counting rules.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple


class CaseRow(NamedTuple):
    case_id: str
    organisation_id: str
    unit_id: str
    opened_at: str
    quarter: str
    channel: str
    client_role: str
    categories: str


class AssignmentRow(NamedTuple):
    event_id: str
    case_id: str
    advisor_id: str | None
    scope: str | None
    decided_at: str


class MeetingEventRow(NamedTuple):
    event_id: str
    meeting_id: str
    case_id: str
    kind: str  # scheduled | cancelled
    calendar_sequence: int
    mode: str | None
    start: str | None
    at: str


class ClosureRow(NamedTuple):
    event_id: str
    case_id: str
    closed_at: str
    outcome: str


class DeadlineRow(NamedTuple):
    case_id: str
    deadline: str
    kind: str  # set | met | missed
    on_time: bool | None


class TimeRow(NamedTuple):
    advisor_id: str
    case_id: str  # "" when not tied to a case
    activity: str
    minutes: int
    case_organisation_id: str | None  # None: no case, or the case is not known yet
    quarter: str = ""  # the quarter the time was logged in ("" when not read)


class TrainingRow(NamedTuple):
    advisor_id: str
    kind: str  # training | supervision
    centihours: int
    sessions: int
    quarter: str = ""  # set when rows are read per quarter


@dataclass(frozen=True)
class YearRows:
    """What the projection holds for one organisation (None: government-wide) and year."""

    year: int
    organisation_id: str | None
    cases: Sequence[CaseRow] = ()  # opened in the year
    assignments: Sequence[AssignmentRow] = ()  # of those cases
    reassignment_reasons: Sequence[str] = ()  # decided in the year, on the organisation's cases
    meeting_events: Sequence[MeetingEventRow] = ()  # of the organisation's cases, any year
    first_logged: Mapping[str, str] = field(default_factory=dict)  # case -> first conversation logged
    closures: Sequence[ClosureRow] = ()  # of the organisation's cases, any year
    deadline_events: Sequence[DeadlineRow] = ()  # of the cases opened in the year
    feedback_ratings: Sequence[int] = ()  # given in the year, on the organisation's cases
    # The same with the quarter they belong to, for counts per quarter (releases).
    reassignments_by_quarter: Sequence[tuple[str, str]] = ()  # (quarter, reason)
    feedback_by_quarter: Sequence[tuple[str, int]] = ()  # (quarter, rating)
    time: Sequence[TimeRow] = ()  # logged in the year, every advisor
    training: Sequence[TrainingRow] = ()  # in the year, every advisor
    homes: Mapping[str, str | None] = field(default_factory=dict)  # advisor -> home organisation
