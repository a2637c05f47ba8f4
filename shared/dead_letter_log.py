"""What a `<topic>.dlq` topic says, folded: its dead letters and which of them were re-driven.

A DLQ topic holds two kinds of records. Dead letters, written by a service's pipeline
(shared/pipeline.py `_dead_letter`): where the original was, a reason code, an error kind, sizes,
a digest, and for key holders the original value and key sealed under a key of their own. And
re-drive markers, written by `caseflow dlq redrive` after it published a dead letter's original
again: `{"kind": "redriven", "redrive_of": POSITION, ...}`, keyed `redriven:<dlq_record_id>`. A
position is `<dlq topic>:<partition>:<offset>` with the logical topic name (no deployment prefix),
the same text the pipeline remembers a re-driven record by (`redrive:<position>` in its inbox).

Nothing here reads the sealed fields: a listing shows metadata only, never personal data.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from shared.topics import ALL_TOPICS, dlq_of

MARKER_KIND = "redriven"
DLQ_TOPICS: tuple[str, ...] = tuple(dlq_of(t.name) for t in ALL_TOPICS)
# What `show` prints of a dead letter: its metadata, never `original_sealed` or `key_sealed`.
METADATA_FIELDS = (
    "dlq_record_id",
    "service",
    "source_topic",
    "partition",
    "offset",
    "reason",
    "error",
    "received_at",
    "size_bytes",
    "sha256",
    "key_size_bytes",
)


class BadPosition(ValueError):
    """Text that is no `<dlq topic>:<partition>:<offset>` of a known DLQ topic."""


@dataclass(frozen=True, slots=True, order=True)
class Position:
    topic: str  # the logical DLQ topic, `<topic>.dlq`
    partition: int
    offset: int

    def __str__(self) -> str:
        return f"{self.topic}:{self.partition}:{self.offset}"


def parse_position(text: str) -> Position:
    parts = text.strip().rsplit(":", 2)
    if len(parts) != 3:
        raise BadPosition(f"{text!r} is no position: expected <dlq topic>:<partition>:<offset>")
    topic, partition, offset = parts
    if topic not in DLQ_TOPICS:
        raise BadPosition(f"{topic!r} is no dead-letter topic (allowed: {', '.join(DLQ_TOPICS)})")
    if not (partition.isdigit() and offset.isdigit()):
        raise BadPosition(f"{text!r}: partition and offset must be whole numbers")
    return Position(topic, int(partition), int(offset))


@dataclass(frozen=True, slots=True)
class Redrive:
    """One re-drive of a dead letter, as its marker tells it."""

    at: str
    republished: str  # "<source topic>:<partition>:<offset>" of the record published again
    forced: bool


@dataclass(frozen=True, slots=True)
class DeadLetter:
    position: Position
    record: Mapping[str, Any]
    redrives: tuple[Redrive, ...] = ()

    @property
    def service(self) -> str:
        return str(self.record.get("service", ""))

    @property
    def reason(self) -> str:
        return str(self.record.get("reason", ""))

    @property
    def source_topic(self) -> str:
        return str(self.record.get("source_topic", ""))

    @property
    def sealed(self) -> bool:
        return "original_sealed" in self.record

    @property
    def source(self) -> str:
        r = self.record
        return f"{r.get('source_topic')}:{r.get('partition')}:{r.get('offset')}"

    def metadata(self) -> dict[str, Any]:
        """What may be shown: never the sealed original or key, only whether they are there."""
        shown = {name: self.record[name] for name in METADATA_FIELDS if name in self.record}
        return {
            "position": str(self.position),
            **shown,
            "original_sealed": self.sealed,
            "redriven": [
                {"at": r.at, "republished": r.republished, "forced": r.forced} for r in self.redrives
            ],
        }


@dataclass
class DeadLetterLog:
    letters: list[DeadLetter] = field(default_factory=list)
    unreadable: list[Position] = field(default_factory=list)  # neither a dead letter nor a marker

    def find(self, position: Position) -> DeadLetter | None:
        return next((d for d in self.letters if d.position == position), None)

    def by_reason(self) -> dict[str, int]:
        return dict(sorted(Counter(d.reason for d in self.letters).items()))


def marker(letter: DeadLetter, *, at: str, republished: str, forced: bool) -> tuple[bytes, bytes]:
    """The (Kafka key, value) of the record that says `letter` was re-driven: metadata only."""
    record_id = str(letter.record.get("dlq_record_id", ""))
    value = {
        "kind": MARKER_KIND,
        "redrive_of": str(letter.position),
        "dlq_record_id": record_id,
        "service": letter.service,
        "source_topic": letter.source_topic,
        "redriven_at": at,
        "republished": republished,
        "forced": forced,
    }
    return f"redriven:{record_id}".encode(), json.dumps(value).encode()


def fold(topic: str, records: Iterable[tuple[int, int, bytes]]) -> DeadLetterLog:
    """The dead letters of one DLQ topic (`records`: partition, offset, value) with their re-drives."""
    letters: dict[str, DeadLetter] = {}
    redrives: dict[str, list[Redrive]] = {}
    unreadable: list[Position] = []
    for partition, offset, value in records:
        position = Position(topic, partition, offset)
        try:
            doc = json.loads(value)
        except (ValueError, TypeError):
            unreadable.append(position)
            continue
        if not isinstance(doc, dict):
            unreadable.append(position)
        elif doc.get("kind") == MARKER_KIND:
            redrives.setdefault(str(doc.get("redrive_of")), []).append(
                Redrive(
                    str(doc.get("redriven_at", "")), str(doc.get("republished", "")), bool(doc.get("forced"))
                )
            )
        elif "dlq_record_id" in doc:
            letters[str(position)] = DeadLetter(position, doc)
        else:
            unreadable.append(position)
    return DeadLetterLog(
        [
            DeadLetter(d.position, d.record, tuple(redrives.get(key, ())))
            for key, d in sorted(letters.items(), key=lambda item: item[1].position)
        ],
        unreadable,
    )
