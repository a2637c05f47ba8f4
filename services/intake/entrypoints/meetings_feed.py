"""Scheduling's meetings on scheduling.meetings.v1 (MeetingScheduled, MeetingCancelled), folded into
the client-safe facts the follow-up page shows (adapters/client_meetings.py): times, mode, calendar
sequence, cancelled or not. The advisor, room, venue and title are read past, never stored; the
topic's other event types are skipped unread."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from services.intake.adapters.client_meetings import record_cancelled, record_scheduled
from services.intake.domain.meetings import PlannedMeeting
from services.intake.entrypoints.decoding import selective_envelope_decoder
from shared.contracts.scheduling import MeetingCancelled, MeetingScheduled
from shared.outbox import Outgoing
from shared.pipeline import Decoded, Inbound, PoisonMessage, Route

_decode_envelope = selective_envelope_decoder(("MeetingScheduled", "MeetingCancelled"))


def client_safe(meeting: MeetingScheduled) -> PlannedMeeting:
    return PlannedMeeting(
        meeting.meeting_id,
        meeting.case_id,
        meeting.start,
        meeting.end,
        meeting.mode.value,
        meeting.calendar_sequence,
    )


def decode_meeting_record(inbound: Inbound) -> Decoded:
    """Ids longer than intake's columns, or a meeting ending before it starts, are poison."""
    decoded = _decode_envelope(inbound)
    event = decoded.body.payload if decoded.body is not None else None
    if isinstance(event, MeetingScheduled | MeetingCancelled):
        if max(len(event.meeting_id), len(event.case_id)) > 64:
            raise PoisonMessage("envelope_invalid", "meeting_id or case_id too long")
        if isinstance(event, MeetingScheduled) and event.end <= event.start:
            raise PoisonMessage("envelope_invalid", "meeting ends before it starts")
    return decoded


async def apply_meeting_event(conn: AsyncConnection, message: Decoded, now: datetime) -> Sequence[Outgoing]:
    event = message.body.payload if message.body is not None else None
    if isinstance(event, MeetingScheduled):
        await record_scheduled(conn, client_safe(event))
    elif isinstance(event, MeetingCancelled):
        await record_cancelled(conn, event.meeting_id)
    return []


def meetings_route() -> Route:
    return Route(decode=decode_meeting_record, handle=apply_meeting_event)
