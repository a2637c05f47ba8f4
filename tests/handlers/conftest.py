"""Fixtures of the handler tests: `intake`, an in-process intake with the sample directory
(tests/support/follow_up.py start_intake); a test file that needs other settings defines its own."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.support.follow_up import start_intake
from tests.support.in_process import InProcess


@pytest.fixture
async def intake(tmp_path: Path) -> AsyncIterator[InProcess]:
    service = await start_intake(tmp_path)
    try:
        yield service
    finally:
        await service.stop()
