"""Reporting's decoder: read only the coded fields the projection folds, straight from the bytes.

The shared `decode_envelope` builds the whole typed payload, ciphertext objects included; reporting
never looks at those, and at replay rates the difference is most of the cost. So for each event type
reporting folds there is a slim model of the fields it reads (`extra="ignore"`, parsed by pydantic's
Rust JSON parser in one step), and for every other known type only the envelope is read.

Safety of the fast path: it applies only when the envelope names a registered type at its current
schema version and the slim model validates (the fields reporting reads have the right types and
codes). Anything else (an older version needing an upcaster, a newer one, an invalid or unknown
event, bytes that are not JSON) goes through `decode_envelope`, with its reason codes: unknown types
are skipped, the rest is poison and goes to the dead-letter topic. Reporting therefore validates the
fields it counts; fields it never reads are the producer's responsibility (validated when emitted).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError, create_model

import shared.contracts  # noqa: F401  (registers the event types)
from shared.codes import AdvisorScope, Category, Channel, ClientRole, MeetingMode, Outcome, TimeActivity
from shared.envelope import REGISTRY, EnvelopeDecodeError, decode_envelope
from shared.pipeline import (
    IGNORED,
    Decoded,
    Inbound,
    PoisonMessage,
)

_EVENT_TYPE = re.compile(rb'"event_type"\s*:\s*"([A-Za-z0-9_]{1,100})"')

_SLIM_CONFIG = ConfigDict(frozen=True, extra="ignore")

# The fields projection.py reads, per folded event type (names and types as in shared/contracts).
FOLDED_FIELDS: dict[str, dict[str, Any]] = {
    "CaseOpened": {
        "case_id": str, "opened_at": datetime, "channel": Channel, "organisation_id": str, "unit_id": str,
        "client_role": ClientRole, "categories": tuple[Category, ...], "is_whistleblower_report": (bool, False),
    },
    "TimeLogged": {
        "advisor_id": str, "case_id": (str | None, ...), "minutes": int, "activity": TimeActivity,
        "logged_at": datetime,
    },
    "CaseClosed": {"case_id": str, "outcomes": tuple[Outcome, ...], "closed_at": datetime},
    "TrainingRegistered": {"advisor_id": str, "hours": float, "completed_on": datetime},
    "SupervisionRegistered": {"advisor_id": str, "hours": float, "session_on": datetime},
    "ClientFeedbackGiven": {"case_id": str, "rating": int, "given_at": datetime},
    "LegalDeadlineSet": {"case_id": str, "deadline": Literal["acknowledgement", "feedback"], "due_on": date},
    "LegalDeadlineMet": {
        "case_id": str, "deadline": Literal["acknowledgement", "feedback"], "on_time": (bool, True),
    },
    "LegalDeadlineMissed": {"case_id": str, "deadline": Literal["acknowledgement", "feedback"]},
    "AdvisorAssigned": {"case_id": str, "advisor_id": str, "scope": AdvisorScope, "decided_at": datetime},
    "CaseReassigned": {
        "case_id": str, "to_advisor_id": (str | None, ...), "cause": str, "scope": (AdvisorScope | None, ...),
        "decided_at": datetime,
    },
    "MeetingScheduled": {
        "meeting_id": str, "case_id": str, "start": datetime, "mode": MeetingMode, "scheduled_at": datetime,
        "calendar_sequence": (int, 0),
    },
    "MeetingCancelled": {"meeting_id": str, "case_id": str, "cancelled_at": datetime},
    # directory.advisors.v1 (projection.add_directory_record): the advisor's home organisation only.
    "AdvisorUpserted": {"advisor_id": str, "organisation_id": (str | None, ...)},
}  # fmt: skip


class _EmptyPayload(BaseModel):
    model_config = _SLIM_CONFIG


def _field(spec: Any) -> tuple[Any, Any]:
    return (
        spec
        if isinstance(spec, tuple) and len(spec) == 2 and not hasattr(spec, "__origin__")
        else (spec, ...)
    )


def _slim_envelope(event_type: str, fields: dict[str, Any] | None) -> type[BaseModel]:
    definitions: dict[str, Any] = {name: _field(spec) for name, spec in (fields or {}).items()}
    payload: type[BaseModel] = (
        create_model(f"Slim{event_type}", __config__=_SLIM_CONFIG, **definitions)
        if fields is not None
        else _EmptyPayload
    )
    return create_model(
        f"SlimEnvelope{event_type}",
        __config__=_SLIM_CONFIG,
        event_id=(str, ...),
        event_type=(Literal[event_type], ...),
        schema_version=(Literal[REGISTRY.payload_class(event_type).SCHEMA_VERSION], ...),
        payload=(payload, ...),
    )


class SlimDecoder:
    """Slim models built once per process (pydantic model creation is slow; decoding then is fast)."""

    def __init__(self) -> None:
        self._models = {
            name: _slim_envelope(name, FOLDED_FIELDS.get(name)) for name in REGISTRY.known_types()
        }

    def decode(self, inbound: Inbound) -> Decoded:
        found = _EVENT_TYPE.search(inbound.value)
        model = self._models.get(found.group(1).decode()) if found else None
        if model is not None:
            try:
                env = model.model_validate_json(inbound.value)
                return Decoded(env.event_id, inbound, env)  # type: ignore[attr-defined]
            except ValidationError:
                pass  # an older version, a mismatch or an invalid event: the full decoder decides
        return _full_decode(inbound)


def _full_decode(inbound: Inbound) -> Decoded:
    try:
        env = decode_envelope(inbound.value)
    except EnvelopeDecodeError as exc:
        if exc.reason == "unknown_event_type":
            return Decoded(f"ignored:{inbound.position}", inbound, IGNORED)
        raise PoisonMessage(exc.reason, exc.detail) from None
    return Decoded(env.event_id, inbound, env)
