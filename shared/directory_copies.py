"""The records the HR feed publishes for one directory event: the event on directory.v1, and its
narrow copy (shared/topics.py, DIRECTORY_COPIES) with the person pseudonyms dropped
(DIRECTORY_COPY_WITHOUT: an AdvisorUpserted's `person_id` is null in the copy). Every publisher of
the directory (`caseflow directory import`, the demo, the dev stack, the tests) writes these."""

from __future__ import annotations

from typing import Any

from shared.envelope import Envelope
from shared.topics import DIRECTORY, DIRECTORY_COPIES, DIRECTORY_COPY_WITHOUT


def copy_of(envelope: Envelope[Any]) -> Envelope[Any]:
    """The envelope as its narrow copy carries it: the same event, pseudonym fields null."""
    dropped = DIRECTORY_COPY_WITHOUT.get(envelope.event_type, ())
    if not dropped:
        return envelope
    payload = envelope.payload.model_copy(update=dict.fromkeys(dropped))
    return envelope.model_copy(update={"payload": payload})


def directory_records(envelope: Envelope[Any]) -> list[tuple[str, bytes, bytes]]:
    """(topic, key, value) of every record the HR feed publishes for `envelope` (no topic prefix)."""
    key = envelope.stream_id.encode()
    records = [(DIRECTORY.name, key, envelope.to_bytes())]
    copy = DIRECTORY_COPIES.get(envelope.event_type)
    if copy is not None:
        records.append((copy.name, key, copy_of(envelope).to_bytes()))
    return records
