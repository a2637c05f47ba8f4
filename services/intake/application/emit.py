"""Intake's emitters: shared/emitter.py with intake's producer name and its case topic.

One rule for every event intake emits (decisions.md, D23): an event caused by a consumed envelope
(an advisor command) carries that envelope's correlation id; one caused by a request, a raw
submission or a job run starts a chain at its explicit cause. Event ids derive from the cause.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from shared.emitter import Emitter
from shared.envelope import Envelope
from shared.pipeline import Decoded
from shared.topics import INTAKE_CASES

PRODUCER = "intake"


def emitter_for(cause: str, now: datetime, topic: str = INTAKE_CASES.name) -> Emitter:
    """Events caused by a request, a raw submission, a job run or a CLI command (`cause`)."""
    return Emitter.of_cause(cause, producer=PRODUCER, topic=topic, now=now)


def emitter_of(message: Decoded, now: datetime) -> Emitter:
    """Events caused by a consumed message: its id the cause, its correlation id carried on."""
    return Emitter.of_message(message, producer=PRODUCER, topic=INTAKE_CASES.name, now=now)


def emitter_after(envelope: Envelope[Any], now: datetime) -> Emitter:
    """Events that follow from one this unit of work emits (the legal deadline of an opened case)."""
    return Emitter.of_envelope(envelope, producer=PRODUCER, topic=INTAKE_CASES.name, now=now)
