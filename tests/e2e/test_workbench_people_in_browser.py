"""The coordinators' queue, their advisors' page and an advisor's "Mijn uren" in a real headless
Chromium, signed in at Keycloak's real login page: every page passes axe-core (WCAG 2.1 A/AA), also
with a refusal shown, and the forms' labels are wired to their controls."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from devinfra.browser import WebDriver
from devinfra.keycloak import KeycloakNode
from shared.contracts.routing import RoutingEscalated
from shared.directory_copies import directory_records
from tests.support.axe import axe_violations
from tests.support.keycloak import realm_users
from tests.support.scheduling_events import ASSIGNMENTS, CASES, case_opened
from tests.support.workbench import WorkbenchServer
from tools.demo.sample_org import directory_events

pytestmark = pytest.mark.e2e

TITLE = "Werkplek vertrouwenspersonen"


@pytest.fixture
def workbench(tmp_path: Path, keycloak_node: KeycloakNode) -> Iterator[WorkbenchServer]:
    server = WorkbenchServer(tmp_path, keycloak_node)
    try:
        now = datetime.now(UTC)
        copies = [
            (k, v)
            for e in directory_events(now)
            for t, k, v in directory_records(e)
            if t == "directory.advisors.v1"
        ]
        server.feed_records("directory.advisors.v1", copies)
        server.feed(CASES, case_opened("case-q1"))
        server.feed(
            ASSIGNMENTS,
            RoutingEscalated(
                case_id="case-q1", organisation_id="min-bzk", policy_version="t", escalated_at=now
            ),
        )
        yield server
    finally:
        server.stop()


@pytest.fixture
def browser() -> Iterator[WebDriver]:
    driver = WebDriver()
    driver._call("POST", driver._s("/window/rect"), {"width": 1200, "height": 900})
    yield driver
    driver.quit()


def sign_in(browser: WebDriver, url: str, username: str) -> str:
    browser.get(url + "/inloggen")
    user = realm_users()[username]
    browser.type("#username", user.username)
    browser.type("#password", user.password)
    return browser.submit("#kc-login")


def test_the_people_pages_are_accessible(
    workbench: WorkbenchServer, browser: WebDriver, tmp_path: Path
) -> None:
    url = workbench.url
    assert sign_in(browser, url, "coordinator") == f"Wachtende meldingen – {TITLE}"
    assert 'action="/wachtrij/case-q1/toewijzen' in browser.source()
    assert axe_violations(browser) == []
    browser.screenshot(tmp_path / "queue.png")
    browser.get(url + "/wachtrij?lang=en")
    assert axe_violations(browser) == []
    browser.get(url + "/adviseurs")
    assert browser.title() == f"Vertrouwenspersonen – {TITLE}" and "<code>adv-anna</code>" in browser.source()
    assert axe_violations(browser) == []
    browser.screenshot(tmp_path / "advisors.png")


def test_my_hours_is_accessible_also_with_a_refusal(
    workbench: WorkbenchServer, browser: WebDriver, tmp_path: Path
) -> None:
    url = workbench.url
    assert sign_in(browser, url, "anna") == f"Mijn meldingen – {TITLE}"
    browser.get(url + "/uren")
    assert browser.title() == f"Mijn uren – {TITLE}"
    assert axe_violations(browser) == []  # the figures are missing here: reporting is not connected
    browser.click("label[for=supervision-hours]")  # the label focuses its field: they are wired up
    browser.type("#supervision-hours", "99")
    browser.type("#supervision-on", "01-01-2020")
    assert browser.submit("form[action^='/uren/intervisie'] button") == f"Mijn uren – {TITLE}"
    assert "hours_too_many" in browser.source()
    assert axe_violations(browser) == []
    browser.screenshot(tmp_path / "hours-refused.png")
