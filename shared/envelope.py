"""The event envelope, the registry of event types, and upcasters.

Every event on every topic is an `Envelope` (ARCHITECTURE.md, "Events"): metadata in clear,
a typed payload. Payload classes register themselves with `@event_type(name, version)`;
an older payload is read as the current version through the chain of registered upcasters
(`v1 -> v2 -> ...`), so readers only ever see the current shape. A retired event type can be
read as its successor (`register_alias`: `decode_envelope` then renames the record's event_type).

Event ids of emitted events are deterministic (`derive_event_id`): a handler that runs twice for
the same input (crash between commit and publish, redelivery) emits byte-identical ids, which
downstream inboxes recognise as duplicates. An id is derived from the cause, the event type,
the stream the event belongs to and its position among that cause's events in that stream, so
two different events of one unit of work never share one (the outbox refuses them if they do).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, SerializeAsAny, ValidationError, field_validator

from shared.validation_errors import describe_validation_error

# A fixed namespace for uuid5 derivation of event ids. Never change it: ids derived today must
# equal ids derived after a restart or an upgrade.
EVENT_ID_NAMESPACE = uuid.UUID("6f1c9c54-2b8e-4d7a-9a51-3c0f3f0c2b11")

JsonDict = dict[str, Any]
Upcaster = Callable[[JsonDict], JsonDict]


class EventPayload(BaseModel):
    """Base class of every event payload: frozen, strict about unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    EVENT_TYPE: ClassVar[str] = ""
    SCHEMA_VERSION: ClassVar[int] = 1


P = TypeVar("P", bound=EventPayload)


class UnknownEventType(LookupError):
    """An envelope names an event type this service does not know."""


class UnsupportedSchemaVersion(LookupError):
    """An envelope's schema_version is newer than this code, or has no upcaster path."""


class EventRegistry:
    """Event type name -> current payload class, plus upcasters from older versions."""

    def __init__(self) -> None:
        self._types: dict[str, type[EventPayload]] = {}
        self._upcasters: dict[tuple[str, int], Upcaster] = {}
        self._aliases: dict[str, tuple[int, type[EventPayload], Upcaster]] = {}

    def register(self, cls: type[EventPayload]) -> None:
        existing = self._types.get(cls.EVENT_TYPE)
        if existing is not None and existing is not cls:
            raise ValueError(f"event type {cls.EVENT_TYPE!r} registered twice")
        self._types[cls.EVENT_TYPE] = cls

    def register_upcaster(self, event_type: str, from_version: int, fn: Upcaster) -> None:
        self._upcasters[(event_type, from_version)] = fn

    def register_alias(
        self, former_type: str, last_version: int, current: type[EventPayload], fn: Upcaster
    ) -> None:
        """Read records of a retired event type (at its `last_version`) as `current` v1."""
        if former_type in self._types:
            raise ValueError(f"event type {former_type!r} is registered, not retired")
        self._aliases[former_type] = (last_version, current, fn)

    def renamed(self, event_type: str, version: int, payload: JsonDict) -> tuple[str, int, JsonDict]:
        """A record of a retired type as its successor's v1 record (name, version, payload)."""
        alias = self._aliases.get(event_type)
        if alias is None:
            return event_type, version, payload
        last_version, current, fn = alias
        if version != last_version:
            raise UnsupportedSchemaVersion(f"{event_type} v{version} (retired at v{last_version})")
        return current.EVENT_TYPE, 1, fn(dict(payload))

    def payload_class(self, event_type: str) -> type[EventPayload]:
        if event_type in self._aliases:
            return self._aliases[event_type][1]
        try:
            return self._types[event_type]
        except KeyError:
            raise UnknownEventType(event_type) from None

    def known_types(self) -> dict[str, type[EventPayload]]:
        return dict(self._types)

    def upcast(self, event_type: str, version: int, payload: JsonDict) -> JsonDict:
        """Bring a payload of `version` up to the registered current version."""
        current = self.payload_class(event_type).SCHEMA_VERSION
        if version > current or version < 1:
            raise UnsupportedSchemaVersion(f"{event_type} v{version} (current v{current})")
        while version < current:
            step = self._upcasters.get((event_type, version))
            if step is None:
                raise UnsupportedSchemaVersion(f"{event_type}: no upcaster from v{version}")
            payload = step(dict(payload))
            version += 1
        return payload


REGISTRY = EventRegistry()


def event_type(name: str, version: int = 1) -> Callable[[type[P]], type[P]]:
    """Class decorator: register a payload class as event type `name`, current `version`."""

    def decorate(cls: type[P]) -> type[P]:
        cls.EVENT_TYPE = name
        cls.SCHEMA_VERSION = version
        REGISTRY.register(cls)
        return cls

    return decorate


def upcaster(name: str, from_version: int) -> Callable[[Upcaster], Upcaster]:
    """Function decorator: register `fn(payload_v_n) -> payload_v_n+1`."""

    def decorate(fn: Upcaster) -> Upcaster:
        REGISTRY.register_upcaster(name, from_version, fn)
        return fn

    return decorate


def derive_event_id(causation_id: str, event_type_name: str, stream_id: str, discriminator: str = "") -> str:
    """Deterministic id of an event emitted into `stream_id` because of `causation_id`.

    The stream (case, room, advisor) is part of the id: one input that changes several streams
    (a directory change re-routing ten cases) emits one event per stream, and ids without the
    stream collided, so the outbox kept the first and dropped the rest. `discriminator` separates
    several events of one type in one stream caused by one input (one `MeetingCancelled` per
    meeting when a case is reassigned).
    """
    return str(
        uuid.uuid5(EVENT_ID_NAMESPACE, f"{causation_id}|{event_type_name}|{stream_id}|{discriminator}")
    )


class Envelope(BaseModel, Generic[P]):
    """The wire form of every event. `payload` is the typed, current-version payload."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_id: str
    event_type: str
    schema_version: int = Field(ge=1)
    occurred_at: datetime
    producer: str
    stream_id: str
    sequence: int = Field(ge=0)
    correlation_id: str
    causation_id: str | None = None
    payload: SerializeAsAny[P]

    @field_validator("occurred_at")
    @classmethod
    def _must_be_aware_utc(cls, value: datetime) -> datetime:
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("occurred_at must carry a time zone")
        return value.astimezone(UTC)

    def to_bytes(self) -> bytes:
        return self.model_dump_json().encode()


# Pydantic keeps a parametrised generic such as Envelope[CaseOpened] only weakly: once collected,
# the next Envelope[CaseOpened] builds the model and its validator again (about 4 ms; 9 % of
# scheduling's CPU in bench/profile_scheduling_handlers.py). These hold them for the process.
_ENVELOPE_OF: dict[type[EventPayload], type[Envelope[Any]]] = {}
_ANY_ENVELOPE = Envelope[EventPayload]


def envelope_model(cls: type[EventPayload]) -> type[Envelope[Any]]:
    """Envelope[cls], built once per payload class."""
    model = _ENVELOPE_OF.get(cls)
    if model is None:
        model = _ENVELOPE_OF[cls] = Envelope[cls]  # type: ignore[valid-type]
    return model


class EnvelopeDecodeError(ValueError):
    """Bytes that are not a readable envelope. `reason` is a stable reason code."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


def decode_envelope(raw: bytes, registry: EventRegistry = REGISTRY) -> Envelope[EventPayload]:
    """Parse, upcast and validate an envelope. Raises EnvelopeDecodeError with a reason code.

    The error detail names schema paths and error kinds only (`describe_validation_error`), never
    field values nor field names the schema does not declare: DLQ records and logs must not carry
    what an invalid message might contain.
    """
    import json

    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise EnvelopeDecodeError("invalid_utf8", "message is not valid UTF-8") from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise EnvelopeDecodeError("not_json", f"not JSON (line {exc.lineno}, col {exc.colno})") from None
    if not isinstance(doc, dict):
        raise EnvelopeDecodeError("not_an_object", "top level is not a JSON object")
    name = doc.get("event_type")
    version = doc.get("schema_version")
    if not isinstance(name, str) or not isinstance(version, int):
        raise EnvelopeDecodeError("envelope_invalid", "event_type or schema_version missing")
    model: type[BaseModel] | None = None
    try:
        cls = registry.payload_class(name)
        payload = doc.get("payload")
        if not isinstance(payload, dict):
            raise EnvelopeDecodeError("envelope_invalid", "payload is not an object")
        name, version, payload = registry.renamed(name, version, payload)
        doc["event_type"] = name
        doc["payload"] = registry.upcast(name, version, payload)
        doc["schema_version"] = cls.SCHEMA_VERSION
        model = envelope_model(cls)
        return model.model_validate(doc)
    except UnknownEventType:
        raise EnvelopeDecodeError("unknown_event_type", "event type not registered") from None
    except UnsupportedSchemaVersion:
        raise EnvelopeDecodeError("unsupported_schema_version", f"{name} v{version}") from None
    except ValidationError as exc:
        raise EnvelopeDecodeError("envelope_invalid", describe_validation_error(exc, model)) from None


def new_envelope(
    payload: EventPayload,
    *,
    stream_id: str,
    producer: str,
    occurred_at: datetime,
    causation_id: str | None,
    correlation_id: str | None = None,
    event_id: str | None = None,
    discriminator: str = "",
    sequence: int = 0,
) -> Envelope[EventPayload]:
    """Build an envelope; with a causation id the event id is derived deterministically."""
    if event_id is None:
        event_id = (
            derive_event_id(causation_id, payload.EVENT_TYPE, stream_id, discriminator)
            if causation_id
            else str(uuid.uuid4())
        )
    return _ANY_ENVELOPE(
        event_id=event_id,
        event_type=payload.EVENT_TYPE,
        schema_version=payload.SCHEMA_VERSION,
        occurred_at=occurred_at,
        producer=producer,
        stream_id=stream_id,
        sequence=sequence,
        correlation_id=correlation_id or event_id,
        causation_id=causation_id,
        payload=payload,
    )
