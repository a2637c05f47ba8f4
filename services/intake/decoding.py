"""Decoding other services' topics: handle what intake needs, skip the rest without a DLQ record.

Routing, the HR feed and the workbench publish event types intake does not act on (and may add
new ones before intake knows them). Those are skipped: only a record that is broken, or an event
type intake handles with an invalid payload, is a poison message.
"""

from __future__ import annotations

import json
from collections.abc import Collection

from shared.pipeline import Decoded, Decoder, Inbound, envelope_decoder


def _peek(value: bytes) -> tuple[str | None, str | None]:
    """(event_type, event_id) read loosely, or Nones when the record is not a JSON object."""
    try:
        doc = json.loads(value)
    except (ValueError, RecursionError):
        return None, None
    if not isinstance(doc, dict):
        return None, None
    kind, event_id = doc.get("event_type"), doc.get("event_id")
    return (kind if isinstance(kind, str) else None, event_id if isinstance(event_id, str) else None)


def selective_envelope_decoder(handled: Collection[str]) -> Decoder:
    """An envelope decoder that passes other event types through with `body=None` (skipped)."""

    def decode(inbound: Inbound) -> Decoded:
        kind, event_id = _peek(inbound.value)
        if kind is not None and kind not in handled:
            return Decoded(message_id=event_id or f"skipped:{inbound.position}", inbound=inbound, body=None)
        return envelope_decoder(inbound)

    return decode
