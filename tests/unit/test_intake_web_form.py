"""The web form: lists to choose from, advisors by profile, and refusals in words with the text kept.

The form is driven through Starlette's test client with a stand-in for the use case and a fixed
catalogue (the real ones run in tests/handlers/test_intake_form_catalogue.py and
tests/e2e/test_web_intake_page.py).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from starlette.applications import Starlette

from services.intake.adapters.form_catalogue import (
    AdvisorCard,
    FormCatalogue,
    OrganisationChoice,
    UnitChoice,
    _organisations,
)
from services.intake.entrypoints.web_form import web_form_routes

pytestmark = pytest.mark.unit

ANNA = AdvisorCard(
    "vp-anna00000000001", "Anna de Vries", "VPIO", "internal", "Binnenlandse Zaken", ("nl",), "Den Haag",
    "Ik luister.", "I listen.", None,
)  # fmt: skip
DIRK = AdvisorCard(
    "vp-dirk00000000002", "Dirk Jansen", "VPIO", "external", None, ("nl", "en"), "Utrecht",
    "Ik ben extern.", "", None,
)  # fmt: skip
CATALOGUE = FormCatalogue(
    (
        OrganisationChoice(
            "min-bzk",
            "Binnenlandse Zaken",
            (
                UnitChoice("bzk", "Binnenlandse Zaken"),
                UnitChoice("bzk-dgob-ict", "DG Overheidsorganisatie › ICT"),
            ),
        ),
        OrganisationChoice("min-fin", "Financiën", (UnitChoice("fin-tax", "Belastingbeleid"),)),
    ),
    (ANNA, DIRK),
    {ANNA.handle: "adv-anna", DIRK.handle: "adv-dirk"},
)
FILLED = {
    "submission_id": "form-sub-0001",
    "organisation_id": "min-bzk",
    "unit_id": "bzk-dgob-ict",
    "client_role": "manager",
    "name": "Jan <b>de</b> Vries",
    "email": "jan.form@example.org",
    "categories": "workload",
    "narrative": "Mijn verhaal & meer: FORM-MARKER-7",
    "mode": "phone",
    "advisor": ANNA.handle,
    "avoid_advisor": DIRK.handle,
}


async def catalogue() -> FormCatalogue:
    return CATALOGUE


def client(answer: dict[str, Any], seen: list[dict[str, Any]]) -> httpx.AsyncClient:
    async def use_case(_raw: bytes, doc: Any) -> tuple[int, dict[str, Any]]:
        seen.append(doc)
        return (201 if answer["status"] == "received" else 422), answer

    app = Starlette(routes=web_form_routes(use_case, catalogue=catalogue))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://intake")


async def post_form(
    reason: str, lang: str, seen: list[dict[str, Any]] | None = None, **changes: str
) -> httpx.Response:
    """POST the filled-in form to a form whose use case refuses it with `reason`."""
    answer = {"status": "rejected", "reason": reason, "field": None}
    async with client(answer, seen if seen is not None else []) as http:
        return await http.post(
            f"/formulier?lang={lang}",
            content=urlencode({**FILLED, **changes}),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )


async def get_form(lang: str = "nl") -> str:
    async with client({"status": "received"}, []) as http:
        return (await http.get(f"/formulier?lang={lang}")).text


async def test_the_form_offers_ministries_and_units_by_name_and_advisors_by_profile() -> None:
    page = await get_form()
    assert (
        '<select id="org" name="organisation_id" required><option value="">Kies uw organisatie</option>'
        in page
    )
    assert '<option value="min-fin">Financiën</option>' in page
    assert '<optgroup label="Binnenlandse Zaken">' in page
    assert '<option value="bzk-dgob-ict">DG Overheidsorganisatie › ICT</option>' in page
    assert "Uw organisatie *" in page and "Uw onderdeel *" in page  # required questions are marked
    assert page.count(">U bent<") == 1
    # The advisors as they show themselves, "no preference" first and ticked, initials for a face.
    assert re.search(r'id="advisor-none" name="advisor" value="" checked>', page)
    assert "Anna de Vries" in page and '<span class="avatar" aria-hidden="true">AV</span>' in page
    assert "Vertrouwenspersoon integriteit en ongewenst gedrag (VPIO)" in page
    assert "Voor medewerkers van Binnenlandse Zaken · Den Haag · Spreekt Nederlands" in page
    assert (
        "Extern: voor de hele Rijksoverheid, niet van uw eigen organisatie · Utrecht · Spreekt Nederlands, Engels"
        in page
    )
    assert "Ik luister." in page
    assert "De externe vertrouwenspersonen zijn: Dirk Jansen" in page  # the external one, by name
    assert '<select id="avoid" name="avoid_advisor"' in page
    # Advisors are handles on the page, never their pseudonyms.
    assert "adv-anna" not in page and "adv-dirk" not in page


async def test_categories_come_in_four_groups_each_with_a_plain_hint_and_a_privacy_notice() -> None:
    page = await get_form()
    groups = re.findall(r'<fieldset class="group"[^>]*><legend>([^<]+)</legend>', page)
    assert groups == ["Ongewenst gedrag", "Integriteit", "Werk en arbeidsvoorwaarden", "Iets anders"]
    assert page.count('name="categories"') == 17
    assert 'id="cat-13" name="categories" value="labour.conflict_with_manager"' in page
    assert "Wat gebeurt er met uw gegevens?" in page and "anoniem" in page
    assert "Eén jaar nadat uw melding is afgesloten, worden ze gewist." in page
    assert "Wat gebeurt er daarna?" in page


async def test_the_english_form_reads_in_english() -> None:
    page = await get_form("en")
    assert 'lang="en"' in page and "Your organisation *" in page and "No preference" in page
    assert "For employees of Binnenlandse Zaken · Den Haag · Speaks Dutch" in page and "I listen." in page
    assert "Ik ben extern." in page  # a profile without English text shows its Dutch one
    assert "What happens to your information?" in page and "What happens next?" in page


async def test_the_chosen_advisor_is_preferred_and_the_avoided_one_excluded() -> None:
    seen: list[dict[str, Any]] = []
    async with client({"status": "received", "receipt_code": "ABCD-EFGH-JKLM-NPQR"}, seen) as http:
        answer = await http.post("/formulier", data=FILLED)
    assert "ABCD-EFGH-JKLM-NPQR" in answer.text
    assert seen[0]["preferred_advisor_id"] == "adv-anna" and seen[0]["excluded_advisor_ids"] == ["adv-dirk"]
    assert seen[0]["organisation_id"] == "min-bzk" and seen[0]["unit_id"] == "bzk-dgob-ict"


async def test_no_preference_sends_no_advisor() -> None:
    seen: list[dict[str, Any]] = []
    async with client({"status": "received", "receipt_code": "ABCD-EFGH-JKLM-NPQR"}, seen) as http:
        await http.post("/formulier", data={**FILLED, "advisor": "", "avoid_advisor": ""})
    assert seen[0]["preferred_advisor_id"] is None and seen[0]["excluded_advisor_ids"] == []


async def test_an_unknown_organisation_is_explained_in_dutch_and_the_text_is_kept() -> None:
    seen: list[dict[str, Any]] = []
    answer = await post_form("organisation_unknown", "nl", seen)
    page = answer.text
    assert answer.status_code == 422
    assert "<title>Uw melding kon niet worden verwerkt</title>" in page
    assert "Deze organisatie staat niet in onze lijst. Kies uw organisatie uit de lijst." in page
    assert 'data-reason="organisation_unknown"' in page and "<code" not in page  # words, no raw code
    assert '<a href="#org">Naar de vraag</a>' in page
    assert '<option value="min-bzk" selected>' in page and '<option value="bzk-dgob-ict" selected>' in page
    assert "Mijn verhaal &amp; meer: FORM-MARKER-7</textarea>" in page
    assert 'value="Jan &lt;b&gt;de&lt;/b&gt; Vries"' in page  # kept, and escaped
    assert 'value="workload" checked' in page and '<option value="phone" selected>' in page
    assert '<option value="manager" selected>' in page
    assert f'value="{ANNA.handle}" checked' in page and f'<option value="{DIRK.handle}" selected>' in page
    # A fresh submission id: the refused one opened nothing, a corrected form is a new submission.
    assert 'value="form-sub-0001"' not in page and seen[0]["submission_id"] == "form-sub-0001"


async def test_a_unit_of_another_organisation_is_explained_in_english() -> None:
    answer = await post_form("unit_unknown_in_organisation", "en", unit_id="fin-tax")
    assert answer.status_code == 422
    assert "This unit is not part of the organisation you chose." in answer.text
    assert "FORM-MARKER-7</textarea>" in answer.text


@pytest.mark.parametrize(
    ("changes", "why"),
    [
        ({"unit_id": ""}, "Kies uw onderdeel uit de lijst."),
        ({"organisation_id": ""}, "Kies uw organisatie uit de lijst."),
        ({"advisor": "vp-nobody"}, "Deze vertrouwenspersoon staat niet (meer) in de lijst."),
        ({"avoid_advisor": "adv-anna"}, "Deze vertrouwenspersoon staat niet (meer) in de lijst."),
        ({"avoid_advisor": ANNA.handle}, "U koos dezelfde vertrouwenspersoon om mee te praten én om niet"),
    ],
)
async def test_a_missing_or_wrong_choice_is_explained_before_anything_is_sent(
    changes: dict[str, str], why: str
) -> None:
    seen: list[dict[str, Any]] = []
    answer = await post_form("never_asked", "nl", seen, **changes)
    assert answer.status_code == 422 and why in answer.text
    assert seen == []  # the use case was not asked
    assert "FORM-MARKER-7</textarea>" in answer.text and 'value="jan.form@example.org"' in answer.text


async def test_before_the_directory_arrived_the_form_asks_to_send_again_later() -> None:
    answer = await post_form("directory_not_loaded", "en")
    assert answer.status_code == 503
    assert "Nothing was kept. Please send the form again in a few minutes." in answer.text
    assert "FORM-MARKER-7</textarea>" in answer.text


async def test_an_unlisted_reason_still_gets_a_sentence() -> None:
    answer = await post_form("invalid_language", "nl")
    assert "Controleer de gegevens en probeer het opnieuw." in answer.text
    assert 'data-reason="invalid_language"' in answer.text


def test_an_organisation_is_named_by_its_top_unit_and_units_by_their_path() -> None:
    rows = [
        ("bzk-dgob-ict", "min-bzk", "ICT", "bzk-dgob"),
        ("bzk", "min-bzk", "Binnenlandse Zaken", None),
        ("bzk-dgob", "min-bzk", "DG Overheidsorganisatie", "bzk"),
        ("fin-tax", "min-fin", "Belastingbeleid", None),  # its only unit is its top unit
    ]
    fin, bzk = _organisations(rows)  # in the order of their names
    assert bzk.name == "Binnenlandse Zaken"
    assert [u.label for u in bzk.units] == [
        "Binnenlandse Zaken",
        "DG Overheidsorganisatie",
        "DG Overheidsorganisatie › ICT",
    ]
    assert (fin.name, fin.units[0].label) == ("Belastingbeleid", "Belastingbeleid")


def test_initials_stand_in_for_a_photo() -> None:
    assert ANNA.initials == "AV" and DIRK.initials == "DJ"


@pytest.mark.parametrize(
    ("reason", "why"),
    [
        ("too_many_categories", "Choose five subjects at most. Tell the rest in your story."),
        ("narrative_too_long", "Your story is too long for the form. Make it shorter."),
    ],
)
async def test_refusals_the_form_can_meet_are_each_explained(reason: str, why: str) -> None:
    answer = await post_form(reason, "en")
    assert why in answer.text and "Check what you entered and try again." not in answer.text


def test_the_privacy_notice_says_the_configured_retention() -> None:
    from services.intake.adapters.rendering.web_form_pages import kept_for

    assert [kept_for("nl", d) for d in (365, 730, 90, 0)] == ["Eén jaar", "2 jaar", "90 dagen", "Direct"]
    assert kept_for("en", 365) == "One year" and kept_for("en", 30) == "30 days"
