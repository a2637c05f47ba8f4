"""The advisor's own records on "Mijn uren" and the coordinator's view of terms and reflection
talks (pure).

Form fields arrive as strings; each reader returns the coded values for the command or a reason
code the page turns into words. Only codes, numbers and dates: nothing here is free text.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

from shared.codes import TimeActivity, TrainingKind

MAX_MINUTES = 24 * 60  # LogTime.minutes
MAX_TRAINING_HOURS = 200.0  # RegisterTraining.hours
MAX_SUPERVISION_HOURS = 50.0  # RegisterSupervision.hours
LONGEST_LOOK_BACK = timedelta(days=366)  # a record is for this year or the last
TERM_HORIZON_DAYS = 183  # "ending within six months"


@dataclass(frozen=True, slots=True)
class Refused:
    reason_code: str


@dataclass(frozen=True, slots=True)
class TimeEntry:
    activity: TimeActivity
    minutes: int


@dataclass(frozen=True, slots=True)
class TrainingEntry:
    hours: float
    kind: TrainingKind
    completed_on: date


@dataclass(frozen=True, slots=True)
class SupervisionEntry:
    hours: float
    session_on: date


def _hours(raw: str, most: float) -> float | Refused:
    try:
        value = float(raw.strip().replace(",", "."))
    except ValueError:
        return Refused("hours_not_a_number")
    if not math.isfinite(value):  # "nan", "inf"
        return Refused("hours_not_a_number")
    if value <= 0:
        return Refused("hours_not_positive")
    if value > most:
        return Refused("hours_too_many")
    return value


def _day(raw: str, today: date) -> date | Refused:
    try:
        value = date.fromisoformat(raw.strip())
    except ValueError:
        return Refused("date_invalid")
    if value > today:
        return Refused("date_in_future")
    if today - value > LONGEST_LOOK_BACK:
        return Refused("date_too_long_ago")
    return value


def read_time(activity: str, minutes: str) -> TimeEntry | Refused:
    try:
        code = TimeActivity(activity.strip())
    except ValueError:
        return Refused("activity_unknown")
    try:
        value = int(minutes.strip())
    except ValueError:
        return Refused("minutes_not_a_number")
    if value <= 0:
        return Refused("minutes_not_positive")
    if value > MAX_MINUTES:
        return Refused("minutes_too_many")
    return TimeEntry(activity=code, minutes=value)


def read_training(hours: str, kind: str, completed_on: str, today: date) -> TrainingEntry | Refused:
    try:
        code = TrainingKind(kind.strip())
    except ValueError:
        return Refused("training_kind_unknown")
    h = _hours(hours, MAX_TRAINING_HOURS)
    if isinstance(h, Refused):
        return h
    d = _day(completed_on, today)
    if isinstance(d, Refused):
        return d
    return TrainingEntry(hours=h, kind=code, completed_on=d)


def read_supervision(hours: str, session_on: str, today: date) -> SupervisionEntry | Refused:
    h = _hours(hours, MAX_SUPERVISION_HOURS)
    if isinstance(h, Refused):
        return h
    d = _day(session_on, today)
    if isinstance(d, Refused):
        return d
    return SupervisionEntry(hours=h, session_on=d)


def read_talk_date(held_on: str, today: date) -> date | Refused:
    """The day of a coordinator's yearly reflection talk: today or up to a year back."""
    return _day(held_on, today)


def talk_overdue(last_talk: date | None, today: date) -> bool:
    """No reflection talk registered, or the last one more than a year ago: the yearly one is due."""
    return last_talk is None or today - last_talk > LONGEST_LOOK_BACK


def term_ends_soon(term_end: date | None, today: date) -> bool:
    """An appointment ending today or within the horizon; an ended or open-ended term is not."""
    if term_end is None:
        return False
    return today <= term_end <= today + timedelta(days=TERM_HORIZON_DAYS)


@dataclass(frozen=True, slots=True)
class AgainstBaseline:
    done: float
    baseline: float
    meets: bool
    short_by: float


def against_baseline(done: float, baseline: float) -> AgainstBaseline:
    short = max(0.0, baseline - done)
    return AgainstBaseline(done=done, baseline=baseline, meets=short == 0.0, short_by=short)
