"""Reporting reads coded fields only: the slim decoder, its fallbacks, and the fold of one batch."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from services.reporting.adapters.projection import ProjectionBatch, event_fingerprint
from services.reporting.entrypoints.decoding import IGNORED, SlimDecoder
from services.reporting.entrypoints.kafka_handlers import fold_directory, fold_messages
from shared.envelope import decode_envelope
from shared.pipeline import Decoded, Inbound, PoisonMessage
from tests.support.reporting import directory_copy
from tools.reporting.simulated_events import simulated_year

pytestmark = pytest.mark.unit

DECODER = SlimDecoder()
EVENTS = list(simulated_year(seed=5, year=2026, cases=120))


def inbound(value: bytes, offset: int = 0) -> Inbound:
    return Inbound("intake.cases.v1", 0, offset, b"k", value)


def full(value: bytes, offset: int = 0) -> Decoded:
    env = decode_envelope(value)
    return Decoded(env.event_id, inbound(value, offset), env)


def rows_of(batch: ProjectionBatch) -> dict[str, object]:
    return {name: getattr(batch, name) for name in batch.__dataclass_fields__}


def test_the_slim_decoder_folds_exactly_like_the_full_decoder() -> None:
    slim = [DECODER.decode(inbound(e.value, i)) for i, e in enumerate(EVENTS)]
    complete = [full(e.value, i) for i, e in enumerate(EVENTS)]
    assert [m.message_id for m in slim] == [e.event_id for e in EVENTS]
    assert rows_of(fold_messages(slim)) == rows_of(fold_messages(complete))
    assert fold_messages(slim).event_count == len(EVENTS)


def test_an_older_schema_version_is_upcast_through_the_full_decoder() -> None:
    opened = next(e for e in EVENTS if e.event_type == "CaseOpened")
    doc = json.loads(opened.value)
    doc["schema_version"] = 1
    doc["payload"]["category"] = doc["payload"].pop("categories")[0]
    del doc["payload"]["language"]
    decoded = DECODER.decode(inbound(json.dumps(doc).encode()))
    assert decoded.body.payload.categories[0].value == json.loads(opened.value)["payload"]["categories"][0]


def test_unknown_event_types_are_skipped_not_poison() -> None:
    doc = json.loads(EVENTS[0].value)
    doc["event_type"] = "SomethingNewFromIntake"
    decoded = DECODER.decode(inbound(json.dumps(doc).encode(), 7))
    assert decoded.body == IGNORED and decoded.message_id == "ignored:intake.cases.v1:0:7"
    assert fold_messages([decoded]).event_count == 0


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda d: d["payload"].update(channel="carrier_pigeon"), "envelope_invalid"),
        (lambda d: d["payload"].pop("case_id"), "envelope_invalid"),
        (lambda d: d.update(schema_version=99), "unsupported_schema_version"),
    ],
)
def test_invalid_known_events_are_poison_with_the_shared_reason_codes(mutate: object, reason: str) -> None:
    opened = next(e for e in EVENTS if e.event_type == "CaseOpened")
    doc = json.loads(opened.value)
    mutate(doc)  # type: ignore[operator]
    with pytest.raises(PoisonMessage) as caught:
        DECODER.decode(inbound(json.dumps(doc).encode()))
    assert caught.value.reason == reason


def test_bytes_that_are_not_json_are_poison() -> None:
    with pytest.raises(PoisonMessage) as caught:
        DECODER.decode(inbound(b'{"event_type": "CaseOpened", "payload": '))
    assert caught.value.reason == "not_json"


def test_the_fold_keeps_no_ciphertext_and_no_sealed_field() -> None:
    decoded = [DECODER.decode(inbound(e.value, i)) for i, e in enumerate(EVENTS)]
    text = repr(rows_of(fold_messages(decoded)))
    for event in EVENTS:
        doc = json.loads(event.value)
        for value in doc["payload"].values():
            if isinstance(value, dict) and "ct" in value:
                assert value["ct"] not in text and value["nonce"] not in text
        assert doc["payload"].get("submission_id", "never-there") not in text


def test_the_fingerprint_does_not_depend_on_the_order_of_events() -> None:
    forward, backward = ProjectionBatch(), ProjectionBatch()
    for event in EVENTS:
        forward.add(event.event_id, "Unfolded", None)
    for event in reversed(EVENTS):
        backward.add(event.event_id, "Unfolded", None)
    assert forward.fingerprint == backward.fingerprint != 0
    assert event_fingerprint("a") != event_fingerprint("b")


def test_one_batch_aggregates_minutes_and_keeps_the_earliest_conversation() -> None:
    from shared.codes import TimeActivity
    from shared.contracts.intake import TimeLogged

    batch = ProjectionBatch()
    for i, (day, minutes) in enumerate(((3, 30), (1, 45), (2, 60))):
        logged = datetime(2026, 2, day, 10, tzinfo=UTC)
        batch.add(f"e{i}", "TimeLogged", TimeLogged(advisor_id="adv", case_id="c1", minutes=minutes,
                  activity=TimeActivity.CONVERSATION, logged_at=logged))  # fmt: skip
    assert batch.minutes == {("adv", "c1", "2026-Q1", "conversation"): 135}
    assert batch.first_conversation == {"c1": "2026-02-01T10:00:00.000000+00:00"}


def test_the_directory_copy_gives_homes_latest_record_first_and_counts_nothing() -> None:
    records = directory_copy([("adv-nieuw", "min-fin"), ("adv-extern", None), ("adv-nieuw", "min-bzk")])
    slim = [DECODER.decode(Inbound("directory.advisors.v1", 0, i, k, v)) for i, (k, v) in enumerate(records)]
    complete = [Decoded(d.message_id, d.inbound, decode_envelope(d.inbound.value)) for d in slim]
    for decoded in (slim, complete):
        batch = fold_directory(decoded)
        # adv-nieuw moved to min-bzk; an external advisor has no home organisation.
        assert batch.advisor_homes == {"adv-nieuw": "min-bzk", "adv-extern": None}
        assert (batch.event_count, batch.fingerprint) == (0, 0)
    assert "person-of" not in repr(rows_of(fold_directory(slim)))


def test_a_pseudonym_a_faulty_feed_puts_on_the_copy_is_never_read() -> None:
    [(key, value), _status] = directory_copy([("adv-anna", "min-bzk")])
    doc = json.loads(value)
    doc["payload"]["person_id"] = "person-of-adv-anna"  # as on directory.v1, where it belongs
    leaked = json.dumps(doc).encode()
    decoded = DECODER.decode(Inbound("directory.advisors.v1", 0, 0, key, leaked))
    assert "person-of" not in repr(decoded.body)
    assert fold_directory([decoded]).advisor_homes == {"adv-anna": "min-bzk"}


def test_a_directory_record_on_a_statistics_topic_is_counted_but_gives_no_home() -> None:
    [(key, value), _status] = directory_copy([("adv-anna", "min-bzk")])
    batch = fold_messages([DECODER.decode(Inbound("intake.cases.v1", 0, 0, key, value))])
    assert batch.event_count == 1 and batch.advisor_homes == {}
