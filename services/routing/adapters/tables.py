"""Routing's tables: its directory log (the audit's input), case routing state, beside inbox/events."""

from __future__ import annotations

from sqlalchemy import JSON, Column, DateTime, Integer, MetaData, String, Table, Text

from shared.auth import define_auth_tables
from shared.outbox import define_messaging_tables

metadata = MetaData()
messaging = define_messaging_tables(metadata)
advisor_keys, used_tokens = define_auth_tables(metadata)

# Every directory change routing applied, in the order it applied them. Folding the first N rows
# gives the directory that a decision with `directory_revision == N` saw.
directory_log = Table(
    "directory_log",
    metadata,
    Column("revision", Integer, primary_key=True, autoincrement=False),
    Column("event_type", String(60), nullable=False),
    Column("body", Text, nullable=False),  # the payload's JSON
    Column("applied_at", DateTime(timezone=True), nullable=False),
)

routing_cases = Table(
    "routing_cases",
    metadata,
    Column("case_id", String(64), primary_key=True),
    Column("organisation_id", String(64), nullable=False),
    Column("unit_id", String(64), nullable=False),
    Column("opened_at", DateTime(timezone=True), nullable=False),
    Column("coded", JSON, nullable=False),  # the coded fields of CaseOpened
    Column("routing_facts", Text, nullable=False),  # Sealed JSON, from CaseOpened
    Column("amendments", JSON, nullable=False),  # list of Sealed JSON, from AmendCaseFacts
    Column("status", String(20), nullable=False),  # assigned | escalated | closed | erased
    Column("current_advisor_id", String(64), nullable=True),
    Column("conflicted_advisor_ids", JSON, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

term_notices = Table(
    "term_notices",
    metadata,
    Column("advisor_id", String(64), primary_key=True),
    Column("term_end", String(10), primary_key=True),
)
