"""Building intake's lifecycle events: one place for topic, producer and deterministic ids."""

from __future__ import annotations

from datetime import datetime

from shared.envelope import EventPayload, new_envelope
from shared.outbox import Outgoing
from shared.topics import INTAKE_CASES

PRODUCER = "intake"


def case_event(
    payload: EventPayload, *, stream_id: str, now: datetime, causation_id: str, discriminator: str = ""
) -> Outgoing:
    """An event on intake.cases.v1 whose id derives from its cause (a re-run emits the same id)."""
    env = new_envelope(
        payload,
        stream_id=stream_id,
        producer=PRODUCER,
        occurred_at=now,
        causation_id=causation_id,
        correlation_id=stream_id,
        discriminator=discriminator,
    )
    return Outgoing(INTAKE_CASES.name, env)
