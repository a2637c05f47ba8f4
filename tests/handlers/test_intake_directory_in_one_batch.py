"""A consumed batch that brings units and submissions for them applies the units first.

One consumer serves all of intake's topics, so at start-up (or after a pause) a batch can hold the
directory feed and submissions together, in any order across topics. Intake judges a submission by
the units it knows; the pipeline applies the directory's records of the batch first
(`first_topics`), so such a submission is not refused as `directory_not_loaded`.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from services.intake.app import create_runtime
from services.intake.settings import IntakeSettings
from tests.support import samples
from tests.support.directory import UNITS_TOPIC, unit_records
from tests.support.in_process import Bus, InProcess
from tests.support.services import TEST_MASTER_KEY

pytestmark = pytest.mark.handlers


async def test_submissions_before_their_units_in_one_batch_are_judged_with_the_units(tmp_path: Path) -> None:
    bus = Bus()
    settings = IntakeSettings(
        kafka_bootstrap="127.0.0.1:9",
        database_url=f"sqlite+aiosqlite:///{tmp_path}/intake.db",
        keystore_url=f"sqlite+aiosqlite:///{tmp_path}/keys.db",
        master_key=TEST_MASTER_KEY,
    )
    intake = await InProcess(create_runtime(settings), bus).start()
    try:
        known, invented = samples.submission("batch1"), samples.submission("batch2", unit_id="bzk-made-up")
        await intake.feed_batch(
            [
                ("intake.submissions.v1", b"k", samples.to_bytes(known)),
                ("intake.submissions.v1", b"k", samples.to_bytes(invented)),
                *[(UNITS_TOPIC, key, value) for key, value in unit_records()],
            ]
        )
    finally:
        await intake.stop()
    opened = [json.loads(v)["payload"]["submission_id"] for _k, v in bus.topics["intake.cases.v1"]]
    refused = [json.loads(v)["payload"] for _k, v in bus.topics["intake.rejections.v1"]]
    assert known["submission_id"] in opened
    assert [(r["submission_id"], r["reason"]) for r in refused] == [
        (invented["submission_id"], "unit_unknown_in_organisation")
    ]
