"""The coordinators' queue and "Mijn uren" as rendered, and the forms' refusals, without a provider."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, cast

import pytest

from services.workbench.adapters.advisor_directory import AdvisorRow
from services.workbench.adapters.coordinator_choices import Choice
from services.workbench.adapters.rendering import people
from services.workbench.application import my_hours
from services.workbench.application.coordinator_queue import Queue
from services.workbench.application.my_advisors import Advisors
from services.workbench.application.my_hours import RecordRefused
from services.workbench.domain.case_list import CaseLine
from services.workbench.domain.sessions import Role, Session
from shared.runtime import ServiceContext
from tests.support.html_page import Page

pytestmark = pytest.mark.unit

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
ANNA = Session("sub-1", Role.ADVISOR, "adv-anna", "csrf-of-anna", T0, T0)
COORDINATOR = Session("sub-2", Role.COORDINATOR, "coord-bzk", "csrf-of-coord", T0, T0, "min-bzk")
VIEW: dict[str, Any] = {
    "advisor_id": "adv-anna",
    "year": 2026,
    "baseline": {"training_hours": 16, "supervision_sessions": 4},
    "hours_by_activity": {"conversation": 1.5, "administration": 0.25, "publicity": 0, "training": 12},
    "hours_total": 13.75,
    "training_hours": 14.0,
    "supervision_hours": 6.0,
    "supervision_sessions": 4,
    "meets_baseline": False,
}


def labelled(page: Page) -> None:
    """Every form control has a label that names it, and every form a fieldset with a legend."""
    labels = {n.attrs.get("for") for n in page.root.find_all("label")}
    for control in page.root.find_all("select") + page.root.find_all("input"):
        if control.attrs.get("type") != "hidden":
            assert control.attrs.get("id") in labels, control.attrs
    for form in page.root.find_all("form")[1:]:  # the first is the sign-out button
        assert form.find_all("fieldset") and form.find_all("legend")


def test_my_hours_shows_hours_by_activity_and_training_against_the_baseline() -> None:
    html = people.hours_page("nl", ANNA, VIEW, None, date(2026, 12, 1))
    page = Page(html)
    assert page.unbalanced == []
    rows = {r.find_all("th")[0].text(): r.text() for r in page.root.find_all("tr") if r.find_all("th")}
    assert "1,5" in rows["Gesprekken"] and "0,25" in rows["Administratie"] and "13,75" in rows["Totaal"]
    assert "Nog 2 te gaan" in rows["Scholing (uren)"] and "16" in rows["Scholing (uren)"]
    assert "Voldaan" in rows["Intervisie (bijeenkomsten)"]
    assert [c.text() for c in page.root.find_all("caption")] == [
        "Uw uren in 2026",
        "Scholing en intervisie in 2026 tegen de basisnorm",
    ]
    assert html.count('name="csrf" value="csrf-of-anna"') == 4  # three forms and sign-out
    assert 'max="2026-12-01"' in html
    labelled(page)
    english = people.hours_page("en", ANNA, VIEW, None, date(2026, 12, 1))
    assert "1.5" in english and "2 to go" in english and '<html lang="en">' in english


def test_my_hours_without_reportings_view_says_why_and_still_offers_the_forms() -> None:
    html = people.hours_page("nl", ANNA, None, "reporting_refused", date(2026, 12, 1))
    assert "De rapportage geeft deze cijfers niet aan uw account." in html and "reporting_refused" in html
    assert 'action="/uren/tijd?lang=nl"' in html and 'action="/uren/intervisie?lang=nl"' in html


def test_a_refused_record_is_named_in_words_with_its_code() -> None:
    html = people.hours_page(
        "nl", ANNA, VIEW, None, date(2026, 12, 1), refused=("scholing", "date_in_future")
    )
    assert "Scholing: De datum ligt in de toekomst." in html and "<code>date_in_future</code>" in html
    other = people.hours_page("en", ANNA, VIEW, None, date(2026, 12, 1), refused=("tijd", "brand_new_code"))
    assert "This was not recorded. Try again." in other and "brand_new_code" in other


NOT_USED = cast(ServiceContext, object())  # a refused form touches neither the database nor the signer


@pytest.mark.parametrize(
    ("record", "form", "reason"),
    [
        (my_hours.log_time, {"activity": "sleeping", "minutes": "30"}, "activity_unknown"),
        (my_hours.log_time, {"activity": "publicity", "minutes": "half an hour"}, "minutes_not_a_number"),
        (my_hours.log_time, {"activity": "publicity", "minutes": "0"}, "minutes_not_positive"),
        (my_hours.log_time, {"activity": "publicity", "minutes": "1441"}, "minutes_too_many"),
        (my_hours.log_time, {}, "activity_unknown"),
        (
            my_hours.register_training,
            {"hours": "3", "kind": "refresher", "completed_on": "2026-12-02"},
            "date_in_future",
        ),
        (
            my_hours.register_training,
            {"hours": "nan", "kind": "refresher", "completed_on": "2026-11-02"},
            "hours_not_a_number",
        ),
        (
            my_hours.register_training,
            {"hours": "3", "kind": "juggling", "completed_on": "2026-11-02"},
            "training_kind_unknown",
        ),
        (my_hours.register_supervision, {"hours": "2", "session_on": "2025-11-01"}, "date_too_long_ago"),
        (my_hours.register_supervision, {"hours": "51", "session_on": "2026-11-01"}, "hours_too_many"),
        (my_hours.register_supervision, {"hours": "2", "session_on": "1-11-2026"}, "date_invalid"),
        # A valid record, but no signer to sign it with: refused before anything is stored.
        (
            my_hours.register_supervision,
            {"hours": "1,5", "session_on": "2026-12-01"},
            "signer_not_configured",
        ),
        (my_hours.log_time, {"activity": "training", "minutes": "90"}, "signer_not_configured"),
    ],
)
async def test_each_form_refuses_with_a_reason_code(record: Any, form: dict[str, str], reason: str) -> None:
    with pytest.raises(RecordRefused) as refused:
        await record(NOT_USED, None, "adv-anna", form, T0)
    assert refused.value.reason == reason
    assert reason in people.TEXT["nl"]["hours_why"] and reason in people.TEXT["en"]["hours_why"]


def test_a_day_is_sent_as_the_instant_it_starts_in_the_netherlands() -> None:
    assert my_hours.day_start(date(2026, 7, 1)) == datetime(2026, 6, 30, 22, 0, tzinfo=UTC)
    assert my_hours.today_of(datetime(2026, 12, 31, 23, 30, tzinfo=UTC)) == date(2027, 1, 1)


def test_the_queue_offers_active_advisors_by_id_kind_and_scope_and_shows_refusals_in_words() -> None:
    queue = Queue(
        lines=[
            CaseLine("case-1", T0, ("unwanted_behaviour.bullying",), "web", "open"),
            CaseLine("<b>case-2</b>", None, (), None, "open"),
        ],
        advisors=[
            AdvisorRow("adv-dirk", "VPIO", "external", None, date(2024, 1, 1), None, "active"),
            AdvisorRow("adv-eva", "VPI", "external", None, date(2024, 1, 1), None, "active"),
        ],
        choices={"case-1": Choice("case-1", "adv-eva", "chosen_advisor_kind_mismatch")},
    )
    html = people.queue_page("nl", COORDINATOR, queue)
    page = Page(html)
    assert page.unbalanced == [] and "<b>case-2" not in html
    assert '<option value="adv-eva">adv-eva (integriteit; extern)</option>' in html
    assert "Uw keuze (adv-eva) is niet uitgevoerd." in html and "behandelt dit soort melding niet" in html
    assert html.count('<form method="post" action="/wachtrij/') == 2
    labelled(page)
    assert [th.attrs.get("scope") for th in page.root.find_all("th")].count("row") == 2
    sent = Queue(queue.lines[:1], queue.advisors, {"case-1": Choice("case-1", "adv-dirk", None)})
    assert "Your choice (adv-dirk) has been sent." in people.queue_page("en", COORDINATOR, sent)
    none = Queue(queue.lines[:1], [], {})
    assert "Er zijn nog geen actieve vertrouwenspersonen bekend." in people.queue_page(
        "nl", COORDINATOR, none
    )


def test_a_coordinators_advisors_show_figures_against_the_baseline_and_terms_ending_soon() -> None:
    today = date(2026, 12, 1)
    advisors = Advisors(
        rows=[
            AdvisorRow(
                "adv-anna", "VPIO", "internal", "min-bzk", date(2024, 1, 1), date(2027, 5, 31), "active"
            ),
            AdvisorRow(
                "adv-bram", "VPO", "internal", "min-bzk", date(2024, 1, 1), date(2027, 6, 30), "on_leave"
            ),
            AdvisorRow("adv-<i>x</i>", "VPI", "internal", "min-bzk", date(2024, 1, 1), None, "active"),
        ],
        figures={
            "adv-anna": {
                "advisor_id": "adv-anna",
                "hours_total": 12.5,
                "training_hours": 4,
                "supervision_sessions": 2,
            }
        },
        baseline={"training_hours": 16, "supervision_sessions": 4},
        year=2026,
        unavailable=None,
    )
    html = people.advisors_page("nl", COORDINATOR, advisors, today)
    page = Page(html)
    assert page.unbalanced == [] and "<i>x" not in html
    rows = {r.find_all("th")[0].text(): r.text() for r in page.root.find_all("tr")[1:]}
    assert "12,5" in rows["adv-anna"] and "4 van 16" in rows["adv-anna"] and "2 van 4" in rows["adv-anna"]
    assert "loopt binnen zes maanden af" in rows["adv-anna"]  # 31-05-2027: 181 days
    assert "loopt binnen" not in rows["adv-bram"] and "met verlof" in rows["adv-bram"]  # 211 days
    assert "geen cijfers" in rows["adv-bram"] and "geen einddatum" in rows["adv-<i>x</i>"]
    ending = page.root.find_all("ul")[-1].text()
    assert "adv-anna" in ending and "adv-bram" not in ending
    assert [th.attrs.get("scope") for th in page.root.find_all("th")].count("col") == 8  # + reflection talk
    assert all("nog niet vastgelegd" in row and "aan de beurt" in row for row in rows.values())
    missing = Advisors(advisors.rows, {}, {}, 2026, "reporting_refused")
    english = people.advisors_page("en", COORDINATOR, missing, today)
    assert "Reporting does not give these figures to your account." in english and "no figures" in english
    assert "No confidential advisors" in people.advisors_page(
        "en", COORDINATOR, Advisors([], {}, {}, 2026, None), today
    )
