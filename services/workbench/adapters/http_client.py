"""The HTTP client the workbench's calls to other services use (intake's case file, reporting's
views): one timeout for all, and a factory a test can replace with an in-process transport."""

from __future__ import annotations

import httpx

TIMEOUT_SECONDS = 10.0


def default_client() -> httpx.AsyncClient:
    return httpx.AsyncClient(timeout=TIMEOUT_SECONDS)
