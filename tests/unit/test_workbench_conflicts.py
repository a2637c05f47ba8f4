from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.workbench.adapters.rendering import pages
from services.workbench.adapters.rendering.texts import CONFLICT_REASON_LABELS, LANGS, TEXT
from services.workbench.application.advisor_commands import PERSON_DESCRIPTION_TOO_LONG, UNKNOWN_PERSON_ROLE
from services.workbench.application.conflicts import NOT_CONFIRMED, UNKNOWN_REASON, conflict_command
from services.workbench.domain.forms import FormRefused
from services.workbench.domain.sessions import Role, Session
from shared.codes import ConflictReason, InvolvedRole
from tests.support.html_page import Page

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize("reason", list(ConflictReason))
def test_a_confirmed_coded_reason_builds_the_unsigned_command(reason: ConflictReason) -> None:
    command = conflict_command("adv-1", "case-1", f" {reason.value} ", True, NOW)
    assert (command.advisor_id, command.case_id, command.reason, command.auth) == (
        "adv-1",
        "case-1",
        reason,
        "",
    )


@pytest.mark.parametrize("raw", [None, "", "I know her from school", "KNOWS_PERSON"])
def test_anything_but_a_code_is_refused_with_a_reason_code(raw: str | None) -> None:
    with pytest.raises(FormRefused) as refused:
        conflict_command("adv-1", "case-1", raw, True, NOW)
    assert refused.value.reason == UNKNOWN_REASON
    assert raw is None or raw not in str(refused.value) or raw == ""


def test_an_unconfirmed_declaration_is_refused() -> None:
    with pytest.raises(FormRefused) as refused:
        conflict_command("adv-1", "case-1", ConflictReason.OTHER.value, False, NOW)
    assert refused.value.reason == NOT_CONFIRMED


def test_every_reason_and_refusal_has_words_in_both_languages() -> None:
    assert set(CONFLICT_REASON_LABELS) == set(ConflictReason)
    for nl, en in CONFLICT_REASON_LABELS.values():
        assert nl and en and nl != en
    for lang in LANGS:
        assert set(TEXT[lang]["conflict_why"]) == {UNKNOWN_REASON, NOT_CONFIRMED}


ANNA = Session("sub-1", Role.ADVISOR, "adv-anna", "csrf-token-of-anna", NOW, NOW)
FILE = {
    "case_id": "case-7",
    "coded": {"opened_at": NOW.isoformat(), "categories": [], "channel": "web"},
    "personal": {},
    "messages": [],
    "access_log": [],
    "assignment": {},
}


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_the_case_page_offers_the_conflict_form_with_coded_reasons_and_the_token(lang: str) -> None:
    page = Page(pages.case_page(lang, ANNA, FILE, None))
    assert page.unbalanced == []
    [form] = [f for f in page.root.find_all("form") if f.attrs["action"].startswith("/zaken/case-7/belang")]
    values = {node.attrs.get("name"): node.attrs.get("value") for node in form.find_all("input")}
    assert values["csrf"] == "csrf-token-of-anna" and values["confirm"] == "yes"
    options = form.find_all("option")
    assert [o.attrs["value"] for o in options] == [reason.value for reason in ConflictReason]
    labels = [labels[LANGS.index(lang)] for labels in CONFLICT_REASON_LABELS.values()]
    assert [o.text() for o in options] == labels


def test_a_refused_declaration_is_explained_in_words_with_its_code() -> None:
    html = pages.case_page("en", ANNA, None, UNKNOWN_REASON)
    assert TEXT["en"]["conflict_why"][UNKNOWN_REASON] in html and UNKNOWN_REASON in html


def test_the_list_says_the_case_was_given_up() -> None:
    page = Page(pages.case_list_page("nl", ANNA, "/zaken", [], "conflict"))
    [status] = page.root.find_all(css="done")
    assert status.text() == TEXT["nl"]["list_done"]["conflict"]
    assert pages.case_list_page("nl", ANNA, "/zaken", []).count('class="done"') == 0


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_the_case_page_offers_the_add_person_form_with_role_codes_and_the_token(lang: str) -> None:
    page = Page(pages.case_page(lang, ANNA, FILE, None))
    assert page.unbalanced == []
    [form] = [
        f for f in page.root.find_all("form") if f.attrs["action"].startswith("/zaken/case-7/betrokkene")
    ]
    values = {node.attrs.get("name"): node.attrs.get("value") for node in form.find_all("input")}
    assert values["csrf"] == "csrf-token-of-anna"
    assert [o.attrs["value"] for o in form.find_all("option")] == [role.value for role in InvolvedRole]
    assert [o.text() for o in form.find_all("option")] == [TEXT[lang]["case_role"][r] for r in InvolvedRole]


def test_every_add_person_refusal_and_status_has_words_in_both_languages() -> None:
    assert (
        set(TEXT["nl"]["person_why"])
        == set(TEXT["en"]["person_why"])
        == {
            UNKNOWN_PERSON_ROLE,
            PERSON_DESCRIPTION_TOO_LONG,
            "invalid_body",
        }
    )
    for lang in LANGS:
        html = pages.case_page(lang, ANNA, None, UNKNOWN_PERSON_ROLE)
        assert TEXT[lang]["person_why"][UNKNOWN_PERSON_ROLE] in html
        done = pages.case_page(lang, ANNA, FILE, None, "person_added")
        assert TEXT[lang]["person_done"]["person_added"] in done
