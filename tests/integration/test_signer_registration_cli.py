"""`caseflow token signer-keygen --publish --kafka HOST:PORT`: an operator registers the
workbench's command signer on a real broker, on directory.v1 and on the narrow copy intake and
scheduling read (`--publish HOST:PORT`, the older form, still does)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from caseflow.cli import main
from devinfra.kafka import create_topics
from shared.contracts.directory import CommandSignerRegistered
from shared.topics import DIRECTORY, DIRECTORY_ADVISORS
from tests.support.kafka_io import read_records

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(
    "broker",
    [
        lambda bootstrap: ["--publish", "--kafka", bootstrap],
        lambda bootstrap: ["--publish", bootstrap],  # the older form, still accepted
    ],
    ids=["publish-kafka", "publish-host-port"],
)
async def test_signer_keygen_publishes_the_registration_on_both_directory_topics(
    kafka_bootstrap: str,
    unique_topic: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    broker: Callable[[str], list[str]],
) -> None:
    topics = [unique_topic + DIRECTORY.name, unique_topic + DIRECTORY_ADVISORS.name]
    await create_topics(kafka_bootstrap, topics, partitions=1)
    key_file = tmp_path / "workbench-signer.pem"
    argv = ["token", "signer-keygen", "--signer", "workbench", "--key-file", str(key_file)]
    argv += [*broker(kafka_bootstrap), "--topic-prefix", unique_topic]
    assert await asyncio.to_thread(main, argv) == 0
    printed = json.loads(capsys.readouterr().out.splitlines()[0])
    registered = CommandSignerRegistered.model_validate(printed["payload"])
    for topic in topics:
        [(key, value)] = await read_records(kafka_bootstrap, topic, expect=1)
        assert key == registered.stream_id.encode()
        assert json.loads(value)["payload"]["public_key_b64"] == registered.public_key_b64
    assert key_file.stat().st_mode & 0o077 == 0, "the private key is readable by its owner only"
