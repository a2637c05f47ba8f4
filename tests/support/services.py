"""Run a service's runtime inside the test's event loop (in-process), against real Kafka and DBs."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from shared.crypto import new_master_key_b64

TEST_MASTER_KEY = new_master_key_b64()


@contextlib.asynccontextmanager
async def running(runtime: Any) -> AsyncIterator[Any]:
    stop = asyncio.Event()
    tasks = await runtime.start(stop)
    try:
        yield runtime
    finally:
        stop.set()
        await runtime.stop(tasks)


async def wait_until(predicate: Any, timeout: float = 30.0, interval: float = 0.2) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        result = predicate()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        if loop.time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(interval)
