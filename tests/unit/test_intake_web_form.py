"""The web form's answer to a refused submission: words a person can act on, their text kept.

The form is driven through Starlette's test client with a stand-in for the use case (the real one
runs in tests/integration/test_intake_service.py and tests/e2e/test_web_intake_page.py).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from starlette.applications import Starlette

from services.intake.entrypoints.web_form import web_form_routes

pytestmark = pytest.mark.unit


FILLED = {
    "submission_id": "form-sub-0001",
    "organisation_id": "min-atlantis",
    "unit_id": "atl-ict",
    "client_role": "manager",
    "name": "Jan <b>de</b> Vries",
    "email": "jan.form@example.org",
    "categories": "workload",
    "narrative": "Mijn verhaal & meer: FORM-MARKER-7",
    "mode": "phone",
}


async def post_form(reason: str, lang: str, seen: list[dict[str, Any]] | None = None) -> httpx.Response:
    """POST the filled-in form to a form whose use case refuses it with `reason`."""

    async def refuse(_raw: bytes, doc: Any) -> tuple[int, dict[str, Any]]:
        (seen if seen is not None else []).append(doc)
        return 422, {"status": "rejected", "reason": reason, "field": None}

    transport = httpx.ASGITransport(app=Starlette(routes=web_form_routes(refuse)))
    async with httpx.AsyncClient(transport=transport, base_url="http://intake") as client:
        return await client.post(
            f"/formulier?lang={lang}",
            content=urlencode(FILLED),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )


async def test_an_unknown_organisation_is_explained_in_dutch_and_the_text_is_kept() -> None:
    seen: list[dict[str, Any]] = []
    answer = await post_form("organisation_unknown", "nl", seen)
    page = answer.text
    assert answer.status_code == 422
    assert "<title>Uw melding kon niet worden verwerkt</title>" in page
    assert (
        "Deze organisatiecode kennen wij niet" in page
        and '<code id="reason">organisation_unknown</code>' in page
    )
    assert 'value="min-atlantis"' in page and 'value="atl-ict"' in page
    assert "Mijn verhaal &amp; meer: FORM-MARKER-7</textarea>" in page
    assert 'value="Jan &lt;b&gt;de&lt;/b&gt; Vries"' in page  # kept, and escaped
    assert 'value="workload" checked' in page and '<option value="phone" selected>' in page
    assert '<option value="manager" selected>' in page
    # A fresh submission id: the refused one opened nothing, a corrected form is a new submission.
    assert 'value="form-sub-0001"' not in page and seen[0]["submission_id"] == "form-sub-0001"


async def test_a_unit_of_another_organisation_is_explained_in_english() -> None:
    answer = await post_form("unit_unknown_in_organisation", "en")
    assert answer.status_code == 422
    assert "This unit is not part of the organisation you entered." in answer.text
    assert "FORM-MARKER-7</textarea>" in answer.text


async def test_before_the_directory_arrived_the_form_asks_to_send_again_later() -> None:
    answer = await post_form("directory_not_loaded", "en")
    assert answer.status_code == 503
    assert "Nothing was kept. Please send the form again in a few minutes." in answer.text
    assert "FORM-MARKER-7</textarea>" in answer.text


async def test_an_unlisted_reason_still_gets_a_sentence_and_its_code() -> None:
    answer = await post_form("invalid_language", "nl")
    assert "Controleer de gegevens en probeer het opnieuw." in answer.text
    assert '<code id="reason">invalid_language</code>' in answer.text
