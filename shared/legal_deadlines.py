"""Legal deadlines of a formal whistleblower report, as pure date arithmetic (the one copy: intake
keeps the deadlines, reporting only counts the events that record them).

Dutch Whistleblowers Act (Wet bescherming klokkenluiders) and EU Directive 2019/1937 art. 9:
- acknowledge receipt within 7 days of the report;
- give feedback within a reasonable time, at most 3 months after the acknowledgement, or, when
  no acknowledgement was sent, 3 months after the end of the 7-day period.

"3 months" are calendar months, not 90 days: 31 January + 3 months is 30 April (the day clamped
to the month's last day), 30 November + 3 months is 28 or 29 February. Dates are calendar dates
in Europe/Amsterdam; a deadline ends at the end of its day. No clock is read here: `now` comes in.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
ACKNOWLEDGEMENT_DAYS = 7
FEEDBACK_MONTHS = 3

Deadline = Literal["acknowledgement", "feedback"]
State = Literal["open", "met", "missed"]


def add_calendar_months(day: date, months: int) -> date:
    """`day` plus whole calendar months, clamped to the last day of the target month."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def local_date(moment: datetime) -> date:
    """The calendar date in Amsterdam at an aware moment."""
    if moment.tzinfo is None:
        raise ValueError("moment must carry a time zone")
    return moment.astimezone(AMSTERDAM).date()


def acknowledgement_due(received_at: datetime) -> date:
    return local_date(received_at) + timedelta(days=ACKNOWLEDGEMENT_DAYS)


def feedback_due(basis_on: date) -> date:
    """`basis_on`: the day of the acknowledgement, or the acknowledgement's due date if it was missed."""
    return add_calendar_months(basis_on, FEEDBACK_MONTHS)


def met_on_time(due_on: date, met_at: datetime) -> bool:
    """A deadline met on its due day (Amsterdam) is met on time; the next day it is late."""
    return local_date(met_at) <= due_on


@dataclass(frozen=True, slots=True)
class DeadlineStatus:
    """What the timer job knows about one deadline of one case."""

    deadline: Deadline
    due_on: date
    state: State
    due_noticed: bool  # LegalDeadlineDue emitted already
    missed_noticed: bool  # LegalDeadlineMissed emitted already


Transition = Literal["due", "missed"]


def transitions(status: DeadlineStatus, now: datetime, warning_days: int) -> list[Transition]:
    """The events the timer must emit now (each at most once in a deadline's life).

    `due`: within `warning_days` of the end and not met. `missed`: the due day is over and the
    deadline was not met. A job that first looks after the due day emits `missed` only.
    """
    if status.state != "open":
        return []
    today = local_date(now)
    if today > status.due_on:
        return [] if status.missed_noticed else ["missed"]
    if today >= status.due_on - timedelta(days=warning_days) and not status.due_noticed:
        return ["due"]
    return []


def days_left(due_on: date, now: datetime) -> int:
    return (due_on - local_date(now)).days
