"""The reporting service on the real broker, on SQLite and PostgreSQL: events in, projection, reports out.

A seeded simulated year goes through real topics (with a re-published stretch, an event type
reporting does not know and one poison record); the live projection then serves the annual report
(every section and chart), the management view, the coordinator's and the advisor's views, each to
the roles allowed to see it, and its metrics.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.reporting.adapters.projection import quarter_of
from services.reporting.adapters.rendering.annual_report_formats import SECTION_TITLES
from services.reporting.app import ReportingService, create_service
from services.reporting.domain.annual_report_data import SectionId
from tests.support.html_page import Page
from tests.support.kafka_io import produce, read_all
from tests.support.reporting import (
    as_role,
    create_reporting_topics,
    events_in_projection,
    publish,
    settings_for,
)
from tests.support.services import running, wait_until
from tools.reporting.simulated_events import SimulatedEvent, simulated_year

pytestmark = pytest.mark.integration

YEAR = 2026


@pytest.fixture
async def live(
    kafka_bootstrap: str, unique_topic: str, db_url: str
) -> AsyncIterator[tuple[ReportingService, list[SimulatedEvent]]]:
    await create_reporting_topics(kafka_bootstrap, unique_topic)
    events = list(simulated_year(seed=11, year=YEAR, cases=220))
    service = create_service(settings_for(kafka_bootstrap, unique_topic, db_url, max_batch=300))
    async with running(service.runtime):
        await publish(kafka_bootstrap, unique_topic, events)
        await publish(kafka_bootstrap, unique_topic, events[:40])  # a re-published stretch: duplicates
        unknown = json.loads(events[0].value)
        unknown.update(event_type="CaseParkedForLater", event_id="0e1f2a3b-unknown-type")
        await produce(
            kafka_bootstrap,
            unique_topic + "intake.cases.v1",
            [(b"x", json.dumps(unknown).encode()), (b"y", b"{oops")],
        )

        async def caught_up() -> bool:
            return await events_in_projection(service) == len(events)

        await wait_until(caught_up, timeout=90)
        yield service, events


def client_for(service: ReportingService) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=service.runtime.asgi_app())
    return httpx.AsyncClient(transport=transport, base_url="http://reporting")


class TestReportingService:
    """Runs once on SQLite and once on PostgreSQL."""

    async def test_the_live_projection_renders_every_section_and_chart(self, live: Any) -> None:
        service, events = live
        async with client_for(service) as client:
            html = await client.get(
                "/v1/reports/annual", params={"org": "min-bzk", "year": YEAR, "format": "html"}
            )
            english = await client.get(
                "/v1/reports/annual", params={"org": "all", "year": YEAR, "format": "html", "lang": "en"}
            )
        assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
        page = Page(html.text)
        assert not page.unbalanced
        sections = {node.attrs.get("id"): node for node in page.root.find_all("section")}
        drawn = 0
        for section in SectionId:
            title = SECTION_TITLES[section][0]
            node = sections[section.value]
            assert [h.text() for h in node.find_all("h2")] == [title]
            charts = node.find_all("svg")
            assert len(charts) == 1 and title in charts[0].attrs["aria-label"]
            drawn += bool(charts[0].find_all("rect") or charts[0].find_all("path"))
        # A chart whose every value is suppressed says so instead of drawing; most have something to
        # draw. A ministry of some 55 contacts a year has four sections that are small by nature
        # (conflict reassignments, deadlines of formal reports, training, feedback); a line covers its
        # primaries with a part of at least k (D29), so these may be withheld whole.
        assert drawn >= len(SectionId) - 4
        assert "<script" not in html.text
        assert (
            f"{len(events):,}".replace(",", ".") in html.text
        )  # generated_from: the event count, Dutch digits
        assert (
            english.status_code == 200
            and 'lang="en"' in english.text
            and "Contacts by subject" in english.text
        )

    async def test_counts_in_the_report_match_the_events(self, live: Any) -> None:
        service, events = live
        async with client_for(service) as client:
            answer = await client.get(
                "/v1/reports/annual", params={"org": "all", "year": YEAR, "format": "json"}
            )
        report = answer.json()
        assert report["generated_from"]["event_count"] == len(events)
        sections = {s["id"]: s for s in report["sections"]}
        opened = [json.loads(e.value) for e in events if e.event_type == "CaseOpened"]
        in_year = [d for d in opened if d["payload"]["opened_at"].startswith(str(YEAR))]
        assert sections["contacts_by_category"]["table"]["grand_total"] == len(in_year)
        closures = [json.loads(e.value)["payload"] for e in events if e.event_type == "CaseClosed"]
        closed = {
            c["case_id"]
            for c in closures
            if quarter_of(datetime.fromisoformat(c["closed_at"])).startswith(str(YEAR))
        }
        assert 0 < sections["outcomes"]["table"]["grand_total"] == len(closed) < len(closures)

    async def test_no_published_cell_lies_between_one_and_k_minus_one(self, live: Any) -> None:
        service, _ = live
        async with client_for(service) as client:
            for org in ("all", "min-bzk", "min-fin", "min-jenv"):
                answer = await client.get(
                    "/v1/reports/annual", params={"org": org, "year": YEAR, "format": "csv"}
                )
                rows = list(csv.reader(io.StringIO(answer.text)))[1:]
                assert len(rows) > 100
                for section, dimension, key, value, _status in rows:
                    if section == "_meta" or dimension in ("hours", "sessions") or not value.isdigit():
                        continue
                    assert not 1 <= int(value) <= 4, (org, section, key)

    async def test_unknown_types_are_skipped_and_poison_is_dead_lettered(
        self, live: Any, kafka_bootstrap: str
    ) -> None:
        service, _ = live
        prefix = service.settings.topic_prefix
        dead = await read_all(kafka_bootstrap, prefix + "intake.cases.v1.dlq", expect=1, timeout=20)
        assert len(dead) == 1
        record = json.loads(dead[0])
        assert record["reason"] == "not_json" and "oops" not in dead[0].decode()
        async with client_for(service) as client:
            metrics = (await client.get("/metrics")).text
        assert re.search(r"caseflow_reporting_projection_events \d", metrics)
        assert 'outcome="duplicate"' in metrics

    async def test_an_unknown_organisation_and_bad_parameters_are_refused(self, live: Any) -> None:
        service, _ = live
        async with client_for(service) as client:
            unknown = await client.get("/v1/reports/annual", params={"org": "min-nowhere", "year": YEAR})
            bad_year = await client.get("/v1/reports/annual", params={"org": "all", "year": "last"})
            bad_format = await client.get(
                "/v1/reports/annual", params={"org": "all", "year": YEAR, "format": "pdf"}
            )
        assert unknown.status_code == 404 and bad_year.status_code == 400 and bad_format.status_code == 400

    async def test_views_by_role(self, live: Any) -> None:
        service, events = live
        internal = sorted({json.loads(e.value)["payload"]["advisor_id"] for e in events if e.event_type == "AdvisorAssigned"
                           and json.loads(e.value)["payload"]["scope"] == "internal"})  # fmt: skip
        bzk = [a for a in internal if a.startswith("adv-min-bzk")][:2]
        fin = [a for a in internal if a.startswith("adv-min-fin")][:1]
        params = {"year": YEAR}
        async with client_for(service) as client:
            management = await client.get("/v1/views/management", params={**params, "org": "min-bzk"},
                                          headers=as_role("management", "min-bzk"))  # fmt: skip
            other_org = await client.get("/v1/views/management", params={**params, "org": "min-fin"},
                                         headers=as_role("hr", "min-bzk"))  # fmt: skip
            no_role = await client.get("/v1/views/management", params={**params, "org": "min-bzk"})
            coordinator = await client.get("/v1/views/coordinator", params={**params, "advisors": ",".join(bzk)},
                                           headers=as_role("coordinator", "min-bzk"))  # fmt: skip
            foreign = await client.get("/v1/views/coordinator", params={**params, "advisors": ",".join(fin)},
                                       headers=as_role("coordinator", "min-bzk"))  # fmt: skip
            mixed = await client.get("/v1/views/coordinator", params={**params, "advisors": ",".join(bzk + fin)},
                                     headers=as_role("coordinator", "min-bzk"))  # fmt: skip
            by_management = await client.get("/v1/views/coordinator", params={**params, "advisors": bzk[0]},
                                             headers=as_role("management", "min-bzk"))  # fmt: skip
            own = await client.get("/v1/views/advisor", params=params, headers=as_role("advisor", bzk[0]))
            someone_else = await client.get("/v1/views/advisor", params={**params, "advisor": bzk[1]},
                                            headers=as_role("advisor", bzk[0]))  # fmt: skip
        assert management.status_code == 200
        body = management.json()
        assert body["units"] and all(
            set(u) == {"unit_id", "name", "by_quarter", "total"} for u in body["units"]
        )
        assert "adv-" not in management.text  # aggregates only: no advisor anywhere in the management view
        assert {u["unit_id"] for u in body["units"]} == {"min-bzk"}  # no organisation file: all units fold up
        assert other_org.status_code == 403 and no_role.status_code == 401
        assert coordinator.status_code == 200
        assert [a["advisor_id"] for a in coordinator.json()["advisors"]] == sorted(bzk)
        assert coordinator.json()["baseline"] == {"training_hours": 8, "supervision_sessions": 4}
        assert foreign.status_code == 403 and by_management.status_code == 403
        assert mixed.status_code == 200 and mixed.json()["withheld"] == fin
        assert [a["advisor_id"] for a in mixed.json()["advisors"]] == sorted(bzk)
        assert (
            own.status_code == 200 and own.json()["advisor_id"] == bzk[0] and "hours_by_quarter" in own.json()
        )
        assert someone_else.status_code == 403

    async def test_an_organisation_file_names_the_organisation_and_keeps_big_units(
        self, kafka_bootstrap: str, unique_topic: str, db_url: str, tmp_path: Path
    ) -> None:
        await create_reporting_topics(kafka_bootstrap, unique_topic)
        units = [
            {"unit_id": "bzk", "parent_id": None, "name": "Binnenlandse Zaken", "size": 2000, "organisation_id": "min-bzk"},
            {"unit_id": "bzk-dgob", "parent_id": "bzk", "name": "DG Overheidsorganisatie", "size": 400,
             "organisation_id": "min-bzk"},
            {"unit_id": "bzk-dgob-ict", "parent_id": "bzk-dgob", "name": "ICT", "size": 30, "organisation_id": "min-bzk"},
        ]  # fmt: skip
        path = tmp_path / "organisation.json"
        path.write_text(json.dumps({"units": units, "persons": [{"person_id": "p-1", "unit_id": "bzk"}]}))
        events = list(simulated_year(seed=12, year=YEAR, cases=150, organisations=("min-bzk",)))
        service = create_service(
            settings_for(kafka_bootstrap, unique_topic, db_url, organisation_file=str(path))
        )
        async with running(service.runtime):
            await publish(kafka_bootstrap, unique_topic, events)

            async def caught_up() -> bool:
                return await events_in_projection(service) == len(events)

            await wait_until(caught_up, timeout=60)
            async with client_for(service) as client:
                page = (await client.get("/v1/reports/annual", params={"org": "min-bzk", "year": YEAR})).text
                view = (
                    await client.get(
                        "/v1/views/management",
                        params={"org": "min-bzk", "year": YEAR},
                        headers=as_role("management", "min-bzk"),
                    )
                ).json()
        assert "Binnenlandse Zaken" in page
        # ICT (30 people) is folded into its DG; units not in the file fold into the organisation.
        assert {u["unit_id"] for u in view["units"]} <= {"bzk", "bzk-dgob", "min-bzk"}
        assert "bzk-dgob-ict" not in json.dumps(view)
