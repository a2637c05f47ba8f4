"""Decoding what intake consumes: other services' topics, and the frontends' sealed submissions.

Routing, the HR feed and the workbench publish event types intake does not act on (and may add
new ones before intake knows them). Those are skipped: only a record that is broken, or an event
type intake handles with an invalid payload, is a poison message.

A submission sealed to intake's key (shared/submission_sealing.py) is opened here, before
validation sees it; a record that cannot be opened becomes a reason-coded rejection.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from datetime import datetime
from typing import Any

from services.intake.adapters.submission_keys import SubmissionKeyRing
from services.intake.domain.submission import Rejection, peek_submission_id
from shared import submission_sealing as sealing
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


class SubmissionUnsealer:
    """Opens sealed submissions; with `require_sealed`, an unsealed one is a rejection."""

    def __init__(self, keys: SubmissionKeyRing, *, require_sealed: bool) -> None:
        self._keys = keys
        self._require_sealed = require_sealed

    async def open(self, raw: bytes, doc: Any, now: datetime) -> sealing.Opened | Rejection:
        """The submission as the frontend wrote it (raw bytes and JSON), or why it cannot be read."""
        sid = peek_submission_id(doc)
        if not sealing.is_sealed(doc):
            if self._require_sealed:
                return Rejection(sealing.NOT_SEALED, None, sid)
            return sealing.Opened(raw, doc)
        record = sealing.parse_sealed_record(doc, len(raw))
        if isinstance(record, sealing.SealingProblem):
            return Rejection(record.reason, record.field, sid)
        private = await self._keys.private_key(record.key_id, now)
        if isinstance(private, str):
            return Rejection(private, "sealed.kid", sid)
        opened = sealing.open_sealed_record(record, private)
        if isinstance(opened, sealing.SealingProblem):
            return Rejection(opened.reason, opened.field, sid)
        return opened
