"""A coordinator's "Adviseurs": the advisors of their organisation (the directory's coded records),
their hours, training and supervision against the baseline (reporting's coordinator view, asked with
the coordinator's own token: reporting only answers for advisors it knows to be of the token's
organisation and lists the others as `withheld`; their rows show "no figures"), and
the appointments ending within six months (domain/records.py, term_ends_soon), and the yearly
reflection talk: when it was last held, and the form that registers one (RegisterReflectionTalk, which
routing admits: application/advisor_commands.py signs it for the coordinator). Only the talk's date is
kept. No case appears."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from services.workbench.adapters import advisor_directory, reflection_talks, reporting_people
from services.workbench.adapters.advisor_directory import AdvisorRow
from services.workbench.adapters.command_signer import CommandSigner
from services.workbench.adapters.people_views import Advisors
from services.workbench.adapters.reflection_talks import Request as ReflectionRequest
from services.workbench.adapters.reporting_views import ViewUnavailable
from services.workbench.application.my_hours import RecordRefused, send_record, today_of
from services.workbench.application.statistics import ProtectedFigures
from services.workbench.domain import records
from services.workbench.domain.records import Refused
from services.workbench.domain.sessions import Session
from shared.contracts.advisor_actions import RegisterReflectionTalk
from shared.runtime import ServiceContext


async def advisors_of(engine: AsyncEngine, organisation_id: str) -> list[AdvisorRow]:
    async with engine.connect() as conn:
        return await advisor_directory.advisors_of(conn, [organisation_id])


async def _talks(
    engine: AsyncEngine, coordinator_id: str, rows: list[AdvisorRow]
) -> tuple[dict[str, date], ReflectionRequest | None]:
    async with engine.connect() as conn:
        talks = await reflection_talks.last_talks(conn, [r.advisor_id for r in rows])
        request = await reflection_talks.last_request(conn, coordinator_id)
    return talks, request


class CoordinatorFigures(ProtectedFigures):
    async def advisors(self, cookie: str, session: Session) -> Advisors:
        year = today_of(self.clock()).year
        if session.organisation_id is None:
            return Advisors([], {}, {}, year, "no_organisation")
        rows = await advisors_of(self.engine, session.organisation_id)
        if not rows:
            return Advisors([], {}, {}, year, None)
        talks, request = await _talks(self.engine, session.advisor_id or "", rows)
        try:
            token = await self._access_token(cookie)
            view = await reporting_people.coordinator_view(
                self.views, token, [r.advisor_id for r in rows], year
            )
        except ViewUnavailable as missing:
            return Advisors(rows, {}, {}, year, missing.reason, talks, request)
        figures = {str(a.get("advisor_id")): a for a in view.get("advisors", [])}
        return Advisors(rows, figures, dict(view.get("baseline", {})), year, None, talks, request)


async def register_reflection_talk(
    ctx: ServiceContext, signer: CommandSigner | None, session: Session, form: dict[str, str], now: datetime
) -> None:
    """Send RegisterReflectionTalk for one of the coordinator's advisors, or RecordRefused with a
    reason code: an advisor not of their organisation, a day in the future or more than a year back.
    Routing checks the same again and may still refuse (its answer is shown on the page)."""
    coordinator_id, advisor_id = session.advisor_id or "", form.get("advisor", "").strip()
    mine = await advisors_of(ctx.engine, session.organisation_id or "")
    if advisor_id not in {row.advisor_id for row in mine}:
        raise RecordRefused("advisor_not_yours")
    held_on = records.read_talk_date(form.get("held_on", ""), today_of(now))
    if isinstance(held_on, Refused):
        raise RecordRefused(held_on.reason_code)
    unsigned = RegisterReflectionTalk(
        advisor_id=coordinator_id, auth="", issued_at=now, talk_with_advisor_id=advisor_id, held_on=held_on
    )
    async with ctx.engine.begin() as conn:  # before it is sent: routing's answer may come back at once
        await reflection_talks.record_sent(conn, coordinator_id, advisor_id, held_on, now)
    try:
        await send_record(ctx, signer, unsigned, now)
    except RecordRefused as refused:
        async with ctx.engine.begin() as conn:
            await reflection_talks.record_refused(conn, coordinator_id, refused.reason)
        raise
