"""The case page's action forms in a real headless Chromium: every state the advisor sees (a
planned meeting with its forms, a sent form's status, a refused form's reason) passes axe-core
(WCAG 2.1 A/AA), in Dutch and English, and the labels choose their radio buttons. Intake and the
workbench run in process (tests/support/workbench.py); the meeting is the MeetingScheduled
scheduling would publish (scheduling is not run here)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from devinfra.browser import WebDriver
from devinfra.keycloak import KeycloakNode
from shared.codes import MeetingMode
from shared.contracts.scheduling import MeetingScheduled
from tests.support.axe import axe_violations
from tests.support.keycloak import realm_users
from tests.support.scheduling_events import MEETINGS
from tests.support.workbench import TwoServices

pytestmark = pytest.mark.e2e


@pytest.fixture
def browser() -> Iterator[WebDriver]:
    driver = WebDriver()
    driver._call("POST", driver._s("/window/rect"), {"width": 1200, "height": 900})
    yield driver
    driver.quit()


def test_the_case_actions_are_accessible_in_every_state(
    tmp_path: Path, keycloak_node: KeycloakNode, browser: WebDriver
) -> None:
    services = TwoServices(tmp_path, keycloak_node)
    try:
        case_id = services.open_case("adv-anna")
        url = services.workbench.url
        browser.get(url + "/inloggen")
        user = realm_users()["anna"]
        browser.type("#username", user.username)
        browser.type("#password", user.password)
        browser.submit("#kc-login")
        browser.get(f"{url}/zaken/{case_id}")
        browser.submit("form[action*='/aannemen'] button")
        [(key, command)] = services.workbench.service.bus.topics["advisor.actions.v1"]
        services.workbench.run(services.intake.feed("advisor.actions.v1", [(key, command)]))
        start = (datetime.now(UTC) + timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
        services.workbench.feed(
            MEETINGS,
            MeetingScheduled(
                meeting_id="mtg-e2e1",
                case_id=case_id,
                advisor_id="adv-anna",
                start=start,
                end=start + timedelta(hours=1),
                mode=MeetingMode.ON_SITE_DISCREET_ROOM,
                room_id="room-1",
                neutral_title="Afspraak",
                reason_code="slot_found",
                scheduled_at=datetime.now(UTC),
            ),
        )
        for lang in ("nl", "en"):
            browser.get(f"{url}/zaken/{case_id}?lang={lang}")
            assert "mtg-e2e1.ics" in browser.source()
            assert axe_violations(browser) == [], lang
        browser.screenshot(tmp_path / "case-actions.png")

        browser.get(f"{url}/zaken/{case_id}")
        browser.click("label[for=activity-administration]")  # the label chooses its radio button
        browser.type("#time-minutes", "25")
        browser.submit("form[action*='/tijd'] button")
        assert "Uw tijd is doorgegeven." in browser.source()
        assert axe_violations(browser) == []
        sent = services.workbench.service.bus.topics["advisor.actions.v1"][-1][1].decode()
        assert '"activity":"administration"' in sent.replace(" ", "")

        browser.type("#time-minutes", "0")  # allowed by the field, refused by the rules
        assert browser.submit("form[action*='/tijd'] button")
        assert "minutes_out_of_range" in browser.source() and "te kort of te lang" in browser.source()
        assert axe_violations(browser) == []
        browser.screenshot(tmp_path / "case-action-refused.png")
    finally:
        services.stop()
