"""The reporting projection: coded events folded into rows, one batch at a time.

`ProjectionBatch.add` is pure: it reads only the coded fields of an event (never a `Sealed` field,
never a person pseudonym; there are none in clear on these topics) and accumulates rows and counter
increments in memory. `write_batch` then stores a whole batch in a handful of statements, which is
what makes a replay of a million events fast (docs/benchmarks.md, "Reporting replay").

Time: every period is the calendar quarter in Europe/Amsterdam (`disclosure.period_of`), the finest
unit reporting keeps for counts. Exact timestamps are kept only where a rule needs them (days to the
first conversation, the latest of several decisions) and never leave the service.

Advisors' home organisations come from the HR feed's narrow copy directory.advisors.v1
(`add_directory_record`: AdvisorUpserted's advisor id and organisation, the latest record of an
advisor wins; person pseudonyms are null in that copy and reporting never reads directory.v1). These
records are reference data, not statistics: they are not part of `event_count` or the fingerprint.
The copy is compacted, so a rebuild reads fewer of them than the live service saw; counting them
would make a rebuilt projection's `generated_from` differ from the live one's.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.schema import Table

from services.reporting.adapters.bulk import execute_many, insert_sql
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
from services.reporting.domain.disclosure import period_of
from shared.db import insert_ignoring_duplicates
from shared.topics import DIRECTORY_ADVISORS, INTAKE_CASES, ROUTING_ASSIGNMENTS, SCHEDULING_MEETINGS

REPORTING_TZ = ZoneInfo("Europe/Amsterdam")
# The coded events the statistics count (rp_meta's event_count and fingerprint cover these only).
STATISTICS_TOPICS = (INTAKE_CASES.name, ROUTING_ASSIGNMENTS.name, SCHEDULING_MEETINGS.name)
# Reference data: advisors' home organisations (the HR feed's copy without pseudonyms).
DIRECTORY_TOPICS = (DIRECTORY_ADVISORS.name,)
CONSUMED_TOPICS = (*STATISTICS_TOPICS, *DIRECTORY_TOPICS)
META_KEY = "projection"
FINGERPRINT_MODULUS = 2**62  # sums stay below 2**63: a signed BIGINT on both databases


def quarter_of(moment: datetime) -> str:
    return period_of(moment, REPORTING_TZ)


def stamp(moment: datetime) -> str:
    """Fixed-width UTC text ("2026-03-01T09:30:00.000000+00:00"): sorts like the instant it names."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def parse_stamp(text: str) -> datetime:
    return datetime.fromisoformat(text)


def event_fingerprint(event_id: str) -> int:
    """62 bits of a hash of the event id; the projection's fingerprint is their sum (order-free)."""
    return int.from_bytes(hashlib.blake2b(event_id.encode(), digest_size=8).digest(), "big") >> 2


def format_fingerprint(value: int) -> str:
    return f"{value:016x}"


@dataclass
class ProjectionBatch:
    """Rows and counter increments of one consumed batch (or one group of it)."""

    event_count: int = 0
    fingerprint: int = 0
    cases: dict[str, dict[str, Any]] = field(default_factory=dict)
    assignments: list[dict[str, Any]] = field(default_factory=list)
    meeting_events: list[dict[str, Any]] = field(default_factory=list)
    first_conversation: dict[str, str] = field(default_factory=dict)
    minutes: dict[tuple[str, str, str, str], int] = field(default_factory=dict)
    closures: list[dict[str, Any]] = field(default_factory=list)
    deadline_events: list[dict[str, Any]] = field(default_factory=list)
    feedback: list[dict[str, Any]] = field(default_factory=list)
    training: dict[tuple[str, str, str], list[int]] = field(default_factory=dict)
    advisor_homes: dict[str, str | None] = field(default_factory=dict)

    def add(self, event_id: str, event_type: str, payload: Any) -> None:
        """Fold one decoded event. Types reporting does not count are still part of `event_count`."""
        self.event_count += 1
        self.fingerprint = (self.fingerprint + event_fingerprint(event_id)) % FINGERPRINT_MODULUS
        handler = _FOLDS.get(event_type)
        if handler is not None:
            handler(self, event_id, payload)

    def add_directory_record(self, event_type: str, payload: Any) -> None:
        """Fold one record of directory.advisors.v1: AdvisorUpserted gives the advisor's home
        organisation (a later record of the same advisor replaces it); every other type is skipped.
        Not counted: directory records are no part of `event_count` or the fingerprint."""
        if event_type == "AdvisorUpserted":
            self.advisor_homes[payload.advisor_id] = payload.organisation_id

    # -- intake.cases.v1 ---------------------------------------------------------------------------

    def _case_opened(self, event_id: str, p: Any) -> None:
        row = {
            "case_id": p.case_id,
            "opened_event_id": event_id,
            "organisation_id": p.organisation_id,
            "unit_id": p.unit_id,
            "opened_at": stamp(p.opened_at),
            "quarter": quarter_of(p.opened_at),
            "channel": p.channel.value,
            "client_role": p.client_role.value,
            "categories": ",".join(c.value for c in p.categories),
            "whistleblower": bool(p.is_whistleblower_report),
        }
        known = self.cases.get(p.case_id)
        if known is None or event_id < known["opened_event_id"]:
            self.cases[p.case_id] = row

    def _time_logged(self, _event_id: str, p: Any) -> None:
        key = (p.advisor_id, p.case_id or "", quarter_of(p.logged_at), p.activity.value)
        self.minutes[key] = self.minutes.get(key, 0) + p.minutes
        if p.case_id and p.activity.value == "conversation":
            at = stamp(p.logged_at)
            known = self.first_conversation.get(p.case_id)
            if known is None or at < known:
                self.first_conversation[p.case_id] = at

    def _case_closed(self, event_id: str, p: Any) -> None:
        self.closures.append(
            {
                "event_id": event_id,
                "case_id": p.case_id,
                "closed_at": stamp(p.closed_at),
                "outcome": p.outcomes[-1].value,
            }
        )

    def _training(self, kind: str, advisor_id: str, hours: float, on: datetime) -> None:
        key = (advisor_id, quarter_of(on), kind)
        totals = self.training.setdefault(key, [0, 0])
        totals[0] += round(hours * 100)
        totals[1] += 1

    def _training_registered(self, _event_id: str, p: Any) -> None:
        self._training("training", p.advisor_id, p.hours, p.completed_on)

    def _supervision_registered(self, _event_id: str, p: Any) -> None:
        self._training("supervision", p.advisor_id, p.hours, p.session_on)

    def _feedback(self, event_id: str, p: Any) -> None:
        self.feedback.append(
            {
                "event_id": event_id,
                "case_id": p.case_id,
                "rating": p.rating,
                "quarter": quarter_of(p.given_at),
            }
        )

    def _deadline(self, kind: str, event_id: str, p: Any) -> None:
        self.deadline_events.append(
            {
                "event_id": event_id, "case_id": p.case_id, "deadline": p.deadline, "kind": kind,
                "on_time": getattr(p, "on_time", None),
            }
        )  # fmt: skip

    # -- routing.assignments.v1 --------------------------------------------------------------------

    def _assigned(self, event_id: str, p: Any) -> None:
        self.assignments.append(
            {
                "event_id": event_id, "case_id": p.case_id, "kind": "assigned", "advisor_id": p.advisor_id,
                "scope": p.scope.value, "reason": None, "decided_at": stamp(p.decided_at),
                "quarter": quarter_of(p.decided_at),
            }
        )  # fmt: skip

    def _reassigned(self, event_id: str, p: Any) -> None:
        self.assignments.append(
            {
                "event_id": event_id, "case_id": p.case_id, "kind": "reassigned", "advisor_id": p.to_advisor_id,
                "scope": p.scope.value if p.scope is not None else None, "reason": p.cause,
                "decided_at": stamp(p.decided_at), "quarter": quarter_of(p.decided_at),
            }
        )  # fmt: skip

    # -- scheduling.meetings.v1 --------------------------------------------------------------------

    def _meeting_scheduled(self, event_id: str, p: Any) -> None:
        self.meeting_events.append(
            {
                "event_id": event_id, "meeting_id": p.meeting_id, "case_id": p.case_id, "kind": "scheduled",
                "calendar_sequence": p.calendar_sequence, "mode": p.mode.value, "start": stamp(p.start),
                "at": stamp(p.scheduled_at),
            }
        )  # fmt: skip

    def _meeting_cancelled(self, event_id: str, p: Any) -> None:
        self.meeting_events.append(
            {
                "event_id": event_id, "meeting_id": p.meeting_id, "case_id": p.case_id, "kind": "cancelled",
                "calendar_sequence": -1, "mode": None, "start": None, "at": stamp(p.cancelled_at),
            }
        )  # fmt: skip


_FOLDS: dict[str, Any] = {
    "CaseOpened": ProjectionBatch._case_opened,
    "TimeLogged": ProjectionBatch._time_logged,
    "CaseClosed": ProjectionBatch._case_closed,
    "TrainingRegistered": ProjectionBatch._training_registered,
    "SupervisionRegistered": ProjectionBatch._supervision_registered,
    "ClientFeedbackGiven": ProjectionBatch._feedback,
    "LegalDeadlineSet": lambda b, e, p: b._deadline("set", e, p),
    "LegalDeadlineMet": lambda b, e, p: b._deadline("met", e, p),
    "LegalDeadlineMissed": lambda b, e, p: b._deadline("missed", e, p),
    "AdvisorAssigned": ProjectionBatch._assigned,
    "CaseReassigned": ProjectionBatch._reassigned,
    "MeetingScheduled": ProjectionBatch._meeting_scheduled,
    "MeetingCancelled": ProjectionBatch._meeting_cancelled,
}
FOLDED_TYPES = frozenset(_FOLDS)


# --------------------------------------------------------------------------------------------------
# Storage


async def ensure_meta_row(conn: AsyncConnection) -> None:
    stmt = insert_ignoring_duplicates(conn, rp_meta, ["key"])
    await conn.execute(stmt, [{"key": META_KEY, "event_count": 0, "fingerprint": 0}])


def _columns(table: Table) -> tuple[str, ...]:
    return tuple(c.name for c in table.columns)


def _key(table: Table) -> tuple[str, ...]:
    return tuple(c.name for c in table.primary_key.columns)


def _rows(table: Table, rows: Iterable[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """Dict rows as tuples in column order, sorted by primary key: concurrent writers (several
    instances, disjoint partitions) then take row locks in one order and cannot deadlock."""
    columns = _columns(table)
    by_key = itemgetter(*(columns.index(k) for k in _key(table)))
    return sorted((tuple(row[c] for c in columns) for row in rows), key=by_key)


def _home_rows(homes: dict[str, str | None]) -> list[dict[str, Any]]:
    return [{"advisor_id": advisor, "organisation_id": home} for advisor, home in homes.items()]


async def write_batch(conn: AsyncConnection, batch: ProjectionBatch) -> None:
    """Store a batch inside the caller's transaction: one executemany per table, whatever its size."""
    if batch.cases:
        updated = ", ".join(f"{c} = excluded.{c}" for c in _columns(rp_cases) if c != "case_id")
        action = f"{updated} WHERE excluded.opened_event_id < {rp_cases.name}.opened_event_id"
        sql = insert_sql(conn, rp_cases, _columns(rp_cases), _key(rp_cases), action)
        await execute_many(conn, sql, _rows(rp_cases, batch.cases.values()))
    for table, rows in (
        (rp_assignments, batch.assignments),
        (rp_meeting_events, batch.meeting_events),
        (rp_closures, batch.closures),
        (rp_deadline_events, batch.deadline_events),
        (rp_feedback, batch.feedback),
    ):
        await execute_many(conn, insert_sql(conn, table, _columns(table), _key(table)), _rows(table, rows))
    if batch.first_conversation:
        t = rp_first_conversation.name
        action = (
            f"first_logged_at = excluded.first_logged_at WHERE excluded.first_logged_at < {t}.first_logged_at"
        )
        sql = insert_sql(conn, rp_first_conversation, ("case_id", "first_logged_at"), ("case_id",), action)
        await execute_many(conn, sql, sorted(batch.first_conversation.items()))
    if batch.minutes:
        action = f"minutes = {rp_time.name}.minutes + excluded.minutes"
        sql = insert_sql(conn, rp_time, _columns(rp_time), _key(rp_time), action)
        await execute_many(conn, sql, sorted((*key, minutes) for key, minutes in batch.minutes.items()))
    if batch.training:
        t = rp_training.name
        action = (
            f"centihours = {t}.centihours + excluded.centihours, sessions = {t}.sessions + excluded.sessions"
        )
        sql = insert_sql(conn, rp_training, _columns(rp_training), _key(rp_training), action)
        await execute_many(conn, sql, sorted((*key, *totals) for key, totals in batch.training.items()))
    if batch.advisor_homes:
        sql = insert_sql(
            conn, rp_advisor_homes, _columns(rp_advisor_homes), _key(rp_advisor_homes),
            "organisation_id = excluded.organisation_id",
        )  # fmt: skip
        await execute_many(conn, sql, _rows(rp_advisor_homes, _home_rows(batch.advisor_homes)))
    if batch.event_count:
        await conn.execute(
            update(rp_meta)
            .where(rp_meta.c.key == META_KEY)
            .values(
                event_count=rp_meta.c.event_count + batch.event_count,
                fingerprint=(rp_meta.c.fingerprint + batch.fingerprint) % FINGERPRINT_MODULUS,
            )
        )
