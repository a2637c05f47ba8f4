"""The workbench signs people in through the real Keycloak (authorization code + PKCE S256) and
shows each role only its own page: an advisor their own cases, the coordinator the escalated
queue, management no cases at all. Then the attacks an outsider would try on the session.

The workbench runs over real HTTP (tests/support/workbench.py); its consumers are fed in process.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from devinfra.keycloak import KeycloakNode
from services.workbench.adapters.tables import notification_addresses
from shared.contracts.directory import CoordinatorAppointed
from shared.contracts.routing import RoutingEscalated
from tests.support.html_page import Page
from tests.support.keycloak import Browser, realm_users
from tests.support.scheduling_events import ASSIGNMENTS, CASES, EPOCH, assigned, case_opened, reassigned
from tests.support.workbench import WorkbenchServer, signed_in

pytestmark = pytest.mark.integration


@pytest.fixture
def workbench(tmp_path: Path, keycloak_node: KeycloakNode) -> Iterator[WorkbenchServer]:
    server = WorkbenchServer(tmp_path, keycloak_node)
    try:
        server.feed(
            CASES, *(case_opened(c) for c in ("case-a1", "case-a2", "case-b1", "case-q1", "case-moved"))
        )
        server.feed(ASSIGNMENTS, assigned("case-a1", "adv-anna"), assigned("case-a2", "adv-anna"))
        server.feed(ASSIGNMENTS, assigned("case-b1", "adv-bram"), assigned("case-moved", "adv-anna"))
        server.feed(ASSIGNMENTS, reassigned("case-moved", "adv-bram"))  # anna declared a conflict
        escalated = RoutingEscalated(
            case_id="case-q1", organisation_id="org-bzk", policy_version="test", escalated_at=EPOCH
        )
        server.feed(ASSIGNMENTS, escalated)
        # The queue lists the escalated cases of the coordinator's own organisations only.
        bzk = CoordinatorAppointed(coordinator_id="coord-bzk", organisation_ids=("org-bzk",))
        server.feed("directory.advisors.v1", bzk)
        yield server
    finally:
        server.stop()


def case_references(html: str) -> list[str]:
    return [row.find_all("code")[0].text() for row in Page(html).root.find_all("tr")[1:]]


def test_an_advisor_signs_in_and_sees_only_their_own_cases(
    workbench: WorkbenchServer, keycloak_node: KeycloakNode
) -> None:
    with signed_in(workbench, keycloak_node, "anna") as anna:
        assert anna.landing.headers["location"] == "/zaken?lang=nl"  # type: ignore[attr-defined]
        page = anna.http.get(f"{workbench.url}/zaken")
        assert page.status_code == 200
        assert sorted(case_references(page.text)) == ["case-a1", "case-a2"]  # not case-moved, not bram's
        assert "Arbeidsconflict met leidinggevende" in page.text and "Webformulier" in page.text
        assert 'lang="nl"' in page.text
        english = anna.http.get(f"{workbench.url}/zaken?lang=en")
        assert "My cases" in english.text and "Labour conflict with manager" in english.text
    with signed_in(workbench, keycloak_node, "bram") as bram:
        page = bram.http.get(f"{workbench.url}/zaken")
        assert sorted(case_references(page.text)) == ["case-b1", "case-moved"]


def test_the_coordinator_sees_the_queue_and_management_sees_no_cases(
    workbench: WorkbenchServer, keycloak_node: KeycloakNode
) -> None:
    with signed_in(workbench, keycloak_node, "coordinator") as coordinator:
        assert coordinator.landing.headers["location"] == "/wachtrij?lang=nl"  # type: ignore[attr-defined]
        queue = coordinator.http.get(f"{workbench.url}/wachtrij")
        assert case_references(queue.text) == ["case-q1"]
        assert coordinator.http.get(f"{workbench.url}/zaken").status_code == 403
    with signed_in(workbench, keycloak_node, "management") as management:
        page = management.http.get(f"{workbench.url}/statistieken")
        assert page.status_code == 503 and "reporting_not_configured" in page.text  # no reporting here
        assert "case-" not in page.text
        for path in ("/zaken", "/wachtrij"):
            refused = management.http.get(f"{workbench.url}{path}")
            assert refused.status_code == 403 and "case-" not in refused.text


def test_the_session_cookie_is_host_only_httponly_secure_and_samesite(
    workbench: WorkbenchServer, keycloak_node: KeycloakNode
) -> None:
    with signed_in(workbench, keycloak_node, "anna") as anna:
        cookie = anna.landing.headers["set-cookie"]  # type: ignore[attr-defined]
        assert cookie.startswith("__Host-caseflow-session=")
        attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}
        assert {"httponly", "secure", "samesite", "path"} <= attributes and "domain" not in attributes
        assert "samesite=lax" in cookie.lower()
        page = anna.http.get(f"{workbench.url}/zaken")
        csp = page.headers["content-security-policy"]
        assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
        assert page.headers["cache-control"] == "no-store"


def test_a_forged_or_stolen_looking_cookie_opens_nothing(workbench: WorkbenchServer) -> None:
    for value in ("", "forged", "A" * 43, "../../etc/passwd"):
        answer = httpx.get(
            f"{workbench.url}/zaken", cookies={"__Host-caseflow-session": value}, follow_redirects=False
        )
        assert answer.status_code == 303 and answer.headers["location"] == "/?lang=nl"


def test_sign_out_needs_the_csrf_token_and_then_ends_the_session_here_and_at_the_provider(
    workbench: WorkbenchServer, keycloak_node: KeycloakNode
) -> None:
    with signed_in(workbench, keycloak_node, "anna") as anna:
        for body in ({}, {"csrf": "guessed"}):
            refused = anna.http.post(f"{workbench.url}/uitloggen", data=body)
            assert refused.status_code == 403
            assert anna.http.get(f"{workbench.url}/zaken").status_code == 200  # still signed in
        token = Page(anna.http.get(f"{workbench.url}/zaken").text).root.find_all("input")
        csrf = next(i.attrs["value"] for i in token if i.attrs.get("name") == "csrf")
        out = anna.http.post(f"{workbench.url}/uitloggen", data={"csrf": csrf})
        assert out.status_code == 303
        assert out.headers["location"].startswith(f"{keycloak_node.issuer}/protocol/openid-connect/logout?")
        assert "post_logout_redirect_uri=" in out.headers["location"]
        assert "id_token_hint=" in out.headers["location"]
        # With the hint Keycloak ends its session at once and sends the browser back: no "Do you want
        # to log out?" page that a person might close, staying signed in at the provider.
        at_provider = anna.http.get(out.headers["location"])
        assert at_provider.status_code == 302, at_provider.text[:300]
        assert at_provider.headers["location"] == f"{workbench.url}/"
        again = anna.http.get(f"{workbench.url}/zaken")
        assert again.status_code == 303 and again.headers["location"] == "/?lang=nl"
        # Signing in again asks for the password: the provider's session is over too.
        start = anna.http.get(f"{workbench.url}/inloggen")
        login_page = anna.http.get(start.headers["location"])
        assert login_page.status_code == 200 and 'id="kc-form-login"' in login_page.text


def test_a_callback_is_good_once_and_only_for_a_sign_in_this_workbench_started(
    workbench: WorkbenchServer, keycloak_node: KeycloakNode
) -> None:
    browser = Browser(keycloak_node)
    start = browser.http.get(f"{workbench.url}/inloggen")
    user = realm_users()["anna"]
    result = browser.login(start.headers["location"], user.username, user.password)
    assert result.location is not None
    assert browser.http.get(result.location).status_code == 303
    replayed = Browser(keycloak_node).http.get(result.location)  # the same code and state again
    assert replayed.status_code == 401 and "sign_in_unknown_or_expired" in replayed.text
    code = result.params["code"]
    unknown_state = httpx.get(f"{workbench.url}/auth/callback?state=made-up&code={code}")
    assert unknown_state.status_code == 401 and "sign_in_unknown_or_expired" in unknown_state.text
    cancelled = httpx.get(f"{workbench.url}/auth/callback?error=access_denied&state=x")
    assert cancelled.status_code == 400 and "sign_in_cancelled" in cancelled.text
    assert "access_denied" not in cancelled.text  # the provider's words are not repeated
    browser.close()


def test_an_idle_session_ends_and_an_active_one_does_not(
    workbench: WorkbenchServer, keycloak_node: KeycloakNode
) -> None:
    idle = workbench.settings.session_policy().idle
    with signed_in(workbench, keycloak_node, "anna") as anna:
        for _ in range(3):  # each request moves the idle limit on
            workbench.clock.advance(idle - timedelta(minutes=1))
            assert anna.http.get(f"{workbench.url}/zaken").status_code == 200
        workbench.clock.advance(idle + timedelta(seconds=1))
        gone = anna.http.get(f"{workbench.url}/zaken")
        assert gone.status_code == 303 and gone.headers["location"] == "/?lang=nl"
        workbench.clock.advance(-(idle + timedelta(seconds=1)))
        assert anna.http.get(f"{workbench.url}/zaken").status_code == 303  # deleted, not just hidden


def test_an_advisors_sign_in_gives_the_notification_address_and_switching_off_forgets_it(
    workbench: WorkbenchServer, keycloak_node: KeycloakNode
) -> None:
    def stored_address() -> tuple[str | None, bool] | None:
        async def read() -> tuple[str | None, bool] | None:
            context = workbench._context()
            async with context.engine.connect() as conn:
                a = notification_addresses
                row = (
                    await conn.execute(select(a.c.email, a.c.opted_out).where(a.c.advisor_id == "adv-anna"))
                ).first()
            return (row.email, row.opted_out) if row is not None else None

        return workbench.run(read())

    with signed_in(workbench, keycloak_node, "anna") as anna:
        email, opted_out = stored_address() or (None, True)
        assert email is not None and "@" in email and not opted_out
        page = anna.http.get(f"{workbench.url}/meldingen")
        assert page.status_code == 200 and 'id="mail-on"' in page.text
        assert (
            anna.http.post(f"{workbench.url}/meldingen", data={"email": "off"}).status_code == 403
        )  # no CSRF
        csrf = next(
            i.attrs["value"] for i in Page(page.text).root.find_all("input") if i.attrs.get("name") == "csrf"
        )
        assert (
            anna.http.post(f"{workbench.url}/meldingen", data={"email": "off", "csrf": csrf}).status_code
            == 303
        )
        assert stored_address() == (None, True)
    with signed_in(workbench, keycloak_node, "anna"):
        assert stored_address() == (None, True)  # signing in again does not bring the address back
    with signed_in(workbench, keycloak_node, "coordinator") as coordinator:
        assert coordinator.http.get(f"{workbench.url}/meldingen").status_code == 403


def test_a_callback_carried_to_another_browser_signs_nobody_in_there(
    workbench: WorkbenchServer, keycloak_node: KeycloakNode
) -> None:
    """Login CSRF: an attacker signs in at the provider as themself and has a victim open the
    callback URL, to make the victim work in the attacker's account. The sign-in is bound to the
    browser that started it (its sign-in cookie), so the victim's browser gets no session."""
    with Browser(keycloak_node) as attacker, Browser(keycloak_node) as victim:
        start = attacker.http.get(f"{workbench.url}/inloggen")
        user = realm_users()["bram"]
        lured = attacker.login(start.headers["location"], user.username, user.password).location
        assert lured is not None
        victim.http.get(f"{workbench.url}/inloggen")  # the victim even has a sign-in of their own going
        opened = victim.http.get(lured)
        assert opened.status_code == 401 and "sign_in_unknown_or_expired" in opened.text
        assert "set-cookie" not in opened.headers or "caseflow-session=" not in opened.headers["set-cookie"]
        assert victim.http.get(f"{workbench.url}/zaken").status_code == 303  # not signed in
        assert attacker.http.get(lured).status_code == 401  # and the lure is spent


def test_sessions_nobody_came_back_to_are_forgotten_with_their_provider_tokens(
    workbench: WorkbenchServer, keycloak_node: KeycloakNode
) -> None:
    from services.workbench.adapters.oidc import OidcProvider
    from services.workbench.adapters.tables import session_tokens, sessions
    from services.workbench.application.sign_in import SignIn

    async def rows() -> tuple[int, int]:
        async with workbench._context().engine.connect() as conn:
            counted = [
                len((await conn.execute(select(t.c.session_hash))).all()) for t in (sessions, session_tokens)
            ]
        return counted[0], counted[1]

    with signed_in(workbench, keycloak_node, "anna"), signed_in(workbench, keycloak_node, "bram"):
        assert workbench.run(rows()) == (2, 2)
        provider = OidcProvider(keycloak_node.issuer, "caseflow-workbench", "")  # not asked: sessions only
        cleaner = SignIn(workbench._context().engine, provider, workbench.settings.session_policy())
        assert workbench.run(cleaner.forget_ended(workbench.clock())) == 0  # both alive
        workbench.clock.advance(workbench.settings.session_policy().idle + timedelta(seconds=1))
        assert workbench.run(cleaner.forget_ended(workbench.clock())) == 2
        assert workbench.run(rows()) == (0, 0)
