"""Intake's own tables: the case register, rejections, and the case lifecycle (assignments, keys,
access log, dialogue, legal deadlines), beside its inbox and events."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Date, DateTime, Index, Integer, MetaData, String, Table, Text

from shared.assignee_projection import define_assignee_table
from shared.auth import define_auth_tables
from shared.outbox import define_messaging_tables

metadata = MetaData()
messaging = define_messaging_tables(metadata)

cases = Table(
    "cases",
    metadata,
    Column("case_id", String(64), primary_key=True),
    Column("submission_id", String(64), nullable=False, unique=True),
    # The receipt code lets an anonymous client follow up. Stored as a hash for look-up and sealed
    # under the case key so that a retrying frontend gets the same code back; erasure makes it void.
    Column("receipt_hash", String(64), nullable=False, unique=True),
    Column("receipt_sealed", Text, nullable=False),
    Column("organisation_id", String(64), nullable=False),
    Column("unit_id", String(64), nullable=False),
    Column("is_whistleblower_report", Boolean, nullable=False, default=False),
    Column("opened_at", DateTime(timezone=True), nullable=False),
    Column("status", String(20), nullable=False, default="open"),
    Column("closed_at", DateTime(timezone=True), nullable=True),
    Column("erased_at", DateTime(timezone=True), nullable=True),
)

rejections = Table(
    "rejections",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("submission_id", String(64), nullable=True, unique=True),
    Column("source", String(10), nullable=False),
    Column("source_position", String(250), nullable=True),
    Column("reason", String(60), nullable=False),
    Column("field", String(120), nullable=True),
    Column("rejected_at", DateTime(timezone=True), nullable=False),
)

# Who may act on a case now: folded from routing.assignments.v1. Reassignment replaces the row in
# the same transaction that consumes the event, so the former advisor's next request is refused.
assignments = define_assignee_table(
    metadata,
    "assignments",
    # Intake's own fact about the assignment: the assignee accepted the case (reset by a new one).
    Column("accepted_by", String(64), nullable=True),
    Column("accepted_at", DateTime(timezone=True), nullable=True),
    # The event id of the routing decision the row holds (None on rows from before it was kept).
    Column("decision_id", String(64), nullable=True),
    # The latest acceptance and the decision it accepted, kept through a reassignment: a restored
    # intake consumes again the decisions that came before an acceptance it folded in, and gives the
    # acceptance back when it reaches the decision accepted (adapters/assignments.py, D55).
    Column("acceptance_by", String(64), nullable=True),
    Column("acceptance_at", DateTime(timezone=True), nullable=True),
    Column("acceptance_decision_id", String(64), nullable=True),
)

# Organisations and units as the directory (directory.units.v1, OrgUnitUpserted) names them: ids and
# names only, never people. A submission must name a unit of its organisation (directory.py).
directory_units = Table(
    "directory_units",
    metadata,
    Column("unit_id", String(64), primary_key=True),
    Column("organisation_id", String(64), nullable=False, index=True),
    Column("name", String(200), nullable=False),
)

# The public unit catalogue the web form offers (names and the unit tree, never people): each
# unit's parent, beside directory_units (a table of its own, so an existing database gains it by
# create_all; a unit without a row here is listed flat under its organisation).
directory_unit_parents = Table(
    "directory_unit_parents",
    metadata,
    Column("unit_id", String(64), primary_key=True),
    Column("parent_id", String(64), nullable=True),
)

# Advisors' profiles as they agreed to show them (AdvisorUpserted.profile with show true, from
# directory.advisors.v1): public by consent, shown on the web form. No person pseudonym.
advisor_profiles = Table(
    "advisor_profiles",
    metadata,
    Column("advisor_id", String(64), primary_key=True),
    Column("kind", String(8), nullable=False),
    Column("scope", String(16), nullable=False),
    Column("organisation_id", String(64), nullable=True),
    Column("served_unit_ids", Text, nullable=False, default=""),  # comma-separated (cross-unit advisors)
    Column("active", Boolean, nullable=False, default=True),
    Column("display_name", String(80), nullable=False),
    Column("languages", String(100), nullable=False, default=""),  # comma-separated codes
    Column("location", String(80), nullable=True),
    Column("text_nl", String(400), nullable=False, default=""),
    Column("text_en", String(400), nullable=False, default=""),
    Column("photo_ref", String(200), nullable=True),
)

# Advisors' public keys (directory.advisors.v1) and used token ids (replay protection), see shared/auth.py.
advisor_keys, used_tokens = define_auth_tables(metadata)

# Every read of a case file: the access log its advisor sees.
case_access = Table(
    "case_access",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("case_id", String(64), nullable=False, index=True),
    Column("advisor_id", String(64), nullable=False),
    Column("read_at", DateTime(timezone=True), nullable=False),
)

# The anonymous dialogue. Content is sealed under the case key; rows are deleted on erasure.
messages = Table(
    "messages",
    metadata,
    Column("message_id", String(64), primary_key=True),
    Column("case_id", String(64), nullable=False, index=True),
    Column("author", String(10), nullable=False),  # client | advisor
    Column("advisor_id", String(64), nullable=True),
    Column("posted_at", DateTime(timezone=True), nullable=False),
    Column("content_sealed", Text, nullable=False),
    Column("counts_as_feedback", Boolean, nullable=False, default=False),
)

# Legal deadlines of formal whistleblower reports (shared/legal_deadlines.py has the rules).
legal_deadlines = Table(
    "legal_deadlines",
    metadata,
    Column("case_id", String(64), primary_key=True),
    Column("deadline", String(20), primary_key=True),  # acknowledgement | feedback
    Column("basis_on", Date, nullable=False),
    Column("due_on", Date, nullable=False),
    Column("state", String(10), nullable=False),  # open | met | missed
    Column("due_noticed", Boolean, nullable=False, default=False),
    Column("missed_noticed", Boolean, nullable=False, default=False),
    Column("met_at", DateTime(timezone=True), nullable=True),
    Index("ix_legal_deadlines_state", "state", "due_on"),
)

# The client's anonymous 1-5 rating, at most one per case.
client_feedback = Table(
    "client_feedback",
    metadata,
    Column("case_id", String(64), primary_key=True),
    Column("given_at", DateTime(timezone=True), nullable=False),
)

# Wrong receipt codes counted per code hash and in total ("*"), per fixed window (receipt_guess_limits.py):
# one table, so every instance applies the same budget. A correct code deletes its own rows; each
# new global window deletes the windows that ended.
receipt_code_failures = Table(
    "receipt_code_failures",
    metadata,
    Column("counter", String(64), primary_key=True),
    Column("window_start", DateTime(timezone=True), primary_key=True),
    Column("failures", Integer, nullable=False),
)

# The client-safe facts of the meetings scheduling planned for a case (scheduling.meetings.v1),
# shown on the follow-up page: times, the mode, the calendar sequence, cancelled or not. No advisor,
# no room, no venue, no title. Added by migration 0002 (adapters/migrations). Deleted with the
# case's personal data.
client_meetings = Table(
    "client_meetings",
    metadata,
    Column("meeting_id", String(64), primary_key=True),
    Column("case_id", String(64), nullable=False, index=True),
    Column("start", DateTime(timezone=True), nullable=False),
    Column("end", DateTime(timezone=True), nullable=False),
    Column("mode", String(30), nullable=False),
    Column("calendar_sequence", Integer, nullable=False, default=0),
    Column("cancelled", Boolean, nullable=False, default=False),
)
