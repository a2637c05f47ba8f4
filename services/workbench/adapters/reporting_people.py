"""Reporting's per-advisor views, asked with the signed-in person's own access token: the advisor's
own figures (/v1/views/advisor) and a coordinator's advisors (/v1/views/coordinator). Reporting
verifies the token and decides what it may see; the workbench passes the token on and shows the
answer (hours, training and supervision against the baseline: no case)."""

from __future__ import annotations

from typing import Any

from services.workbench.adapters.reporting_views import ReportingViews


async def _view(views: ReportingViews, path: str, token: str, params: dict[str, str | int]) -> dict[str, Any]:
    return await views.view(path, token, params)


async def advisor_view(views: ReportingViews, token: str, year: int) -> dict[str, Any]:
    return await _view(views, "/v1/views/advisor", token, {"year": year})


async def coordinator_view(
    views: ReportingViews, token: str, advisor_ids: list[str], year: int
) -> dict[str, Any]:
    return await _view(
        views, "/v1/views/coordinator", token, {"advisors": ",".join(advisor_ids), "year": year}
    )
