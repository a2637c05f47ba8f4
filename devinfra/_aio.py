"""Run a coroutine to completion from synchronous code, even when an event loop is running."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


def run_sync(make_coro: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run ``make_coro()`` on a private event loop.

    Inside a running loop (a sync fixture called from async code, say) ``asyncio.run`` refuses,
    so the coroutine then runs on a loop in a helper thread.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(make_coro())
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="devinfra-sync") as pool:
        return pool.submit(lambda: asyncio.run(make_coro())).result()
