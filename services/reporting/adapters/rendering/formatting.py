"""How numbers, dates, periods and codes read on the page, in Dutch or English."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from services.reporting.adapters.rendering.texts import (
    GOVERNMENT_NAMES,
    KEY_LABELS,
    MONTHS,
    UI,
    Lang,
    t,
)
from services.reporting.domain.annual_report_data import AnnualReport, Dimension
from services.reporting.domain.disclosure import TOTAL

# The government-wide report's organisation id.
GOVERNMENT_WIDE_ID = "all"


def key_label(dimension: str, key: str, lang: Lang) -> str:
    if key == TOTAL:
        return t(UI["total"], lang)
    if dimension == Dimension.QUARTER:
        year, quarter = key.split("-Q")
        return t(UI["quarter"], lang).format(q=quarter, year=year)
    label = KEY_LABELS.get(dimension, {}).get(key)
    return t(label, lang) if label is not None else key


def join(names: Sequence[str], lang: Lang) -> str:
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} {t(UI['and'], lang)} {names[-1]}"


def organisation_name(report: AnnualReport, lang: Lang) -> str:
    """The organisation as the reader of `lang` calls it: the government-wide report is translated."""
    organisation = report.organisation
    if organisation.id == GOVERNMENT_WIDE_ID or organisation.name == GOVERNMENT_NAMES[0]:
        return t(GOVERNMENT_NAMES, lang)
    return organisation.name


def fmt_int(value: int, lang: Lang) -> str:
    text = f"{value:,}"
    return text.replace(",", ".") if lang == "nl" else text


def percent(part: int, whole: int) -> int:
    return int((Decimal(100 * part) / Decimal(whole)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def share(part: int | None, whole: int | None) -> int | None:
    """A percentage, only when both numbers are published and the whole is not zero."""
    if part is None or whole is None or whole == 0:
        return None
    return percent(part, whole)


def fmt_date(day: date, lang: Lang) -> str:
    return f"{day.day} {MONTHS[lang][day.month - 1]} {day.year}"


def quarter_numbers(report: AnnualReport) -> list[int]:
    """The quarters of the report's year it covers (1-4), sorted; all four for a complete year."""
    prefix = f"{report.year}-Q"
    numbers = sorted({int(q[len(prefix) :]) for q in report.quarters if q.startswith(prefix)})
    return numbers or [1, 2, 3, 4]


def is_partial(report: AnnualReport) -> bool:
    return len(quarter_numbers(report)) < 4


def quarters_text(numbers: Sequence[int], year: int, lang: Lang) -> str:
    if len(numbers) == 1:
        return t(UI["quarter"], lang).format(q=numbers[0], year=year)
    if numbers == list(range(numbers[0], numbers[-1] + 1)):
        return t(UI["quarter_span"], lang).format(a=numbers[0], b=numbers[-1], year=year)
    bare = [t(UI["quarter_bare"], lang).format(q=n) for n in numbers]
    return f"{join(bare, lang)} {year}"


def period_text(report: AnnualReport, lang: Lang) -> str:
    numbers = quarter_numbers(report)
    months = MONTHS[lang]
    first, last = months[(numbers[0] - 1) * 3], months[numbers[-1] * 3 - 1]
    return t(UI["months"], lang).format(first=first, last=last, year=report.year)


def num(value: float) -> str:
    """Stable SVG coordinates: two decimals, no trailing zeros, no '-0'."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text
