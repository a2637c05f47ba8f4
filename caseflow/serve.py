"""Run one service process: logging, the ASGI app (HTTP + Kafka consumers) under uvicorn."""

from __future__ import annotations

import importlib
import socket
from typing import Any

import structlog
import uvicorn

from shared.gc_tuning import settle_after_start
from shared.logging import configure_logging

SERVICES = ("intake", "routing", "scheduling", "reporting", "workbench")


def runtime_for(service: str) -> Any:
    if service not in SERVICES:
        raise SystemExit(f"unknown service {service!r}; choose one of {', '.join(SERVICES)}")
    module = importlib.import_module(f"services.{service}.app")
    return module.create_runtime()


def serve(service: str) -> None:
    runtime = runtime_for(service)
    settings = runtime.settings
    configure_logging(service, settings.log_level, json=settings.log_json)
    port = settings.http_port
    if port == 0:
        with socket.socket() as s:
            s.bind((settings.http_host, 0))
            port = s.getsockname()[1]
    structlog.get_logger(__name__).info("http_listening", url=f"http://{settings.http_host}:{port}")
    config = uvicorn.Config(
        runtime.asgi_app(after_start=settle_after_start),
        host=settings.http_host,
        port=port,
        log_level="warning",
        log_config=None,  # uvicorn's loggers go through configure_logging's JSON handler
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=10,
    )
    uvicorn.Server(config).run()
