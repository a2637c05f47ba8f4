"""Intake's own tables: the case register and recorded rejections, beside its inbox and events."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, DateTime, Integer, MetaData, String, Table, Text

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
