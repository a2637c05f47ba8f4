"""The committed event contracts (docs/asyncapi.yaml, docs/schemas/) match the code."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import jsonschema
import pytest
import yaml

from caseflow import contracts_doc
from shared.contracts.catalogue import events_by_topic
from shared.topics import ALL_TOPICS

pytestmark = pytest.mark.unit


def test_committed_contracts_match_the_code() -> None:
    problems = contracts_doc.drift()
    assert problems == [], "run `caseflow contracts generate` and commit: " + "; ".join(problems)


def test_every_topic_and_event_type_is_in_the_asyncapi_document() -> None:
    doc = yaml.safe_load((contracts_doc.DOCS / "asyncapi.yaml").read_text())
    assert doc["asyncapi"] == "3.0.0"
    sent = {
        op["channel"]["$ref"].rsplit("/", 1)[1].split(":")[0]
        for op in doc["operations"].values()
        if op["action"] == "send"
    }
    received = {
        doc["channels"][op["channel"]["$ref"].rsplit("/", 1)[1]]["address"]
        for op in doc["operations"].values()
        if op["action"] == "receive"
    }
    assert sent == {t.name for t in ALL_TOPICS}
    # What the services consume, as FastStream declares it from their subscribers.
    assert {
        "intake.submissions.v1",
        "intake.cases.v1",
        "routing.assignments.v1",
        "advisor.actions.v1",
        "directory.v1",
        "scheduling.places.v1",
    } <= received
    messages = doc["components"]["messages"]
    for classes in events_by_topic().values():
        for cls in classes:
            assert f"{cls.EVENT_TYPE}.v{cls.SCHEMA_VERSION}" in messages


def test_a_real_event_validates_against_its_committed_schema() -> None:
    from tools.demo.sample_org import directory_events

    env = directory_events(datetime(2026, 1, 1, tzinfo=UTC))[0]
    schema = json.loads((contracts_doc.DOCS / "schemas" / f"{env.event_type}.v1.json").read_text())
    jsonschema.validate(json.loads(env.to_bytes()), schema)
    broken = json.loads(env.to_bytes())
    broken["payload"]["size"] = "large"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schema)
