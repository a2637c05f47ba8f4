"""`caseflow serve` settles the garbage collector once its service has started (D65)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from typing import Any

import pytest

from caseflow import serve
from shared import gc_tuning

pytestmark = pytest.mark.unit


@pytest.fixture
def collector_restored() -> Iterator[None]:
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


def test_settling_freezes_what_exists_and_raises_the_thresholds(collector_restored: None) -> None:
    kept = [object() for _ in range(10)] + [[] for _ in range(10)]
    gc.unfreeze()
    gc_tuning.settle_after_start()
    assert gc.get_freeze_count() > len(kept)
    assert gc.get_threshold() == (gc_tuning.YOUNG_GENERATION, *gc_tuning.OLDER_GENERATIONS)
    assert gc.get_threshold()[0] > 700  # CPython's default


def test_serve_hands_the_settling_to_the_apps_lifespan(monkeypatch: pytest.MonkeyPatch) -> None:
    handed: dict[str, Any] = {}

    class Settings:
        log_level, log_json, http_host, http_port = "INFO", False, "127.0.0.1", 8123

    class Runtime:
        settings = Settings()

        def asgi_app(self, after_start: Any = None) -> str:
            handed["after_start"] = after_start
            return "app"

    class Server:
        def __init__(self, config: Any) -> None:
            handed["app"] = config.app

        def run(self) -> None:
            handed["ran"] = True

    monkeypatch.setattr(serve, "runtime_for", lambda _service: Runtime())
    monkeypatch.setattr(serve.uvicorn, "Server", Server)
    monkeypatch.setattr(serve, "configure_logging", lambda *a, **k: None)
    serve.serve("intake")
    assert handed == {"after_start": gc_tuning.settle_after_start, "app": "app", "ran": True}


async def test_the_lifespan_calls_after_start_once_the_service_has_started(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    from services.routing.app import create_runtime
    from services.routing.settings import RoutingSettings

    runtime = create_runtime(
        RoutingSettings(kafka_bootstrap="127.0.0.1:9", database_url=f"sqlite+aiosqlite:///{tmp_path}/r.db")
    )
    order: list[str] = []

    async def start(_stop: Any) -> list[Any]:
        order.append("started")
        return []

    async def stop(_tasks: Any) -> None:
        order.append("stopped")

    monkeypatch.setattr(runtime, "start", start)
    monkeypatch.setattr(runtime, "stop", stop)
    app = runtime.asgi_app(after_start=lambda: order.append("settled"))
    async with app.router.lifespan_context(app):
        assert order == ["started", "settled"]
    assert order == ["started", "settled", "stopped"]
