"""Generate the contracts: docs/asyncapi.yaml, docs/schemas/*.json and docs/openapi/<service>.json.

The AsyncAPI 3.0 document starts from what FastStream knows of the four services (their
subscribers, servers, consumer groups) and adds what it cannot see: every topic's message types
with their JSON Schemas, and who produces each topic. The OpenAPI documents are each service's
own (shared/openapi.py), made from the route table its runtime serves.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

import yaml
from faststream.specification import AsyncAPI

import shared.contracts  # noqa: F401
from shared.contracts.catalogue import PRODUCERS, events_by_topic
from shared.envelope import Envelope
from shared.openapi import openapi_text
from shared.topics import DIRECTORY, DIRECTORY_COPIES

SERVICES = ("intake", "routing", "scheduling", "reporting")
HTTP_SERVICES = (*SERVICES, "workbench")
DOCS = Path(__file__).resolve().parents[1] / "docs"
GENERATED = ("schemas", "openapi")  # folders whose every *.json is generated: others are stale


def schema_name(event_type: str, version: int) -> str:
    return f"{event_type}.v{version}"


def json_schemas() -> dict[str, dict[str, Any]]:
    """File name -> JSON Schema of the whole envelope carrying that payload, plus the submission."""
    from services.intake.domain.submission import Submission
    from shared.submission_sealing import SealedSubmissionRecord

    schemas: dict[str, dict[str, Any]] = {}
    for classes in events_by_topic().values():
        for cls in classes:
            schema = Envelope[cls].model_json_schema()  # type: ignore[valid-type]
            schema["title"] = f"{cls.EVENT_TYPE} (schema_version {cls.SCHEMA_VERSION})"
            if cls.__doc__:
                schema["description"] = " ".join(cls.__doc__.split())
            schemas[schema_name(cls.EVENT_TYPE, cls.SCHEMA_VERSION) + ".json"] = schema
    submission = Submission.model_json_schema()
    submission["title"] = "Submission (schema_version 1), published by frontends on intake.submissions.v1"
    schemas["Submission.v1.json"] = submission
    sealed = SealedSubmissionRecord.model_json_schema()
    sealed["title"] = (
        "A submission sealed to intake's key on intake.submissions.v1 (docs/sealed-submissions.md)"
    )
    schemas["SealedSubmission.v1.json"] = sealed
    return schemas


def _brokers() -> list[Any]:
    brokers = []
    for service in SERVICES:
        try:
            module = importlib.import_module(f"services.{service}.app")
        except ModuleNotFoundError:
            continue
        brokers.append(module.create_runtime().broker)
    return brokers


def asyncapi_document() -> dict[str, Any]:
    spec = AsyncAPI(
        *_brokers(),
        title="caseflow",
        version="1.0.0",
        schema_version="3.0.0",
        description="Event-sourced case flow for the confidential advisors of the Dutch central government. "
        "Every topic is keyed by stream_id; personal data travels only as Sealed ciphertext.",
    )
    doc: dict[str, Any] = json.loads(spec.to_specification().to_json())
    doc.setdefault("components", {})
    # FastStream sees raw bytes (the pipeline decodes each record itself): give every message the real types.
    doc["components"]["schemas"] = {}
    topics = events_by_topic()
    message_refs: dict[str, list[dict[str, str]]] = {}
    for topic, classes in topics.items():
        message_refs[topic] = []
        for cls in classes:
            name = schema_name(cls.EVENT_TYPE, cls.SCHEMA_VERSION)
            doc["components"]["messages"][name] = {
                "name": cls.EVENT_TYPE,
                "title": cls.EVENT_TYPE,
                "contentType": "application/json",
                "payload": {"$ref": f"schemas/{name}.json"},
            }
            message_refs[topic].append({"$ref": f"#/components/messages/{name}"})
    for event_type, copy in DIRECTORY_COPIES.items():  # the HR feed's narrow copies of directory.v1
        message_refs.setdefault(copy.name, []).extend(
            r
            for r in message_refs[DIRECTORY.name]
            if r["$ref"].rsplit("/", 1)[1].startswith(f"{event_type}.v")
        )
    doc["components"]["messages"]["Submission.v1"] = {
        "name": "Submission",
        "title": "Submission",
        "contentType": "application/json",
        "payload": {"$ref": "schemas/Submission.v1.json"},
    }
    doc["components"]["messages"]["SealedSubmission.v1"] = {
        "name": "SealedSubmission",
        "title": "SealedSubmission",
        "contentType": "application/json",
        "payload": {"$ref": "schemas/SealedSubmission.v1.json"},
    }
    message_refs["intake.submissions.v1"] = [
        {"$ref": "#/components/messages/SealedSubmission.v1"},
        {"$ref": "#/components/messages/Submission.v1"},
    ]
    for channel in doc.get("channels", {}).values():
        topic = channel["address"]
        refs = message_refs.get(topic)
        if refs:
            channel["messages"] = {r["$ref"].rsplit("/", 1)[1].replace(".", "_"): dict(r) for r in refs}
            channel["description"] = f"Written by {PRODUCERS.get(topic, 'unknown')}; keyed by stream_id."
    for op in doc.get("operations", {}).values():
        channel_ref = op["channel"]["$ref"]
        channel = doc["channels"][channel_ref.rsplit("/", 1)[1]]
        op["messages"] = [{"$ref": f"{channel_ref}/messages/{key}"} for key in channel["messages"]]
    # What FastStream cannot see: each service publishes through its outbox relay. One channel and
    # one "send" operation per produced topic.
    for topic, refs in sorted(message_refs.items()):
        producer = PRODUCERS.get(topic, "unknown")
        key = f"{topic}:published"
        doc["channels"][key] = {
            "address": topic,
            "description": f"Written by {producer}; keyed by stream_id.",
            "messages": {r["$ref"].rsplit("/", 1)[1].replace(".", "_"): dict(r) for r in refs},
            "bindings": {"kafka": {"topic": topic, "bindingVersion": "0.4.0"}},
        }
        doc["operations"][f"{topic}:send"] = {
            "action": "send",
            "channel": {"$ref": f"#/channels/{key}"},
            "summary": f"published by {producer}",
            "messages": [
                {"$ref": f"#/channels/{key}/messages/{m}"} for m in doc["channels"][key]["messages"]
            ],
        }
    # Drop FastStream's placeholder messages for raw bytes.
    doc["components"]["messages"] = {k: v for k, v in doc["components"]["messages"].items() if ":" not in k}
    doc["components"].pop("schemas", None)
    return doc


def openapi_documents() -> dict[str, dict[str, Any]]:
    """Service -> its OpenAPI document, from the route table of a runtime built with default
    settings (nothing connects; the document holds nothing from settings)."""
    return {
        service: importlib.import_module(f"services.{service}.app").create_runtime().openapi_document()
        for service in HTTP_SERVICES
    }


def render() -> dict[Path, str]:
    files = {DOCS / "asyncapi.yaml": yaml.safe_dump(asyncapi_document(), sort_keys=True, allow_unicode=True)}
    for name, schema in json_schemas().items():
        files[DOCS / "schemas" / name] = json.dumps(schema, indent=2, sort_keys=True) + "\n"
    for service, document in openapi_documents().items():
        files[DOCS / "openapi" / f"{service}.json"] = openapi_text(document)
    return files


def write() -> list[Path]:
    written = []
    wanted = render()
    for folder in GENERATED:
        (DOCS / folder).mkdir(parents=True, exist_ok=True)
        for stale in (DOCS / folder).glob("*.json"):
            if stale not in wanted:
                stale.unlink()
    for path, text in wanted.items():
        path.write_text(text)
        written.append(path)
    return written


def drift() -> list[str]:
    """Files whose committed content differs from what the code generates now."""
    problems = []
    wanted = render()
    for path, text in wanted.items():
        if not path.exists():
            problems.append(f"missing {path.relative_to(DOCS.parent)}")
        elif path.read_text() != text:
            problems.append(f"differs {path.relative_to(DOCS.parent)}")
    for folder in GENERATED:
        for extra in (DOCS / folder).glob("*.json"):
            if extra not in wanted:
                problems.append(f"stale {extra.relative_to(DOCS.parent)}")
    return problems
