"""Intake's consumers: raw submissions from the frontends' topic."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from services.intake.decoding import SubmissionUnsealer
from services.intake.open_case import CaseIntake, IncomingSubmission
from services.intake.submission import Rejection, parse_json_object, peek_submission_id
from shared.outbox import Outgoing
from shared.pipeline import Decoded, Inbound, PoisonMessage, Route


def submission_message_id(submission_id: str | None, fallback: str) -> str:
    """Inbox key shared by the Kafka and HTTP paths: one submission id, one outcome."""
    return f"submission:{submission_id}" if submission_id else f"position:{fallback}"


def decode_submission(inbound: Inbound) -> Decoded:
    """Bytes that are not a JSON document cannot be answered: they go to the dead-letter topic."""
    doc, problem = parse_json_object(inbound.value)
    if problem:
        raise PoisonMessage(problem, f"{len(inbound.value)} bytes")
    return Decoded(submission_message_id(peek_submission_id(doc), inbound.position), inbound, doc)


def submissions_route(intake: CaseIntake, unsealer: SubmissionUnsealer) -> Route:
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

    return Route(decode=decode_submission, handle_batch=handle_batch)
