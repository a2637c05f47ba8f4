"""A DLQ topic folded: dead letters with their re-drive markers, metadata only (shared/dead_letter_log.py)."""

from __future__ import annotations

import json

import pytest

from shared.dead_letter_log import BadPosition, Position, fold, marker, parse_position

pytestmark = pytest.mark.unit
TOPIC = "intake.cases.v1.dlq"


def dead_letter(record_id: str, offset: int, reason: str = "handler_error") -> bytes:
    return json.dumps(
        {
            "dlq_record_id": record_id,
            "service": "routing",
            "source_topic": "intake.cases.v1",
            "partition": 1,
            "offset": offset,
            "reason": reason,
            "error": "UnknownMasterKey",
            "received_at": "2026-12-04T10:00:00+00:00",
            "size_bytes": 812,
            "sha256": "ab" * 32,
            "key_size_bytes": 36,
            "original_sealed": {"alg": "A256GCM", "kid": f"dlq:{record_id}", "nonce": "n", "ct": "SECRET-ct"},
            "key_sealed": {"alg": "A256GCM", "kid": f"dlq:{record_id}:key", "nonce": "n", "ct": "SECRET-key"},
        }
    ).encode()


def test_a_position_is_a_known_dlq_topic_a_partition_and_an_offset() -> None:
    assert parse_position(" intake.cases.v1.dlq:2:17 ") == Position(TOPIC, 2, 17)
    assert str(Position(TOPIC, 2, 17)) == "intake.cases.v1.dlq:2:17"
    for bad in (
        "intake.cases.v1.dlq",
        "intake.cases.v1:2:17",
        "billing.v1.dlq:0:1",
        f"{TOPIC}:x:1",
        f"{TOPIC}:0:-1",
    ):
        with pytest.raises(BadPosition):
            parse_position(bad)


def test_markers_attach_to_the_dead_letter_they_redrive_and_the_rest_is_counted_by_reason() -> None:
    first = fold(TOPIC, [(0, 0, dead_letter("r-1", 5)), (0, 1, dead_letter("r-2", 6, "envelope_invalid"))])
    key, value = marker(
        first.letters[0], at="2026-12-04T11:00:00+00:00", republished="intake.cases.v1:1:9", forced=False
    )
    assert key == b"redriven:r-1"
    folded = fold(
        TOPIC,
        [
            (0, 0, dead_letter("r-1", 5)),
            (0, 1, dead_letter("r-2", 6, "envelope_invalid")),
            (0, 2, value),
            (1, 0, b"not json"),
        ],
    )

    one, two = folded.letters
    assert [r.republished for r in one.redrives] == ["intake.cases.v1:1:9"] and two.redrives == ()
    assert folded.by_reason() == {"envelope_invalid": 1, "handler_error": 1}
    assert folded.unreadable == [Position(TOPIC, 1, 0)]
    assert folded.find(Position(TOPIC, 0, 2)) is None, "a marker is no dead letter"
    assert one.source == "intake.cases.v1:1:5"


def test_what_may_be_shown_says_whether_the_original_is_sealed_never_what_it_is() -> None:
    [letter] = fold(TOPIC, [(0, 0, dead_letter("r-1", 5))]).letters
    shown = json.dumps(letter.metadata())
    assert "SECRET" not in shown and "dlq:r-1" not in shown
    assert letter.metadata()["original_sealed"] is True
    assert letter.metadata()["position"] == "intake.cases.v1.dlq:0:0"
