"""The case page's actions for the case's current assignee: log time, ask for a meeting, move or
cancel it, book a quiet room, record an outcome, close the case; and what the page shows of them.

Each form is parsed into codes, ids and numbers (domain/case_actions.py) and sent as one signed
command on advisor.actions.v1 (`send_signed`); the owning service checks again and answers with its
events, which the workbench folds (time_store, meeting_store). Someone who does not hold the case
gets the answer an unknown case gets, before the form is even read; a form that does not parse is
refused with a reason code (FormRefused) and nothing is sent.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncEngine

from services.workbench.adapters import meeting_store
from services.workbench.adapters.case_summaries import ASSIGNEES
from services.workbench.adapters.command_signer import CommandSigner
from services.workbench.adapters.intake_case_files import CaseFileRefused
from services.workbench.application.advisor_commands import _holds, send_signed
from services.workbench.application.case_files import NOT_YOURS
from services.workbench.domain.case_actions import (
    MeetingSlot,
    TimeEntry,
    meeting_ics,
    parse_meeting_form,
    parse_quiet_room_form,
    parse_time_form,
)
from services.workbench.domain.forms import FormRefused
from shared.codes import Outcome
from shared.contracts.advisor_actions import (
    BookQuietRoom,
    CancelMeeting,
    CloseCase,
    LogTime,
    RecordOutcome,
    RequestMeeting,
)
from shared.locations import configured_catalogue
from shared.runtime import ServiceContext

ZONE = ZoneInfo("Europe/Amsterdam")


def location_codes() -> tuple[str, ...]:
    return tuple(configured_catalogue().entries)


async def log_time(
    ctx: ServiceContext,
    signer: CommandSigner | None,
    advisor_id: str,
    case_id: str,
    form: Mapping[str, str],
    now: datetime,
) -> None:
    await _holds(ctx, advisor_id, case_id)
    entry = parse_time_form(form)
    if not isinstance(entry, TimeEntry):
        raise FormRefused(entry)
    unsigned = LogTime(
        advisor_id=advisor_id,
        auth="",
        issued_at=now,
        case_id=case_id,
        minutes=entry.minutes,
        activity=entry.activity,
    )
    await send_signed(ctx, signer, unsigned, now)


async def request_meeting(
    ctx: ServiceContext,
    signer: CommandSigner | None,
    advisor_id: str,
    case_id: str,
    form: Mapping[str, str],
    now: datetime,
) -> None:
    await _holds(ctx, advisor_id, case_id)
    request = parse_meeting_form(form, today=now.astimezone(ZONE).date())
    if isinstance(request, str):
        raise FormRefused(request)
    earliest = _day_start(request.earliest) if request.earliest is not None else None
    unsigned = RequestMeeting(
        advisor_id=advisor_id, auth="", issued_at=now, case_id=case_id, mode=request.mode, earliest=earliest
    )
    await send_signed(ctx, signer, unsigned, now)


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=ZONE)


async def cancel_meeting(
    ctx: ServiceContext,
    signer: CommandSigner | None,
    advisor_id: str,
    case_id: str,
    form: Mapping[str, str],
    now: datetime,
    *,
    reschedule: bool,
) -> None:
    """Cancel (or, with `reschedule`, move) a meeting still scheduled for this case."""
    await _holds(ctx, advisor_id, case_id)
    meeting_id = form.get("meeting_id", "")
    async with ctx.engine.connect() as conn:
        known = {m.meeting_id for m in await meeting_store.of_case(conn, case_id)}
    if meeting_id not in known:
        raise FormRefused("meeting_unknown")
    unsigned = CancelMeeting(
        advisor_id=advisor_id,
        auth="",
        issued_at=now,
        case_id=case_id,
        meeting_id=meeting_id,
        reschedule=reschedule,
    )
    await send_signed(ctx, signer, unsigned, now)


async def book_quiet_room(
    ctx: ServiceContext,
    signer: CommandSigner | None,
    advisor_id: str,
    case_id: str,
    form: Mapping[str, str],
    now: datetime,
) -> None:
    """Offered on the case page (a call or a write-up for this case); the room is the advisor's."""
    await _holds(ctx, advisor_id, case_id)
    request = parse_quiet_room_form(form, known_locations=location_codes())
    if isinstance(request, str):
        raise FormRefused(request)
    unsigned = BookQuietRoom(
        advisor_id=advisor_id, auth="", issued_at=now, location=request.location, minutes=request.minutes
    )
    await send_signed(ctx, signer, unsigned, now)


def parse_outcomes(values: Iterable[str]) -> tuple[Outcome, ...] | str:
    """Outcome codes, each once, in the order given; a reason code for none or an unknown one."""
    chosen: list[Outcome] = []
    for value in values:
        if value not in Outcome._value2member_map_:
            return "outcome_unknown"
        if Outcome(value) not in chosen:
            chosen.append(Outcome(value))
    return tuple(chosen) if chosen else "outcome_missing"


async def record_outcome(
    ctx: ServiceContext,
    signer: CommandSigner | None,
    advisor_id: str,
    case_id: str,
    values: list[str],
    now: datetime,
) -> None:
    await _holds(ctx, advisor_id, case_id)
    outcomes = parse_outcomes(values)
    if isinstance(outcomes, str):
        raise FormRefused(outcomes)
    if len(outcomes) != 1:
        raise FormRefused("outcome_choose_one")
    unsigned = RecordOutcome(
        advisor_id=advisor_id, auth="", issued_at=now, case_id=case_id, outcome=outcomes[0]
    )
    await send_signed(ctx, signer, unsigned, now)


async def close_case(
    ctx: ServiceContext,
    signer: CommandSigner | None,
    advisor_id: str,
    case_id: str,
    values: list[str],
    now: datetime,
) -> None:
    await _holds(ctx, advisor_id, case_id)
    outcomes = parse_outcomes(values)
    if isinstance(outcomes, str):
        raise FormRefused(outcomes)
    unsigned = CloseCase(advisor_id=advisor_id, auth="", issued_at=now, case_id=case_id, outcomes=outcomes)
    await send_signed(ctx, signer, unsigned, now)


async def invitation(
    engine: AsyncEngine, advisor_id: str, case_id: str, meeting_id: str, title: str, now: datetime
) -> bytes:
    """The .ics (titled with the page's neutral `title`) of a meeting of this case still scheduled; CaseFileRefused(NOT_YOURS) for anyone
    but the current assignee, and for a meeting that is not this case's (as for an unknown case)."""
    async with engine.connect() as conn:
        if await ASSIGNEES.assignee_of(conn, case_id) != advisor_id:
            raise CaseFileRefused(NOT_YOURS)
        meetings = {m.meeting_id: m for m in await meeting_store.of_case(conn, case_id)}
    meeting = meetings.get(meeting_id)
    if meeting is None:
        raise CaseFileRefused(NOT_YOURS)
    slot = MeetingSlot(meeting.meeting_id, meeting.start, meeting.end, title, meeting.calendar_sequence)
    return meeting_ics(slot, stamp=now)
