"""Reporting's per-advisor views, asked with the signed-in person's own access token: the advisor's
own figures (/v1/views/advisor) and a coordinator's advisors (/v1/views/coordinator). Reporting
verifies the token and decides what it may see; the workbench passes the token on and shows the
answer (hours, training and supervision against the baseline: no case)."""

from __future__ import annotations

from typing import Any

import httpx

from services.workbench.adapters.reporting_views import ReportingViews, ViewUnavailable


async def _view(views: ReportingViews, path: str, token: str, params: dict[str, str | int]) -> dict[str, Any]:
    if not views.base_url:
        raise ViewUnavailable("reporting_not_configured")
    try:
        async with views.client() as client:
            answer = await client.get(
                f"{views.base_url.rstrip('/')}{path}",
                params=params,
                headers={"Authorization": f"Bearer {token}"},
            )
    except httpx.HTTPError as exc:
        raise ViewUnavailable("reporting_unavailable") from exc
    if answer.status_code in (401, 403):
        raise ViewUnavailable("reporting_refused")
    if answer.status_code != 200:
        raise ViewUnavailable("reporting_unavailable")
    doc: dict[str, Any] = answer.json()
    return doc


async def advisor_view(views: ReportingViews, token: str, year: int) -> dict[str, Any]:
    return await _view(views, "/v1/views/advisor", token, {"year": year})


async def coordinator_view(
    views: ReportingViews, token: str, advisor_ids: list[str], year: int
) -> dict[str, Any]:
    return await _view(
        views, "/v1/views/coordinator", token, {"advisors": ",".join(advisor_ids), "year": year}
    )
