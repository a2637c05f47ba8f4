"""What intake's JSON endpoints read from a request: a JSON object body, a bearer token, the shape
of an Idempotency-Key."""

from __future__ import annotations

import json
import re
from typing import Any

from starlette.requests import Request

# What a frontend may send as `Idempotency-Key` (the shape of a submission id): no names, no text.
IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


async def json_object_body(request: Request, limit: int = 64 * 1024) -> dict[str, Any] | None:
    """The body as a JSON object; None when it is larger than `limit`, not JSON or not an object."""
    raw = await request.body()
    if len(raw) > limit:
        return None
    try:
        doc = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    return doc if isinstance(doc, dict) else None


def bearer_token(request: Request) -> str | None:
    value = request.headers.get("authorization", "")
    scheme, _, token = value.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None
