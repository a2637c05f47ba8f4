"""Reporting's views over HTTP accept a role only from a signed, verified credential.

The app is the reporting service's own composition root (`create_service` with the key in its
settings, its `http_routes`), served through httpx's ASGI transport, on a projection folded from a
simulated year into SQLite (no broker: the Kafka path is in test_reporting_service.py, which uses
the same tokens). For every view: no credential, the old role headers, forged, expired and
wrong-key tokens get 401; a genuine token of the wrong role 403; the right one 200. An unknown
organisation is 404 for the annual report (public) and the management view alike.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519

from services.reporting.app import create_service
from services.reporting.settings import ReportingSettings
from tests.support.reporting import ViewsFixture, folded_year, serve_reporting
from tests.support.role_tokens import TOKENS
from tools.reporting.simulated_events import SimulatedEvent

pytestmark = pytest.mark.integration

YEAR = 2026


@pytest.fixture(scope="module")
async def projection(
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[tuple[str, list[SimulatedEvent]]]:
    yield await folded_year(tmp_path_factory.mktemp("roles") / "reporting.db", YEAR)


@pytest.fixture
async def served(projection: tuple[str, list[SimulatedEvent]]) -> AsyncIterator[ViewsFixture]:
    async for fixture in serve_reporting(*projection, **TOKENS.settings()):
        yield fixture


@pytest.fixture
async def unconfigured(projection: tuple[str, list[SimulatedEvent]]) -> AsyncIterator[ViewsFixture]:
    async for fixture in serve_reporting(*projection):
        yield fixture


def request_for(view: str, f: ViewsFixture) -> tuple[str, dict[str, Any], str, str]:
    """(path, params, role, subject) of a request the view must answer with 200."""
    if view == "management":
        return "/v1/views/management", {"org": "min-bzk", "year": YEAR}, "management", "min-bzk"
    if view == "coordinator":
        return "/v1/views/coordinator", {"advisors": ",".join(f.bzk), "year": YEAR}, "coordinator", "min-bzk"
    return "/v1/views/advisor", {"year": YEAR}, "advisor", f.bzk[0]


WRONG_ROLE = {"management": ("coordinator", "min-bzk"), "coordinator": ("hr", "min-bzk"),
              "advisor": ("management", "min-bzk")}  # fmt: skip
VIEWS = ["management", "coordinator", "advisor"]


@pytest.mark.parametrize("view", VIEWS)
async def test_a_valid_token_opens_the_view(served: ViewsFixture, view: str) -> None:
    path, params, role, subject = request_for(view, served)
    answer = await served.client.get(path, params=params, headers=TOKENS.headers(role, subject))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    if view == "management":
        assert body["organisation"]["id"] == "min-bzk" and body["units"] and "adv-" not in answer.text
    elif view == "coordinator":
        assert [a["advisor_id"] for a in body["advisors"]] == sorted(served.bzk)
    else:
        assert body["advisor_id"] == served.bzk[0] and "hours_by_quarter" in body


@pytest.mark.parametrize("view", VIEWS)
async def test_without_a_credential_or_with_the_old_role_headers_the_view_is_unauthenticated(
    served: ViewsFixture, view: str
) -> None:
    path, params, role, subject = request_for(view, served)
    forged_headers = {"X-Caseflow-Role": role, "X-Caseflow-Subject": subject}
    for headers in ({}, forged_headers, {**forged_headers, "Authorization": ""}):
        answer = await served.client.get(path, params=params, headers=headers)
        assert answer.status_code == 401 and answer.json() == {"error": "credential_missing"}
        assert answer.headers["www-authenticate"] == "Bearer"
    # The headers are ignored, not merged: a genuine token of another role is not upgraded by them.
    other_role, other_subject = WRONG_ROLE[view]
    answer = await served.client.get(
        path, params=params, headers={**forged_headers, **TOKENS.headers(other_role, other_subject)}
    )
    assert answer.status_code == 403


@pytest.mark.parametrize("view", VIEWS)
async def test_forged_expired_and_wrong_key_tokens_are_unauthenticated(
    served: ViewsFixture, view: str
) -> None:
    path, params, role, subject = request_for(view, served)
    now = int(time.time())
    attacker = ed25519.Ed25519PrivateKey.generate()
    cases = {
        "credential_signature_invalid": [
            TOKENS.token(role, subject, key=attacker),  # wrong key
            TOKENS.tampered(role, subject, sub="someone-else", exp=now + 86_400),  # forged claims
            TOKENS.unsigned(role, subject),  # alg none
            TOKENS.hs256_with_public_key(role, subject),  # key confusion
        ],
        "credential_expired": [TOKENS.token(role, subject, iat=now - 7200, exp=now - 3600)],
        "credential_not_yet_valid": [TOKENS.token(role, subject, nbf=now + 3600)],
        "credential_issuer_or_audience_wrong": [
            TOKENS.token(role, subject, iss="https://evil.example.org/realms/rijk"),
            TOKENS.token(role, subject, aud="another-client"),
        ],
        "credential_malformed": ["garbage", "a.b.c"],
    }
    for reason, tokens in cases.items():
        for token in tokens:
            answer = await served.client.get(
                path, params=params, headers={"Authorization": f"Bearer {token}"}
            )
            assert (answer.status_code, answer.json()) == (401, {"error": reason}), (reason, token)
            assert token not in answer.text and subject not in answer.text


@pytest.mark.parametrize("view", VIEWS)
async def test_a_genuine_token_of_the_wrong_role_is_forbidden(served: ViewsFixture, view: str) -> None:
    path, params, _, _ = request_for(view, served)
    role, subject = WRONG_ROLE[view]
    answer = await served.client.get(path, params=params, headers=TOKENS.headers(role, subject))
    assert answer.status_code == 403


@pytest.mark.parametrize("view", VIEWS)
async def test_tokens_without_one_reporting_role_or_its_subject_are_forbidden(
    served: ViewsFixture, view: str
) -> None:
    path, params, role, subject = request_for(view, served)
    cases = {
        "credential_has_no_reporting_role": TOKENS.headers(
            role, subject, realm_access={"roles": ["offline_access"]}
        ),
        "credential_role_ambiguous": TOKENS.headers(role, subject, roles=["advisor", "management"]),
        "credential_subject_missing": TOKENS.headers(role, subject, caseflow_org=None, caseflow_advisor=None),
    }
    for reason, headers in cases.items():
        answer = await served.client.get(path, params=params, headers=headers)
        assert (answer.status_code, answer.json()) == (403, {"error": reason})


async def test_the_subject_comes_from_the_token_not_from_the_request(served: ViewsFixture) -> None:
    other_org = await served.client.get(
        "/v1/views/management",
        params={"org": "min-fin", "year": YEAR},
        headers=TOKENS.headers("hr", "min-bzk"),
    )
    foreign = await served.client.get(
        "/v1/views/coordinator",
        params={"advisors": ",".join(served.fin), "year": YEAR},
        headers=TOKENS.headers("coordinator", "min-bzk"),
    )
    mixed = await served.client.get(
        "/v1/views/coordinator",
        params={"advisors": ",".join([*served.bzk, *served.fin, "adv-nobody-knows"]), "year": YEAR},
        headers=TOKENS.headers("coordinator", "min-bzk"),
    )
    someone_else = await served.client.get(
        "/v1/views/advisor",
        params={"advisor": served.bzk[1], "year": YEAR},
        headers=TOKENS.headers("advisor", served.bzk[0]),
    )
    assert other_org.json() == {"error": "not_your_organisation"}
    assert foreign.json() == {"error": "not_an_advisor_of_your_organisation"}
    assert someone_else.json() == {"error": "advisors_see_only_their_own_figures"}
    assert {other_org.status_code, foreign.status_code, someone_else.status_code} == {403}
    # Asked for some of their own and some others: figures for their own only, the others withheld
    # alike (another organisation's advisor and an unknown id look the same).
    assert mixed.status_code == 200
    assert [a["advisor_id"] for a in mixed.json()["advisors"]] == sorted(served.bzk)
    assert mixed.json()["withheld"] == sorted([*served.fin, "adv-nobody-knows"])


async def test_an_unknown_organisation_is_404_for_the_annual_report_and_the_management_view(
    served: ViewsFixture,
) -> None:
    annual = await served.client.get("/v1/reports/annual", params={"org": "min-nowhere", "year": YEAR})
    view = await served.client.get(
        "/v1/views/management",
        params={"org": "min-nowhere", "year": YEAR},
        headers=TOKENS.headers("management", "min-nowhere"),
    )
    government_wide = await served.client.get(
        "/v1/views/management",
        params={"org": "all", "year": YEAR},
        headers=TOKENS.headers("management", "all"),
    )
    for answer in (annual, view, government_wide):
        assert (answer.status_code, answer.json()) == (404, {"error": "unknown_organisation"})
    # Unauthenticated, the view reveals nothing about which organisations exist.
    anonymous = await served.client.get("/v1/views/management", params={"org": "min-nowhere", "year": YEAR})
    assert anonymous.status_code == 401


async def test_the_annual_report_stays_public(served: ViewsFixture) -> None:
    for headers in ({}, {"Authorization": "Bearer garbage"}, {"X-Caseflow-Role": "management"}):
        answer = await served.client.get(
            "/v1/reports/annual", params={"org": "min-bzk", "year": YEAR, "format": "json"}, headers=headers
        )
        assert answer.status_code == 200 and answer.json()["organisation"]["id"] == "min-bzk"


async def test_without_a_configured_key_the_views_are_unavailable_and_the_report_is_served(
    unconfigured: ViewsFixture,
) -> None:
    for view in VIEWS:
        path, params, role, subject = request_for(view, unconfigured)
        answer = await unconfigured.client.get(path, params=params, headers=TOKENS.headers(role, subject))
        assert (answer.status_code, answer.json()) == (503, {"error": "role_credentials_not_configured"})
    annual = await unconfigured.client.get("/v1/reports/annual", params={"org": "all", "year": YEAR})
    assert annual.status_code == 200


def test_the_service_reads_the_key_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "roles.pem"
    path.write_text(TOKENS.public_pem)
    service = create_service(ReportingSettings(**{**TOKENS.settings(), "role_jwt_public_key": str(path)}))
    assert service.credentials is not None
    assert service.credentials.verify(f"Bearer {TOKENS.token('hr', 'min-fin')}").subject == "min-fin"  # type: ignore[union-attr]
