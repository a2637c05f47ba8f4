"""Sealed at the source: a frontend seals to intake's key, and no topic ever holds its personal data.

Intake runs with INTAKE_REQUIRE_SEALED_SUBMISSIONS on, against the real broker. The frontend
fetches the key from GET /v1/submission-key and publishes through shared/submission_sealing.py.
"""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from services.intake.app import create_runtime
from services.intake.settings import IntakeSettings
from shared.crypto import CaseCipher, Sealed
from shared.submission_sealing import fetch_submission_key, sealed_record_bytes
from tests.support import samples
from tests.support.kafka_io import create_topics, produce, read_all, read_json
from tests.support.services import TEST_MASTER_KEY, running, wait_until
from tools.demo.sample_org import directory_events

pytestmark = pytest.mark.integration

SUBMISSIONS, CASES, REJECTIONS = "intake.submissions.v1", "intake.cases.v1", "intake.rejections.v1"
UNITS = "directory.units.v1"  # intake reads the units from the directory's narrow copy


async def directory_taken_in(bootstrap: str, prefix: str) -> None:
    """Publish the sample organisation's units and wait until intake's group committed past them
    (intake checks organisation and unit against them before it opens a case)."""
    units = [
        (e.stream_id.encode(), e.to_bytes()) for e in directory_events() if e.event_type == "OrgUnitUpserted"
    ]
    await produce(bootstrap, prefix + UNITS, units)
    reader = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await reader.start()
    await admin.start()
    try:
        partitions = [TopicPartition(prefix + UNITS, p) for p in range(3)]
        ends = await reader.end_offsets(partitions)

        async def committed_to_end() -> bool:
            offsets = await admin.list_consumer_group_offsets(f"{prefix}caseflow-intake")
            return all(offsets.get(tp) is not None and offsets[tp].offset >= end for tp, end in ends.items())

        await wait_until(committed_to_end)
    finally:
        await admin.close()
        await reader.stop()


@pytest.fixture
async def intake(kafka_bootstrap: str, unique_topic: str, tmp_path: Any) -> Any:
    await create_topics(
        kafka_bootstrap,
        [unique_topic + t for t in (SUBMISSIONS, CASES, REJECTIONS, SUBMISSIONS + ".dlq", UNITS)],
    )
    settings = IntakeSettings(
        kafka_bootstrap=kafka_bootstrap,
        topic_prefix=unique_topic,
        database_url=f"sqlite+aiosqlite:///{tmp_path}/intake.db",
        keystore_url=f"sqlite+aiosqlite:///{tmp_path}/keys.db",
        master_key=TEST_MASTER_KEY,
        key_cache_seconds=0,
        require_sealed_submissions=True,
    )
    runtime = create_runtime(settings)
    async with running(runtime):
        await directory_taken_in(kafka_bootstrap, unique_topic)
        yield runtime


async def every_record(bootstrap: str, prefix: str) -> dict[str, list[bytes]]:
    """Every key and value of every topic under `prefix`, read from offset 0 to the current end."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        topics = sorted(t for t in await admin.list_topics() if t.startswith(prefix))
    finally:
        await admin.close()
    consumer = AIOKafkaConsumer(
        *topics, bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False
    )
    await consumer.start()
    found: dict[str, list[bytes]] = {t: [] for t in topics}
    try:
        while not consumer.assignment():
            await consumer.getmany(timeout_ms=200)
        await consumer.seek_to_beginning()
        ends = await consumer.end_offsets(list(consumer.assignment()))

        async def behind() -> bool:
            return any([await consumer.position(tp) < end for tp, end in ends.items()])

        while await behind():
            for tp, records in (await consumer.getmany(timeout_ms=500)).items():
                found[tp.topic] += [b for r in records for b in (r.key or b"", r.value or b"")]
    finally:
        await consumer.stop()
    return found


async def test_a_sealed_submission_opens_a_case_and_its_markers_are_in_no_topic_at_all(
    intake: Any, kafka_bootstrap: str
) -> None:
    prefix = intake.settings.topic_prefix
    transport = httpx.ASGITransport(app=intake.asgi_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://intake") as client:
        key = await fetch_submission_key(client, "http://intake")
    sealed_doc = samples.submission("sealedsrc")
    sealed_doc["meeting"]["location"] = "MARK-LOC-sealedsrc"  # free text: sealed at intake too
    clear_doc = samples.submission("clearsrc")
    await produce(
        kafka_bootstrap,
        prefix + SUBMISSIONS,
        [
            (sealed_doc["submission_id"].encode(), sealed_record_bytes(sealed_doc, key)),
            (clear_doc["submission_id"].encode(), samples.to_bytes(clear_doc)),
        ],
    )

    opened = read_json(await read_all(kafka_bootstrap, prefix + CASES, expect=1))
    assert [e["payload"]["submission_id"] for e in opened] == [sealed_doc["submission_id"]]
    case = opened[0]["payload"]
    personal = await CaseCipher(intake.context.keystore).open(
        case["case_id"], "personal", Sealed.model_validate(case["personal"])
    )
    assert personal["narrative"] == sealed_doc["narrative"]  # opened normally, contents intact
    rejected = read_json(await read_all(kafka_bootstrap, prefix + REJECTIONS, expect=1))
    assert [(e["payload"]["submission_id"], e["payload"]["reason"]) for e in rejected] == [
        (clear_doc["submission_id"], "submission_not_sealed_to_intake_key")
    ]

    records = await every_record(kafka_bootstrap, prefix)
    assert {prefix + SUBMISSIONS, prefix + CASES, prefix + REJECTIONS} <= set(records)
    raw_topic = records[prefix + SUBMISSIONS]
    assert any(b'"sealed"' in value for value in raw_topic)
    assert any(samples.markers("clearsrc")[0].encode() in value for value in raw_topic)  # the reader sees
    for topic, blobs in records.items():
        for marker in [*samples.markers("sealedsrc"), "MARK-LOC-sealedsrc"]:
            assert not any(marker.encode() in blob for blob in blobs), (topic, marker)
        if topic != prefix + SUBMISSIONS:  # the unsealed one sits in the raw topic, but nowhere else
            for marker in samples.markers("clearsrc"):
                assert not any(marker.encode() in blob for blob in blobs), (topic, marker)


async def test_the_key_endpoint_serves_a_rotating_versioned_public_key(intake: Any) -> None:
    transport = httpx.ASGITransport(app=intake.asgi_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://intake") as client:
        answer = await client.get("/v1/submission-key")
    assert answer.status_code == 200
    body = answer.json()
    assert body["alg"] == "crypto_box_seal" and body["key_id"].startswith("sk-")
    assert body["accept_until"] > body["use_until"]
    assert "max-age=" in answer.headers["cache-control"]
    assert set(body) == {"alg", "key_id", "public_key", "use_until", "accept_until"}
    assert len(base64.b64decode(body["public_key"])) == 32
