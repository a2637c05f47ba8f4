"""The case file, fetched from intake per request for the signed-in advisor (never stored here).

Intake decides again (the token's advisor must be the case's current assignee) and records every
read in the case's access log (CaseFileRead). A refusal comes back as intake's reason code.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx

from services.workbench.adapters.command_signer import CommandSigner
from services.workbench.adapters.http_client import default_client

READ_CASE_FILE = "GET /v1/cases/{id}"
POST_MESSAGE = "POST /v1/cases/{id}/messages"
AMEND_FACTS = "POST /v1/cases/{id}/facts"


class CaseFileRefused(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class IntakeCaseFiles:
    base_url: str
    signer: CommandSigner | None
    client: Callable[[], httpx.AsyncClient] = field(default=default_client)

    async def read(self, advisor_id: str, case_id: str, now: datetime) -> dict[str, Any]:
        answer = await self._send("GET", advisor_id, case_id, READ_CASE_FILE, "", None, now)
        doc: dict[str, Any] = answer.json()
        return doc

    async def post_message(self, advisor_id: str, case_id: str, text: str, now: datetime) -> None:
        body = {"text": text, "counts_as_feedback": False}
        await self._send("POST", advisor_id, case_id, POST_MESSAGE, "/messages", body, now)

    async def add_person(
        self, advisor_id: str, case_id: str, role: str, description: str | None, now: datetime
    ) -> None:
        """Add a person involved to the case's facts: intake seals them under the case key and tells
        routing (CaseFactsAmended). The description only travels in this request's body."""
        person = {"role": role, **({"description": description} if description else {})}
        body = {"persons_involved": [person]}
        await self._send("POST", advisor_id, case_id, AMEND_FACTS, "/facts", body, now)

    async def _send(
        self,
        method: str,
        advisor_id: str,
        case_id: str,
        action: str,
        tail: str,
        body: dict[str, Any] | None,
        now: datetime,
    ) -> httpx.Response:
        """One signed request for the advisor; CaseFileRefused with intake's reason unless it succeeded."""
        if not self.base_url or self.signer is None:
            raise CaseFileRefused("intake_not_configured")
        token = self.signer.token(advisor_id, action, case_id, body or {}, now)
        url = f"{self.base_url.rstrip('/')}/v1/cases/{case_id}{tail}"
        try:
            async with self.client() as client:
                answer = await client.request(
                    method, url, json=body, headers={"Authorization": f"Bearer {token}"}
                )
        except httpx.HTTPError as exc:
            raise CaseFileRefused("intake_unavailable") from exc
        if answer.status_code not in (200, 201):
            json_answer = answer.headers.get("content-type", "").startswith("application/json")
            reason = answer.json().get("reason") if json_answer else None
            raise CaseFileRefused(reason if isinstance(reason, str) else "intake_unavailable")
        return answer
