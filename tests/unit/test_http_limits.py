"""The body-limit middleware, driven as plain ASGI: no server, no sockets.

An app behind it reads the body the way Starlette's `request.body()` does; the server is played
by a `receive` that hands out chunks and counts how many were taken.
"""

from __future__ import annotations

import importlib
import json
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from shared.http_limits import BodyLimitMiddleware, BodyLimits

pytestmark = pytest.mark.unit

CHUNK = b"MARKER-qz7" * 100  # 1,000 bytes


async def echo_size(request: Request) -> JSONResponse:
    return JSONResponse({"size": len(await request.body())})


async def swallow_everything(request: Request) -> JSONResponse:
    try:
        await request.body()
    except Exception:  # noqa: BLE001 - a careless handler: the client must still get the 413
        return JSONResponse({"status": "ok"})
    return JSONResponse({"status": "ok"})


def app_with(limits: BodyLimits) -> Starlette:
    return Starlette(
        routes=[
            Route("/upload", echo_size, methods=["POST"]),
            Route("/big", echo_size, methods=["POST"]),
            Route("/careless", swallow_everything, methods=["POST"]),
        ],
        middleware=[Middleware(BodyLimitMiddleware, limits=limits)],
    )


class Server:
    """Plays uvicorn: `chunks` body chunks of CHUNK, then the end; records what the app sent."""

    def __init__(self, chunks: int) -> None:
        self.chunks = chunks
        self.taken = 0
        self.sent: list[dict[str, Any]] = []

    async def receive(self) -> dict[str, Any]:
        if self.taken >= self.chunks:
            return {"type": "http.disconnect"}
        self.taken += 1
        return {"type": "http.request", "body": CHUNK, "more_body": self.taken < self.chunks}

    async def send(self, message: dict[str, Any]) -> None:
        self.sent.append(message)

    @property
    def status(self) -> int:
        starts = [m for m in self.sent if m["type"] == "http.response.start"]
        assert len(starts) == 1, self.sent
        return int(starts[0]["status"])

    @property
    def headers(self) -> dict[str, str]:
        start = next(m for m in self.sent if m["type"] == "http.response.start")
        return {k.decode(): v.decode() for k, v in start["headers"]}

    @property
    def body(self) -> bytes:
        return b"".join(m.get("body", b"") for m in self.sent if m["type"] == "http.response.body")


async def post(app: Starlette, path: str, server: Server, headers: list[tuple[bytes, bytes]]) -> None:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 8000),
    }
    await app(scope, server.receive, server.send)


LIMITS = BodyLimits(default=10_000, by_path={"/big": 50_000})


async def test_a_declared_length_over_the_maximum_is_refused_before_a_byte_is_read() -> None:
    server = Server(chunks=1000)
    await post(app_with(LIMITS), "/upload", server, [(b"content-length", b"1000000")])
    assert server.status == 413 and server.taken == 0
    answer = json.loads(server.body)
    assert (answer["reason"], answer["max_bytes"]) == ("body_too_large", 10_000)
    assert server.headers["connection"] == "close"


async def test_a_chunked_body_is_cut_off_at_the_chunk_that_passes_the_maximum() -> None:
    server = Server(chunks=1000)  # 1 MB announced by nobody
    await post(app_with(LIMITS), "/upload", server, [(b"transfer-encoding", b"chunked")])
    assert server.status == 413
    assert server.taken == 11  # 10 chunks of 1,000 bytes fit, the 11th passes 10,000
    assert b"qz7" not in server.body  # nothing of the body is echoed


async def test_a_body_within_the_maximum_reaches_the_handler_whole() -> None:
    server = Server(chunks=10)
    await post(app_with(LIMITS), "/upload", server, [(b"content-length", b"10000")])
    assert (server.status, json.loads(server.body)) == (200, {"size": 10_000})


async def test_each_path_has_its_own_maximum() -> None:
    big, small = Server(chunks=40), Server(chunks=40)
    await post(app_with(LIMITS), "/big", big, [])
    await post(app_with(LIMITS), "/upload", small, [])
    assert (big.status, small.status) == (200, 413)


async def test_a_handler_that_swallows_the_cut_off_cannot_answer_instead_of_the_413() -> None:
    server = Server(chunks=1000)
    await post(app_with(LIMITS), "/careless", server, [])
    assert server.status == 413 and server.taken == 11


async def test_a_length_that_is_not_a_number_is_refused_with_a_reason() -> None:
    server = Server(chunks=1)
    await post(app_with(LIMITS), "/upload", server, [(b"content-length", b"12abc")])
    assert (server.status, json.loads(server.body)["reason"]) == (400, "invalid_content_length")


async def test_a_browser_gets_a_page_that_says_what_to_do() -> None:
    server = Server(chunks=1)
    await post(
        app_with(LIMITS), "/upload", server, [(b"content-length", b"99999"), (b"accept", b"text/html,*/*")]
    )
    assert server.status == 413 and server.headers["content-type"].startswith("text/html")
    assert b"10000 bytes" in server.body and b"korter" in server.body


@pytest.mark.parametrize("service", ["intake", "routing", "scheduling", "reporting"])
def test_every_service_app_limits_bodies_as_configured(service: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(f"{service.upper()}_HTTP_MAX_BODY_BYTES", "1234")
    monkeypatch.setenv(f"{service.upper()}_HTTP_MAX_BODY_BYTES_BY_PATH", '{"/v1/upload": 99}')
    app = importlib.import_module(f"services.{service}.app").create_runtime().asgi_app()
    [limiter] = [m for m in app.user_middleware if m.cls is BodyLimitMiddleware]
    assert limiter.kwargs["limits"] == BodyLimits(default=1234, by_path={"/v1/upload": 99})


def test_intake_takes_a_submission_of_1_mib_and_64_kib_elsewhere() -> None:
    from services.intake.settings import IntakeSettings

    settings = IntakeSettings()
    limits = BodyLimits(settings.http_max_body_bytes, settings.http_max_body_bytes_by_path)
    assert [limits.for_path(p) for p in ("/v1/submissions", "/formulier", "/v1/dialogue")] == [
        2**20,
        2**20,
        2**16,
    ]
