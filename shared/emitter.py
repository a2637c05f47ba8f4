"""The one way a service builds the envelopes it emits: one causation and correlation rule.

An `Emitter` is made once per input, from what caused the events (decisions.md, D23):

- a consumed envelope (`of_message`, `of_envelope`): causation is its event id, and its
  correlation id is carried on, so everything that follows from one first input shares that
  input's correlation id across every service;
- anything else (an HTTP request, a raw submission, a job run, a CLI command: `of_cause`): causation
  is the input's explicit cause, and a correlation chain starts there (the correlation id is the
  cause), so every event of one request or one run shares one correlation id.

Two derived forms keep event ids as they are derived today (`derive_event_id` of causation, type,
stream and discriminator) while the rule stays one:

- `caused_by(cause)`: the same chain, another cause (a job run that notices an advisor's term end
  under the cause `term:<advisor>:<date>` and re-routes cases under `term-check:<day>`);
- `anew(cause)`: a new chain. The answer to a command whose token proved nobody carries none of
  the sender's bytes: neither its event id (`shared.auth.unproven_cause`) nor its correlation id.

Example::

    emit = Emitter.of_message(message, producer="routing", topic=ROUTING_ASSIGNMENTS.name, now=now)
    return [emit(AdvisorAssigned(...), stream_id=case_id)]
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from shared.envelope import Envelope, EventPayload, new_envelope
from shared.outbox import Outgoing
from shared.pipeline import Decoded


@dataclass(frozen=True, slots=True)
class Emitter:
    """Builds the envelopes one input causes: deterministic ids, the input's correlation id."""

    producer: str
    topic: str  # the logical topic events go to unless a call names another
    causation_id: str
    correlation_id: str
    now: datetime

    @classmethod
    def of_envelope(cls, envelope: Envelope[Any], *, producer: str, topic: str, now: datetime) -> Emitter:
        """For events a consumed envelope causes: its id as causation, its correlation carried on."""
        return cls(producer, topic, envelope.event_id, envelope.correlation_id, now)

    @classmethod
    def of_cause(cls, cause: str, *, producer: str, topic: str, now: datetime) -> Emitter:
        """For events a request, a raw record, a job run or a command line causes: a chain starts here."""
        return cls(producer, topic, cause, cause, now)

    @classmethod
    def of_message(cls, message: Decoded, *, producer: str, topic: str, now: datetime) -> Emitter:
        """For a consumed message: `of_envelope` when it is one, else `of_cause` of its message id."""
        if isinstance(message.body, Envelope):
            return cls.of_envelope(message.body, producer=producer, topic=topic, now=now)
        return cls.of_cause(message.message_id, producer=producer, topic=topic, now=now)

    def caused_by(self, cause: str) -> Emitter:
        """The same correlation chain under another cause (ids derive from `cause`)."""
        return replace(self, causation_id=cause)

    def anew(self, cause: str) -> Emitter:
        """A new chain: nothing of this input is carried, neither its id nor its correlation id."""
        return replace(self, causation_id=cause, correlation_id=cause)

    def to(self, topic: str) -> Emitter:
        """The same cause and chain, events going to another topic."""
        return replace(self, topic=topic)

    def envelope(
        self, payload: EventPayload, stream_id: str, discriminator: str = ""
    ) -> Envelope[EventPayload]:
        return new_envelope(
            payload,
            stream_id=stream_id,
            producer=self.producer,
            occurred_at=self.now,
            causation_id=self.causation_id,
            correlation_id=self.correlation_id,
            discriminator=discriminator,
        )

    def __call__(self, payload: EventPayload, stream_id: str, discriminator: str = "") -> Outgoing:
        return Outgoing(self.topic, self.envelope(payload, stream_id, discriminator))
