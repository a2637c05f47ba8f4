"""Routing's decisions on routing.assignments.v1, folded into intake's copy of who the assignee is
(services/intake/adapters/assignments.py, the shared projection of shared/assignee_projection.py).
Routing's other event types are skipped unread."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from services.intake.adapters.assignments import Decision, set_assignees
from services.intake.entrypoints.decoding import selective_envelope_decoder
from shared.assignee_projection import ASSIGNEE_EVENTS, assignee_change
from shared.outbox import Outgoing
from shared.pipeline import Decoded, Route


async def apply_routing_events(
    conn: AsyncConnection, messages: Sequence[Decoded], now: datetime
) -> list[Sequence[Outgoing]]:
    """A batch of routing's decisions folded at once, in the log's order (set_assignees)."""
    decisions = [
        Decision(change, m.body.event_id)
        for m in messages
        if m.body is not None and (change := assignee_change(m.body.payload)) is not None
    ]
    await set_assignees(conn, decisions)
    return [[] for _ in messages]


def routing_route() -> Route:
    return Route(decode=selective_envelope_decoder(ASSIGNEE_EVENTS), handle_batch=apply_routing_events)
