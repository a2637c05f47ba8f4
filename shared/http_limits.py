"""Request bodies limited while they stream in: an ASGI middleware every service's app runs.

A handler that calls `request.body()` holds the whole body before it can look at its size, so
eight concurrent 150 MB POSTs cost intake 1.5 GB. This middleware stands in front of the routes:
- a `Content-Length` above the endpoint's maximum is refused with 413 before one body byte is
  read;
- a body without a length (chunked) is counted chunk by chunk as the app reads it; the chunk that
  passes the maximum gets the 413 at once, and the rest is never read or kept;
- a `Content-Length` that is not a number is refused with 400.
The refusal carries a reason code and the maximum (JSON, or a short page for a browser), never a
byte of the body, and `Connection: close` so the server stops the upload instead of draining it.
The maxima are per path (exact match), with a default for every other path: see
`ServiceSettings.http_max_body_bytes*`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

from starlette.types import ASGIApp, Message, Receive, Scope, Send

BODY_TOO_LARGE = "body_too_large"
INVALID_CONTENT_LENGTH = "invalid_content_length"

_HTML = (
    '<!doctype html><html lang="nl"><head><meta charset="utf-8"><title>Te groot / Too large</title>'
    "</head><body><main><h1>Het bericht is te groot</h1><p>Dit formulier neemt ten hoogste {limit} "
    "bytes aan. Maak uw bericht korter en verstuur het opnieuw.</p>"
    '<h1 lang="en">The message is too large</h1><p lang="en">This form accepts at most {limit} '
    "bytes. Shorten your message and send it again.</p></main></body></html>"
)


@dataclass(frozen=True)
class BodyLimits:
    """The largest request body, in bytes, per exact path; `default` for every other path."""

    default: int
    by_path: Mapping[str, int] = field(default_factory=dict)

    def for_path(self, path: str) -> int:
        return self.by_path.get(path, self.default)


class _BodyTooLarge(Exception):
    """Raised into the app from `receive` once the body passed its maximum (the 413 is sent)."""


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, limits: BodyLimits) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limits.for_path(scope["path"])
        declared = _header(scope, b"content-length")
        if declared is not None:
            if not declared.isdigit():
                await _refuse(scope, send, 400, INVALID_CONTENT_LENGTH, limit)
                return
            if int(declared) > limit:
                await _refuse(scope, send, 413, BODY_TOO_LARGE, limit)
                return
        seen = 0
        refused = False
        started = False

        async def counting_receive() -> Message:
            nonlocal seen, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    refused = True
                    if not started:
                        await _refuse(scope, send, 413, BODY_TOO_LARGE, limit)
                    raise _BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if refused:
                return  # the 413 went out; whatever the app still says is dropped
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except _BodyTooLarge:
            if started:
                raise  # the app had begun its answer: the server can only drop the connection


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return bytes(value).decode("latin-1").strip()
    return None


def _wants_html(scope: Scope) -> bool:
    accept = (_header(scope, b"accept") or "").lower()
    return "text/html" in accept and "application/json" not in accept


async def _refuse(scope: Scope, send: Send, status: int, reason: str, limit: int) -> None:
    if _wants_html(scope):
        body = _HTML.format(limit=int(limit)).encode()
        media = b"text/html; charset=utf-8"
    else:
        message = (
            f"The request body is larger than this endpoint accepts (at most {int(limit)} bytes); "
            "send a smaller body."
            if reason == BODY_TOO_LARGE
            else "The Content-Length header is not a number of bytes; send a valid length."
        )
        body = json.dumps(
            {"status": "refused", "reason": reason, "max_bytes": int(limit), "message": message}
        ).encode()
        media = b"application/json"
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", media),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
