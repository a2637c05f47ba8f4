"""The reporting projection: coded events folded into rows, one batch at a time.

`ProjectionBatch.add` is pure: it reads only the coded fields of an event (never a `Sealed` field,
never a person pseudonym; there are none in clear on these topics) and accumulates rows and counter
increments in memory. `write_batch` then stores a whole batch in a handful of statements, which is
what makes a replay of a million events fast (docs/benchmarks-reporting.md).

Time: every period is the calendar quarter in Europe/Amsterdam (`disclosure.period_of`), the finest
unit reporting keeps for counts. Exact timestamps are kept only where a rule needs them (days to the
first conversation, the latest of several decisions) and never leave the service.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.schema import Table

from services.reporting.disclosure import period_of
from services.reporting.store import (
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
from shared.db import insert_ignoring_duplicates, is_postgres
from shared.topics import INTAKE_CASES, ROUTING_ASSIGNMENTS, SCHEDULING_MEETINGS

REPORTING_TZ = ZoneInfo("Europe/Amsterdam")
CONSUMED_TOPICS = (INTAKE_CASES.name, ROUTING_ASSIGNMENTS.name, SCHEDULING_MEETINGS.name)
META_KEY = "projection"
FINGERPRINT_MODULUS = 2**62  # sums stay below 2**63: a signed BIGINT on both databases


def quarter_of(moment: datetime) -> str:
    return period_of(moment, REPORTING_TZ)


def stamp(moment: datetime) -> str:
    """Fixed-width UTC text: sorts like the instant it names, on every database."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_stamp(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


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

    def add(self, event_id: str, event_type: str, payload: Any) -> None:
        """Fold one decoded event. Types reporting does not count are still part of `event_count`."""
        self.event_count += 1
        self.fingerprint = (self.fingerprint + event_fingerprint(event_id)) % FINGERPRINT_MODULUS
        handler = _FOLDS.get(event_type)
        if handler is not None:
            handler(self, event_id, payload)

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
                "scope": p.scope.value if p.scope is not None else None, "reason": p.reason,
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


def _insert(conn: AsyncConnection, table: Table) -> Any:
    return pg_insert(table) if is_postgres(conn) else sqlite_insert(table)


async def ensure_meta_row(conn: AsyncConnection) -> None:
    stmt = insert_ignoring_duplicates(conn, rp_meta, ["key"])
    await conn.execute(stmt, [{"key": META_KEY, "event_count": 0, "fingerprint": 0}])


async def write_batch(conn: AsyncConnection, batch: ProjectionBatch) -> None:
    """Store a batch inside the caller's transaction: a few multi-row statements, whatever its size."""
    if batch.cases:
        stmt = _insert(conn, rp_cases)
        fields = [c.name for c in rp_cases.columns if c.name != "case_id"]
        await conn.execute(
            stmt.on_conflict_do_update(
                index_elements=["case_id"],
                set_={name: stmt.excluded[name] for name in fields},
                where=stmt.excluded.opened_event_id < rp_cases.c.opened_event_id,
            ),
            list(batch.cases.values()),
        )
    for table, rows in (
        (rp_assignments, batch.assignments),
        (rp_meeting_events, batch.meeting_events),
        (rp_closures, batch.closures),
        (rp_deadline_events, batch.deadline_events),
        (rp_feedback, batch.feedback),
    ):
        if rows:
            await conn.execute(insert_ignoring_duplicates(conn, table, ["event_id"]), rows)
    if batch.first_conversation:
        stmt = _insert(conn, rp_first_conversation)
        await conn.execute(
            stmt.on_conflict_do_update(
                index_elements=["case_id"],
                set_={"first_logged_at": stmt.excluded.first_logged_at},
                where=stmt.excluded.first_logged_at < rp_first_conversation.c.first_logged_at,
            ),
            [{"case_id": case, "first_logged_at": at} for case, at in batch.first_conversation.items()],
        )
    if batch.minutes:
        stmt = _insert(conn, rp_time)
        await conn.execute(
            stmt.on_conflict_do_update(
                index_elements=["advisor_id", "case_id", "quarter", "activity"],
                set_={"minutes": rp_time.c.minutes + stmt.excluded.minutes},
            ),
            [
                {"advisor_id": a, "case_id": c, "quarter": q, "activity": act, "minutes": m}
                for (a, c, q, act), m in batch.minutes.items()
            ],
        )
    if batch.training:
        stmt = _insert(conn, rp_training)
        await conn.execute(
            stmt.on_conflict_do_update(
                index_elements=["advisor_id", "quarter", "kind"],
                set_={
                    "centihours": rp_training.c.centihours + stmt.excluded.centihours,
                    "sessions": rp_training.c.sessions + stmt.excluded.sessions,
                },
            ),
            [
                {"advisor_id": a, "quarter": q, "kind": k, "centihours": v[0], "sessions": v[1]}
                for (a, q, k), v in batch.training.items()
            ],
        )
    if batch.event_count:
        await conn.execute(
            update(rp_meta)
            .where(rp_meta.c.key == META_KEY)
            .values(
                event_count=rp_meta.c.event_count + batch.event_count,
                fingerprint=(rp_meta.c.fingerprint + batch.fingerprint) % FINGERPRINT_MODULUS,
            )
        )


def fold(events: Sequence[tuple[str, str, Any]]) -> ProjectionBatch:
    """(event_id, event_type, payload) triples -> one batch."""
    batch = ProjectionBatch()
    for event_id, event_type, payload in events:
        batch.add(event_id, event_type, payload)
    return batch
