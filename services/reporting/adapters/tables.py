"""Reporting's tables: coded facts folded from events, beside the inbox and events tables.

Every table is written so that the order in which events arrive does not matter (the live service
and `caseflow replay` see the three input topics interleaved differently):
- event-keyed tables (primary key `event_id`) are insert-or-ignore: a set of events gives a set of rows;
- counters (`rp_time`, `rp_training`) only ever add integers (minutes, hundredths of hours), and the
  inbox makes sure each event is added once;
- `rp_cases` keeps the CaseOpened with the smallest event id, `rp_first_conversation` the earliest time.
Timestamps are stored as fixed-width UTC text ("2026-03-01T09:30:00.000000+00:00"): they sort as text and
read back the same on SQLite and PostgreSQL.

`rp_advisor_homes` is the exception to "a function of the set": it folds the HR feed's compacted copy
directory.advisors.v1, where the latest record of an advisor wins (one advisor's records share a key,
so a partition and an order; a rebuild reads what compaction kept, which ends in the same latest one).

Nothing here is personal: no sealed field, no person pseudonym, no free text. Advisor ids are kept
(rp_assignments, rp_time, rp_training, rp_advisor_homes) for the coordinator's and the advisor's own
views only.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Index, Integer, MetaData, String, Table

from shared.outbox import define_messaging_tables

metadata = MetaData()
messaging = define_messaging_tables(metadata)

ID = 64
TS = 32  # "YYYY-MM-DDTHH:MM:SS.ffffff+00:00"
QUARTER = 7  # "YYYY-Qn"

# One row (key "projection"): how many events the projection holds and an order-free fingerprint
# of their ids. Reports cite both as `generated_from` (docs/reporting.md, "Determinism").
rp_meta = Table(
    "rp_meta",
    metadata,
    Column("key", String(20), primary_key=True),
    Column("event_count", BigInteger, nullable=False),
    Column("fingerprint", BigInteger, nullable=False),
)

# A contact: the coded fields of CaseOpened (sealed fields are never read).
rp_cases = Table(
    "rp_cases",
    metadata,
    Column("case_id", String(ID), primary_key=True),
    Column("opened_event_id", String(ID), nullable=False),
    Column("organisation_id", String(ID), nullable=False),
    Column("unit_id", String(ID), nullable=False),
    Column("opened_at", String(TS), nullable=False),
    Column("quarter", String(QUARTER), nullable=False),
    Column("channel", String(20), nullable=False),
    Column("client_role", String(20), nullable=False),
    Column("categories", String(500), nullable=False),  # codes in recorded order, comma-separated
    Column("whistleblower", Boolean, nullable=False),
    Index("ix_rp_cases_org_quarter", "organisation_id", "quarter"),
    Index("ix_rp_cases_quarter", "quarter"),
)

# Routing decisions: AdvisorAssigned (kind "assigned") and CaseReassigned (kind "reassigned").
rp_assignments = Table(
    "rp_assignments",
    metadata,
    Column("event_id", String(ID), primary_key=True),
    Column("case_id", String(ID), nullable=False, index=True),
    Column("kind", String(12), nullable=False),
    Column("advisor_id", String(ID), nullable=True),  # None: reassigned to nobody (escalated)
    Column("scope", String(12), nullable=True),
    Column("reason", String(40), nullable=True),  # a reassignment's coarse cause: conflict | other
    Column("decided_at", String(TS), nullable=False),
    Column("quarter", String(QUARTER), nullable=False),
)

# MeetingScheduled (kind "scheduled") and MeetingCancelled (kind "cancelled").
rp_meeting_events = Table(
    "rp_meeting_events",
    metadata,
    Column("event_id", String(ID), primary_key=True),
    Column("meeting_id", String(ID), nullable=False),
    Column("case_id", String(ID), nullable=False, index=True),
    Column("kind", String(10), nullable=False),
    Column("calendar_sequence", Integer, nullable=False),
    Column("mode", String(30), nullable=True),
    Column("start", String(TS), nullable=True),
    Column("at", String(TS), nullable=False),  # scheduled_at or cancelled_at
)

# The first time an advisor logged conversation time on a case.
rp_first_conversation = Table(
    "rp_first_conversation",
    metadata,
    Column("case_id", String(ID), primary_key=True),
    Column("first_logged_at", String(TS), nullable=False),
)

# Minutes logged per advisor, case ("" = not tied to a case), quarter and activity.
rp_time = Table(
    "rp_time",
    metadata,
    Column("advisor_id", String(ID), primary_key=True),
    Column("case_id", String(ID), primary_key=True),
    Column("quarter", String(QUARTER), primary_key=True),
    Column("activity", String(20), primary_key=True),
    Column("minutes", BigInteger, nullable=False),
    Index("ix_rp_time_quarter", "quarter"),
)

rp_closures = Table(
    "rp_closures",
    metadata,
    Column("event_id", String(ID), primary_key=True),
    Column("case_id", String(ID), nullable=False, index=True),
    Column("closed_at", String(TS), nullable=False),
    Column("outcome", String(40), nullable=False),  # the final outcome: the last one of CaseClosed.outcomes
)

# Legal deadlines of whistleblower reports: LegalDeadlineSet / Met / Missed.
rp_deadline_events = Table(
    "rp_deadline_events",
    metadata,
    Column("event_id", String(ID), primary_key=True),
    Column("case_id", String(ID), nullable=False, index=True),
    Column("deadline", String(20), nullable=False),
    Column("kind", String(10), nullable=False),  # set | met | missed
    Column("on_time", Boolean, nullable=True),
)

rp_feedback = Table(
    "rp_feedback",
    metadata,
    Column("event_id", String(ID), primary_key=True),
    Column("case_id", String(ID), nullable=False, index=True),
    Column("rating", Integer, nullable=False),
    Column("quarter", String(QUARTER), nullable=False),
)

# Training and supervision per advisor and quarter: hundredths of hours (exact integer sums) and sessions.
rp_training = Table(
    "rp_training",
    metadata,
    Column("advisor_id", String(ID), primary_key=True),
    Column("quarter", String(QUARTER), primary_key=True),
    Column("kind", String(12), primary_key=True),  # training | supervision
    Column("centihours", BigInteger, nullable=False),
    Column("sessions", BigInteger, nullable=False),
)

# Each advisor's home organisation as the HR feed's directory.advisors.v1 states it (AdvisorUpserted;
# None: no organisation, e.g. an external advisor). Not part of rp_meta's count or fingerprint.
rp_advisor_homes = Table(
    "rp_advisor_homes",
    metadata,
    Column("advisor_id", String(ID), primary_key=True),
    Column("organisation_id", String(ID), nullable=True),
)

PROJECTION_TABLES = (
    rp_meta,
    rp_cases,
    rp_assignments,
    rp_meeting_events,
    rp_first_conversation,
    rp_time,
    rp_closures,
    rp_deadline_events,
    rp_feedback,
    rp_training,
    rp_advisor_homes,
)
