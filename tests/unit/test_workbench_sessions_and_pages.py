"""The workbench's pure rules and its pages' rendering, no provider and no browser."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.workbench.adapters.rendering import pages
from services.workbench.domain.case_list import CaseLine, newest_first
from services.workbench.domain.sessions import NotAllowed, Role, Session, SessionPolicy, identity_of
from services.workbench.entrypoints.http_api import csrf_matches
from tests.support.html_page import Page

pytestmark = pytest.mark.unit

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
ANNA = Session("sub-1", Role.ADVISOR, "adv-anna", "csrf-token-of-anna", T0, T0)


@pytest.mark.parametrize(
    ("claims", "role", "advisor"),
    [
        ({"sub": "s", "roles": ["advisor"], "advisor_id": "adv-anna"}, Role.ADVISOR, "adv-anna"),
        (
            {
                "sub": "s",
                "realm_access": {"roles": ["coordinator", "offline_access"]},
                "coordinator_id": "coord-bzk",
            },
            Role.COORDINATOR,
            "coord-bzk",
        ),
        (
            {"sub": "s", "roles": ["management"], "advisor_id": "adv-x", "organisation_id": "min-bzk"},
            Role.MANAGEMENT,
            None,
        ),
    ],
)
def test_a_verified_token_gives_one_role_and_an_advisor_only_their_id(
    claims: dict[str, object], role: Role, advisor: str | None
) -> None:
    identity = identity_of(claims)
    assert (identity.role, identity.advisor_id) == (role, advisor)


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({"sub": "s", "roles": ["hr"]}, "no_caseflow_role"),
        ({"sub": "s", "roles": "advisor"}, "no_caseflow_role"),  # not a list
        ({"sub": "s", "roles": ["advisor", "management"], "advisor_id": "a"}, "more_than_one_caseflow_role"),
        ({"sub": "s", "roles": ["advisor"]}, "advisor_without_advisor_id"),
        ({"sub": "s", "roles": ["advisor"], "advisor_id": ""}, "advisor_without_advisor_id"),
        ({"roles": ["coordinator"]}, "no_subject"),
        ({"sub": "s", "roles": ["management"]}, "management_without_organisation_id"),
        ({"sub": "s", "roles": ["coordinator"], "advisor_id": "adv-x"}, "coordinator_without_coordinator_id"),
    ],
)
def test_a_token_without_exactly_one_caseflow_role_opens_nothing(
    claims: dict[str, object], reason: str
) -> None:
    with pytest.raises(NotAllowed) as refused:
        identity_of(claims)
    assert refused.value.reason == reason


def test_a_session_ends_when_idle_or_too_old() -> None:
    policy = SessionPolicy(idle=timedelta(minutes=30), absolute=timedelta(hours=10))
    assert policy.alive(ANNA, T0 + timedelta(minutes=30))
    assert not policy.alive(ANNA, T0 + timedelta(minutes=30, seconds=1))
    lively = Session("s", Role.ADVISOR, "a", "c", T0, T0 + timedelta(hours=10, minutes=1))
    assert not policy.alive(lively, T0 + timedelta(hours=10, minutes=2))  # active, but past the limit


def test_csrf_needs_the_sessions_own_token() -> None:
    assert csrf_matches(ANNA, b"csrf=csrf-token-of-anna")
    for body in (b"", b"csrf=", b"csrf=csrf-token-of-bram", b"other=csrf-token-of-anna"):
        assert not csrf_matches(ANNA, body)


def test_open_cases_come_first_newest_first_and_unknown_times_last() -> None:
    lines = [
        CaseLine("old", T0, (), None, "open"),
        CaseLine("closed", T0 + timedelta(days=2), (), None, "closed"),
        CaseLine("new", T0 + timedelta(days=1), (), None, "open"),
        CaseLine("unknown", None, (), None, "open"),
    ]
    assert [line.case_id for line in newest_first(lines)] == ["new", "old", "unknown", "closed"]


def test_the_case_list_shows_coded_facts_in_words_and_escapes_what_it_shows() -> None:
    lines = [
        CaseLine("<script>x</script>", T0, ("unwanted_behaviour.bullying", "not-a-category"), "phone", "open")
    ]
    html = pages.case_list_page("nl", ANNA, "/zaken", lines)
    assert "<script>x" not in html and "&lt;script&gt;x" in html
    page = Page(html)
    assert page.unbalanced == []
    row = page.root.find_all("tr")[1]
    assert "Pesten" in row.text() and "Telefoon" in row.text() and "not-a-category" not in row.text()
    assert "01-12-2026 10:00" in row.text()  # Amsterdam time
    assert 'value="csrf-token-of-anna"' in html  # the sign-out form carries the token


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_every_page_names_its_language_and_offers_the_other(lang: str) -> None:
    for html in (
        pages.start_page(lang),
        pages.problem_page(lang, "no_caseflow_role"),
        pages.case_list_page(lang, ANNA, "/zaken", []),
    ):
        assert f'<html lang="{lang}">' in html
        other = "en" if lang == "nl" else "nl"
        assert f'hreflang="{other}"' in html and Page(html).unbalanced == []


def test_a_refused_sign_in_is_explained_in_words_with_its_code() -> None:
    html = pages.problem_page("nl", "advisor_without_advisor_id")
    assert "niet gekoppeld aan een vertrouwenspersoon" in html and "advisor_without_advisor_id" in html
    unknown = pages.problem_page("en", "something_new")
    assert "tell the administrator" in unknown
