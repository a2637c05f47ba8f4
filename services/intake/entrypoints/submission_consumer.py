"""Intake's consumers: raw submissions from the frontends' topic."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from services.intake.adapters.directory import DirectoryLoaded
from services.intake.application.open_case import CaseIntake, IncomingSubmission
from services.intake.domain.submission import Rejection, parse_json_object, peek_submission_id
from services.intake.entrypoints.decoding import SubmissionUnsealer
from shared.outbox import Outgoing
from shared.pipeline import Decoded, Decoder, Inbound, PoisonMessage, Route


def submission_message_id(submission_id: str | None, fallback: str) -> str:
    """Inbox key shared by the Kafka and HTTP paths: one submission id, one outcome."""
    return f"submission:{submission_id}" if submission_id else f"position:{fallback}"


def submission_decoder(loaded: DirectoryLoaded | None = None) -> Decoder:
    """Bytes that are not a JSON document cannot be answered: they go to the dead-letter topic.

    Before intake knows any unit (`loaded`), a submission is remembered by its position: it will be
    refused as `directory_not_loaded`, and the same submission published again must not be skipped
    as a duplicate (services/intake/adapters/directory.py)."""

    def decode(inbound: Inbound) -> Decoded:
        doc, problem = parse_json_object(inbound.value)
        if problem:
            raise PoisonMessage(problem, f"{len(inbound.value)} bytes")
        sid = peek_submission_id(doc) if loaded is None or loaded.known else None
        return Decoded(submission_message_id(sid, inbound.position), inbound, doc)

    return decode


decode_submission = submission_decoder()


def submissions_route(
    intake: CaseIntake, unsealer: SubmissionUnsealer, loaded: DirectoryLoaded | None = None
) -> Route:
    async def incoming(m: Decoded, now: datetime) -> IncomingSubmission:
        opened = await unsealer.open(m.inbound.value, m.body, now)
        if isinstance(opened, Rejection):
            return IncomingSubmission(
                m.inbound.value, m.body, "kafka", m.message_id, m.inbound.position, rejection=opened
            )
        return IncomingSubmission(opened.raw, opened.doc, "kafka", m.message_id, m.inbound.position)

    async def handle_batch(
        conn: AsyncConnection, messages: Sequence[Decoded], now: datetime
    ) -> list[Sequence[Outgoing]]:
        items = [await incoming(m, now) for m in messages]
        return [result.outgoing for result in await intake.take_in_many(conn, items, now)]

    return Route(decode=submission_decoder(loaded), handle_batch=handle_batch)
