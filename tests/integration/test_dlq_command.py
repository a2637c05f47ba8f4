"""`caseflow dlq` on the real broker, where it must refuse: each refusal one line, in words.

Dead letters are written as the pipeline writes them (a routing one sealed in a key store of the
test's, a scheduling one with nothing sealed); the command runs as a process, as an operator runs it.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import os
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest

from shared.crypto import CaseCipher, KeyStore, new_master_key_b64, parse_master_key
from shared.db import make_engine
from shared.topics import ALL_TOPICS
from tests.support.kafka_io import create_topics, produce
from tests.support.processes import CASEFLOW

pytestmark = pytest.mark.integration
MASTER_KEY = new_master_key_b64()
ORIGINAL = b'{"event_type": "CaseOpened", "submission_id": "MARKER-submission"}'


async def sealed(store: KeyStore, kid: str, data: bytes) -> dict[str, Any]:
    key = await store.create_key(kid)
    return CaseCipher.seal_with_key(key, kid, "dlq_original", base64.b64encode(data).decode()).model_dump()


async def write_dead_letters(kafka: str, prefix: str, keys_url: str) -> None:
    """offset 0: routing's, sealed, key then erased; 1: scheduling's, nothing sealed; 2: a marker
    for a dead letter elsewhere; 3: routing's, sealed, key kept."""
    store = KeyStore(make_engine(keys_url), parse_master_key(MASTER_KEY), cache_seconds=0)
    await store.create_schema()

    def letter(record_id: str, service: str, offset: int) -> dict[str, Any]:
        return {
            "dlq_record_id": record_id,
            "service": service,
            "source_topic": "intake.cases.v1",
            "partition": 0,
            "offset": offset,
            "reason": "handler_error",
            "error": "KeyError",
            "received_at": "2026-12-04T10:00:00+00:00",
            "size_bytes": len(ORIGINAL),
            "sha256": hashlib.sha256(ORIGINAL).hexdigest(),
        }

    erased = letter("r-erased", "routing", 11) | {
        "original_sealed": await sealed(store, "dlq:r-erased", ORIGINAL)
    }
    await store.erase("dlq:r-erased", "retention_expired")
    kept = letter("r-kept", "routing", 12) | {"original_sealed": await sealed(store, "dlq:r-kept", ORIGINAL)}
    unsealed = letter("s-1", "scheduling", 13)
    marker = {"kind": "redriven", "redrive_of": "intake.cases.v1.dlq:1:0", "dlq_record_id": "x"}
    await store.engine.dispose()
    await create_topics(
        kafka, [prefix + t.dlq for t in ALL_TOPICS] + [prefix + "intake.cases.v1"], partitions=1
    )
    await produce(
        kafka,
        prefix + "intake.cases.v1.dlq",
        [(None, json.dumps(doc).encode()) for doc in (erased, unsealed, marker, kept)],
    )


@pytest.fixture
def operator(kafka_bootstrap: str, tmp_path: Path) -> Any:
    prefix = f"t-dlqcmd-{uuid.uuid4().hex[:8]}."
    keys_url = f"sqlite+aiosqlite:///{tmp_path}/keys.db"
    asyncio.run(write_dead_letters(kafka_bootstrap, prefix, keys_url))
    base = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("CASEFLOW_", "ROUTING_", "INTAKE_"))},
        "CASEFLOW_STACK_HOME": str(tmp_path / "no-stack"),
        "CASEFLOW_KAFKA_BOOTSTRAP": kafka_bootstrap,
        "CASEFLOW_TOPIC_PREFIX": prefix,
        "ROUTING_KEYSTORE_URL": keys_url,
        "ROUTING_MASTER_KEY": MASTER_KEY,
    }

    def run(
        *argv: str, env: dict[str, str] | None = None, drop: tuple[str, ...] = ()
    ) -> tuple[int, str, str]:
        full = {k: v for k, v in (base | (env or {})).items() if k not in drop}
        done = subprocess.run(
            [CASEFLOW, "dlq", *argv],
            env=full,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
            stdin=subprocess.DEVNULL,
            check=False,
        )
        return done.returncode, done.stdout, done.stderr

    return run


def test_refusals_name_the_reason_in_one_line_and_print_no_content(operator: Any) -> None:
    said: list[str] = []

    def refused(code: int, words: str, *argv: str, **kwargs: Any) -> None:
        got, out, err = operator(*argv, **kwargs)
        said.extend([out, err])
        assert got == code, err
        assert len(err.splitlines()) == 1 and words in err, err
        assert "Traceback" not in err

    code, out, err = operator("list", "--service", "scheduling")
    said.extend([out, err])
    assert code == 0 and "1 dead letter(s); by reason: handler_error 1" in out
    assert "intake.cases.v1.dlq:0:1  scheduling" in out and "(no sealed original)" in out
    refused(
        1,
        "the key that sealed its original (dlq:r-erased) was erased",
        "redrive",
        "intake.cases.v1.dlq:0:0",
        "--yes",
    )
    refused(1, "scheduling keeps no sealed copy", "redrive", "intake.cases.v1.dlq:0:1", "--yes")
    refused(2, "intake.cases.v1.dlq:0:2 is no dead letter", "show", "intake.cases.v1.dlq:0:2")
    refused(2, "intake.cases.v1.dlq:0:9 is no dead letter", "redrive", "intake.cases.v1.dlq:0:9", "--yes")
    refused(
        2,
        "ROUTING_MASTER_KEY is not set",
        "redrive",
        "intake.cases.v1.dlq:0:3",
        "--yes",
        drop=("ROUTING_MASTER_KEY",),
    )
    refused(
        1,
        "wrapped under a master key not given",
        "redrive",
        "intake.cases.v1.dlq:0:3",
        "--yes",
        env={"ROUTING_MASTER_KEY": new_master_key_b64()},
    )
    refused(2, "add --yes", "redrive", "intake.cases.v1.dlq:0:3")
    refused(1, "no dead-letter topic", "list", "--topic-prefix", "t-nobody.")
    assert not any("MARKER" in text for text in said), "the original's content was printed"
    # Nothing was re-driven by any of them.
    code, out, _ = operator("list", "--json")
    assert code == 0 and all(d["redriven"] == [] for d in json.loads(out)["dead_letters"])
