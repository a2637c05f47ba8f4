"""The annual report as a reader meets it: cover, tiles, marks, zero rows, English, derived figures.

The jaarverslag is public (management, HR, anyone with a Woo request). These tests read the rendered
page the way such a reader would: no system jargon on the cover, no bare "*", English pages entirely
in English, and every number on the page traceable to a published figure of the model.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.reporting.adapters.rendering import annual_report_formats
from services.reporting.adapters.rendering.annual_report_formats import (
    Lang,
    render_html,
    wrap_label,
    zero_rows,
)
from services.reporting.domain.annual_report_data import (
    AnnualReport,
    BaselineStatus,
    Deadline,
    DeadlineStatus,
    DisclosurePolicy,
    FeedbackRating,
    Organisation,
    Publication,
    ReportCounts,
    SectionId,
    SourcePosition,
    build_annual_report,
)
from shared.codes import CATEGORY_LABELS, Category, Channel, ClientRole, MeetingMode, Outcome
from tests.support.html_page import Node, Page
from tools.reporting.sample_counts import sample_counts, sample_report

pytestmark = pytest.mark.unit

YEAR = 2026
LANGS: tuple[Lang, ...] = ("nl", "en")
HALF_YEAR = Publication(released_on=date(2026, 7, 15), release_id="r-0003")


def half_year(report: AnnualReport) -> AnnualReport:
    return replace(report, quarters=("2026-Q1", "2026-Q2"), publication=HALF_YEAR)


def government_wide(report: AnnualReport) -> AnnualReport:
    return replace(report, organisation=Organisation("all", "Rijksoverheid"))


def texts(node: Node, skip_dutch: bool = False) -> Iterator[str]:
    """Every text a reader can meet, in order (styles left out; Dutch proper names optionally)."""
    if node.tag == "style" or (skip_dutch and node.attrs.get("lang") == "nl" and node.tag != "html"):
        return
    for child in node.children:
        if isinstance(child, str):
            yield child
        else:
            yield from texts(child, skip_dutch)


def visible_text(html: str, skip_dutch: bool = False) -> str:
    return " ".join(texts(Page(html).root, skip_dutch))


def by_css(page: Page, css: str) -> Node:
    (node,) = page.root.find_all(css=css)
    return node


# --------------------------------------------------------------------------------------------------
# The cover


@pytest.mark.parametrize("lang", LANGS)
def test_the_cover_is_for_readers_and_the_technical_facts_are_in_the_annex(lang: Lang) -> None:
    report = replace(
        sample_report(4), generated_from=SourcePosition(event_count=98765, fingerprint="f00dfeed" * 4)
    )
    report = half_year(report)
    page = Page(render_html(report, lang))
    cover = by_css(page, "cover")
    text = " ".join(texts(cover))
    if lang == "nl":
        for expected in ("Ministerie van Voorbeeldzaken", "2026", "januari t/m juni 2026", "K1–K2 2026",
                         "latere kwartalen volgen zodra ze zijn afgesloten", "15 juli 2026",
                         "Coördinatie vertrouwenspersonen Rijksoverheid", "vertrouwenspersonen@rijksoverheid.invalid"):  # fmt: skip
            assert expected in text, expected
    else:
        for expected in ("January to June 2026", "covers Q1–Q2 2026", "later quarters follow once they are closed",
                         "15 July 2026", "Coordination of confidential advisors, Government of the Netherlands"):  # fmt: skip
            assert expected in text, expected
    for jargon in ("98", "f00dfeed", "r-0003", "event", "gebeurtenis", "offset", "positie"):
        assert jargon not in text.lower(), jargon
    annex = " ".join(texts(next(n for n in page.root.find_all("section") if n.attrs.get("id") == "annex")))
    assert ("98.765" if lang == "nl" else "98,765") in annex
    assert "f00dfeed" * 4 in annex and "r-0003" in annex
    assert [n.attrs["id"] for n in page.root.find_all("section")][-1] == "annex"  # at the end


@pytest.mark.parametrize(("lang", "draft"), [("nl", "Concept"), ("en", "Draft")])
def test_a_report_without_a_release_date_says_it_is_a_draft(lang: Lang, draft: str) -> None:
    page = Page(render_html(sample_report(4), lang))
    cover = " ".join(texts(by_css(page, "cover")))
    assert draft in cover
    assert "t/m juni" not in cover and "later quarters" not in cover  # a whole year has no coverage note


def test_a_complete_year_covers_all_quarters() -> None:
    report = replace(sample_report(4), quarters=("2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"))
    cover = " ".join(texts(by_css(Page(render_html(report, "nl")), "cover")))
    assert "januari t/m december 2026" in cover and "latere kwartalen" not in cover


def test_the_government_wide_report_is_named_in_english() -> None:
    report = government_wide(sample_report(4))
    english, dutch = render_html(report, "en"), render_html(report, "nl")
    assert "Government of the Netherlands" in english and "Rijksoverheid" not in english
    assert "Rijksoverheid" in " ".join(texts(by_css(Page(dutch), "cover")))


# --------------------------------------------------------------------------------------------------
# English pages are English

DUTCH_WORDS = (
    "afgeschermd", "contacten", "Totaal", "Aantal", "Aandeel", "Toelichting", "vertrouwenspersoon",
    "vertrouwenspersonen", "gesprekken", "Onderwerp", "kwartaal", "Kanaal", "januari", "juni", "juli",
    "Concept", "gepubliceerd", "Rijksoverheid", "Coördinatie", "Werkwijze", "geheimhouding",
    "Verantwoordelijk", "Publicatiedatum", "melder", "melders", "Overige", "getoond", "Technische",
    "verantwoording", "Grafiek", "Tabel", "dagen", "maanden", "Samenvatting", "Inhoud", "meldingen",
    "misstand", "uren", "Uitkomsten", "Gespreksvorm", "Termijn", "Loopt", "Basisnorm", "Tevreden",
    "Gebeurtenissen", "Publicatieversie", "Afgesloten", "kwartalen", "zonder", "niet", "een", "het",
    "van", "en", "t/m", "K1", "K2", "K3", "K4", "beslaat",
)  # fmt: skip


def dutch_only_words() -> set[str]:
    """Words of the renderer's Dutch labels that none of its English labels uses."""
    dutch: set[str] = set()
    english: set[str] = set()
    labels = [value for value in vars(annual_report_formats).values() if isinstance(value, dict)]
    labels += [inner for table in annual_report_formats.KEY_LABELS.values() for inner in [table]]
    pairs = [
        pair for table in labels for pair in table.values() if isinstance(pair, tuple) and len(pair) == 2
    ]
    pairs += list(CATEGORY_LABELS.values())
    for nl, en in pairs:
        if isinstance(nl, str) and isinstance(en, str):
            dutch |= set(re.findall(r"[^\W\d_]{4,}", re.sub(r"\{[^}]*\}", " ", nl)))
            english |= set(re.findall(r"[^\W\d_]{4,}", re.sub(r"\{[^}]*\}", " ", en)))
    return dutch - english - {"JSON", "null", "suppressed", "withheld"}


@pytest.mark.parametrize(
    "report",
    [sample_report(4), half_year(sample_report(5)), government_wide(sample_report(6)),
     build_annual_report(Organisation("all", "Rijksoverheid"), YEAR, SourcePosition(0), ReportCounts())],
    ids=["sample", "half-year", "government-wide", "empty"],
)  # fmt: skip
def test_the_english_page_has_no_dutch_left(report: AnnualReport) -> None:
    html = render_html(report, "en")
    # The contact address is the publisher's data, not wording of the page. A ministry's own name stays Dutch (marked lang="nl"; in <title> it cannot be): not wording.
    text = visible_text(html, skip_dutch=True).replace(report.publication.contact, " ")
    if report.organisation.id != "all":
        text = text.replace(report.organisation.name, " ")
    words = set(re.findall(r"[^\W\d_]+(?:/[^\W\d_]+)?|K\d", text))
    found = sorted(w for w in DUTCH_WORDS if w in words) + sorted(dutch_only_words() & words)
    assert found == []
    # Labels the charts carry for screen readers are English too.
    labels = " ".join(n.attrs.get("aria-label", "") for n in Page(html).root.walk())
    assert not {w for w in DUTCH_WORDS if w in set(re.findall(r"[^\W\d_]+", labels))}
    # The Dutch page, for contrast, does use these words.
    dutch = set(re.findall(r"[^\W\d_]+(?:/[^\W\d_]+)?|K\d", visible_text(render_html(report, "nl"))))
    assert {"Totaal", "Inhoud", "Samenvatting", "Werkwijze"} <= dutch


def test_a_dutch_organisation_name_on_an_english_page_is_marked_as_dutch() -> None:
    page = Page(render_html(sample_report(4), "en"))
    marked = [n.text() for n in page.root.walk() if n.attrs.get("lang") == "nl"]
    assert "Ministerie van Voorbeeldzaken" in marked


# --------------------------------------------------------------------------------------------------
# Tiles and marks


def tiny() -> AnnualReport:
    counts = replace(
        sample_counts(seed=11, year=YEAR, contacts=12),
        advisors_recording_hours=2,
        advisors_by_baseline_status={"met": 1, "not_met": 1},
    )
    return build_annual_report(
        Organisation("org-tiny", "Ministerie van Kleinzaken"), YEAR, SourcePosition(1), counts
    )


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("make", [tiny, lambda: sample_report(7)], ids=["tiny", "seed-7"])
def test_a_tile_whose_number_is_hidden_says_in_words_what_and_why(make: object, lang: Lang) -> None:
    report = make()  # type: ignore[operator]
    page = Page(render_html(report, lang))
    tiles = page.root.find_all("div", "tile")
    assert len(tiles) >= 5
    hidden = 0
    for tile in tiles:
        (value,) = tile.find_all("p", "tile-value")
        text = value.text().strip()
        assert "*" not in text and text not in ("–", "-", "")
        if value.find_all(css="tile-hidden"):
            hidden += 1
            assert text.startswith(
                ("Niet gepubliceerd:" if lang == "nl" else "Not published:", "Geen gegevens:", "No data:")
            )
            assert len(text) > 30  # the reason, in words
    assert hidden >= 1
    reports_tile = by_css(page, "tile-reports")
    deadlines = report.section(SectionId.FORMAL_REPORT_DEADLINES).table
    assert deadlines is not None
    if deadlines.row_totals[0] is None:
        k = str(report.policy.k)
        assert (
            "minder dan " + k + " personen" if lang == "nl" else "fewer than " + k + " people"
        ) in reports_tile.text()


def test_the_formal_reports_tile_is_the_published_total_of_the_acknowledgement_row() -> None:
    checked = 0
    for seed in range(40):
        report = sample_report(seed)
        deadlines = report.section(SectionId.FORMAL_REPORT_DEADLINES).table
        assert deadlines is not None
        total = deadlines.row_totals[list(deadlines.row_keys).index(Deadline.ACKNOWLEDGEMENT)]
        tile = by_css(Page(render_html(report, "en")), "tile-reports")
        counts = tile.find_all("span", "count")
        if total is None:
            assert counts == []
        else:
            assert [int(n.text().replace(",", "")) for n in counts] == [total]
            checked += 1
    assert checked >= 3


@pytest.mark.parametrize("lang", LANGS)
def test_each_section_with_hidden_values_explains_its_marks(lang: Lang) -> None:
    report = tiny()
    page = Page(render_html(report, lang))
    explained = 0
    for node in page.root.find_all("section"):
        used = {m.text() for td in node.find_all("td", "suppressed") for m in td.find_all("span", "mark")}
        legend = {m.text() for ul in node.find_all("ul", "legend") for m in ul.find_all("span", "mark")}
        assert used == legend, node.attrs.get("id")
        explained += len(used)
    assert explained >= 5
    text = visible_text(render_html(report, lang))
    assert "*" not in text and "×" not in text


# --------------------------------------------------------------------------------------------------
# Zero rows


def test_published_zeros_share_one_line_and_suppressed_rows_stay_apart() -> None:
    collapsed = 0
    for seed in range(12):
        report = sample_report(seed)
        page = Page(render_html(report, "nl"))
        for section in report.sections:
            table = section.table
            node = next(
                n for n in page.root.find_all("section") if n.attrs.get("id") == section.section_id.value
            )
            lines = node.find_all("tr", "zeros")
            zeros = zero_rows(section.section_id, table) if table is not None else []
            assert len(lines) == (1 if zeros else 0), section.section_id
            if not zeros:
                continue
            assert table is not None
            collapsed += 1
            names = lines[0].text()
            dimension = table.dimensions[0]
            for j, key in enumerate(table.col_keys):
                label = annual_report_formats._key_label(dimension, key, "nl")
                in_line = label in names.split(": ", 1)[1]
                assert in_line == (table.cells[0][j] == 0), (section.section_id, key)
                rows = [th.text() for th in node.find_all("th") if th.attrs.get("scope") == "row"]
                assert (label in rows) == (table.cells[0][j] != 0)
    assert collapsed >= 5


def test_ordinal_tables_keep_their_zero_rows() -> None:
    counts = ReportCounts(days_to_first_conversation={"0-2": 9}, feedback_by_rating={"satisfied": 7})
    report = build_annual_report(Organisation("o", "O"), YEAR, SourcePosition(0), counts)
    page = Page(render_html(report, "en"))
    for sid in (SectionId.DAYS_TO_FIRST_CONVERSATION, SectionId.CLIENT_FEEDBACK):
        node = next(n for n in page.root.find_all("section") if n.attrs.get("id") == sid.value)
        assert node.find_all("tr", "zeros") == []
        rows = node.find_all("tbody")[0].find_all("tr")
        assert len(rows) == (4 if sid == SectionId.DAYS_TO_FIRST_CONVERSATION else 3) + 1  # and the total


# --------------------------------------------------------------------------------------------------
# Every number on the page is a published figure, or plainly derived from published figures

NUMBER = re.compile(r"(?<![\w.,/\-–])(\d{1,3}(?:[.,]\d{3})+|\d+)(?![\w])(\s?%)?")


def fixed_fragments() -> list[str]:
    """The renderer's fixed wording that holds digits ("7 dagen", "2019/1937"), longest first."""
    strings: list[str] = []

    def collect(value: object) -> None:
        if isinstance(value, str):
            strings.append(value)
        elif isinstance(value, tuple):
            for item in value:
                collect(item)
        elif isinstance(value, dict):
            for item in value.values():
                collect(item)

    for name, value in vars(annual_report_formats).items():
        if name.isupper() or name.startswith("_") and name[1:].isupper():
            collect(value)
    collect(CATEGORY_LABELS)
    fragments = {
        part.strip() for text in strings for part in re.split(r"\{[^}]*\}", text) if re.search(r"\d", part)
    }
    return sorted((f for f in fragments if f), key=len, reverse=True)


def percent(part: int, whole: int) -> int:
    return int((Decimal(100 * part) / Decimal(whole)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def allowed_numbers(report: AnnualReport) -> tuple[set[int], set[int]]:
    """(plain numbers, percentages) that may appear on the page of `report`."""
    plain: set[int] = set()
    shares: set[int] = set()
    for section in report.sections:
        plain |= {figure.value for figure in section.figures if figure.value is not None}
        table = section.table
        if table is None:
            continue
        values = [v for v in table.published_values() if v is not None]
        plain |= set(values)
        numerators = set(values)
        if table.is_one_way:  # two published cells of one row may be added ("within a week")
            cells = [v for v in table.cells[0] if v is not None]
            numerators |= {a + b for i, a in enumerate(cells) for b in cells[i + 1 :]}
        shares |= {percent(n, d) for n in numerators for d in values if d}
    policy, source = report.policy, report.generated_from
    plain |= {report.year, policy.k, policy.k - 1, policy.min_contributors, source.event_count}
    plain |= {offset for _, offset in source.last_offsets}
    if policy.round_to:
        plain.add(policy.round_to)
    released = report.publication.released_on
    if released is not None:
        plain |= {released.day, released.year}
    return plain, shares


def unexplained_numbers(report: AnnualReport, lang: Lang, html: str | None = None) -> list[str]:
    text = visible_text(render_html(report, lang) if html is None else html)
    for literal in (report.generated_from.fingerprint, report.publication.release_id, report.organisation.name,
                    report.publication.contact, *report.publication.responsible_body, *report.quarters):  # fmt: skip
        if literal:
            text = text.replace(literal, " ")
    for fragment in fixed_fragments():
        text = text.replace(fragment, " ")
    plain, shares = allowed_numbers(report)
    wrong = []
    for match in NUMBER.finditer(text):
        digits = int(match.group(1).replace("." if lang == "nl" else ",", ""))
        allowed = shares if match.group(2) else plain
        if digits not in allowed:
            wrong.append(text[max(0, match.start() - 40) : match.end() + 10])
    return wrong


def test_the_fixed_wording_is_known_to_the_number_check() -> None:
    fragments = fixed_fragments()
    assert "Ontvangstbevestiging (7 dagen)" in fragments and any("2019/1937" in f for f in fragments)
    # A number that is not in the model is caught, and so is a percentage nobody can derive.
    report = sample_report(3)
    html = render_html(report, "nl")
    assert unexplained_numbers(report, "nl", html) == []
    leaked = html.replace("</main>", "<p>Er waren 987.654 gesprekken, 101% van het doel.</p></main>")
    found = unexplained_numbers(report, "nl", leaked)
    assert len(found) == 2 and "987.654" in found[0] and "101%" in found[1]


counts_strategy = st.builds(
    ReportCounts,
    contacts_by_primary_category=st.dictionaries(
        st.sampled_from([c.value for c in Category]), st.integers(0, 30)
    ),
    category_mentions=st.dictionaries(st.sampled_from([c.value for c in Category]), st.integers(0, 30)),
    contacts_by_channel_and_quarter=st.dictionaries(
        st.tuples(
            st.sampled_from([c.value for c in Channel]),
            st.sampled_from([f"{YEAR}-Q{q}" for q in (1, 2, 3, 4)]),
        ),
        st.integers(0, 15),
    ),
    contacts_by_client_role=st.dictionaries(
        st.sampled_from([c.value for c in ClientRole]), st.integers(0, 40)
    ),
    meetings_by_mode=st.dictionaries(st.sampled_from([c.value for c in MeetingMode]), st.integers(0, 40)),
    closed_contacts_by_outcome=st.dictionaries(
        st.sampled_from([c.value for c in Outcome]), st.integers(0, 25)
    ),
    days_to_first_conversation=st.dictionaries(
        st.sampled_from(["0-2", "3-7", "8-14", "15+"]), st.integers(0, 25)
    ),
    formal_report_deadlines=st.dictionaries(
        st.tuples(
            st.sampled_from([d.value for d in Deadline]), st.sampled_from([s.value for s in DeadlineStatus])
        ),
        st.integers(0, 9),
    ),
    advisor_hours_by_activity=st.dictionaries(
        st.sampled_from(["conversation", "administration", "publicity", "training"]), st.floats(0, 900)
    ),
    advisors_recording_hours=st.integers(0, 6),
    advisors_by_baseline_status=st.dictionaries(
        st.sampled_from([b.value for b in BaselineStatus]), st.integers(0, 6)
    ),
    feedback_by_rating=st.dictionaries(
        st.sampled_from([f.value for f in FeedbackRating]), st.integers(0, 20)
    ),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    k=st.sampled_from([3, 5, 10]),
    round_to=st.sampled_from([None, None, 5]),
    partial=st.booleans(),
    lang=st.sampled_from(LANGS),
)
def test_every_number_on_a_sample_page_is_published_or_derived_from_published_numbers(
    seed: int, k: int, round_to: int | None, partial: bool, lang: Lang
) -> None:
    report = sample_report(seed, YEAR, DisclosurePolicy(k=k, round_to=round_to))
    if partial:
        report = half_year(report)
    assert unexplained_numbers(report, lang) == []


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(counts=counts_strategy, lang=st.sampled_from(LANGS))
def test_every_number_on_a_page_of_random_counts_is_published_or_derived(
    counts: ReportCounts, lang: Lang
) -> None:
    source = SourcePosition(event_count=1234, fingerprint="ab12cd34")
    report = build_annual_report(Organisation("org-x", "Ministerie van X"), YEAR, source, counts)
    assert unexplained_numbers(report, lang) == []


# --------------------------------------------------------------------------------------------------
# Charts


def test_chart_texts_are_at_least_twelve_pixels_and_labels_are_wrapped() -> None:
    style = annual_report_formats._CSS
    assert "svg.chart text{font-size:14px}" in style
    assert "min-width:480px" in style and "max-width:540px" in style  # never scaled below 14*480/540 px
    sizes = [int(size) for size in re.findall(r"svg[^{}]*\{[^}]*font-size:(\d+)px", style)]
    assert sizes and min(sizes) >= 14
    page = Page(render_html(sample_report(4), "nl"))
    for svg in page.root.find_all("svg"):
        assert svg.attrs["role"] == "img" and svg.find_all("title") and svg.find_all("desc")
        assert svg.attrs["aria-describedby"] == svg.find_all("desc")[0].attrs["id"]
        for text in svg.find_all("text"):
            assert "font-size" not in text.attrs
    assert wrap_label("Belangenconflict gemeld door de vertrouwenspersoon") == [
        "Belangenconflict gemeld door",
        "de vertrouwenspersoon",
    ]
    assert all(len(line) <= 30 for line in wrap_label("Een heel lang label " * 6))
    assert wrap_label("Een heel lang label " * 6)[-1].endswith("…")


def test_chart_labels_show_only_published_numbers_and_words_for_hidden_ones() -> None:
    report = tiny()
    page = Page(render_html(report, "nl"))
    for svg in page.root.find_all("svg"):
        for text in svg.find_all("text"):
            assert "*" not in text.text()
    hidden = [t.text() for svg in page.root.find_all("svg") for t in svg.find_all("text", "hidden")]
    assert hidden and set(hidden) <= {"afgeschermd", "niet getoond"}


def test_a_running_year_shows_only_the_quarters_it_covers_when_the_rest_are_zeros() -> None:
    counts = ReportCounts(
        contacts_by_channel_and_quarter={("phone", "2026-Q1"): 9, ("email", "2026-Q2"): 8},
        contacts_by_primary_category={"workload": 17},
    )
    report = build_annual_report(Organisation("o", "O"), YEAR, SourcePosition(0), counts)
    report = half_year(report)
    page = Page(render_html(report, "nl"))
    node = next(n for n in page.root.find_all("section") if n.attrs.get("id") == "contacts_by_quarter")
    headers = [th.text() for th in node.find_all("th") if th.attrs.get("scope") == "col"]
    assert headers == ["Kanaal / Kwartaal", "K1 2026", "K2 2026", "Totaal"]
    svg_labels = {t.text() for t in node.find_all("text", "lbl")}
    assert "K3 2026" not in svg_labels and "K1 2026" in svg_labels
    # A full year keeps all four quarters.
    full = Page(render_html(replace(report, quarters=()), "nl"))
    node = next(n for n in full.root.find_all("section") if n.attrs.get("id") == "contacts_by_quarter")
    assert "K4 2026" in [th.text() for th in node.find_all("th")]
