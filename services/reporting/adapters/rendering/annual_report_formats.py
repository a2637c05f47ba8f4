"""The annual report in its three formats: a self-contained HTML page, a long-format CSV and JSON.

The renderers only format: every number comes from the report model, which has passed disclosure
control. A derived figure (a percentage) is printed only when every number it is computed from is
published; nothing is ever added up from cells that might hide a suppressed one. Output is
deterministic (no clock, no randomness, fixed ordering, fixed float formatting), so a rebuild from
the same events gives byte-identical files.

HTML: one HTML5 page with inline CSS and inline SVG (no scripts, no external resources), Dutch by
default, English on request, printable on A4 without forced page breaks. The cover is for readers
(organisation, period, publication date, responsible body, contact); event counts, fingerprints and
release ids are in the technical annex at the end. A suppressed value shows in tables as "–" with a
superscript "a" (screen readers hear "afgeschermd"/"protected") and in charts as that word; a figure
withheld because too few advisors contributed shows as "–" with a superscript "b". A legend under
each table says what the marks mean. Codes with a published 0 in a nominal one-way table share one
line ("Overige onderwerpen zonder contacten: ..."); a suppressed row is never folded into it.
Every count is printed in an element with class "count", hours and sessions with class "hours",
derived percentages with class "pct"; a hidden one has the class "suppressed" as well.

CSV and JSON are for machines: a hidden value is empty (CSV) or null (JSON), with its status
("published", "suppressed" or "withheld") beside it.

Where each part lives (services/reporting/adapters/rendering/):
- texts.py: every Dutch and English text;
- view_model.py: the page as data (texts chosen, numbers formatted, what is hidden and why);
- charts.py: chart geometry;
- templates/: the Jinja2 templates (autoescaped) and report.css, inlined at render;
- html_page.py: the Jinja2 environment and `render_html`;
- machine_readable.py: `render_csv` and `render_json`.
"""

from __future__ import annotations

from services.reporting.adapters.rendering.charts import CHART_WIDTH, PALETTE, wrap_label
from services.reporting.adapters.rendering.formatting import GOVERNMENT_WIDE_ID, key_label, organisation_name
from services.reporting.adapters.rendering.html_page import render_html, stylesheet
from services.reporting.adapters.rendering.machine_readable import (
    PUBLISHED,
    SUPPRESSED,
    WITHHELD,
    render_csv,
    render_json,
)
from services.reporting.adapters.rendering.texts import (
    DIMENSION_LABELS,
    GOVERNMENT_NAMES,
    KEY_LABELS,
    METHOD,
    MONTHS,
    NOTES,
    SECTION_LEDES,
    SECTION_NOTES,
    SECTION_TITLES,
    UI,
    VALUE_HEADERS,
    ZERO_LINES,
    Label,
    Lang,
)
from services.reporting.adapters.rendering.view_model import MARK_SUPPRESSED, MARK_WITHHELD, zero_rows

# The mark the management view (application/access_rules.py) names for a suppressed value in its JSON. This report no
# longer prints it: a "*" next to a number reads as a multiplication or a footnote.
SUPPRESSED_MARK = "*"

__all__ = [
    "CHART_WIDTH",
    "DIMENSION_LABELS",
    "GOVERNMENT_NAMES",
    "GOVERNMENT_WIDE_ID",
    "KEY_LABELS",
    "MARK_SUPPRESSED",
    "MARK_WITHHELD",
    "METHOD",
    "MONTHS",
    "NOTES",
    "PALETTE",
    "PUBLISHED",
    "SECTION_LEDES",
    "SECTION_NOTES",
    "SECTION_TITLES",
    "SUPPRESSED",
    "SUPPRESSED_MARK",
    "UI",
    "VALUE_HEADERS",
    "WITHHELD",
    "ZERO_LINES",
    "Label",
    "Lang",
    "organisation_name",
    "render_csv",
    "render_html",
    "render_json",
    "wrap_label",
    "zero_rows",
]

# Names the older tests read.
_key_label = key_label


def __getattr__(name: str) -> str:
    if name == "_CSS":  # read when asked for, not at import
        return stylesheet()
    raise AttributeError(name)
