"""Reads of the projection: the rows of one year (`year_rows`), per-advisor figures, the source position.

Every query has an ORDER BY, so what `counting.py` receives is the same list in the same order on
every database and after every rebuild.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, and_, func, literal, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.reporting.adapters.organisation import home_organisations
from services.reporting.adapters.projection import META_KEY, format_fingerprint
from services.reporting.adapters.tables import (
    rp_advisor_homes,
    rp_assignments,
    rp_cases,
    rp_closures,
    rp_deadline_events,
    rp_feedback,
    rp_first_conversation,
    rp_meeting_events,
    rp_meta,
    rp_time,
    rp_training,
)
from services.reporting.domain.annual_report_data import SourcePosition
from services.reporting.domain.disclosure import quarters_of
from services.reporting.domain.year_rows import (
    AssignmentRow,
    CaseRow,
    ClosureRow,
    DeadlineRow,
    MeetingEventRow,
    TimeRow,
    TrainingRow,
    YearRows,
)


async def source_position(conn: AsyncConnection) -> SourcePosition:
    row = (await conn.execute(select(rp_meta).where(rp_meta.c.key == META_KEY))).first()
    if row is None:
        return SourcePosition(event_count=0, fingerprint=format_fingerprint(0))
    return SourcePosition(
        event_count=int(row.event_count), fingerprint=format_fingerprint(int(row.fingerprint))
    )


async def known_organisations(conn: AsyncConnection) -> list[str]:
    rows = await conn.execute(
        select(rp_cases.c.organisation_id).distinct().order_by(rp_cases.c.organisation_id)
    )
    return [r[0] for r in rows]


async def advisor_homes(conn: AsyncConnection, configured: Mapping[str, str | None]) -> dict[str, str | None]:
    """Home organisations: the directory feed's, else configured, else derived from the internal
    assignments (the precedence and why: organisation.py)."""
    query = (
        select(rp_assignments.c.advisor_id, rp_assignments.c.case_id, rp_cases.c.organisation_id)
        .join(rp_cases, rp_cases.c.case_id == rp_assignments.c.case_id)
        .where(rp_assignments.c.scope == "internal", rp_assignments.c.advisor_id.is_not(None))
        .distinct()
        .order_by(rp_assignments.c.advisor_id, rp_assignments.c.case_id)
    )
    rows = (await conn.execute(query)).all()
    directory = {
        r.advisor_id: r.organisation_id
        for r in await conn.execute(select(rp_advisor_homes).order_by(rp_advisor_homes.c.advisor_id))
    }
    return home_organisations(((r.advisor_id, r.organisation_id) for r in rows), configured, directory)


def _of_organisation(query: Select[Any], organisation_id: str | None) -> Select[Any]:
    return query if organisation_id is None else query.where(rp_cases.c.organisation_id == organisation_id)


async def year_rows(
    conn: AsyncConnection, organisation_id: str | None, year: int, configured_homes: Mapping[str, str | None]
) -> YearRows:
    quarters = list(quarters_of(year))
    opened_in_year = rp_cases.c.quarter.in_(quarters)
    joined_case = rp_cases.c.case_id

    cases = [
        CaseRow(*r)
        for r in await conn.execute(
            _of_organisation(
                select(
                    rp_cases.c.case_id, rp_cases.c.organisation_id, rp_cases.c.unit_id, rp_cases.c.opened_at,
                    rp_cases.c.quarter, rp_cases.c.channel, rp_cases.c.client_role, rp_cases.c.categories,
                ).where(opened_in_year),
                organisation_id,
            ).order_by(rp_cases.c.case_id)
        )
    ]  # fmt: skip
    assignments = [
        AssignmentRow(*r)
        for r in await conn.execute(
            _of_organisation(
                select(
                    rp_assignments.c.event_id, rp_assignments.c.case_id, rp_assignments.c.advisor_id,
                    rp_assignments.c.scope, rp_assignments.c.decided_at,
                )
                .join(rp_cases, joined_case == rp_assignments.c.case_id)
                .where(opened_in_year),
                organisation_id,
            ).order_by(rp_assignments.c.event_id)
        )
    ]  # fmt: skip
    reasons_by_quarter = [
        (r[0], r[1])
        for r in await conn.execute(
            _of_organisation(
                select(rp_assignments.c.quarter, rp_assignments.c.reason)
                .join(rp_cases, joined_case == rp_assignments.c.case_id)
                .where(rp_assignments.c.kind == "reassigned", rp_assignments.c.quarter.in_(quarters)),
                organisation_id,
            ).order_by(rp_assignments.c.event_id)
        )
    ]
    meeting_events = [
        MeetingEventRow(*r)
        for r in await conn.execute(
            _of_organisation(
                select(
                    rp_meeting_events.c.event_id, rp_meeting_events.c.meeting_id, rp_meeting_events.c.case_id,
                    rp_meeting_events.c.kind, rp_meeting_events.c.calendar_sequence, rp_meeting_events.c.mode,
                    rp_meeting_events.c.start, rp_meeting_events.c.at,
                ).join(rp_cases, joined_case == rp_meeting_events.c.case_id),
                organisation_id,
            ).order_by(rp_meeting_events.c.event_id)
        )
    ]  # fmt: skip
    first_logged = {
        r[0]: r[1]
        for r in await conn.execute(
            _of_organisation(
                select(rp_first_conversation.c.case_id, rp_first_conversation.c.first_logged_at)
                .join(rp_cases, joined_case == rp_first_conversation.c.case_id)
                .where(opened_in_year),
                organisation_id,
            ).order_by(rp_first_conversation.c.case_id)
        )
    }
    closures = [
        ClosureRow(*r)
        for r in await conn.execute(
            _of_organisation(
                select(
                    rp_closures.c.event_id,
                    rp_closures.c.case_id,
                    rp_closures.c.closed_at,
                    rp_closures.c.outcome,
                ).join(rp_cases, joined_case == rp_closures.c.case_id),
                organisation_id,
            ).order_by(rp_closures.c.event_id)
        )
    ]
    deadline_events = [
        DeadlineRow(r[0], r[1], r[2], r[3])
        for r in await conn.execute(
            _of_organisation(
                select(
                    rp_deadline_events.c.case_id, rp_deadline_events.c.deadline, rp_deadline_events.c.kind,
                    rp_deadline_events.c.on_time,
                )
                .join(rp_cases, joined_case == rp_deadline_events.c.case_id)
                .where(opened_in_year),
                organisation_id,
            ).order_by(rp_deadline_events.c.event_id)
        )
    ]  # fmt: skip
    ratings_by_quarter = [
        (r[0], int(r[1]))
        for r in await conn.execute(
            _of_organisation(
                select(rp_feedback.c.quarter, rp_feedback.c.rating)
                .join(rp_cases, joined_case == rp_feedback.c.case_id)
                .where(rp_feedback.c.quarter.in_(quarters)),
                organisation_id,
            ).order_by(rp_feedback.c.event_id)
        )
    ]
    time = [
        TimeRow(r[0], r[1], r[2], int(r[3]), r[4], r[5])
        for r in await conn.execute(
            select(
                rp_time.c.advisor_id, rp_time.c.case_id, rp_time.c.activity, rp_time.c.minutes,
                rp_cases.c.organisation_id, rp_time.c.quarter,
            )
            .select_from(rp_time.outerjoin(rp_cases, and_(rp_time.c.case_id != "", joined_case == rp_time.c.case_id)))
            .where(rp_time.c.quarter.in_(quarters))
            .order_by(rp_time.c.advisor_id, rp_time.c.case_id, rp_time.c.quarter, rp_time.c.activity)
        )
    ]  # fmt: skip
    training = await _training_rows(conn, quarters, by_quarter=True)
    return YearRows(
        year=year,
        organisation_id=organisation_id,
        cases=cases,
        assignments=assignments,
        reassignment_reasons=[reason for _, reason in reasons_by_quarter],
        reassignments_by_quarter=reasons_by_quarter,
        meeting_events=meeting_events,
        first_logged=first_logged,
        closures=closures,
        deadline_events=deadline_events,
        feedback_ratings=[rating for _, rating in ratings_by_quarter],
        feedback_by_quarter=ratings_by_quarter,
        time=time,
        training=training,
        homes=await advisor_homes(conn, configured_homes),
    )


async def _training_rows(
    conn: AsyncConnection,
    quarters: list[str],
    advisors: Iterable[str] | None = None,
    by_quarter: bool = False,
) -> list[TrainingRow]:
    quarter = rp_training.c.quarter if by_quarter else literal("")
    group = [rp_training.c.advisor_id, rp_training.c.kind, *([rp_training.c.quarter] if by_quarter else [])]
    query = (
        select(
            rp_training.c.advisor_id, rp_training.c.kind,
            func.sum(rp_training.c.centihours), func.sum(rp_training.c.sessions), quarter,
        )
        .where(rp_training.c.quarter.in_(quarters))
        .group_by(*group)
        .order_by(*group)
    )  # fmt: skip
    if advisors is not None:
        query = query.where(rp_training.c.advisor_id.in_(list(advisors)))
    return [TrainingRow(r[0], r[1], int(r[2]), int(r[3]), r[4] or "") for r in await conn.execute(query)]


@dataclass(frozen=True)
class AdvisorYear:
    """One advisor's own figures for a year: for the advisor and their coordinator, never management."""

    advisor_id: str
    minutes_by_quarter_and_activity: dict[tuple[str, str], int]
    training_centihours: int
    supervision_centihours: int
    supervision_sessions: int


async def advisor_years(conn: AsyncConnection, advisors: Iterable[str], year: int) -> list[AdvisorYear]:
    wanted = sorted(set(advisors))
    quarters = list(quarters_of(year))
    minutes: dict[str, dict[tuple[str, str], int]] = {a: {} for a in wanted}
    rows = await conn.execute(
        select(rp_time.c.advisor_id, rp_time.c.quarter, rp_time.c.activity, func.sum(rp_time.c.minutes))
        .where(rp_time.c.advisor_id.in_(wanted), rp_time.c.quarter.in_(quarters))
        .group_by(rp_time.c.advisor_id, rp_time.c.quarter, rp_time.c.activity)
        .order_by(rp_time.c.advisor_id, rp_time.c.quarter, rp_time.c.activity)
    )
    for advisor, quarter, activity, total in rows:
        minutes[advisor][(quarter, activity)] = int(total)
    training = {(t.advisor_id, t.kind): t for t in await _training_rows(conn, quarters, wanted)}
    result = []
    for advisor in wanted:
        trained = training.get((advisor, "training"))
        supervised = training.get((advisor, "supervision"))
        result.append(
            AdvisorYear(
                advisor_id=advisor,
                minutes_by_quarter_and_activity=minutes[advisor],
                training_centihours=trained.centihours if trained else 0,
                supervision_centihours=supervised.centihours if supervised else 0,
                supervision_sessions=supervised.sessions if supervised else 0,
            )
        )
    return result
