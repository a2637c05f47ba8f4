"""The annual report: built from a simulated year, rendered as HTML, CSV and JSON.

What a reader gets must be complete (every section, heading and chart), readable in Dutch and
English, well-formed, identical on every rebuild, and free of small counts in every format.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace

import pytest

from services.reporting.adapters.rendering.annual_report_formats import (
    SECTION_TITLES,
    Lang,
    render_csv,
    render_html,
    render_json,
)
from services.reporting.domain.annual_report_data import (
    AnnualReport,
    DaysBucket,
    DisclosurePolicy,
    NoteId,
    Organisation,
    ReportCounts,
    ReportInputError,
    SectionId,
    SourcePosition,
    build_annual_report,
    count_categories,
    count_tables,
    days_bucket,
)
from services.reporting.domain.disclosure import PeriodTooFineError, verify_protection
from shared.codes import Category
from tests.support.html_page import Node, Page
from tools.reporting.sample_counts import sample_counts, sample_report

pytestmark = pytest.mark.unit

YEAR = 2026
ORGANISATION = Organisation("org-test", "Ministerie van Testzaken")
SOURCE = SourcePosition(event_count=4321, last_offsets=(("intake.cases.v1/0", 2100),))
LANGS: tuple[Lang, ...] = ("nl", "en")


def report_for(counts: ReportCounts, policy: DisclosurePolicy | None = None) -> AnnualReport:
    return build_annual_report(ORGANISATION, YEAR, SOURCE, counts, policy)


def tiny_organisation() -> ReportCounts:
    """Twelve contacts and two advisors: nearly everything must be hidden."""
    return replace(
        sample_counts(seed=11, year=YEAR, contacts=12),
        advisors_recording_hours=2,
        advisors_by_baseline_status={"met": 1, "not_met": 1},
    )


CASES: dict[str, tuple[Callable[[], ReportCounts], DisclosurePolicy | None]] = {
    "seed-1": (lambda: sample_counts(1, YEAR), None),
    "seed-2": (lambda: sample_counts(2, YEAR), None),
    "seed-3-rounded": (lambda: sample_counts(3, YEAR), DisclosurePolicy(round_to=5)),
    "tiny": (tiny_organisation, None),
}


@dataclass(frozen=True)
class Case:
    counts: ReportCounts
    report: AnnualReport


@pytest.fixture(params=sorted(CASES), scope="module")
def case(request: pytest.FixtureRequest) -> Case:
    build_counts, policy = CASES[request.param]
    counts = build_counts()
    return Case(counts, report_for(counts, policy))


@pytest.fixture
def report(case: Case) -> AnnualReport:
    return case.report


def parse_count(text: str, lang: Lang) -> int:
    """'1.234' (nl) or '1,234' (en) -> 1234."""
    return int(text.strip().replace("." if lang == "nl" else ",", ""))


def shown_value(node: Node, lang: Lang) -> int | None:
    """The number an element with class count/hours shows; None for a hidden (suppressed) one."""
    if "suppressed" in node.classes():
        return None
    return parse_count(node.text(), lang)


def published_counts(report: AnnualReport) -> list[int | None]:
    return [
        value for section in report.sections if section.table for value in section.table.published_values()
    ]


# --------------------------------------------------------------------------------------------------
# Structure


@pytest.mark.parametrize("lang", LANGS)
def test_every_section_has_its_heading_and_one_labelled_chart(report: AnnualReport, lang: Lang) -> None:
    page = Page(render_html(report, lang))
    sections = {node.attrs.get("id"): node for node in page.root.find_all("section")}
    for section in report.sections:
        title = SECTION_TITLES[section.section_id][0 if lang == "nl" else 1]
        node = sections[section.section_id.value]
        assert [h.text() for h in node.find_all("h2")] == [title]
        charts = node.find_all("svg")
        assert len(charts) == 1
        assert title in charts[0].attrs["aria-label"] and charts[0].attrs["role"] == "img"
        assert charts[0].find_all("title")[0].text() == charts[0].attrs["aria-label"]
    assert {"summary", "methodology", "annex"} <= set(sections)
    assert len(page.root.find_all("svg")) == len(report.sections)


@pytest.mark.parametrize("lang", LANGS)
def test_the_page_is_well_formed_self_contained_and_printable(report: AnnualReport, lang: Lang) -> None:
    html = render_html(report, lang)
    page = Page(html)
    assert page.unbalanced == []
    assert html.startswith("<!DOCTYPE html>")
    assert [node.attrs["lang"] for node in page.root.find_all("html")] == [lang]
    assert len(page.root.find_all("main")) == 1 and len(page.root.find_all("h1")) == 1
    assert (
        not page.root.find_all("script") and not page.root.find_all("link") and not page.root.find_all("img")
    )
    external = [
        value for node in page.root.walk() for name, value in node.attrs.items()
        if name in ("src", "href") and not value.startswith(("#", "mailto:"))
    ]  # fmt: skip
    assert external == []
    style = "".join(node.text() for node in page.root.find_all("style"))
    assert "@page{size:A4" in style and "@media print" in style and "break-inside:avoid" in style
    assert "break-before:page" not in style and "break-after:page" not in style  # no half-empty pages
    ids = [node.attrs["id"] for node in page.root.walk() if "id" in node.attrs]
    assert len(ids) == len(set(ids))
    targets = {
        node.attrs["href"][1:] for node in page.root.find_all("a") if node.attrs["href"].startswith("#")
    }
    assert targets <= set(ids)
    for table in page.root.find_all("table"):
        assert table.find_all("caption") and all("scope" in th.attrs for th in table.find_all("th"))


def test_labels_follow_the_language(report: AnnualReport) -> None:
    dutch, english = render_html(report, "nl"), render_html(report, "en")
    assert "Arbeidsconflict met leidinggevende" in dutch and "Labour conflict with manager" in english
    assert "Werkwijze en geheimhouding" in dutch and "Method and confidentiality" in english
    assert "Contacts by subject" not in dutch and "Contacten per onderwerp" not in english
    with pytest.raises(ValueError):
        render_html(report, "de")  # type: ignore[arg-type]


def test_the_methodology_states_the_rules_in_force() -> None:
    rounded = render_html(report_for(sample_counts(1, YEAR), DisclosurePolicy(k=10, round_to=5)), "en")
    assert (
        "from 1 to 9" in rounded
        and "multiples of 5" in rounded
        and "smallest unit of time is the quarter" in rounded
    )
    assert "under the first subject recorded" in rounded
    plain = render_html(report_for(sample_counts(1, YEAR)), "en")
    assert "from 1 to 4" in plain and "Numbers are not rounded." in plain


# --------------------------------------------------------------------------------------------------
# Numbers: what is shown is exactly what the model published


def test_the_sample_reports_have_something_to_hide(report: AnnualReport) -> None:
    assert None in published_counts(report)


@pytest.mark.parametrize("lang", LANGS)
def test_tables_show_the_published_values_and_a_mark_for_each_hidden_one(
    report: AnnualReport, lang: Lang
) -> None:
    page = Page(render_html(report, lang))
    sections = {node.attrs.get("id"): node for node in page.root.find_all("section")}
    word = {"nl": ("afgeschermd", "niet getoond"), "en": ("protected", "not shown")}[lang]
    for section in report.sections:
        node = sections[section.section_id.value]
        shown_counts = [shown_value(td, lang) for td in node.find_all("td", "count")]
        expected = list(section.table.published_values()) if section.table else []
        if node.find_all("tr", "zeros"):  # the published zeros of a one-way table share one line
            assert section.table is not None and section.table.is_one_way
            cells = section.table.cells[0]
            expected = [value for value in cells if value != 0] + [0, section.table.grand_total]
        assert Counter(shown_counts) == Counter(expected), section.section_id
        shown_hours = [shown_value(td, lang) for td in node.find_all("td", "hours")]
        assert Counter(shown_hours) == Counter(figure.value for figure in section.figures), section.section_id
        for td in node.find_all("td", "suppressed"):
            (mark,) = td.find_all("span", "mark")
            (spoken,) = td.find_all("span", "vh")
            assert mark.attrs["aria-hidden"] == "true" and mark.text() in ("–a", "–b")
            assert spoken.text() == word[0 if mark.text() == "–a" else 1]
            assert "*" not in td.text() and "×" not in td.text()


@pytest.mark.parametrize("lang", LANGS)
def test_no_count_between_one_and_k_minus_one_appears_anywhere_in_the_page(
    report: AnnualReport, lang: Lang
) -> None:
    k = report.policy.k
    page = Page(render_html(report, lang))
    shown = [shown_value(node, lang) for node in page.root.find_all(css="count")]
    assert len(shown) > len(report.sections)  # tables, bars and tiles all print counts
    assert [value for value in shown if value is not None and 1 <= value <= k - 1] == []
    if report.policy.round_to:
        assert all(value % report.policy.round_to == 0 for value in shown if value is not None)


def test_no_count_between_one_and_k_minus_one_appears_in_the_csv(report: AnnualReport) -> None:
    rows = list(csv.reader(io.StringIO(render_csv(report))))
    assert rows[0] == ["section", "dimension", "key", "value", "status"]
    assert all(len(row) == 5 for row in rows)
    counted = [row for row in rows[1:] if row[0] != "_meta" and row[1] not in ("hours", "sessions")]
    counts = [row[3] for row in counted]
    assert len(counts) == len(published_counts(report))
    assert counts.count("") == published_counts(report).count(None)
    assert all((value == "") == (status == "suppressed") for *_, value, status in counted)
    assert {status for *_, status in counted} <= {"published", "suppressed"}
    figures = [row for row in rows[1:] if row[1] in ("hours", "sessions")]
    assert all((value == "") == (status == "withheld") for *_, value, status in figures)
    numbers = [int(value) for value in counts if value != ""]
    assert [n for n in numbers if 1 <= n <= report.policy.k - 1] == []
    assert Counter(numbers) == Counter(v for v in published_counts(report) if v is not None)


def test_no_count_between_one_and_k_minus_one_appears_in_the_json(report: AnnualReport) -> None:
    text = render_json(report)
    document = json.loads(text)
    values: list[int | None] = []
    for section in document["sections"]:
        table = section["table"]
        if table:
            values += [v for row in table["cells"] for v in row] + table["row_totals"] + table["col_totals"]
            values.append(table["grand_total"])
    assert Counter(values) == Counter(published_counts(report))
    assert [v for v in values if v is not None and 1 <= v <= report.policy.k - 1] == []
    for section in document["sections"]:
        table = section["table"]
        if table:
            status = table["status"]
            for value_row, status_row in zip(table["cells"], status["cells"], strict=True):
                assert [v is None for v in value_row] == [s == "suppressed" for s in status_row]
            assert (table["grand_total"] is None) == (status["grand_total"] == "suppressed")
        for figure in section["figures"]:
            assert (figure["value"] is None) == (figure["status"] == "withheld")
    assert json.dumps(document, sort_keys=True, ensure_ascii=False, indent=2) + "\n" == text
    assert [s["id"] for s in document["sections"]] == [s.section_id.value for s in report.sections]


def test_every_published_table_passes_the_exact_audit(case: Case) -> None:
    """Rebuild the exact tables from the same counts and audit what the report published."""
    report = case.report
    for section_id, table in count_tables(case.counts, YEAR).items():
        protected = report.section(section_id).table
        assert protected is not None
        assert verify_protection(table, protected, report.policy.k) == [], section_id
    by_quarter = report.section(SectionId.CONTACTS_BY_QUARTER).table
    assert by_quarter is not None
    assert report.section(SectionId.CONTACTS_BY_CHANNEL).table == by_quarter.row_margin()


def test_hours_of_too_few_advisors_are_withheld_and_the_legend_says_why() -> None:
    report = report_for(tiny_organisation())
    hours = report.section(SectionId.ADVISOR_HOURS)
    assert NoteId.FEW_CONTRIBUTORS in hours.notes and all(f.value is None for f in hours.figures)
    training = report.section(SectionId.TRAINING_SUPERVISION)
    assert [f.value for f in training.figures][:2] == [None, None]
    page = Page(render_html(report, "en"))
    node = next(n for n in page.root.find_all("section") if n.attrs.get("id") == "advisor_hours")
    assert {td.text() for td in node.find_all("td", "hours")} == {"–bnot shown"}
    legend = node.find_all("ul", "legend")[0].text()
    assert "–b" in legend and "fewer than 3 advisors contributed" in legend


# --------------------------------------------------------------------------------------------------
# Determinism


def test_rendering_twice_gives_identical_bytes(report: AnnualReport) -> None:
    for render in (lambda r: render_html(r, "nl"), lambda r: render_html(r, "en"), render_csv, render_json):
        assert render(report).encode() == render(report).encode()


def test_a_rebuild_from_the_same_counts_is_byte_identical_and_other_data_is_not() -> None:
    first, again, other = sample_report(5), sample_report(5), sample_report(6)
    assert render_html(first) == render_html(again) and render_csv(first) == render_csv(again)
    assert render_json(first) == render_json(again)
    assert render_html(first) != render_html(other)


# --------------------------------------------------------------------------------------------------
# Model input and counting rules


def test_a_contact_counts_once_under_its_first_category_and_once_per_mentioned_category() -> None:
    a, b, c = Category.BULLYING, Category.WORKLOAD, Category.OTHER
    primary, mentions = count_categories([[a, b], [b], [a, a, c]])
    assert primary == {a: 2, b: 1}
    assert mentions == {a: 2, b: 2, c: 1}


@pytest.mark.parametrize(
    "counts",
    [
        ReportCounts(contacts_by_primary_category={"no.such.category": 3}),
        ReportCounts(contacts_by_channel_and_quarter={("phone", "2025-Q4"): 3}),
        ReportCounts(contacts_by_channel_and_quarter={("fax", "2026-Q1"): 3}),
        ReportCounts(meetings_by_mode={"video": -1}),
        ReportCounts(advisor_hours_by_activity={"gardening": 3.0}),
    ],
)
def test_counts_that_do_not_fit_the_report_are_refused(counts: ReportCounts) -> None:
    with pytest.raises(ReportInputError):
        report_for(counts)


def test_a_month_is_too_fine_for_the_report() -> None:
    with pytest.raises(PeriodTooFineError):
        report_for(ReportCounts(contacts_by_channel_and_quarter={("phone", "2026-03"): 7}))


def test_an_empty_year_renders_without_charts_to_draw() -> None:
    report = report_for(ReportCounts())
    page = Page(render_html(report))
    assert page.unbalanced == [] and len(page.root.find_all("svg")) == len(report.sections)


@pytest.mark.parametrize(
    ("days", "bucket"),
    [(0, DaysBucket.DAYS_0_2), (2, DaysBucket.DAYS_0_2), (3, DaysBucket.DAYS_3_7), (7, DaysBucket.DAYS_3_7),
     (8, DaysBucket.DAYS_8_14), (14, DaysBucket.DAYS_8_14), (15, DaysBucket.DAYS_15_PLUS)],
)  # fmt: skip
def test_days_to_first_conversation_fall_in_fixed_buckets(days: int, bucket: DaysBucket) -> None:
    assert days_bucket(days) == bucket
