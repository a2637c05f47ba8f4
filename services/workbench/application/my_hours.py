"""An advisor's "Mijn uren": their hours by activity, training and supervision against the baseline
(reporting's advisor view, asked with their own token), and the three records they keep there.

Each form is read by domain/records.py into coded values (or a reason code) and sent as a command
signed for the advisor (application/advisor_commands.py, send_signed): LogTime without a case,
RegisterTraining, RegisterSupervision. Reporting counts them once it has consumed them.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from services.workbench.adapters import reporting_people
from services.workbench.adapters.command_signer import CommandSigner
from services.workbench.adapters.intake_case_files import CaseFileRefused
from services.workbench.application import advisor_commands
from services.workbench.application.statistics import ProtectedFigures
from services.workbench.domain import records
from services.workbench.domain.records import Refused
from services.workbench.domain.sessions import Session
from shared.contracts.advisor_actions import AdvisorCommand, LogTime, RegisterSupervision, RegisterTraining
from shared.runtime import ServiceContext

ZONE = ZoneInfo("Europe/Amsterdam")
SIGNER_MISSING = "signer_not_configured"


class RecordRefused(Exception):
    """The form was not sent; `reason` is a code for the page (domain/records.py)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def today_of(now: datetime) -> date:
    return now.astimezone(ZONE).date()


def day_start(day: date) -> datetime:
    """A calendar day as the instant it starts in the Netherlands, in UTC (the contract's instants)."""
    return datetime.combine(day, time(0), tzinfo=ZONE).astimezone(UTC)


class MyFigures(ProtectedFigures):
    async def advisor_view(self, cookie: str, session: Session) -> dict[str, Any]:
        """Reporting's view of the signed-in advisor this year, or ViewUnavailable with a reason."""
        token = await self._access_token(cookie)
        return await reporting_people.advisor_view(self.views, token, today_of(self.clock()).year)


async def send_record(
    ctx: ServiceContext, signer: CommandSigner | None, unsigned: AdvisorCommand, now: datetime
) -> None:
    """Sign and send one record's command; a workbench that cannot sign refuses it with a reason."""
    try:
        await advisor_commands.send_signed(ctx, signer, unsigned, now)
    except CaseFileRefused as missing:
        raise RecordRefused(SIGNER_MISSING) from missing


async def log_time(
    ctx: ServiceContext, signer: CommandSigner | None, advisor_id: str, form: dict[str, str], now: datetime
) -> None:
    entry = records.read_time(form.get("activity", ""), form.get("minutes", ""))
    if isinstance(entry, Refused):
        raise RecordRefused(entry.reason_code)
    unsigned = LogTime(
        advisor_id=advisor_id,
        auth="",
        issued_at=now,
        case_id=None,
        minutes=entry.minutes,
        activity=entry.activity,
    )
    await send_record(ctx, signer, unsigned, now)


async def register_training(
    ctx: ServiceContext, signer: CommandSigner | None, advisor_id: str, form: dict[str, str], now: datetime
) -> None:
    entry = records.read_training(
        form.get("hours", ""), form.get("kind", ""), form.get("completed_on", ""), today_of(now)
    )
    if isinstance(entry, Refused):
        raise RecordRefused(entry.reason_code)
    unsigned = RegisterTraining(
        advisor_id=advisor_id,
        auth="",
        issued_at=now,
        hours=entry.hours,
        kind=entry.kind,
        completed_on=day_start(entry.completed_on),
    )
    await send_record(ctx, signer, unsigned, now)


async def register_supervision(
    ctx: ServiceContext, signer: CommandSigner | None, advisor_id: str, form: dict[str, str], now: datetime
) -> None:
    entry = records.read_supervision(form.get("hours", ""), form.get("session_on", ""), today_of(now))
    if isinstance(entry, Refused):
        raise RecordRefused(entry.reason_code)
    unsigned = RegisterSupervision(
        advisor_id=advisor_id,
        auth="",
        issued_at=now,
        hours=entry.hours,
        session_on=day_start(entry.session_on),
    )
    await send_record(ctx, signer, unsigned, now)
