"""Every kind of bad input ends as a reason-coded rejection or a DLQ record, and intake moves on.

Each case sends the bad message followed by a valid "canary" submission on the same partition:
the canary's CaseOpened proves the service kept processing; the bad message's outcome is found
by its submission id (rejections) or its position (dead letters).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services.intake.app import create_runtime
from services.intake.settings import IntakeSettings
from tests.support import samples
from tests.support.directory import UNITS_TOPIC, load_units
from tests.support.kafka_io import create_topics, produce, read_all, read_json
from tests.support.services import TEST_MASTER_KEY, running

pytestmark = pytest.mark.integration

SUBMISSIONS, CASES, REJECTIONS = "intake.submissions.v1", "intake.cases.v1", "intake.rejections.v1"
DLQ = SUBMISSIONS + ".dlq"


def mutate(**changes: Any) -> Callable[[dict[str, Any]], bytes]:
    def build(doc: dict[str, Any]) -> bytes:
        for key, value in changes.items():
            if value is _DROP:
                doc.pop(key, None)
            else:
                doc[key] = value
        return json.dumps(doc).encode()

    return build


_DROP = object()
LATER = (datetime.now(UTC) + timedelta(days=2)).isoformat()

# (name, build bytes from a valid doc, expected: ("rejected" | "dlq", reason code))
BAD_INPUTS: list[tuple[str, Callable[[dict[str, Any]], bytes], tuple[str, str]]] = [
    ("missing channel", mutate(channel=_DROP), ("rejected", "missing_field")),
    ("missing categories", mutate(categories=_DROP), ("rejected", "missing_field")),
    ("extra top-level field", mutate(favourite_colour="blue"), ("rejected", "unexpected_field")),
    ("unknown channel code", mutate(channel="carrier_pigeon"), ("rejected", "invalid_enum")),
    ("unknown category code", mutate(categories=["integrity.jaywalking"]), ("rejected", "invalid_enum")),
    ("boolean sent as string", mutate(anonymous="yes"), ("rejected", "wrong_type")),
    ("categories sent as a string", mutate(categories="bullying"), ("rejected", "wrong_type")),
    ("schema_version as a string", mutate(schema_version="1"), ("rejected", "wrong_type")),
    ("narrative over 20,000 characters", mutate(narrative="x" * 20_001), ("rejected", "narrative_too_long")),
    ("unknown schema_version", mutate(schema_version=7), ("rejected", "schema_version_unsupported")),
    ("schema_version missing", mutate(schema_version=_DROP), ("rejected", "schema_version_missing")),
    (
        "timestamp without a zone",
        mutate(submitted_at="2026-11-28T10:00:00"),
        ("rejected", "timestamp_without_zone"),
    ),
    ("timestamp that is not a date", mutate(submitted_at="yesterday"), ("rejected", "invalid_timestamp")),
    ("submitted in the future", mutate(submitted_at=LATER), ("rejected", "submitted_in_future")),
    ("a message of several megabytes", mutate(narrative="y" * 3_000_000), ("rejected", "message_too_large")),
    ("no category", mutate(categories=[]), ("rejected", "no_category")),
    (
        "six categories",
        mutate(
            categories=[
                "workload",
                "other",
                "labour.legal_position",
                "integrity.gifts",
                "unwanted_behaviour.bullying",
                "integrity.fraud_theft",
            ]
        ),
        ("rejected", "too_many_categories"),
    ),
    (
        "the same category twice",
        mutate(categories=["workload", "workload"]),
        ("rejected", "duplicate_category"),
    ),
    (
        "anonymous but with contact details",
        mutate(anonymous=True),
        ("rejected", "contact_given_while_anonymous"),
    ),
    ("named but without contact details", mutate(contact=_DROP), ("rejected", "contact_required")),
    ("malformed e-mail address", mutate(contact={"email": "not-an-address"}), ("rejected", "invalid_email")),
    ("submission id with spaces", mutate(submission_id="my id 1234"), ("rejected", "invalid_submission_id")),
    (
        "availability ends before it starts",
        mutate(
            meeting={
                "availability": [{"start": "2026-12-02T10:00:00+01:00", "end": "2026-12-02T09:00:00+01:00"}]
            }
        ),
        ("rejected", "availability_window_invalid"),
    ),
    (
        "availability in year 9999",
        mutate(
            meeting={
                "availability": [{"start": "9999-12-30T09:00:00+00:00", "end": "9999-12-30T17:00:00+00:00"}]
            }
        ),
        ("rejected", "timestamp_out_of_range"),
    ),
    (
        "availability in year 1",
        mutate(
            meeting={
                "availability": [{"start": "0001-01-01T09:00:00+01:00", "end": "0001-01-01T17:00:00+01:00"}]
            }
        ),
        ("rejected", "timestamp_out_of_range"),
    ),
    (
        "availability with a zone offset of 23:59",
        mutate(
            meeting={
                "availability": [{"start": "2026-12-03T09:00:00+23:59", "end": "2026-12-03T17:00:00+23:59"}]
            }
        ),
        ("rejected", "timezone_invalid"),
    ),
    ("an invented organisation", mutate(organisation_id="min-nowhere"), ("rejected", "organisation_unknown")),
    (
        "a unit of another organisation",
        mutate(unit_id="fin-tax"),
        ("rejected", "unit_unknown_in_organisation"),
    ),
    ("an invented unit", mutate(unit_id="bzk-made-up"), ("rejected", "unit_unknown_in_organisation")),
    ("language that is not an ISO code", mutate(language="dutch"), ("rejected", "invalid_language")),
    (
        "person involved without id or role",
        mutate(persons_involved=[{"description": "someone"}]),
        ("rejected", "person_involved_unidentified"),
    ),
    (
        "21 persons involved",
        mutate(persons_involved=[{"role": "colleague"}] * 21),
        ("rejected", "too_many_items"),
    ),
    ("JSON array instead of an object", lambda doc: b"[1, 2, 3]", ("rejected", "not_an_object")),
    ("JSON null", lambda doc: b"null", ("rejected", "not_an_object")),
    ("invalid UTF-8", lambda doc: b'{"narrative": "\xff\xfe broken"}', ("dlq", "invalid_utf8")),
    ("bytes that are not JSON", lambda doc: b"\x00\x01 definitely not json", ("dlq", "not_json")),
    ("an empty message", lambda doc: b"", ("dlq", "not_json")),
    ("truncated JSON", lambda doc: json.dumps(doc).encode()[:-20], ("dlq", "not_json")),
    ("JSON nested 100,000 deep", lambda doc: b"[" * 100_000 + b"]" * 100_000, ("dlq", "not_json")),
]


@pytest.fixture(scope="module")
async def intake(kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> Any:
    prefix = f"t-bad-input-{datetime.now(UTC).strftime('%H%M%S%f')}."
    tmp = tmp_path_factory.mktemp("intake-bad")
    # One partition, so the canary is always behind the bad message it follows.
    await create_topics(
        kafka_bootstrap,
        [prefix + t for t in (SUBMISSIONS, CASES, REJECTIONS, DLQ, UNITS_TOPIC)],
        partitions=1,
    )
    settings = IntakeSettings(
        kafka_bootstrap=kafka_bootstrap,
        topic_prefix=prefix,
        database_url=f"sqlite+aiosqlite:///{tmp}/intake.db",
        keystore_url=f"sqlite+aiosqlite:///{tmp}/keys.db",
        master_key=TEST_MASTER_KEY,
    )
    async with running(create_runtime(settings)) as runtime:
        await load_units(kafka_bootstrap, prefix, runtime.context.engine)
        yield runtime


def test_there_are_at_least_twenty_kinds_of_bad_input() -> None:
    assert len({name for name, _, _ in BAD_INPUTS}) >= 20


@pytest.mark.parametrize(
    ("build", "expected"), [(b, e) for _, b, e in BAD_INPUTS], ids=[n for n, _, _ in BAD_INPUTS]
)
async def test_bad_input_is_recorded_with_a_reason_and_intake_moves_on(
    intake: Any, kafka_bootstrap: str, build: Callable[[dict[str, Any]], bytes], expected: tuple[str, str]
) -> None:
    prefix = intake.settings.topic_prefix
    marker = f"bad{abs(hash(build)) % 10**8}"
    bad_doc = samples.submission(marker)
    bad = build(dict(bad_doc))
    canary = samples.submission()
    await produce(kafka_bootstrap, prefix + SUBMISSIONS, [(b"k", bad), (b"k", samples.to_bytes(canary))])

    opened = read_json(await read_all(kafka_bootstrap, prefix + CASES, timeout=30, idle=1.5))
    assert canary["submission_id"] in {e["payload"]["submission_id"] for e in opened}, (
        "intake stopped processing"
    )
    assert bad_doc["submission_id"] not in {e["payload"]["submission_id"] for e in opened}

    kind, reason = expected
    if kind == "rejected":
        rejections = read_json(await read_all(kafka_bootstrap, prefix + REJECTIONS, timeout=10, idle=1.0))
        ours = [r for r in rejections if r["payload"]["reason"] == reason]
        assert ours, f"no SubmissionRejected with reason {reason}"
        sid = bad_doc["submission_id"] if f'"{bad_doc["submission_id"]}"'.encode() in bad else None
        if sid is not None:
            assert [r["payload"]["reason"] for r in rejections if r["payload"]["submission_id"] == sid] == [
                reason
            ]
        for text in samples.markers(marker):
            assert text not in json.dumps(rejections)
    else:
        records = read_json(await read_all(kafka_bootstrap, prefix + DLQ, timeout=10, idle=1.0))
        ours = [r for r in records if r["reason"] == reason and r["size_bytes"] == len(bad)]
        assert ours, f"no DLQ record with reason {reason}"
        assert "original_sealed" in ours[0] and "sha256" in ours[0]
        for text in samples.markers(marker):
            assert text not in json.dumps(records)
