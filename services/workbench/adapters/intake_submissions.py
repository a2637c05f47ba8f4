"""Intake's POST /v1/submissions, for a contact the advisor registers (application/contacts.py)."""

from __future__ import annotations

from typing import Any

import httpx

from services.workbench.adapters.intake_case_files import IntakeCaseFiles


class ContactRefused(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


async def submit(files: IntakeCaseFiles, doc: dict[str, Any], idempotency_key: str) -> str:
    """Send the submission; the case reference intake gave it, or ContactRefused with intake's
    reason code (nothing of the body is in it)."""
    if not files.base_url:
        raise ContactRefused("intake_not_configured")
    url = f"{files.base_url.rstrip('/')}/v1/submissions"
    try:
        async with files.client() as client:
            answer = await client.post(url, json=doc, headers={"Idempotency-Key": idempotency_key})
    except httpx.HTTPError as exc:
        raise ContactRefused("intake_unavailable") from exc
    is_json = answer.headers.get("content-type", "").startswith("application/json")
    body = answer.json() if is_json else {}
    if answer.status_code in (200, 201) and body.get("status") == "received":
        return str(body.get("case_ref", ""))
    reason = body.get("reason")
    raise ContactRefused(reason if isinstance(reason, str) and len(reason) <= 64 else "intake_unavailable")
