"""Bounds on the values every service must be able to process: one rule, checked at the edge and
again by the contracts.

A value intake accepts travels to routing, scheduling and reporting; if one of them cannot compute
with it (a meeting window in year 9999 overflows when scheduling adds a buffer or converts it to
Europe/Amsterdam), the case dead-letters there and nobody is told. So the entry point and the
contracts share these bounds:

- instants carry a real time zone: an offset of at most 14 hours in whole quarter hours (what the
  world's zones use), never a naive local time;
- instants lie in `CONTRACT_RANGE`, wide enough for every real case and far from datetime's ends,
  so any service may add a year, a buffer or a zone conversion without overflowing;
- at the edge, a person's input must also lie near the entry point's `now` (`near_now`), because a
  meeting 30 years from now is a typing mistake, not a plan.

The errors are reason codes (`ValueError("timestamp_out_of_range")`), never the offending value.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from pydantic import AfterValidator, ValidationInfo

# Far from datetime.min/max, wide enough for historic replays and multi-year retention periods.
CONTRACT_RANGE = (datetime(2000, 1, 1, tzinfo=UTC), datetime(2200, 1, 1, tzinfo=UTC))
MAX_UTC_OFFSET = timedelta(hours=14)
OFFSET_STEP = timedelta(minutes=15)

# At the edge (relative to the entry point's clock).
AVAILABILITY_PAST = timedelta(days=31)  # a window that just passed is harmless; older is a mistake
AVAILABILITY_AHEAD = timedelta(days=2 * 366)
SUBMITTED_PAST = timedelta(days=366)
MAX_AVAILABILITY_WINDOW = timedelta(days=14)


class OutOfBounds(ValueError):
    """A value no service may be asked to process; `args[0]` is the reason code."""


def checked_zone(value: datetime) -> datetime:
    """`value` if it carries a plausible UTC offset; `timestamp_without_zone` / `timezone_invalid`."""
    offset = value.utcoffset()
    if offset is None:
        raise OutOfBounds("timestamp_without_zone")
    if abs(offset) > MAX_UTC_OFFSET or offset % OFFSET_STEP:
        raise OutOfBounds("timezone_invalid")
    return value


def in_contract_range(value: datetime) -> datetime:
    """`value` if every service can compute with it: zoned (see `checked_zone`) and in CONTRACT_RANGE."""
    checked_zone(value)
    low, high = CONTRACT_RANGE
    if not low <= value < high:
        raise OutOfBounds("timestamp_out_of_range")
    return value


def near_now(value: datetime, now: datetime, *, past: timedelta, ahead: timedelta) -> datetime:
    """`value` if it lies in [now - past, now + ahead] (and in the contract range)."""
    in_contract_range(value)
    if not now - past <= value <= now + ahead:
        raise OutOfBounds("timestamp_out_of_range")
    return value


def bounded_window(start: datetime, end: datetime, *, longest: timedelta) -> None:
    """A window with `start < end`, at most `longest` long (reason codes of the availability rules)."""
    if end <= start:
        raise OutOfBounds("availability_window_invalid")
    if end - start > longest:
        raise OutOfBounds("availability_window_too_long")


def edge_clock(info: ValidationInfo) -> datetime | None:
    """The entry point's `now`, passed as pydantic validation context `{"now": ...}`; None elsewhere."""
    context: Any = info.context
    now = context.get("now") if isinstance(context, dict) else None
    return now if isinstance(now, datetime) else None


# For contracts: a datetime every service can process.
ContractInstant = Annotated[datetime, AfterValidator(in_contract_range)]
