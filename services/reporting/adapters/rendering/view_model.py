"""The report page as data for the templates: every text chosen and every number formatted.

The view model only formats: every number comes from the report model, which has passed disclosure
control. A derived figure (a percentage) is made only when every number it is computed from is
published; nothing is ever added up from cells that might hide a suppressed one. The templates in
templates/ turn it into markup and escape every text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date

from services.reporting.adapters.rendering.charts import (
    Chart,
    bar_chart,
    column_chart,
    no_data,
    ring_chart,
    stacked_row_chart,
)
from services.reporting.adapters.rendering.formatting import (
    fmt_date,
    fmt_int,
    is_partial,
    join,
    key_label,
    organisation_name,
    percent,
    period_text,
    quarter_numbers,
    quarters_text,
    share,
)
from services.reporting.adapters.rendering.texts import (
    DIMENSION_LABELS,
    METHOD,
    NOTES,
    SECTION_LEDES,
    SECTION_NOTES,
    SECTION_TITLES,
    UI,
    VALUE_HEADERS,
    ZERO_LINES,
    Lang,
    t,
)
from services.reporting.domain.annual_report_data import (
    AnnualReport,
    Deadline,
    Dimension,
    FeedbackRating,
    Figure,
    FigureKey,
    NoteId,
    Section,
    SectionId,
)
from services.reporting.domain.disclosure import ProtectedTable

# A suppressed value is marked "a", a value withheld because too few advisors contributed "b".
MARK_SUPPRESSED, MARK_WITHHELD = "a", "b"

# Nominal dimensions are shown largest first (suppressed last, in code order, so the order says
# nothing about them); ordinal ones keep their natural order.
_ORDINAL = {SectionId.DAYS_TO_FIRST_CONVERSATION, SectionId.CLIENT_FEEDBACK, SectionId.TRAINING_SUPERVISION,
            SectionId.ROUTING_SCOPE}  # fmt: skip


@dataclass(frozen=True)
class Cell:
    """A number in a table; `text` None is hidden: a mark for a count, nothing for a percentage."""

    css: str  # "count", "hours" or "pct"
    text: str | None
    mark: str = MARK_SUPPRESSED


@dataclass(frozen=True)
class Row:
    head: str
    cells: tuple[Cell, ...]
    css: str | None = None  # "total" or "zeros"
    zero_names: str | None = None


@dataclass(frozen=True)
class Table:
    caption: str
    header: tuple[str, ...]  # the first names the rows, the others head number columns
    rows: tuple[Row, ...]
    wide: bool = False  # two-way: scrolls sideways in its own box on a phone


@dataclass(frozen=True)
class LegendItem:
    mark: str
    text: str


@dataclass(frozen=True)
class ReportSection:
    anchor: str
    title: str
    lede: str
    chart: Chart
    tables: tuple[Table, ...]
    legend: tuple[LegendItem, ...]
    notes: tuple[str, ...]


@dataclass(frozen=True)
class Tile:
    """A summary figure; `text` None is not shown, with `heading` and `why` in words."""

    name: str
    label: str
    css: str
    text: str | None
    heading: str = ""
    why: str = ""


@dataclass(frozen=True)
class Paragraph:
    """A paragraph; with `after`, the mark of a suppressed value stands between `text` and `after`."""

    text: str
    after: str | None = None


@dataclass(frozen=True)
class Fact:
    name: str
    text: str
    code: bool = False


@dataclass(frozen=True)
class Cover:
    organisation: str
    organisation_lang: str | None  # "nl" for a Dutch name in an English page (WCAG 3.1.2)
    title: str
    draft_badge: str | None
    period: str
    coverage: str | None
    published: str
    published_on: date | None
    responsible: str
    contact: str
    contact_is_email: bool


@dataclass(frozen=True)
class Page:
    lang: Lang
    title: str
    organisation: str
    ui: dict[str, str]
    cover: Cover
    toc: tuple[tuple[str, str], ...]
    tiles: tuple[Tile, ...]
    sections: tuple[ReportSection, ...]
    methodology: tuple[Paragraph, ...]
    annex: tuple[Fact, ...]


# --------------------------------------------------------------------------------------------------
# Tables


def _count(value: int | None, lang: Lang, css: str = "count", mark: str = MARK_SUPPRESSED) -> Cell:
    return Cell(css, None if value is None else fmt_int(value, lang), mark)


def _pct(part: int | None, whole: int | None) -> Cell:
    value = share(part, whole)
    return Cell("pct", None if value is None else f"{value}%")


def _caption(section_title: str, lang: Lang) -> str:
    return f"{t(UI['table'], lang)}: {section_title}"


def zero_rows(section_id: SectionId, table: ProtectedTable) -> list[int]:
    """Positions of the published zeros that share one line (nominal tables, two zeros or more).

    A suppressed value is never among them: it could be 0 or not.
    """
    if section_id not in ZERO_LINES or not table.is_one_way:
        return []
    zeros = [j for j, value in enumerate(table.cells[0]) if value == 0]
    return zeros if len(zeros) >= 2 else []


def _one_way_table(
    section_id: SectionId,
    title: str,
    table: ProtectedTable,
    order: Sequence[int],
    lang: Lang,
    value_header: str,
) -> Table:
    dimension = table.dimensions[0]
    total = table.grand_total
    with_share = bool(total)  # a published, non-zero total

    def cells(value: int | None) -> tuple[Cell, ...]:
        return (_count(value, lang), _pct(value, total)) if with_share else (_count(value, lang),)

    zeros = zero_rows(section_id, table)
    rows = [
        Row(key_label(dimension, table.col_keys[j], lang), cells(table.cells[0][j]))
        for j in order
        if j not in zeros
    ]
    if zeros:
        phrase = t(ZERO_LINES[section_id], lang)
        head = t(UI["other"], lang).format(phrase=phrase) if len(zeros) < len(table.col_keys) else phrase
        names = join([key_label(dimension, table.col_keys[j], lang) for j in zeros], lang)
        rows.append(Row(f"{head[0].upper()}{head[1:]}", cells(0), "zeros", names))
    rows.append(Row(t(UI["total"], lang), cells(total), "total"))
    header: tuple[str, ...] = (t(DIMENSION_LABELS[dimension], lang), value_header)
    if with_share:
        header += (t(UI["share"], lang),)
    return Table(_caption(title, lang), header, tuple(rows))


def _two_way_table(title: str, table: ProtectedTable, lang: Lang) -> Table:
    row_dim, col_dim = table.dimensions
    corner = f"{t(DIMENSION_LABELS[row_dim], lang)} / {t(DIMENSION_LABELS[col_dim], lang)}"
    header = (corner, *(key_label(col_dim, key, lang) for key in table.col_keys), t(UI["total"], lang))
    rows = [
        Row(key_label(row_dim, key, lang), tuple(_count(value, lang) for value in (*cells, total)))
        for key, cells, total in zip(table.row_keys, table.cells, table.row_totals, strict=True)
    ]
    totals = tuple(_count(value, lang) for value in (*table.col_totals, table.grand_total))
    rows.append(Row(t(UI["total"], lang), totals, "total"))
    return Table(_caption(title, lang), header, tuple(rows), wide=True)


def _figures_table(title: str, figures: Sequence[Figure], lang: Lang, value_header: str) -> Table:
    rows = tuple(
        Row(
            key_label("activity", figure.key, lang),
            (_count(figure.value, lang, "hours", MARK_WITHHELD),),
            "total" if figure.key == FigureKey.HOURS_TOTAL else None,
        )
        for figure in figures
    )
    return Table(_caption(title, lang), (t(DIMENSION_LABELS["activity"], lang), value_header), rows)


def _covered_columns(table: ProtectedTable, report: AnnualReport) -> ProtectedTable:
    """Drop the quarters a running year's report does not cover yet, when they are published zeros."""
    if table.is_one_way or table.dimensions[1] != Dimension.QUARTER or not is_partial(report):
        return table
    covered = {f"{report.year}-Q{n}" for n in quarter_numbers(report)}
    keep = [
        j
        for j, key in enumerate(table.col_keys)
        if key in covered or table.col_totals[j] != 0 or any(row[j] != 0 for row in table.cells)
    ]
    return replace(
        table,
        col_keys=tuple(table.col_keys[j] for j in keep),
        cells=tuple(tuple(row[j] for j in keep) for row in table.cells),
        col_totals=tuple(table.col_totals[j] for j in keep),
    )


def _display_order(section_id: SectionId, table: ProtectedTable) -> list[int]:
    indices = list(range(len(table.col_keys)))
    if section_id in _ORDINAL:
        return indices
    values = table.cells[0]
    return sorted(indices, key=lambda j: (values[j] is None, -(values[j] or 0), j))


# --------------------------------------------------------------------------------------------------
# Sections


def _chart_and_tables(section: Section, report: AnnualReport, lang: Lang) -> tuple[Chart, list[Table]]:
    sid = section.section_id
    title = t(SECTION_TITLES[sid], lang)
    chart_id = f"chart-{sid.value}"
    chart_label = f"{t(UI['chart'], lang)}: {title}"
    table = section.table
    if sid == SectionId.ADVISOR_HOURS:
        activities = [figure for figure in section.figures if figure.key != FigureKey.HOURS_TOTAL]
        rows = [(key_label("activity", f.key, lang), f.value) for f in activities]
        chart = bar_chart(chart_id, chart_label, rows, "hours", lang, t(UI["withheld"], lang))
        return chart, [_figures_table(title, section.figures, lang, t(UI["hours"], lang))]
    if table is None:
        return no_data(chart_id, chart_label, lang), []
    if not table.is_one_way:
        shown = _covered_columns(table, report)
        draw = column_chart if sid == SectionId.CONTACTS_BY_QUARTER else stacked_row_chart
        return draw(chart_id, chart_label, shown, lang), [_two_way_table(title, shown, lang)]
    order = _display_order(sid, table)
    data = _one_way_table(sid, title, table, order, lang, t(VALUE_HEADERS.get(sid, UI["count"]), lang))
    if sid == SectionId.MEETING_MODES:
        return ring_chart(chart_id, chart_label, table, order, lang), [data]
    zeros = zero_rows(sid, table)
    rows = [
        (key_label(table.dimensions[0], table.col_keys[j], lang), table.cells[0][j])
        for j in order
        if j not in zeros
    ]
    return bar_chart(chart_id, chart_label, rows, "count", lang, t(UI["suppressed"], lang)), [data]


def _legend(section: Section, report: AnnualReport, lang: Lang) -> list[LegendItem]:
    items = []
    if section.table is not None and None in section.table.published_values():
        items.append(LegendItem(MARK_SUPPRESSED, t(UI["legend_a"], lang).format(k=report.policy.k)))
    if any(figure.value is None for figure in section.figures):
        minimum = report.policy.min_contributors
        items.append(LegendItem(MARK_WITHHELD, t(UI["legend_b"], lang).format(minimum=minimum)))
    return items


def _notes(section: Section, report: AnnualReport, lang: Lang, withheld_in_legend: bool) -> list[str]:
    sid, table = section.section_id, section.table
    notes = []
    if sid in SECTION_NOTES:
        notes.append(t(NOTES[SECTION_NOTES[sid]], lang))
    # The legend of the "b" mark already says why figures are withheld.
    notes += [
        t(NOTES[NoteId(note)], lang)
        for note in section.notes
        if not (note == NoteId.FEW_CONTRIBUTORS and withheld_in_legend)
    ]
    if table is not None and table.is_one_way and table.grand_total:
        notes.append(t(NOTES["percentages"], lang))
    if table is not None and report.policy.round_to:
        notes.append(t(NOTES["rounded"], lang).format(base=report.policy.round_to))
    return notes


def _section(section: Section, report: AnnualReport, lang: Lang) -> ReportSection:
    sid = section.section_id
    title = t(SECTION_TITLES[sid], lang)
    chart, tables = _chart_and_tables(section, report, lang)
    if sid == SectionId.TRAINING_SUPERVISION:
        caption = f"{title}, {t(UI['figures_caption'], lang)}"  # captions of one page differ
        tables.append(_figures_table(caption, section.figures, lang, t(UI["value"], lang)))
    legend = _legend(section, report, lang)
    notes = _notes(section, report, lang, any(item.mark == MARK_WITHHELD for item in legend))
    lede = t(SECTION_LEDES[sid], lang)
    return ReportSection(sid.value, title, lede, chart, tuple(tables), tuple(legend), tuple(notes))


# --------------------------------------------------------------------------------------------------
# Summary


def _hidden(name: str, label: str, lang: Lang, why: str, heading: str = "not_published") -> Tile:
    return Tile(name, label, "", None, t(UI[heading], lang), why)


def _count_tile(name: str, value: int | None, label: str, lang: Lang, why: str, css: str = "count") -> Tile:
    if value is None:
        return _hidden(name, label, lang, why)
    return Tile(name, label, css, fmt_int(value, lang))


def _pct_tile(name: str, part: int | None, whole: int | None, label: str, lang: Lang) -> Tile:
    if part is None or whole is None:
        return _hidden(name, label, lang, t(UI["why_derived"], lang))
    if whole == 0:
        return _hidden(name, label, lang, t(UI["why_empty"], lang), "no_data_tile")
    return Tile(name, label, "pct", f"{percent(part, whole)}%")


def _tiles(report: AnnualReport, lang: Lang) -> list[Tile]:
    categories = report.section(SectionId.CONTACTS_BY_CATEGORY).table
    days = report.section(SectionId.DAYS_TO_FIRST_CONVERSATION).table
    deadlines = report.section(SectionId.FORMAL_REPORT_DEADLINES).table
    feedback = report.section(SectionId.CLIENT_FEEDBACK).table
    hours = report.section(SectionId.ADVISOR_HOURS).figures
    assert categories is not None and days is not None and deadlines is not None and feedback is not None
    small = t(UI["why_small"], lang).format(k=report.policy.k)
    tiles = [_count_tile("contacts", categories.grand_total, t(UI["tile_contacts"], lang), lang, small)]
    published = [(value, j) for j, value in enumerate(categories.cells[0]) if value]
    if published:
        value, j = max(published, key=lambda item: (item[0], -item[1]))
        name = key_label(Dimension.CATEGORY, categories.col_keys[j], lang)
        label = t(UI["tile_top"], lang).format(label=name)
        tiles.append(_pct_tile("top", value, categories.grand_total, label, lang))
    # Two published buckets added up; with either one hidden there is no figure.
    first, second = days.cells[0][0], days.cells[0][1]
    within = None if first is None or second is None else first + second
    tiles.append(_pct_tile("week", within, days.grand_total, t(UI["tile_week"], lang), lang))
    # The number of formal reports is the published row total of the acknowledgement row.
    reports = deadlines.row_totals[list(deadlines.row_keys).index(Deadline.ACKNOWLEDGEMENT)]
    tiles.append(_count_tile("reports", reports, t(UI["tile_reports"], lang), lang, small))
    total_hours = next(f.value for f in hours if f.key == FigureKey.HOURS_TOTAL)
    few = t(UI["why_few"], lang).format(minimum=report.policy.min_contributors)
    tiles.append(_count_tile("hours", total_hours, t(UI["tile_hours"], lang), lang, few, "hours"))
    satisfied = dict(feedback.items())[FeedbackRating.SATISFIED]
    tiles.append(_pct_tile("satisfied", satisfied, feedback.grand_total, t(UI["tile_satisfied"], lang), lang))
    return tiles


# --------------------------------------------------------------------------------------------------
# Method, technical annex, cover


def _methodology(report: AnnualReport, lang: Lang) -> list[Paragraph]:
    policy = report.policy
    small = fmt_int(policy.k - 1, lang)
    paragraphs = [Paragraph(t(METHOD["intro"], lang))]
    if policy.k > 1:
        before, after = t(METHOD["threshold"], lang).format(small=small, mark="\0").split("\0")
        paragraphs.append(Paragraph(before, after))
        paragraphs.append(Paragraph(t(METHOD["secondary"], lang).format(small=small)))
    else:
        paragraphs.append(Paragraph(t(METHOD["no_threshold"], lang)))
    paragraphs.append(Paragraph(t(METHOD["derived"], lang)))
    paragraphs.append(Paragraph(t(METHOD["periods"], lang)))
    if policy.round_to:
        paragraphs.append(Paragraph(t(METHOD["rounding"], lang).format(base=policy.round_to)))
    else:
        paragraphs.append(Paragraph(t(METHOD["no_rounding"], lang)))
    paragraphs.append(Paragraph(t(METHOD["categories"], lang)))
    paragraphs.append(Paragraph(t(METHOD["hours"], lang).format(minimum=policy.min_contributors)))
    paragraphs.append(Paragraph(t(METHOD["source"], lang)))
    return paragraphs


def _annex(report: AnnualReport, lang: Lang) -> list[Fact]:
    """Event count, fingerprint, log positions, release id and settings: for auditors, not the cover."""
    source, policy = report.generated_from, report.policy
    events = t(UI["events_text"], lang).format(events=fmt_int(source.event_count, lang))
    facts = [Fact(t(UI["events"], lang), events)]
    if source.fingerprint:
        facts.append(Fact(t(UI["fingerprint"], lang), source.fingerprint, code=True))
    if source.last_offsets:
        offsets = "; ".join(
            t(UI["offset_at"], lang).format(stream=stream, offset=fmt_int(offset, lang))
            for stream, offset in source.last_offsets
        )
        facts.append(Fact(t(UI["offsets"], lang), offsets))
    release = report.publication.release_id
    if release:
        facts.append(Fact(t(UI["release"], lang), release, code=True))
    else:
        facts.append(Fact(t(UI["release"], lang), t(UI["release_none"], lang)))
    if report.quarters:
        facts.append(Fact(t(UI["quarters_covered"], lang), ", ".join(report.quarters)))
    rounding = (
        t(UI["rounding_base"], lang).format(base=policy.round_to)
        if policy.round_to
        else t(UI["rounding_none"], lang)
    )
    settings = t(UI["settings_text"], lang).format(
        k=policy.k, rounding=rounding, minimum=policy.min_contributors
    )
    facts.append(Fact(t(UI["settings"], lang), settings))
    return facts


def _cover(report: AnnualReport, lang: Lang) -> Cover:
    publication = report.publication
    name = organisation_name(report, lang)
    coverage = None
    if is_partial(report):
        quarters = quarters_text(quarter_numbers(report), report.year, lang)
        coverage = t(UI["coverage"], lang).format(quarters=quarters)
    released = publication.released_on
    return Cover(
        organisation=name,
        organisation_lang="nl" if lang == "en" and name == report.organisation.name else None,
        title=f"{t(UI['title'], lang)} {report.year}",
        draft_badge=t(UI["draft_badge"], lang) if released is None else None,
        period=period_text(report, lang),
        coverage=coverage,
        published=t(UI["draft"], lang) if released is None else fmt_date(released, lang),
        published_on=released,
        responsible=t(publication.responsible_body, lang),
        contact=publication.contact,
        contact_is_email=re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", publication.contact) is not None,
    )


def page(report: AnnualReport, lang: Lang) -> Page:
    toc = [("summary", t(UI["summary"], lang))]
    toc += [(s.section_id.value, t(SECTION_TITLES[s.section_id], lang)) for s in report.sections]
    toc += [("methodology", t(UI["methodology"], lang)), ("annex", t(UI["annex"], lang))]
    return Page(
        lang=lang,
        title=f"{t(UI['title'], lang)} {report.year}",
        organisation=organisation_name(report, lang),
        ui={key: t(label, lang) for key, label in UI.items()},
        cover=_cover(report, lang),
        toc=tuple(toc),
        tiles=tuple(_tiles(report, lang)),
        sections=tuple(_section(section, report, lang) for section in report.sections),
        methodology=tuple(_methodology(report, lang)),
        annex=tuple(_annex(report, lang)),
    )
