"""The workbench's own tables: sessions and sign-ins in progress, and the coded case facts it lists.

No personal data beyond the session: a session row holds a hash of its cookie, the provider's
subject (an opaque id), the caseflow role and the advisor id. Case rows hold coded fields only.
"""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, DateTime, Integer, MetaData, String, Table, Text

from shared.assignee_projection import define_assignee_table
from shared.outbox import define_messaging_tables

metadata = MetaData()
messaging = define_messaging_tables(metadata)

# Who holds each case now (shared/assignee_projection.py, folded from routing.assignments.v1).
current_assignees = define_assignee_table(metadata)

# What intake.cases.v1 says of a case in codes: when it was opened, its categories and channel, and
# the organisation (also from routing's RoutingEscalated): a coordinator's queue shows only theirs.
case_summaries = Table(
    "case_summaries",
    metadata,
    Column("case_id", String(64), primary_key=True),
    Column("opened_at", DateTime(timezone=True), nullable=True),
    Column("categories", JSON, nullable=False, default=list),
    Column("channel", String(30), nullable=True),
    Column("status", String(20), nullable=False, default="open"),  # open | closed | erased
    Column("organisation_id", String(64), nullable=True),
)

# A signed-in browser. The cookie holds a random id; only its sha256 is stored, so a copy of the
# database opens no session.
sessions = Table(
    "sessions",
    metadata,
    Column("session_hash", String(64), primary_key=True),
    Column("subject", String(255), nullable=False),
    Column("role", String(20), nullable=False),
    Column("advisor_id", String(64), nullable=True),
    Column("csrf_token", String(64), nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("last_seen_at", DateTime(timezone=True), nullable=False),
    Column("organisation_id", String(64), nullable=True),
)

# The provider's tokens of a session, for the one call made on the person's behalf: reporting's
# protected view (its role comes from the same provider). Short-lived (the access token minutes,
# the refresh token the provider's session); deleted with the session.
session_tokens = Table(
    "session_tokens",
    metadata,
    Column("session_hash", String(64), primary_key=True),
    Column("access_token", Text, nullable=False),
    Column("refresh_token", Text, nullable=True),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    # The ID token of the sign-in, only as the `id_token_hint` of the logout at the provider (without
    # it Keycloak and others ask the person to confirm, and a closed tab leaves them signed in there).
    Column("id_token", Text, nullable=True),
)

# A sign-in sent to the provider and not back yet: the PKCE verifier and the nonce stay here,
# keyed by the hash of the `state` the browser carries, for a few minutes and one use, bound to
# the browser that started it.
sign_ins = Table(
    "sign_ins",
    metadata,
    Column("state_hash", String(64), primary_key=True),
    Column("code_verifier", String(128), nullable=False),
    Column("nonce", String(64), nullable=False),
    Column("lang", String(2), nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    # sha256 of the random value in the sign-in cookie of the browser that started it: a callback
    # URL carried to another browser (login CSRF) signs nobody in there.
    Column("browser_hash", String(64), nullable=False, default=""),
)

# Notices to send (domain/notifications.py), written in the transaction that consumed their cause:
# the id derives from the cause, so a redelivery adds nothing. `sent_at` is set once the mail server
# took the message; `outcome` says sent | opted_out.
notifications = Table(
    "notifications",
    metadata,
    Column("notice_id", String(36), primary_key=True),
    Column("advisor_id", String(64), nullable=False, index=True),
    Column("reason", String(30), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("sent_at", DateTime(timezone=True), nullable=True, index=True),
    Column("outcome", String(20), nullable=True),
    Column("attempts", Integer, nullable=False, default=0),
    # A sender (one per pod) claims a notice until this instant (45 s) before it mails it, so two pods never
    # send the same one; a sender that dies mid-send leaves a claim that simply runs out.
    Column("claimed_until", DateTime(timezone=True), nullable=True),
)

# Where an advisor wants to be told, and whether at all. The address comes from the advisor's own
# sign-in (the provider's `email` claim); it is the one fact about a person the workbench keeps
# beyond a session, and it goes when the advisor switches the e-mails off (D38).
notification_addresses = Table(
    "notification_addresses",
    metadata,
    Column("advisor_id", String(64), primary_key=True),
    Column("email", String(320), nullable=True),
    Column("lang", String(2), nullable=False, default="nl"),
    Column("opted_out", Boolean, nullable=False, default=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# A case an advisor gave up by declaring a conflict of interest (DeclareConflict). Written in the
# same unit of work as the command's outbox row, so the case stops being theirs on the workbench at
# once, before routing's CaseReassigned arrives. Ids, a code and a time only.
given_up_cases = Table(
    "given_up_cases",
    metadata,
    Column("advisor_id", String(64), primary_key=True),
    Column("case_id", String(64), primary_key=True),
    Column("reason", String(40), nullable=False),
    Column("given_up_at", DateTime(timezone=True), nullable=False),
    # The causation id routing gives its answer when it cannot prove who sent the command
    # (shared.auth.unproven_cause of the DeclareConflict's event id): that answer names nobody, so
    # this is how the workbench knows it is about this declaration.
    Column("unproven_cause", String(64), nullable=True, index=True),
)

# A conflict declaration routing refused (AdvisorCommandRejected for DeclareConflict, proven, so it
# names the advisor and the case): the given-up record is gone and the case is theirs again; the
# refusal's code stays until they declare again or the case moves. Ids, a code and a time only.
conflict_refusals = Table(
    "conflict_refusals",
    metadata,
    Column("advisor_id", String(64), primary_key=True),
    Column("case_id", String(64), primary_key=True),
    Column("reason_code", String(64), nullable=False),
    Column("refused_at", DateTime(timezone=True), nullable=False),
)

# The meetings scheduling proposed for a case (scheduling.meetings.v1), coded fields only: no
# title, no narrative. `status` is scheduled | cancelled; a reschedule keeps the meeting id and
# raises `calendar_sequence`.
meetings = Table(
    "meetings",
    metadata,
    Column("meeting_id", String(64), primary_key=True),
    Column("case_id", String(64), nullable=False, index=True),
    Column("advisor_id", String(64), nullable=False),
    Column("start", DateTime(timezone=True), nullable=False),
    Column("end", DateTime(timezone=True), nullable=False),
    Column("mode", String(30), nullable=False),
    Column("room_id", String(64), nullable=True),
    Column("venue_id", String(64), nullable=True),
    Column("calendar_sequence", Integer, nullable=False, default=0),
    Column("status", String(20), nullable=False, default="scheduled"),
)

# Time an advisor logged (intake's TimeLogged), coded: one row per event, so a redelivery adds
# nothing. case_id is None for time not tied to a case.
time_logged = Table(
    "time_logged",
    metadata,
    Column("event_id", String(64), primary_key=True),
    Column("advisor_id", String(64), nullable=False, index=True),
    Column("case_id", String(64), nullable=True, index=True),
    Column("activity", String(30), nullable=False),
    Column("minutes", Integer, nullable=False),
    Column("logged_at", DateTime(timezone=True), nullable=False),
)
