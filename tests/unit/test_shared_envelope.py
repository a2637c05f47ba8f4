"""The envelope: typed payloads, upcasting of old versions, deterministic ids, reason-coded decode errors."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

import shared.contracts  # noqa: F401  (registers the event types)
from shared.contracts.intake import CaseOpened, ClientFeedbackGiven
from shared.crypto import Sealed
from shared.envelope import EnvelopeDecodeError, decode_envelope, derive_event_id, new_envelope

pytestmark = pytest.mark.unit

SEALED = {"alg": "A256GCM", "kid": "case-1", "nonce": "AAAA", "ct": "BBBB"}


def case_opened_v1_bytes() -> bytes:
    """A CaseOpened as the first release wrote it: one `category`, no `language`."""
    return json.dumps(
        {
            "event_id": "e-1",
            "event_type": "CaseOpened",
            "schema_version": 1,
            "occurred_at": "2025-03-01T09:00:00+00:00",
            "producer": "intake",
            "stream_id": "case-1",
            "sequence": 1,
            "correlation_id": "case-1",
            "causation_id": "submission:abc",
            "payload": {
                "case_id": "case-1",
                "submission_id": "abc12345",
                "opened_at": "2025-03-01T09:00:00+00:00",
                "channel": "phone",
                "organisation_id": "min-a",
                "unit_id": "u-1",
                "client_role": "employee",
                "anonymous": True,
                "category": "unwanted_behaviour.bullying",
                "personal": SEALED,
                "routing_facts": SEALED,
            },
        }
    ).encode()


def test_a_version_1_event_is_read_as_the_current_version_through_its_upcaster() -> None:
    env = decode_envelope(case_opened_v1_bytes())
    assert isinstance(env.payload, CaseOpened)
    assert env.schema_version == CaseOpened.SCHEMA_VERSION == 3
    assert [c.value for c in env.payload.categories] == ["unwanted_behaviour.bullying"]
    assert env.payload.language is None


def test_an_envelope_round_trips_with_its_subclass_fields() -> None:
    payload = CaseOpened.model_validate_json(
        decode_envelope(case_opened_v1_bytes()).payload.model_dump_json()
    )
    env = new_envelope(
        payload,
        stream_id="case-1",
        producer="intake",
        occurred_at=datetime(2026, 1, 1, tzinfo=UTC),
        causation_id="x",
    )
    back = decode_envelope(env.to_bytes())
    assert back == env and back.payload.personal == Sealed(**SEALED)


def test_emitted_event_ids_are_deterministic_per_cause_type_stream_and_discriminator() -> None:
    assert derive_event_id("c", "T", "s") == derive_event_id("c", "T", "s")
    assert (
        len(
            {
                derive_event_id("c", "T", "s"),
                derive_event_id("c", "U", "s"),
                derive_event_id("d", "T", "s"),
                derive_event_id("c", "T", "s", "2"),
                derive_event_id("c", "T", "other-case"),
            }
        )
        == 5
    )


def test_one_cause_emitting_the_same_event_type_into_many_streams_gets_one_id_per_stream() -> None:
    """The lost re-route: one directory change re-routes several cases with one discriminator."""
    ids = {
        new_envelope(
            ClientFeedbackGiven(case_id=f"case-{n}", rating=4, given_at=datetime(2026, 1, 1, tzinfo=UTC)),
            stream_id=f"case-{n}",
            producer="routing",
            occurred_at=datetime(2026, 1, 1, tzinfo=UTC),
            causation_id="directory-change-1",
            discriminator="org_change:0",
        ).event_id
        for n in range(10)
    }
    assert len(ids) == 10


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"\xff\xfe", "invalid_utf8"),
        (b"{not json", "not_json"),
        (b"[]", "not_an_object"),
        (b'{"event_type": "CaseOpened"}', "envelope_invalid"),
        (
            json.dumps({"event_type": "NoSuchThing", "schema_version": 1, "payload": {}}).encode(),
            "unknown_event_type",
        ),
        (
            case_opened_v1_bytes().replace(b'"schema_version": 1', b'"schema_version": 9'),
            "unsupported_schema_version",
        ),
        (
            case_opened_v1_bytes().replace(
                b'"occurred_at": "2025-03-01T09:00:00+00:00"', b'"occurred_at": "2025-03-01T09:00:00"'
            ),
            "envelope_invalid",
        ),
    ],
)
def test_undecodable_envelopes_fail_with_a_reason_code(raw: bytes, reason: str) -> None:
    with pytest.raises(EnvelopeDecodeError) as caught:
        decode_envelope(raw)
    assert caught.value.reason == reason


def test_decode_errors_name_fields_not_values() -> None:
    raw = case_opened_v1_bytes().replace(b'"channel": "phone"', b'"channel": "SECRET-VALUE-42"')
    with pytest.raises(EnvelopeDecodeError) as caught:
        decode_envelope(raw)
    assert "SECRET-VALUE-42" not in str(caught.value) and "channel" in str(caught.value)
