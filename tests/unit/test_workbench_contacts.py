from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.workbench.adapters.advisor_directory import UnitRow
from services.workbench.adapters.intake_submissions import ContactRefused
from services.workbench.adapters.rendering import pages
from services.workbench.adapters.rendering.texts import LANGS, TEXT
from services.workbench.application.contacts import (
    UnitCatalogue,
    catalogue_of,
    contact_submission,
    new_form_id,
)
from services.workbench.domain.sessions import Role, Session
from tests.support.html_page import Page

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
ANNA = Session("sub-1", Role.ADVISOR, "adv-anna", "csrf-token-of-anna", NOW, NOW)
NO_UNITS = UnitCatalogue(())
UNITS = [
    UnitRow("min-fin", None, "Ministerie van Financiën", "min-fin"),
    UnitRow("fin-tax", "min-fin", "Belastingdienst", "min-fin"),
    UnitRow("min-bzk", None, "Ministerie van BZK", "min-bzk"),
    UnitRow("bzk-dgob-ict", "min-bzk", "ICT <team>", "min-bzk"),
]


def form(**changes: str) -> dict[str, str]:
    base = {
        "form_id": new_form_id(),
        "channel": "phone",
        "client_role": "employee",
        "category": "labour.conflict_with_manager",
        "organisation_id": "min-bzk",
        "unit_id": "bzk-dgob-ict",
        "narrative": "Belde over haar leidinggevende.",
        "phone": "0612345678",
    }
    return {**base, **changes}


def test_a_phone_contact_becomes_a_submission_preferring_the_advisor_keyed_by_the_form() -> None:
    fields = form()
    key, doc = contact_submission(fields, "adv-anna", NOW, {})
    assert key == fields["form_id"] and doc["submission_id"] == f"wb-{key}"
    assert (doc["channel"], doc["preferred_advisor_id"], doc["anonymous"]) == ("phone", "adv-anna", False)
    assert doc["contact"] == {"phone": "0612345678"} and doc["categories"] == ["labour.conflict_with_manager"]
    assert contact_submission(fields, "adv-anna", NOW, {})[1]["submission_id"] == doc["submission_id"]
    assert new_form_id() != new_form_id()


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"form_id": "short"}, "contact_form_expired"),
        ({"channel": "web"}, "contact_unknown_channel"),
        ({"channel": "telefoon"}, "contact_unknown_channel"),
        ({"client_role": "boss"}, "contact_unknown_client_role"),
        ({"category": "MARK free text"}, "contact_unknown_category"),
        ({"unit_id": "the ICT team"}, "contact_unknown_unit"),
        ({"narrative": "x" * 20_001}, "contact_narrative_too_long"),
        ({"anonymous": "yes"}, "contact_given_while_anonymous"),
        ({"phone": ""}, "contact_unreachable"),
    ],
)
def test_anything_but_codes_and_a_way_to_reach_is_refused_with_a_reason_in_words(
    changes: dict[str, str], reason: str
) -> None:
    with pytest.raises(ContactRefused) as refused:
        contact_submission(form(**changes), "adv-anna", NOW, {})
    assert refused.value.reason == reason
    assert "MARK" not in str(refused.value)
    for lang in LANGS:
        assert TEXT[lang]["contact_why"][reason] in pages.contact_page(
            lang, ANNA, new_form_id(), NO_UNITS, reason
        )


def test_an_anonymous_walk_in_has_no_contact() -> None:
    _key, doc = contact_submission(form(channel="walk_in", anonymous="yes", phone=""), "adv-anna", NOW, {})
    assert doc["anonymous"] is True and "contact" not in doc and doc["channel"] == "walk_in"


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_the_contact_page_is_a_form_with_the_token_the_form_id_and_coded_choices(lang: str) -> None:
    page = Page(pages.contact_page(lang, ANNA, "form-id-0123456789abc", NO_UNITS))
    assert page.unbalanced == []
    [f] = [f for f in page.root.find_all("form") if f.attrs["action"].startswith("/contact")]
    values = {
        n.attrs.get("name"): n.attrs.get("value")
        for n in f.find_all("input")
        if n.attrs.get("type") == "hidden"
    }
    assert values == {"csrf": "csrf-token-of-anna", "form_id": "form-id-0123456789abc"}
    radios = [n.attrs["value"] for n in f.find_all("input") if n.attrs.get("type") == "radio"]
    assert radios == ["phone", "walk_in"]
    assert set(TEXT["nl"]["contact_why"]) == set(TEXT["en"]["contact_why"])


def test_with_a_unit_list_the_unit_is_chosen_by_name_and_the_organisation_follows_from_it() -> None:
    catalogue, placed = catalogue_of(UNITS)
    assert [g.organisation for g in catalogue.groups] == ["Ministerie van BZK", "Ministerie van Financiën"]
    chosen = form(unit_id="fin-tax", organisation_id="")  # the list form has no organisation field
    _key, doc = contact_submission(chosen, "adv-anna", NOW, placed)
    assert (doc["organisation_id"], doc["unit_id"]) == ("min-fin", "fin-tax")
    forged = form(unit_id="fin-tax", organisation_id="min-bzk")  # a typed organisation is ignored
    assert contact_submission(forged, "adv-anna", NOW, placed)[1]["organisation_id"] == "min-fin"
    for unknown in ("fin-nope", "", "min-bzk "):
        with pytest.raises(ContactRefused) as refused:
            contact_submission(form(unit_id=unknown), "adv-anna", NOW, {"fin-tax": "min-fin"})
        assert refused.value.reason == "contact_unknown_unit"


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_the_unit_list_is_grouped_per_organisation_and_asks_for_no_codes(lang: str) -> None:
    catalogue, _ = catalogue_of(UNITS)
    html = pages.contact_page(lang, ANNA, new_form_id(), catalogue)
    page = Page(html)
    assert page.unbalanced == [] and "<team>" not in html and "ICT &lt;team&gt;" in html
    [select] = [s for s in page.root.find_all("select") if s.attrs.get("name") == "unit_id"]
    groups = [g.attrs["label"] for g in select.find_all("optgroup")]
    assert groups == ["Ministerie van BZK", "Ministerie van Financiën"]
    assert next(o.attrs["value"] for o in select.find_all("option")) == ""  # no unit preselected
    assert 'name="organisation_id"' not in html
    assert 'name="organisation_id"' in pages.contact_page(lang, ANNA, new_form_id(), NO_UNITS)
