"""Routing's decisions on routing.assignments.v1, folded into intake's copy of who the assignee is
(services/intake/adapters/assignments.py). Routing's other event types are skipped unread."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from services.intake.adapters.assignments import set_assignee
from services.intake.entrypoints.decoding import selective_envelope_decoder
from shared.contracts.routing import AdvisorAssigned, CaseReassigned, RoutingEscalated
from shared.outbox import Outgoing
from shared.pipeline import Decoded, Route

HANDLED = ("AdvisorAssigned", "CaseReassigned", "RoutingEscalated")


async def apply_routing_event(conn: AsyncConnection, message: Decoded, now: datetime) -> Sequence[Outgoing]:
    if message.body is None:
        return []
    event = message.body.payload
    if isinstance(event, AdvisorAssigned):
        await set_assignee(conn, event.case_id, event.advisor_id, event.decided_at)
    elif isinstance(event, CaseReassigned):
        await set_assignee(conn, event.case_id, event.to_advisor_id, event.decided_at)
    elif isinstance(event, RoutingEscalated):
        await set_assignee(conn, event.case_id, None, event.escalated_at)
    return []


def routing_route() -> Route:
    return Route(decode=selective_envelope_decoder(HANDLED), handle=apply_routing_event)
