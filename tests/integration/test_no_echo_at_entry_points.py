"""No caller-supplied name and no original Kafka key leaves intake in clear, against the real broker.

Markers go where a caller chooses bytes that are not values: field names (over Kafka and HTTP)
and Kafka keys (on a record intake dead-letters). Then the HTTP answer and every topic's keys and
values are searched for them: none, while the rejection and the dead letter still say where the
problem was, and a key holder can still open the dead letter's original key for a re-drive.
"""

from __future__ import annotations

import asyncio
import base64
import json
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.intake.app import create_runtime
from services.intake.settings import IntakeSettings
from shared.crypto import CaseCipher, Sealed
from shared.topics import ALL_TOPICS
from shared.validation_errors import UNKNOWN_FIELD
from tests.support import samples, scheduling_events
from tests.support.kafka_io import create_topics, produce, read_records
from tests.support.services import TEST_MASTER_KEY, running, wait_until

pytestmark = pytest.mark.integration

SUBMISSIONS, REJECTIONS, ASSIGNMENTS = (
    "intake.submissions.v1",
    "intake.rejections.v1",
    "routing.assignments.v1",
)


def every_topic() -> list[str]:
    return [t.name for t in ALL_TOPICS] + [t.dlq for t in ALL_TOPICS]


def written_by_services() -> list[str]:
    """Every topic but the two this test writes its input to."""
    return [t for t in every_topic() if t not in (SUBMISSIONS, ASSIGNMENTS)]


async def open_sealed(runtime: Any, sealed: dict[str, Any]) -> bytes:
    box = Sealed.model_validate(sealed)
    key = await runtime.context.keystore.get_key(box.kid)
    return base64.b64decode(CaseCipher.open_with_key(key, box.kid, "dlq_original", box))


async def test_unknown_field_names_and_original_keys_appear_in_no_answer_and_no_topic(
    kafka_bootstrap: str, unique_topic: str, tmp_path: Path
) -> None:
    marker = f"MARKER-echo-{uuid.uuid4().hex[:8]}"
    prefix = unique_topic
    await create_topics(kafka_bootstrap, [prefix + t for t in every_topic()])
    settings = IntakeSettings(
        kafka_bootstrap=kafka_bootstrap,
        topic_prefix=prefix,
        database_url=f"sqlite+aiosqlite:///{tmp_path}/intake.db",
        keystore_url=f"sqlite+aiosqlite:///{tmp_path}/keys.db",
        master_key=TEST_MASTER_KEY,
        key_cache_seconds=0,
    )
    over_kafka = samples.submission()
    over_kafka[f"{marker}-top"] = "x"
    over_http = samples.submission()
    over_http["contact"] = {**over_http["contact"], f"{marker}-contact": "x"}
    assignment = json.loads(
        scheduling_events.envelope_bytes(scheduling_events.assigned("case-echo", "adv-echo"))[2]
    )
    assignment["payload"][f"{marker}-payload"] = "x"

    runtime = create_runtime(settings)
    async with running(runtime):
        await produce(
            kafka_bootstrap, prefix + SUBMISSIONS, [(f"{marker}-k1".encode(), samples.to_bytes(over_kafka))]
        )
        await produce(
            kafka_bootstrap,
            prefix + ASSIGNMENTS,
            [(f"{marker}-k2".encode(), json.dumps(assignment).encode())],
        )
        transport = httpx.ASGITransport(app=runtime.asgi_app())
        async with httpx.AsyncClient(transport=transport, base_url="http://intake") as client:
            answer = await client.post("/v1/submissions", content=samples.to_bytes(over_http))

        found: dict[str, list[tuple[bytes | None, bytes]]] = {}

        async def both_written() -> bool:
            found["rejections"] = await read_records(kafka_bootstrap, prefix + REJECTIONS, timeout=3, idle=1)
            found["dead"] = await read_records(
                kafka_bootstrap, prefix + ASSIGNMENTS + ".dlq", timeout=3, idle=1
            )
            return len(found["rejections"]) >= 2 and len(found["dead"]) >= 1

        await wait_until(both_written, timeout=60, interval=0.5)
        [(dead_key, dead_value)] = found["dead"]
        dead = json.loads(dead_value)
        original_key = await open_sealed(runtime, dead["key_sealed"])

    assert answer.status_code == 422
    assert answer.json() == {
        "status": "rejected",
        "reason": "unexpected_field",
        "field": f"contact.{UNKNOWN_FIELD}",
        "submission_id": over_http["submission_id"],
    }
    fields = {
        r["payload"]["submission_id"]: r["payload"]["field"]
        for r in (json.loads(v) for _, v in found["rejections"])
    }
    assert fields == {
        over_kafka["submission_id"]: UNKNOWN_FIELD,
        over_http["submission_id"]: f"contact.{UNKNOWN_FIELD}",
    }
    assert dead["error"] == f"payload.{UNKNOWN_FIELD}:extra_forbidden"
    assert dead_key == dead["dlq_record_id"].encode()
    assert original_key == f"{marker}-k2".encode()  # the re-drive still has the key

    swept = await asyncio.gather(
        *(read_records(kafka_bootstrap, prefix + t, timeout=4, idle=1) for t in written_by_services())
    )
    leaks = [
        topic
        for topic, records in zip(written_by_services(), swept, strict=True)
        for key, value in records
        if marker.encode() in (key or b"") + value
    ]
    assert sum(len(r) for r in swept) >= 3  # the sweep read what was written
    assert leaks == []
    assert marker not in answer.text
