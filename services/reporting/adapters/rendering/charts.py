"""Chart geometry: where each bar, ring segment and label goes. The markup is in templates/_charts.html.j2.

Drawn at 1:1 in a 540 px column; every text is 14 px (the totals in a ring 28 px), and the page never
shows a chart narrower than 480 px, so no text renders below 12 px. Every colour has a contrast of
at least 3:1 against white (WCAG 1.4.11); parts are also split by a white line, and every number is
in the table beside the chart. Only published values are drawn; a hidden one says so in words.
Coordinates are strings already formatted by `num` (stable output).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from services.reporting.adapters.rendering.formatting import fmt_int, key_label, num
from services.reporting.adapters.rendering.texts import UI, Lang, t
from services.reporting.domain.disclosure import ProtectedTable

PALETTE = ("#154273", "#007BC7", "#E17000", "#39870C", "#A90061", "#94710A", "#5B2A86")
CHART_WIDTH = 540
_LINE = 17  # line height of two-line labels
_LABEL_CHARS = 30  # what fits in the 230 px label column at 14 px


@dataclass(frozen=True)
class Line:
    x: str
    y: str
    text: str


@dataclass(frozen=True)
class Label:
    """A label of one or two lines; `title` holds the full text when it was shortened or wrapped."""

    anchor: str
    title: str | None
    lines: tuple[Line, ...]


@dataclass(frozen=True)
class Value:
    """A published number, or the word for a hidden one (`hidden`; never a bare mark)."""

    x: str
    y: str
    anchor: str
    css: str
    text: str
    hidden: bool


@dataclass(frozen=True)
class Bar:
    """A rectangle; `fill` None is the dashed outline of a published total."""

    x: str
    y: str
    width: str
    height: str
    fill: str | None
    title: str


@dataclass(frozen=True)
class Key:
    """One entry of a chart's colour key; `fill` None is the dashed key of the total."""

    x: str
    y: str
    fill: str | None
    text_x: str
    text_y: str
    text: str


@dataclass(frozen=True)
class Chart:
    kind: ClassVar[str]
    chart_id: str
    label: str
    description: str
    height: str


@dataclass(frozen=True)
class NoData(Chart):
    kind: ClassVar[str] = "no_data"
    x: str
    message: str


@dataclass(frozen=True)
class BarRow:
    label: Label
    bar: Bar | None
    value: Value


@dataclass(frozen=True)
class BarChart(Chart):
    kind: ClassVar[str] = "bars"
    rows: tuple[BarRow, ...]


@dataclass(frozen=True)
class Column:
    outline: Bar | None
    parts: tuple[Bar, ...]
    value: Value
    label: Value


@dataclass(frozen=True)
class ColumnChart(Chart):
    kind: ClassVar[str] = "columns"
    left: str
    right: str
    base_y: str
    columns: tuple[Column, ...]
    keys: tuple[Key, ...]


@dataclass(frozen=True)
class StackedRow:
    label: Label
    outline: Bar | None
    parts: tuple[Bar, ...]
    value: Value


@dataclass(frozen=True)
class StackedRowChart(Chart):
    kind: ClassVar[str] = "rows"
    rows: tuple[StackedRow, ...]
    keys: tuple[Key, ...]


@dataclass(frozen=True)
class Segment:
    stroke: str
    dash: str
    gap: str
    offset: str
    title: str


@dataclass(frozen=True)
class RingKey:
    y: str
    fill: str
    label: Label
    value: Value


@dataclass(frozen=True)
class RingChart(Chart):
    kind: ClassVar[str] = "ring"
    cx: str
    cy: str
    radius: str
    ring: str
    segments: tuple[Segment, ...]
    centre: Value
    keys: tuple[RingKey, ...]


def wrap_label(text: str, width: int = _LABEL_CHARS, lines: int = 2) -> list[str]:
    """Words in at most `lines` lines of `width` characters; an overflow ends in an ellipsis."""
    out: list[str] = []
    for word in text.split():
        if out and len(out[-1]) + 1 + len(word) <= width:
            out[-1] = f"{out[-1]} {word}"
        else:
            out.append(word)
    if len(out) > lines:
        out = [*out[: lines - 1], " ".join(out[lines - 1 :])]
    return [line if len(line) <= width else line[: width - 1].rstrip() + "…" for line in out] or [""]


def _label(
    x: float, middle: float, text: str, anchor: str, width: int = _LABEL_CHARS, max_lines: int = 2
) -> Label:
    """Centred vertically on `middle`."""
    lines = wrap_label(text, width, max_lines)
    first = middle + 5 - (len(lines) - 1) * _LINE / 2
    placed = tuple(Line(num(x), num(first + i * _LINE), line) for i, line in enumerate(lines))
    return Label(anchor, text if " ".join(lines) != text else None, placed)


def _value(
    x: float, y: float, value: int | None, css: str, lang: Lang, missing: str, anchor: str = "start"
) -> Value:
    if value is None:
        return Value(num(x), num(y), anchor, "muted hidden", missing, True)
    return Value(num(x), num(y), anchor, css, fmt_int(value, lang), False)


def _bar(x: float, y: float, width: float, height: float, fill: str | None, title: str) -> Bar:
    return Bar(num(x), num(y), num(width), num(height), fill, title)


def no_data(chart_id: str, label: str, lang: Lang) -> NoData:
    message = t(UI["no_data"], lang)
    return NoData(chart_id, label, message, "60", num(CHART_WIDTH // 2), message)


def bar_chart(
    chart_id: str, label: str, rows: Sequence[tuple[str, int | None]], css: str, lang: Lang, missing: str
) -> Chart:
    """Horizontal bars; a hidden value gets no bar and says so in words."""
    if not any(value for _, value in rows):
        return no_data(chart_id, label, lang)
    label_right, bar_x, bar_span = 230, 240, 220
    top = max(value or 0 for _, value in rows)
    drawn: list[BarRow] = []
    y = 6.0
    for name, value in rows:
        height = max(30, 12 + _LINE * len(wrap_label(name)))
        middle = y + height / 2
        bar, end = None, float(bar_x)
        if value:
            length = max(1.0, bar_span * value / top)
            bar = _bar(bar_x, middle - 8, length, 16, PALETTE[0], f"{name}: {fmt_int(value, lang)}")
            end = bar_x + length
        value_text = _value(end + 6, middle + 5, value, css, lang, missing)
        drawn.append(BarRow(_label(label_right, middle, name, "end"), bar, value_text))
        y += height
    return BarChart(chart_id, label, t(UI["chart_desc"], lang), num(y + 6), tuple(drawn))


def _keys(entries: Sequence[str], y: float) -> tuple[tuple[Key, ...], float]:
    """Colour keys for the series in two columns, then the dashed key for the published total."""
    column_width = CHART_WIDTH // 2
    keys = []
    for index, name in enumerate(entries):
        x = 10 + (index % 2) * column_width
        row_y = y + (index // 2) * 24
        fill = PALETTE[index % len(PALETTE)] if index < len(entries) - 1 else None
        keys.append(Key(num(x), num(row_y), fill, num(x + 20), num(row_y + 12), wrap_label(name, 30, 1)[0]))
    return tuple(keys), math.ceil(len(entries) / 2) * 24


def column_chart(chart_id: str, label: str, table: ProtectedTable, lang: Lang) -> Chart:
    """One column per column key (quarters), stacked by row key (channels); only published parts.

    The dashed outline is the published column total; the number above it is that total (or the word
    for a hidden one). Parts are not labelled: their numbers are in the table.
    """
    row_dim, col_dim = table.dimensions
    columns = [[row[j] for row in table.cells] for j in range(len(table.col_keys))]
    heights = [
        max(total or 0, sum(v for v in column if v))
        for total, column in zip(table.col_totals, columns, strict=True)
    ]  # fmt: skip  (geometry only: no number is printed from this sum)
    if not any(heights):
        return no_data(chart_id, label, lang)
    plot_top, plot_height, left = 30, 190, 10
    total = t(UI["total"], lang)
    missing = t(UI["suppressed"], lang)
    base_y = plot_top + plot_height
    slot = (CHART_WIDTH - 2 * left) / len(table.col_keys)
    bar_width = min(72.0, slot * 0.55)
    top = max(heights)
    drawn = []
    for j, column in enumerate(columns):
        x = left + slot * j + (slot - bar_width) / 2
        column_label = key_label(col_dim, table.col_keys[j], lang)
        column_total = table.col_totals[j]
        outline = None
        if column_total:
            h = plot_height * column_total / top
            title = f"{column_label}, {total}: {fmt_int(column_total, lang)}"
            outline = _bar(x, base_y - h, bar_width, h, None, title)
        parts = []
        stack = float(base_y)
        for i, value in enumerate(column):
            if not value:
                continue
            h = plot_height * value / top
            stack -= h
            series = key_label(row_dim, table.row_keys[i], lang)
            title = f"{column_label}, {series}: {fmt_int(value, lang)}"
            parts.append(_bar(x, stack, bar_width, h, PALETTE[i % len(PALETTE)], title))
        top_y = base_y - plot_height * heights[j] / top
        centre = x + bar_width / 2
        total_text = _value(centre, top_y - 8, column_total, "count", lang, missing, "middle")
        name = Value(num(centre), num(base_y + 22), "middle", "lbl", column_label, False)
        drawn.append(Column(outline, tuple(parts), total_text, name))
    names = [key_label(row_dim, key, lang) for key in table.row_keys]
    keys, keys_height = _keys([*names, t(UI["total_outline"], lang)], base_y + 44)
    height = base_y + 44 + keys_height
    description = t(UI["outline_desc"], lang)
    return ColumnChart(
        chart_id,
        label,
        description,
        num(height),
        num(left),
        num(CHART_WIDTH - left),
        num(base_y),
        tuple(drawn),
        keys,
    )


def stacked_row_chart(chart_id: str, label: str, table: ProtectedTable, lang: Lang) -> Chart:
    """One horizontal bar per row key, stacked by column key; only published parts are drawn."""
    row_dim, col_dim = table.dimensions
    lengths = [
        max(total or 0, sum(v for v in row if v))  # geometry only
        for total, row in zip(table.row_totals, table.cells, strict=True)
    ]
    if not any(lengths):
        return no_data(chart_id, label, lang)
    label_right, bar_x, bar_span, row_height = 230, 240, 210, 46
    total = t(UI["total"], lang)
    missing = t(UI["suppressed"], lang)
    top = max(lengths)
    drawn = []
    for i, row in enumerate(table.cells):
        middle = 6 + i * row_height + row_height / 2
        row_label = key_label(row_dim, table.row_keys[i], lang)
        row_total = table.row_totals[i]
        outline = None
        if row_total:
            title = f"{row_label}, {total}: {fmt_int(row_total, lang)}"
            outline = _bar(bar_x, middle - 10, bar_span * row_total / top, 20, None, title)
        parts = []
        x = float(bar_x)
        for j, value in enumerate(row):
            if not value:
                continue
            w = bar_span * value / top
            series = key_label(col_dim, table.col_keys[j], lang)
            title = f"{row_label}, {series}: {fmt_int(value, lang)}"
            parts.append(_bar(x, middle - 10, w, 20, PALETTE[j % len(PALETTE)], title))
            x += w
        end = max(x, bar_x + bar_span * lengths[i] / top)
        value_text = _value(end + 6, middle + 5, row_total, "count", lang, missing)
        drawn.append(
            StackedRow(_label(label_right, middle, row_label, "end"), outline, tuple(parts), value_text)
        )
    names = [key_label(col_dim, key, lang) for key in table.col_keys]
    keys_y = 6 + row_height * len(table.row_keys) + 12
    keys, keys_height = _keys([*names, t(UI["total_outline"], lang)], keys_y)
    description = t(UI["outline_desc"], lang)
    return StackedRowChart(chart_id, label, description, num(keys_y + keys_height), tuple(drawn), keys)


def ring_chart(chart_id: str, label: str, table: ProtectedTable, order: Sequence[int], lang: Lang) -> Chart:
    """Ring segments for published values; hidden values leave the dashed ring visible."""
    items = [table.items()[j] for j in order]
    drawn_total = sum(value for _, value in items if value)  # geometry only
    whole = max(table.grand_total or 0, drawn_total)
    if not drawn_total:
        return no_data(chart_id, label, lang)
    cx, cy, radius, ring = 105, 110, 78, 30
    missing = t(UI["suppressed"], lang)
    height = max(226, 24 + 30 * len(items))
    circumference = 2 * math.pi * radius
    segments = []
    offset = 0.0
    for index, (key, value) in enumerate(items):
        if not value:
            continue
        length = circumference * value / whole
        title = f"{key_label(table.dimensions[0], key, lang)}: {fmt_int(value, lang)}"
        colour = PALETTE[index % len(PALETTE)]
        segments.append(Segment(colour, num(length), num(circumference - length), num(-offset), title))
        offset += length
    if table.grand_total is None:
        centre = _value(cx, cy + 5, None, "count", lang, missing, "middle")
    else:
        centre = _value(cx, cy + 10, table.grand_total, "count big", lang, missing, "middle")
    keys = []
    for index, (key, value) in enumerate(items):
        middle = 24 + index * 30
        name = key_label(table.dimensions[0], key, lang)
        keys.append(
            RingKey(
                num(middle - 7),
                PALETTE[index % len(PALETTE)],
                _label(248, middle, name, "start", 26, 1),
                _value(CHART_WIDTH - 8, middle + 5, value, "count", lang, missing, "end"),
            )
        )
    description = t(UI["chart_desc"], lang)
    return RingChart(
        chart_id,
        label,
        description,
        num(height),
        num(cx),
        num(cy),
        num(radius),
        num(ring),
        tuple(segments),
        centre,
        tuple(keys),
    )
