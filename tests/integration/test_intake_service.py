"""The intake service against the real broker, on SQLite and PostgreSQL (one contract class)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from services.intake.app import create_runtime
from services.intake.settings import IntakeSettings
from shared.crypto import CaseCipher, KeyErased, Sealed
from tests.support import samples
from tests.support.directory import UNITS_TOPIC, load_units
from tests.support.kafka_io import create_topics, produce, read_all, read_json
from tests.support.services import TEST_MASTER_KEY, running, wait_until

pytestmark = pytest.mark.integration

SUBMISSIONS, CASES, REJECTIONS = "intake.submissions.v1", "intake.cases.v1", "intake.rejections.v1"
DLQ = "intake.submissions.v1.dlq"


def settings_for(kafka: str, prefix: str, db_url: str, tmp_path: Any) -> IntakeSettings:
    return IntakeSettings(
        kafka_bootstrap=kafka,
        topic_prefix=prefix,
        database_url=db_url,
        keystore_url=f"sqlite+aiosqlite:///{tmp_path}/keys.db",
        master_key=TEST_MASTER_KEY,
        key_cache_seconds=0,
        max_batch=200,
    )


@pytest.fixture
async def intake(kafka_bootstrap: str, unique_topic: str, db_url: str, tmp_path: Any) -> Any:
    await create_topics(
        kafka_bootstrap, [unique_topic + t for t in (SUBMISSIONS, CASES, REJECTIONS, DLQ, UNITS_TOPIC)]
    )
    runtime = create_runtime(settings_for(kafka_bootstrap, unique_topic, db_url, tmp_path))
    async with running(runtime):
        await load_units(kafka_bootstrap, unique_topic, runtime.context.engine)
        yield runtime


async def events_on(
    kafka: str, topic: str, expect: int | None = None, timeout: float = 30
) -> list[dict[str, Any]]:
    return read_json(await read_all(kafka, topic, expect=expect, timeout=timeout))


class TestIntakeContract:
    """Runs once on SQLite and once on PostgreSQL (the db_url fixture is parametrized)."""

    async def test_valid_submission_becomes_exactly_one_case_opened(
        self, intake: Any, kafka_bootstrap: str
    ) -> None:
        prefix = intake.settings.topic_prefix
        doc = samples.submission("one")
        await produce(kafka_bootstrap, prefix + SUBMISSIONS, [(None, samples.to_bytes(doc))])
        opened = await events_on(kafka_bootstrap, prefix + CASES, expect=1)
        assert [e["event_type"] for e in opened] == ["CaseOpened"]
        payload = opened[0]["payload"]
        assert payload["submission_id"] == doc["submission_id"]
        assert payload["categories"] == ["labour.conflict_with_manager"]
        assert set(payload["personal"]) == {"alg", "kid", "nonce", "ct"}

    async def test_three_retries_over_kafka_and_http_make_one_case(
        self, intake: Any, kafka_bootstrap: str
    ) -> None:
        prefix = intake.settings.topic_prefix
        doc = samples.submission("retry")
        raw = samples.to_bytes(doc)
        await produce(kafka_bootstrap, prefix + SUBMISSIONS, [(None, raw)] * 3)
        transport = httpx.ASGITransport(app=intake.asgi_app())
        async with httpx.AsyncClient(transport=transport, base_url="http://intake") as client:
            answers = [await client.post("/v1/submissions", content=raw) for _ in range(3)]

        def kafka_copies(outcome: str) -> float:
            labels = {"service": "intake", "topic": SUBMISSIONS, "outcome": outcome}
            return intake.registry.get_sample_value("caseflow_messages_processed_total", labels) or 0.0

        # All three Kafka copies consumed, and at least two of them skipped by the inbox: the HTTP
        # answers or the first copy took the submission in, every later copy went the dedupe path.
        await wait_until(lambda: kafka_copies("processed") + kafka_copies("duplicate") == 3, timeout=30)
        assert kafka_copies("duplicate") >= 2
        opened = await events_on(kafka_bootstrap, prefix + CASES, timeout=10)
        case_ids = {e["payload"]["case_id"] for e in opened}
        event_ids = {e["event_id"] for e in opened}
        assert len(case_ids) == 1 and len(event_ids) == 1
        assert {a.status_code for a in answers} <= {200, 201}
        assert {a.json()["case_ref"] for a in answers} == case_ids
        assert len({a.json()["receipt_code"] for a in answers}) == 1

    async def test_http_returns_a_case_reference_and_receipt_code(self, intake: Any) -> None:
        transport = httpx.ASGITransport(app=intake.asgi_app())
        async with httpx.AsyncClient(transport=transport, base_url="http://intake") as client:
            answer = await client.post("/v1/submissions", json=samples.submission())
        assert answer.status_code == 201
        body = answer.json()
        assert body["status"] == "received" and len(body["receipt_code"]) == 19

    async def test_http_rejection_names_the_reason(self, intake: Any) -> None:
        transport = httpx.ASGITransport(app=intake.asgi_app())
        async with httpx.AsyncClient(transport=transport, base_url="http://intake") as client:
            answer = await client.post("/v1/submissions", json=samples.submission(channel="carrier-pigeon"))
            not_json = await client.post("/v1/submissions", content=b"{nope")
        assert answer.status_code == 422 and answer.json()["reason"] == "invalid_enum"
        assert not_json.status_code == 400 and not_json.json()["reason"] == "not_json"

    async def test_erasing_the_case_key_makes_its_personal_data_unreadable(
        self, intake: Any, kafka_bootstrap: str
    ) -> None:
        prefix = intake.settings.topic_prefix
        await produce(
            kafka_bootstrap, prefix + SUBMISSIONS, [(None, samples.to_bytes(samples.submission("erase")))]
        )
        opened = (await events_on(kafka_bootstrap, prefix + CASES, expect=1))[0]["payload"]
        keystore = intake.context.keystore
        cipher = CaseCipher(keystore)
        sealed = Sealed.model_validate(opened["personal"])
        assert "MARK-NARR-erase" in (await cipher.open(opened["case_id"], "personal", sealed))["narrative"]
        assert await keystore.erase(opened["case_id"], "client_request")
        with pytest.raises(KeyErased):
            await cipher.open(opened["case_id"], "personal", sealed)

    async def test_an_invented_organisation_or_unit_is_refused_with_a_reason_over_http(
        self, intake: Any
    ) -> None:
        transport = httpx.ASGITransport(app=intake.asgi_app())
        async with httpx.AsyncClient(transport=transport, base_url="http://intake") as client:
            nowhere = await client.post(
                "/v1/submissions", json=samples.submission(organisation_id="min-nowhere")
            )
            elsewhere = await client.post("/v1/submissions", json=samples.submission(unit_id="fin-tax"))
        assert nowhere.status_code == 422
        assert (nowhere.json()["reason"], nowhere.json()["field"]) == (
            "organisation_unknown",
            "organisation_id",
        )
        assert elsewhere.status_code == 422
        assert (elsewhere.json()["reason"], elsewhere.json()["field"]) == (
            "unit_unknown_in_organisation",
            "unit_id",
        )


async def test_before_the_directory_arrived_a_submission_is_refused_retryably_and_later_accepted(
    kafka_bootstrap: str, unique_topic: str, tmp_path: Any
) -> None:
    """A fresh stack: nothing is accepted for ids nobody can check, and nothing refused is lost."""
    await create_topics(
        kafka_bootstrap, [unique_topic + t for t in (SUBMISSIONS, CASES, REJECTIONS, DLQ, UNITS_TOPIC)]
    )
    db_url = f"sqlite+aiosqlite:///{tmp_path}/intake.db"
    runtime = create_runtime(settings_for(kafka_bootstrap, unique_topic, db_url, tmp_path))
    doc = samples.submission("early")
    async with running(runtime):
        transport = httpx.ASGITransport(app=runtime.asgi_app())
        async with httpx.AsyncClient(transport=transport, base_url="http://intake") as client:
            early = await client.post("/v1/submissions", json=doc)
            published = samples.submission("early-kafka")
            await produce(kafka_bootstrap, unique_topic + SUBMISSIONS, [(None, samples.to_bytes(published))])
            over_kafka = await events_on(kafka_bootstrap, unique_topic + REJECTIONS, expect=2)
            await load_units(kafka_bootstrap, unique_topic, runtime.context.engine)
            again = await client.post("/v1/submissions", json=doc)
            # The frontend publishes its refused submission again, same id: now it opens a case.
            await produce(kafka_bootstrap, unique_topic + SUBMISSIONS, [(None, samples.to_bytes(published))])
            opened = await events_on(kafka_bootstrap, unique_topic + CASES, expect=2)
    assert {e["payload"]["submission_id"] for e in opened if e["event_type"] == "CaseOpened"} == {
        doc["submission_id"],
        published["submission_id"],
    }
    assert early.status_code == 503 and early.headers["Retry-After"]
    assert early.json() | {"submission_id": None} == {
        "status": "rejected",
        "reason": "directory_not_loaded",
        "field": None,
        "submission_id": None,
        "retryable": True,
    }
    # Both refusals are told on the rejections topic; nothing of either was stored as a case.
    assert {e["payload"]["submission_id"]: e["payload"]["reason"] for e in over_kafka} == {
        doc["submission_id"]: "directory_not_loaded",
        published["submission_id"]: "directory_not_loaded",
    }
    assert again.status_code == 201 and again.json()["status"] == "received"
