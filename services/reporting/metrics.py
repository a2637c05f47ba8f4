"""Reporting's metrics. The pipeline's (messages, DLQ, lag, batch time) come from the runtime; these
say how much the projection holds and what was asked of it. Labels are codes, never ids."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge
from sqlalchemy.ext.asyncio import AsyncEngine

from services.reporting.adapters.queries import source_position
from shared.periodic import every


class ReportingMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.projection_events = Gauge(
            "caseflow_reporting_projection_events",
            "Events folded into the reporting projection (committed; the report's generated_from count).",
            registry=registry,
        )
        self.requests = Counter(
            "caseflow_reporting_requests_total",
            "Report and view requests, by view and outcome (format, refused, unknown_organisation, ok).",
            ["view", "outcome"],
            registry=registry,
        )

    async def refresh(self, engine: AsyncEngine) -> None:
        async with engine.connect() as conn:
            self.projection_events.set((await source_position(conn)).event_count)

    def refresher(
        self, engine: AsyncEngine, interval: float = 5.0
    ) -> Callable[[asyncio.Event], Coroutine[Any, Any, None]]:
        return every(interval, lambda: self.refresh(engine), name="reporting_gauges", cap=60.0)
