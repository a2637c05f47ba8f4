"""Render an `AnnualReport` as a self-contained HTML page, a long-format CSV and JSON.

The renderers only format: every number comes from the report model, which has passed disclosure
control. Output is deterministic (no clock, no randomness, fixed ordering, fixed float formatting),
so a rebuild from the same events gives byte-identical files.

HTML: one HTML5 page with inline CSS and inline SVG (no scripts, no external resources), Dutch by
default, English on request; printable on A4 (one section per page). Suppressed values show as "*"
with a footnote and are never drawn. Every count is printed in an element with class "count",
hours and sessions with class "hours", derived percentages with class "pct".
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from html import escape
from typing import Literal

from services.reporting.disclosure import TOTAL, ProtectedTable
from services.reporting.report_model import (
    AnnualReport,
    BaselineStatus,
    Deadline,
    DeadlineStatus,
    Dimension,
    FeedbackRating,
    Figure,
    FigureKey,
    FigureUnit,
    NoteId,
    Section,
    SectionId,
)
from shared.codes import (
    CATEGORY_LABELS,
    AdvisorScope,
    Channel,
    ClientRole,
    MeetingMode,
    Outcome,
    TimeActivity,
)

Lang = Literal["nl", "en"]
Label = tuple[str, str]  # (Dutch, English)

SUPPRESSED_MARK = "*"

# --------------------------------------------------------------------------------------------------
# Labels

SECTION_TITLES: dict[SectionId, Label] = {
    SectionId.CONTACTS_BY_CATEGORY: ("Contacten per onderwerp", "Contacts by subject"),
    SectionId.CATEGORY_MENTIONS: ("Genoemde onderwerpen", "Subjects mentioned"),
    SectionId.CONTACTS_BY_QUARTER: ("Contacten per kwartaal en kanaal", "Contacts by quarter and channel"),
    SectionId.CONTACTS_BY_CHANNEL: ("Contacten per kanaal", "Contacts by channel"),
    SectionId.CONTACTS_BY_CLIENT_ROLE: ("Contacten per rol van de melder", "Contacts by role of the client"),
    SectionId.ROUTING_SCOPE: ("Interne en externe vertrouwenspersonen", "Internal and external advisors"),
    SectionId.CONFLICT_REASSIGNMENTS: (
        "Herverdelingen wegens belangenconflict",
        "Reassignments because of a conflict of interest",
    ),
    SectionId.MEETING_MODES: ("Gespreksvorm", "Meeting mode"),
    SectionId.OUTCOMES: ("Uitkomsten", "Outcomes"),
    SectionId.DAYS_TO_FIRST_CONVERSATION: ("Tijd tot het eerste gesprek", "Time to first conversation"),
    SectionId.FORMAL_REPORT_DEADLINES: (
        "Wettelijke termijnen bij meldingen van een misstand",
        "Legal deadlines for whistleblower reports",
    ),
    SectionId.ADVISOR_HOURS: ("Bestede uren", "Hours spent"),
    SectionId.TRAINING_SUPERVISION: ("Opleiding en intervisie", "Training and supervision"),
    SectionId.CLIENT_FEEDBACK: ("Tevredenheid van melders", "Client satisfaction"),
}

SECTION_LEDES: dict[SectionId, Label] = {
    SectionId.CONTACTS_BY_CATEGORY: (
        "Elk contact telt één keer, onder het eerst geregistreerde onderwerp.",
        "Each contact counts once, under the first subject recorded.",
    ),
    SectionId.CATEGORY_MENTIONS: (
        "Elk onderwerp dat in een contact ter sprake kwam telt mee; één contact kan meerdere onderwerpen hebben.",
        "Every subject raised in a contact counts; one contact can raise several subjects.",
    ),
    SectionId.CONTACTS_BY_QUARTER: (
        "Het kwartaal is de kleinste tijdseenheid in dit verslag.",
        "The quarter is the smallest unit of time in this report.",
    ),
    SectionId.CONTACTS_BY_CHANNEL: (
        "Hoe melders de vertrouwenspersoon bereikten.",
        "How clients reached a confidential advisor.",
    ),
    SectionId.CONTACTS_BY_CLIENT_ROLE: (
        "De positie van wie contact zocht.",
        "The position of the person who made contact.",
    ),
    SectionId.ROUTING_SCOPE: (
        "Welke soort vertrouwenspersoon het contact behandelde.",
        "Which kind of advisor handled the contact.",
    ),
    SectionId.CONFLICT_REASSIGNMENTS: (
        "Zaken die naar een andere vertrouwenspersoon gingen om de onafhankelijkheid te bewaken.",
        "Cases moved to another advisor to protect independence.",
    ),
    SectionId.MEETING_MODES: (
        "Waar en hoe de gesprekken plaatsvonden.",
        "Where and how the conversations took place.",
    ),
    SectionId.OUTCOMES: ("De uitkomst van afgesloten contacten.", "The outcome of closed contacts."),
    SectionId.DAYS_TO_FIRST_CONVERSATION: (
        "Dagen tussen het eerste contact en het eerste gesprek.",
        "Days between the first contact and the first conversation.",
    ),
    SectionId.FORMAL_REPORT_DEADLINES: (
        "Ontvangstbevestiging binnen 7 dagen, terugkoppeling binnen 3 maanden daarna.",
        "Acknowledgement within 7 days, feedback within 3 months after it.",
    ),
    SectionId.ADVISOR_HOURS: (
        "Uren van alle vertrouwenspersonen samen, per activiteit.",
        "Hours of all advisors together, by activity.",
    ),
    SectionId.TRAINING_SUPERVISION: (
        "Deskundigheidsbevordering, afgezet tegen de basisnorm per vertrouwenspersoon.",
        "Professional development, against the baseline per advisor.",
    ),
    SectionId.CLIENT_FEEDBACK: (
        "Korte anonieme terugkoppeling na afloop van het contact.",
        "Short anonymous feedback after the contact.",
    ),
}

DIMENSION_LABELS: dict[str, Label] = {
    Dimension.CATEGORY: ("Onderwerp", "Subject"),
    Dimension.CHANNEL: ("Kanaal", "Channel"),
    Dimension.QUARTER: ("Kwartaal", "Quarter"),
    Dimension.CLIENT_ROLE: ("Rol", "Role"),
    Dimension.ADVISOR_SCOPE: ("Vertrouwenspersoon", "Advisor"),
    Dimension.CONFLICT_REASON: ("Reden", "Reason"),
    Dimension.MEETING_MODE: ("Gespreksvorm", "Meeting mode"),
    Dimension.OUTCOME: ("Uitkomst", "Outcome"),
    Dimension.DAYS_BUCKET: ("Dagen", "Days"),
    Dimension.DEADLINE: ("Termijn", "Deadline"),
    Dimension.DEADLINE_STATUS: ("Status", "Status"),
    Dimension.BASELINE_STATUS: ("Basisnorm", "Baseline"),
    Dimension.FEEDBACK: ("Oordeel", "Rating"),
    "activity": ("Activiteit", "Activity"),
}

KEY_LABELS: dict[str, dict[str, Label]] = {
    Dimension.CATEGORY: {code.value: label for code, label in CATEGORY_LABELS.items()},
    Dimension.CHANNEL: {
        Channel.WEB: ("Webformulier", "Web form"),
        Channel.CHAT: ("Chat", "Chat"),
        Channel.PHONE: ("Telefoon", "Phone"),
        Channel.WALK_IN: ("Binnenlopen", "Walk-in"),
        Channel.EMAIL: ("E-mail", "Email"),
        Channel.VIA_MANAGER: ("Via leidinggevende", "Via manager"),
    },
    Dimension.CLIENT_ROLE: {
        ClientRole.EMPLOYEE: ("Medewerker", "Employee"),
        ClientRole.MANAGER: ("Leidinggevende", "Manager"),
        ClientRole.FORMER_EMPLOYEE: ("Oud-medewerker", "Former employee"),
        ClientRole.EXTERNAL_WORKER: ("Externe kracht", "External worker"),
    },
    Dimension.ADVISOR_SCOPE: {
        AdvisorScope.INTERNAL: ("Eigen organisatie", "Own organisation"),
        AdvisorScope.CROSS_UNIT: ("Ander onderdeel of ministerie", "Other unit or ministry"),
        AdvisorScope.EXTERNAL: ("Extern (rijksbreed)", "External (government-wide)"),
    },
    Dimension.CONFLICT_REASON: {
        "conflict_declared": (
            "Belangenconflict gemeld door de vertrouwenspersoon",
            "Conflict declared by the advisor",
        ),
        "persons_added": ("Nieuwe betrokkenen bij de zaak", "New persons involved in the case"),
        "acquaintance_declared": ("Kent een betrokkene", "Knows someone involved"),
        "org_change": ("Wijziging in de organisatie", "Change in the organisation"),
    },
    Dimension.MEETING_MODE: {
        MeetingMode.ON_SITE_DISCREET_ROOM: ("Discrete ruimte op locatie", "Discreet room on site"),
        MeetingMode.OFF_SITE_VENUE: ("Buiten de deur", "Off-site venue"),
        MeetingMode.PHONE: ("Telefonisch", "By phone"),
        MeetingMode.VIDEO: ("Videogesprek", "Video call"),
    },
    Dimension.OUTCOME: {
        Outcome.ADVICE_GIVEN: ("Advies gegeven", "Advice given"),
        Outcome.REFERRED_LABOUR_LAW_DESK: ("Verwezen naar loket arbeidsrecht", "Referred to labour-law desk"),
        Outcome.REFERRED_SOCIAL_WORKER: (
            "Verwezen naar bedrijfsmaatschappelijk werk",
            "Referred to social worker",
        ),
        Outcome.REFERRED_COMPANY_DOCTOR: ("Verwezen naar bedrijfsarts", "Referred to company doctor"),
        Outcome.REFERRED_INTEGRITY_OFFICE: (
            "Verwezen naar integriteitsbureau",
            "Referred to integrity office",
        ),
        Outcome.REFERRED_EXTERNAL_BODY: ("Verwezen naar externe instantie", "Referred to external body"),
        Outcome.FORMAL_COMPLAINT: ("Formele klacht", "Formal complaint"),
        Outcome.WHISTLEBLOWER_REPORT: ("Melding van een misstand", "Whistleblower report"),
        Outcome.MEDIATION: ("Bemiddeling", "Mediation"),
        Outcome.NO_FOLLOW_UP: ("Geen vervolg", "No follow-up"),
    },
    Dimension.DAYS_BUCKET: {
        "0-2": ("0 t/m 2 dagen", "0–2 days"),
        "3-7": ("3 t/m 7 dagen", "3–7 days"),
        "8-14": ("8 t/m 14 dagen", "8–14 days"),
        "15+": ("15 dagen of meer", "15 days or more"),
    },
    Dimension.DEADLINE: {
        Deadline.ACKNOWLEDGEMENT: ("Ontvangstbevestiging (7 dagen)", "Acknowledgement (7 days)"),
        Deadline.FEEDBACK: ("Terugkoppeling (3 maanden)", "Feedback (3 months)"),
    },
    Dimension.DEADLINE_STATUS: {
        DeadlineStatus.MET: ("Op tijd", "On time"),
        DeadlineStatus.MISSED: ("Te laat", "Late"),
        DeadlineStatus.NOT_YET_DUE: ("Loopt nog", "Not yet due"),
    },
    Dimension.BASELINE_STATUS: {
        BaselineStatus.MET: ("Voldoet aan de basisnorm", "Meets the baseline"),
        BaselineStatus.NOT_MET: ("Voldoet (nog) niet", "Does not (yet) meet it"),
    },
    Dimension.FEEDBACK: {
        FeedbackRating.SATISFIED: ("Tevreden", "Satisfied"),
        FeedbackRating.NEUTRAL: ("Neutraal", "Neutral"),
        FeedbackRating.DISSATISFIED: ("Ontevreden", "Dissatisfied"),
    },
    "activity": {
        TimeActivity.CONVERSATION: ("Gesprekken", "Conversations"),
        TimeActivity.ADMINISTRATION: ("Administratie en verslag", "Administration and notes"),
        TimeActivity.PUBLICITY: ("Voorlichting en bekendheid", "Publicity and outreach"),
        TimeActivity.TRAINING: ("Opleiding en intervisie", "Training and supervision"),
        FigureKey.HOURS_TOTAL: ("Totaal", "Total"),
        FigureKey.TRAINING_HOURS_TOTAL: (
            "Opleidingsuren, alle vertrouwenspersonen",
            "Training hours, all advisors",
        ),
        FigureKey.SUPERVISION_SESSIONS_TOTAL: (
            "Intervisiebijeenkomsten, alle vertrouwenspersonen",
            "Supervision sessions, all advisors",
        ),
        FigureKey.BASELINE_TRAINING_HOURS: (
            "Basisnorm opleidingsuren per persoon",
            "Baseline training hours each",
        ),
        FigureKey.BASELINE_SUPERVISION_SESSIONS: (
            "Basisnorm intervisiebijeenkomsten per persoon",
            "Baseline supervision sessions each",
        ),
    },
}

_UI: dict[str, Label] = {
    "title": ("Jaarverslag vertrouwenspersonen", "Annual report of the confidential advisors"),
    "skip": ("Naar de inhoud", "Skip to content"),
    "contents": ("Inhoud", "Contents"),
    "summary": ("Samenvatting", "Summary"),
    "methodology": ("Werkwijze en geheimhouding", "Method and confidentiality"),
    "footnotes": ("Voetnoten", "Notes"),
    "count": ("Aantal", "Number"),
    "share": ("Aandeel", "Share"),
    "hours": ("Uren", "Hours"),
    "value": ("Waarde", "Value"),
    "total": ("Totaal", "Total"),
    "suppressed": ("afgeschermd", "suppressed"),
    "no_data": ("Geen gepubliceerde aantallen om te tonen", "No published numbers to show"),
    "chart": ("Grafiek", "Chart"),
    "table": ("Tabel", "Table"),
    "legend": ("Legenda", "Legend"),
    "outline": (
        (
            "Gekleurde delen zijn gepubliceerde aantallen; de gestippelde omtrek is het totaal. "
            "Afgeschermde aantallen (*) zijn niet getekend."
        ),
        (
            "Coloured parts are published numbers; the dashed outline is the total. "
            "Suppressed numbers (*) are not drawn."
        ),
    ),
    "not_drawn": (
        "Afgeschermde aantallen (*) zijn niet getekend.",
        "Suppressed numbers (*) are not drawn.",
    ),
    "tile_contacts": ("contacten", "contacts"),
    "tile_top": ("van de contacten: {label}", "of contacts: {label}"),
    "tile_week": ("eerste gesprek binnen een week", "first conversation within a week"),
    "tile_reports": ("meldingen van een misstand", "whistleblower reports"),
    "tile_hours": ("uren besteed door vertrouwenspersonen", "hours spent by advisors"),
    "tile_satisfied": ("van de melders die reageerden was tevreden", "of responding clients were satisfied"),
    "generated": (
        (
            "Samengesteld uit {events} gebeurtenissen{detail}. "
            "Opnieuw opbouwen uit dezelfde gebeurtenissen geeft een identiek verslag."
        ),
        ("Compiled from {events} events{detail}. Rebuilding from the same events gives an identical report."),
    ),
    "up_to": (", tot en met {offsets}", ", up to {offsets}"),
    "fingerprint": (" (vingerafdruk {fingerprint})", " (fingerprint {fingerprint})"),
    "offset_at": ("{stream} positie {offset}", "{stream} offset {offset}"),
    "org_line": ("Organisatie: {name}", "Organisation: {name}"),
    "quarter": ("K{q} {year}", "Q{q} {year}"),
}

_FOOTNOTES: dict[str, Label] = {
    "suppressed": (
        (
            "* Afgeschermd: een klein aantal, of een aantal waaruit een klein aantal terug te rekenen zou zijn. "
            "Zie ‘Werkwijze en geheimhouding’."
        ),
        (
            "* Suppressed: a small number, or a number from which a small number could be derived. "
            "See ‘Method and confidentiality’."
        ),
    ),
    "rounded": (
        "Aantallen zijn afgerond op veelvouden van {base}; totalen zijn apart afgerond.",
        "Numbers are rounded to multiples of {base}; totals are rounded separately.",
    ),
    "percentages": (
        "Percentages zijn berekend uit de gepubliceerde aantallen.",
        "Percentages are computed from the published numbers.",
    ),
    "primary": (
        "Contacten met meerdere onderwerpen tellen alleen onder het eerste onderwerp.",
        "Contacts with several subjects count under their first subject only.",
    ),
    "mentions": (
        "Het totaal is het aantal vermeldingen en is groter dan het aantal contacten.",
        "The total is the number of mentions and exceeds the number of contacts.",
    ),
    "channel_margin": (
        "De aantallen per kanaal zijn de rijtotalen van de tabel per kwartaal en kanaal.",
        "The numbers per channel are the row totals of the table by quarter and channel.",
    ),
    "meetings": (
        "Geteld zijn gesprekken; één contact kan meerdere gesprekken hebben.",
        "Meetings are counted; one contact can have several meetings.",
    ),
    "outcomes": (
        "Elk afgesloten contact telt één keer, onder de laatste uitkomst.",
        "Each closed contact counts once, under its final outcome.",
    ),
    "days": (
        "Alleen contacten met een gesprek zijn meegeteld.",
        "Only contacts that led to a conversation are counted.",
    ),
    "deadlines": (
        (
            "Terugkoppeling uiterlijk 3 maanden na de ontvangstbevestiging, of na afloop van de 7 dagen als die "
            "ontbrak (Richtlijn (EU) 2019/1937). ‘Loopt nog’: de termijn was op 31 december nog niet verstreken."
        ),
        (
            "Feedback at the latest 3 months after the acknowledgement, or after the 7 days if none was sent "
            "(Directive (EU) 2019/1937). ‘Not yet due’: the deadline had not passed on 31 December."
        ),
    ),
    "hours": (
        "Uren zijn totalen over alle vertrouwenspersonen; dit verslag bevat geen cijfers per persoon.",
        "Hours are totals over all advisors; this report has no figures per person.",
    ),
    NoteId.FEW_CONTRIBUTORS: (
        "Niet getoond: te weinig vertrouwenspersonen om een totaal te tonen dat niet naar één persoon herleidbaar is.",
        "Not shown: too few advisors to show a total that cannot be traced to one person.",
    ),
}


def _t(label: Label, lang: Lang) -> str:
    return label[0] if lang == "nl" else label[1]


def _key_label(dimension: str, key: str, lang: Lang) -> str:
    if key == TOTAL:
        return _t(_UI["total"], lang)
    if dimension == Dimension.QUARTER:
        year, quarter = key.split("-Q")
        return _t(_UI["quarter"], lang).format(q=quarter, year=year)
    label = KEY_LABELS.get(dimension, {}).get(key)
    return _t(label, lang) if label is not None else key


# --------------------------------------------------------------------------------------------------
# Number formatting


def _fmt_int(value: int, lang: Lang) -> str:
    text = f"{value:,}"
    return text.replace(",", ".") if lang == "nl" else text


def _percent(part: int, whole: int) -> int:
    return int((Decimal(100 * part) / Decimal(whole)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _fmt_pct(part: int | None, whole: int | None) -> str:
    if part is None or whole is None:
        return SUPPRESSED_MARK
    if whole == 0:
        return "–"
    return f"{_percent(part, whole)}%"


def _num(value: float) -> str:
    """Stable SVG coordinates: two decimals, no trailing zeros, no '-0'."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


# --------------------------------------------------------------------------------------------------
# Footnotes, collected in order of first use


@dataclass
class _Footnotes:
    lang: Lang
    order: list[str] = field(default_factory=list)
    texts: dict[str, str] = field(default_factory=dict)

    def ref(self, note: str, **params: object) -> str:
        if note not in self.order:
            self.order.append(note)
            self.texts[note] = _t(_FOOTNOTES[note], self.lang).format(**params)
        number = self.order.index(note) + 1
        return f'<sup class="fnref"><a href="#fn-{escape(note)}">{number}</a></sup>'

    def html(self) -> str:
        items = "".join(f'<li id="fn-{escape(note)}">{escape(self.texts[note])}</li>' for note in self.order)
        return f"<ol>{items}</ol>"


# --------------------------------------------------------------------------------------------------
# SVG charts

PALETTE = ("#154273", "#007BC7", "#8FCAE7", "#E17000", "#39870C", "#94710A", "#A90061")
_BAR = PALETTE[0]
_OUTLINE = 'fill="#eef2f7" stroke="#7b8a9c" stroke-width="1" stroke-dasharray="3 2"'


def _svg_open(chart_id: str, width: int, height: int, label: str, description: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{escape(label)}" aria-describedby="{chart_id}-desc">'
        f'<title id="{chart_id}-title">{escape(label)}</title>'
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>'
    )


def _no_data_svg(chart_id: str, label: str, lang: Lang) -> str:
    message = _t(_UI["no_data"], lang)
    return (
        _svg_open(chart_id, 640, 60, label, message)
        + f'<text x="320" y="35" text-anchor="middle" class="muted">{escape(message)}</text></svg>'
    )


def _value_text(x: float, y: float, value: int | None, css: str, lang: Lang, anchor: str = "start") -> str:
    shown = SUPPRESSED_MARK if value is None else _fmt_int(value, lang)
    return f'<text x="{_num(x)}" y="{_num(y)}" text-anchor="{anchor}" class="{css}">{shown}</text>'


def _hbar_chart(
    chart_id: str, label: str, rows: Sequence[tuple[str, int | None]], css: str, lang: Lang
) -> str:
    """Horizontal bars; suppressed rows show "*" and no bar."""
    if not any(value for _, value in rows):
        return _no_data_svg(chart_id, label, lang)
    width, label_width, bar_x, bar_span, row_height = 640, 262, 272, 300, 26
    height = row_height * len(rows) + 8
    top = max(value or 0 for _, value in rows)
    parts = [_svg_open(chart_id, width, height, label, _t(_UI["not_drawn"], lang))]
    for index, (name, value) in enumerate(rows):
        y = 4 + index * row_height
        parts.append(
            f'<text x="{label_width}" y="{y + 17}" text-anchor="end" class="lbl">{escape(name)}</text>'
        )
        end = float(bar_x)
        if value:
            bar = max(1.0, bar_span * value / top)
            shown = _fmt_int(value, lang)
            parts.append(
                f'<rect x="{bar_x}" y="{y + 5}" width="{_num(bar)}" height="16" rx="2" fill="{_BAR}">'
                f"<title>{escape(name)}: {shown}</title></rect>"
            )
            end = bar_x + bar
        parts.append(_value_text(end + 6, y + 18, value, css, lang))
    parts.append("</svg>")
    return "".join(parts)


def _legend(entries: Sequence[str], y: int, width: int, total_label: str) -> str:
    """Colour keys for the series, then a dashed key for the outline that shows the published total."""
    columns = 3
    column_width = width // columns
    parts = []
    for index, name in enumerate([*entries, total_label]):
        x = 10 + (index % columns) * column_width
        row_y = y + (index // columns) * 22
        if index < len(entries):
            swatch = (
                f'<rect x="{x}" y="{row_y}" width="12" height="12" fill="{PALETTE[index % len(PALETTE)]}"/>'
            )
        else:
            swatch = f'<rect x="{x}" y="{row_y}" width="12" height="12" {_OUTLINE}/>'
        parts.append(f'{swatch}<text x="{x + 18}" y="{row_y + 11}" class="lbl">{escape(name)}</text>')
    return "".join(parts)


def _nice_step(top: int) -> int:
    """A tick step from 5, 10, 20, 25, 50, 100, ... giving at most five ticks."""
    scale = 1
    while True:
        for option in (5, 10, 20, 25, 50):
            if top <= 5 * option * scale:
                return option * scale
        scale *= 10


def _stacked_columns(chart_id: str, label: str, table: ProtectedTable, lang: Lang) -> str:
    """One column per column key (quarters), stacked by row key (channels); only published parts."""
    row_dim, col_dim = table.dimensions
    segments_by_column = [[row[j] for row in table.cells] for j in range(len(table.col_keys))]
    heights = [
        max(total or 0, sum(v for v in column if v)) for total, column in zip(table.col_totals, segments_by_column, strict=True)
    ]  # fmt: skip
    if not any(heights):
        return _no_data_svg(chart_id, label, lang)
    width, plot_left, plot_top, plot_height = 640, 56, 24, 220
    step = _nice_step(max(heights))
    ceiling = step * math.ceil(max(heights) / step)
    legend_rows = math.ceil((len(table.row_keys) + 1) / 3)
    height = plot_top + plot_height + 36 + legend_rows * 22
    total = _t(_UI["total"], lang)
    parts = [_svg_open(chart_id, width, height, label, _t(_UI["outline"], lang))]
    for tick in range(0, ceiling + 1, step):
        y = plot_top + plot_height - plot_height * tick / ceiling
        parts.append(
            f'<line x1="{plot_left}" x2="{width - 10}" y1="{_num(y)}" y2="{_num(y)}" class="grid"/>'
            f'<text x="{plot_left - 8}" y="{_num(y + 4)}" text-anchor="end" class="axis">{_fmt_int(tick, lang)}</text>'
        )
    slot = (width - 10 - plot_left) / len(table.col_keys)
    bar_width = min(72.0, slot * 0.6)
    for j, column in enumerate(segments_by_column):
        x = plot_left + slot * j + (slot - bar_width) / 2
        base = float(plot_top + plot_height)
        column_label = _key_label(col_dim, table.col_keys[j], lang)
        column_total = table.col_totals[j]
        if column_total:
            h = plot_height * column_total / ceiling
            parts.append(
                f'<rect x="{_num(x)}" y="{_num(base - h)}" width="{_num(bar_width)}" height="{_num(h)}" {_OUTLINE}>'
                f"<title>{escape(column_label)}, {escape(total)}: {_fmt_int(column_total, lang)}</title></rect>"
            )
        for i, value in enumerate(column):
            if not value:
                continue
            h = plot_height * value / ceiling
            base -= h
            series = _key_label(row_dim, table.row_keys[i], lang)
            parts.append(
                f'<rect x="{_num(x)}" y="{_num(base)}" width="{_num(bar_width)}" height="{_num(h)}" '
                f'fill="{PALETTE[i % len(PALETTE)]}" stroke="#fff" stroke-width="1">'
                f"<title>{escape(column_label)}, {escape(series)}: {_fmt_int(value, lang)}</title></rect>"
            )
        top_y = plot_top + plot_height - plot_height * heights[j] / ceiling
        parts.append(_value_text(x + bar_width / 2, top_y - 6, table.col_totals[j], "count", lang, "middle"))
        parts.append(
            f'<text x="{_num(x + bar_width / 2)}" y="{plot_top + plot_height + 20}" text-anchor="middle" '
            f'class="lbl">{escape(column_label)}</text>'
        )
    names = [_key_label(row_dim, key, lang) for key in table.row_keys]
    parts.append(_legend(names, plot_top + plot_height + 34, width, total))
    parts.append("</svg>")
    return "".join(parts)


def _stacked_rows(chart_id: str, label: str, table: ProtectedTable, lang: Lang) -> str:
    """One horizontal bar per row key, stacked by column key; only published parts are drawn."""
    row_dim, col_dim = table.dimensions
    lengths = [
        max(total or 0, sum(v for v in row if v))
        for total, row in zip(table.row_totals, table.cells, strict=True)
    ]
    if not any(lengths):
        return _no_data_svg(chart_id, label, lang)
    width, label_width, bar_x, bar_span, row_height = 640, 262, 272, 300, 30
    legend_rows = math.ceil((len(table.col_keys) + 1) / 3)
    height = row_height * len(table.row_keys) + 16 + legend_rows * 22
    top = max(lengths)
    total = _t(_UI["total"], lang)
    parts = [_svg_open(chart_id, width, height, label, _t(_UI["outline"], lang))]
    for i, row in enumerate(table.cells):
        y = 4 + i * row_height
        row_label = _key_label(row_dim, table.row_keys[i], lang)
        parts.append(
            f'<text x="{label_width}" y="{y + 18}" text-anchor="end" class="lbl">{escape(row_label)}</text>'
        )
        x = float(bar_x)
        row_total = table.row_totals[i]
        if row_total:
            parts.append(
                f'<rect x="{bar_x}" y="{y + 5}" width="{_num(bar_span * row_total / top)}" height="18" {_OUTLINE}>'
                f"<title>{escape(row_label)}, {escape(total)}: {_fmt_int(row_total, lang)}</title></rect>"
            )
        for j, value in enumerate(row):
            if not value:
                continue
            w = bar_span * value / top
            series = _key_label(col_dim, table.col_keys[j], lang)
            parts.append(
                f'<rect x="{_num(x)}" y="{y + 5}" width="{_num(w)}" height="18" fill="{PALETTE[j % len(PALETTE)]}" '
                f'stroke="#fff" stroke-width="1"><title>{escape(row_label)}, {escape(series)}: '
                f"{_fmt_int(value, lang)}</title></rect>"
            )
            x += w
        parts.append(
            _value_text(
                max(x, bar_x + bar_span * lengths[i] / top) + 6, y + 19, table.row_totals[i], "count", lang
            )
        )
    names = [_key_label(col_dim, key, lang) for key in table.col_keys]
    parts.append(_legend(names, row_height * len(table.row_keys) + 14, width, total))
    parts.append("</svg>")
    return "".join(parts)


def _donut_chart(chart_id: str, label: str, table: ProtectedTable, lang: Lang) -> str:
    """Ring segments for published values; suppressed values leave an outlined gap."""
    items = table.items()
    published = sum(value for _, value in items if value)
    whole = table.grand_total if table.grand_total else published
    if not published:
        return _no_data_svg(chart_id, label, lang)
    width, cx, cy, radius, ring = 640, 130, 120, 90, 34
    height = max(250, 40 + 26 * len(items))
    circumference = 2 * math.pi * radius
    parts = [
        _svg_open(chart_id, width, height, label, _t(_UI["not_drawn"], lang)),
        (
            f'<circle cx="{cx}" cy="{cy}" r="{radius}" fill="none" stroke="#d5dbe3" stroke-width="{ring}" '
            f'stroke-dasharray="4 4"/>'
        ),
    ]
    offset = 0.0
    for index, (key, value) in enumerate(items):
        if not value:
            continue
        length = circumference * value / whole
        name = _key_label(table.dimensions[0], key, lang)
        parts.append(
            f'<circle cx="{cx}" cy="{cy}" r="{radius}" fill="none" stroke="{PALETTE[index % len(PALETTE)]}" '
            f'stroke-width="{ring}" stroke-dasharray="{_num(length)} {_num(circumference - length)}" '
            f'stroke-dashoffset="{_num(-offset)}" transform="rotate(-90 {cx} {cy})">'
            f"<title>{escape(name)}: {_fmt_int(value, lang)}</title></circle>"
        )
        offset += length
    parts.append(_value_text(cx, cy + 8, table.grand_total, "count big", lang, "middle"))
    for index, (key, value) in enumerate(items):
        y = 40 + index * 26
        name = _key_label(table.dimensions[0], key, lang)
        parts.append(
            f'<rect x="280" y="{y - 11}" width="14" height="14" fill="{PALETTE[index % len(PALETTE)]}"/>'
            f'<text x="302" y="{y}" class="lbl">{escape(name)}</text>'
        )
        parts.append(_value_text(width - 20, y, value, "count", lang, "end"))
    parts.append("</svg>")
    return "".join(parts)


# --------------------------------------------------------------------------------------------------
# Tables


def _count_cell(value: int | None, lang: Lang, css: str = "count") -> str:
    if value is None:
        title = escape(_t(_UI["suppressed"], lang))
        return f'<td class="num {css} suppressed"><abbr title="{title}">{SUPPRESSED_MARK}</abbr></td>'
    return f'<td class="num {css}">{_fmt_int(value, lang)}</td>'


def _caption(section_title: str, lang: Lang) -> str:
    return f"<caption>{escape(_t(_UI['table'], lang))}: {escape(section_title)}</caption>"


def _one_way_table(
    title: str, table: ProtectedTable, order: Sequence[int], lang: Lang, value_header: str
) -> str:
    dimension = table.dimensions[0]
    total = table.grand_total
    rows = []
    for j in order:
        key, value = table.col_keys[j], table.cells[0][j]
        rows.append(
            f'<tr><th scope="row">{escape(_key_label(dimension, key, lang))}</th>{_count_cell(value, lang)}'
            f'<td class="num pct">{_fmt_pct(value, total)}</td></tr>'
        )
    rows.append(
        f'<tr class="total"><th scope="row">{escape(_t(_UI["total"], lang))}</th>{_count_cell(total, lang)}'
        f'<td class="num pct">{_fmt_pct(total, total)}</td></tr>'
    )
    header = (
        f'<tr><th scope="col">{escape(_t(DIMENSION_LABELS[dimension], lang))}</th>'
        f'<th scope="col" class="num">{escape(value_header)}</th>'
        f'<th scope="col" class="num">{escape(_t(_UI["share"], lang))}</th></tr>'
    )
    return f'<table class="data">{_caption(title, lang)}<thead>{header}</thead><tbody>{"".join(rows)}</tbody></table>'


def _two_way_table(title: str, table: ProtectedTable, lang: Lang) -> str:
    row_dim, col_dim = table.dimensions
    corner = f"{_t(DIMENSION_LABELS[row_dim], lang)} / {_t(DIMENSION_LABELS[col_dim], lang)}"
    header = f'<tr><th scope="col">{escape(corner)}</th>' + "".join(
        f'<th scope="col" class="num">{escape(_key_label(col_dim, key, lang))}</th>' for key in table.col_keys
    )
    header += f'<th scope="col" class="num">{escape(_t(_UI["total"], lang))}</th></tr>'
    rows = []
    for key, cells, total in zip(table.row_keys, table.cells, table.row_totals, strict=True):
        rows.append(
            f'<tr><th scope="row">{escape(_key_label(row_dim, key, lang))}</th>'
            + "".join(_count_cell(value, lang) for value in cells)
            + _count_cell(total, lang)
            + "</tr>"
        )
    rows.append(
        f'<tr class="total"><th scope="row">{escape(_t(_UI["total"], lang))}</th>'
        + "".join(_count_cell(value, lang) for value in table.col_totals)
        + _count_cell(table.grand_total, lang)
        + "</tr>"
    )
    return f'<table class="data wide">{_caption(title, lang)}<thead>{header}</thead><tbody>{"".join(rows)}</tbody></table>'


def _figures_table(title: str, figures: Sequence[Figure], lang: Lang) -> str:
    rows = []
    for figure in figures:
        opening = '<tr class="total">' if figure.key == FigureKey.HOURS_TOTAL else "<tr>"
        name = escape(_key_label("activity", figure.key, lang))
        rows.append(f'{opening}<th scope="row">{name}</th>{_count_cell(figure.value, lang, "hours")}</tr>')
    header = (
        f'<tr><th scope="col">{escape(_t(DIMENSION_LABELS["activity"], lang))}</th>'
        f'<th scope="col" class="num">{escape(_t(_UI["value"], lang))}</th></tr>'
    )
    return f'<table class="data">{_caption(title, lang)}<thead>{header}</thead><tbody>{"".join(rows)}</tbody></table>'


# --------------------------------------------------------------------------------------------------
# Sections

# Nominal dimensions are shown largest first (suppressed last, in code order, so the order says
# nothing about them); ordinal ones keep their natural order.
_ORDINAL = {SectionId.DAYS_TO_FIRST_CONVERSATION, SectionId.CLIENT_FEEDBACK, SectionId.TRAINING_SUPERVISION,
            SectionId.ROUTING_SCOPE}  # fmt: skip
_SECTION_FOOTNOTES: dict[SectionId, str] = {
    SectionId.CONTACTS_BY_CATEGORY: "primary",
    SectionId.CATEGORY_MENTIONS: "mentions",
    SectionId.CONTACTS_BY_CHANNEL: "channel_margin",
    SectionId.MEETING_MODES: "meetings",
    SectionId.OUTCOMES: "outcomes",
    SectionId.DAYS_TO_FIRST_CONVERSATION: "days",
    SectionId.FORMAL_REPORT_DEADLINES: "deadlines",
    SectionId.ADVISOR_HOURS: "hours",
}


def _display_order(section_id: SectionId, table: ProtectedTable) -> list[int]:
    indices = list(range(len(table.col_keys)))
    if section_id in _ORDINAL:
        return indices
    values = table.cells[0]
    return sorted(indices, key=lambda j: (values[j] is None, -(values[j] or 0), j))


def _has_suppressed(section: Section) -> bool:
    in_table = section.table is not None and None in section.table.published_values()
    return in_table or any(figure.value is None for figure in section.figures)


def _section_html(section: Section, report: AnnualReport, lang: Lang, notes: _Footnotes) -> str:
    sid = section.section_id
    title = _t(SECTION_TITLES[sid], lang)
    chart_id = f"chart-{sid.value}"
    chart_label = f"{_t(_UI['chart'], lang)}: {title}"
    refs = ""
    if sid in _SECTION_FOOTNOTES:
        refs += notes.ref(_SECTION_FOOTNOTES[sid])
    for note in section.notes:
        refs += notes.ref(note)
    if _has_suppressed(section):
        refs += notes.ref("suppressed")
    if section.table is not None and report.policy.round_to:
        refs += notes.ref("rounded", base=report.policy.round_to)
    if section.table is not None and section.table.is_one_way:
        refs += notes.ref("percentages")
    table = section.table
    count_header = _t(_UI["count"], lang)
    if sid == SectionId.ADVISOR_HOURS:
        activities = [figure for figure in section.figures if figure.key != FigureKey.HOURS_TOTAL]
        chart = _hbar_chart(
            chart_id,
            chart_label,
            [(_key_label("activity", f.key, lang), f.value) for f in activities],
            "hours",
            lang,
        )
        data = _figures_table(title, section.figures, lang)
    elif table is None:
        chart, data = _no_data_svg(chart_id, chart_label, lang), ""
    elif sid == SectionId.CONTACTS_BY_QUARTER:
        chart, data = _stacked_columns(chart_id, chart_label, table, lang), _two_way_table(title, table, lang)
    elif not table.is_one_way:
        chart, data = _stacked_rows(chart_id, chart_label, table, lang), _two_way_table(title, table, lang)
    elif sid == SectionId.MEETING_MODES:
        order = _display_order(sid, table)
        chart, data = (
            _donut_chart(chart_id, chart_label, table, lang),
            _one_way_table(title, table, order, lang, count_header),
        )
    else:
        order = _display_order(sid, table)
        rows = [(_key_label(table.dimensions[0], table.col_keys[j], lang), table.cells[0][j]) for j in order]
        chart = _hbar_chart(chart_id, chart_label, rows, "count", lang)
        data = _one_way_table(title, table, order, lang, count_header)
    if sid == SectionId.TRAINING_SUPERVISION:
        data += _figures_table(title, section.figures, lang)
    lede = _t(SECTION_LEDES[sid], lang)
    return (
        f'<section id="{sid.value}" class="report-section" aria-labelledby="h-{sid.value}">'
        f'<h2 id="h-{sid.value}">{escape(title)}</h2>'
        f'<p class="lede">{escape(lede)}{refs}</p>'
        f'<div class="pair"><figure class="chart-box">{chart}</figure><div class="table-box">{data}</div></div>'
        "</section>"
    )


# --------------------------------------------------------------------------------------------------
# Summary and methodology


def _tile(value_html: str, label: str) -> str:
    return f'<div class="tile"><p class="tile-value">{value_html}</p><p class="tile-label">{escape(label)}</p></div>'


def _count_span(value: int | None, lang: Lang, css: str = "count") -> str:
    return f'<span class="{css}">{SUPPRESSED_MARK if value is None else _fmt_int(value, lang)}</span>'


def _summary_html(report: AnnualReport, lang: Lang) -> str:
    categories = report.section(SectionId.CONTACTS_BY_CATEGORY).table
    days = report.section(SectionId.DAYS_TO_FIRST_CONVERSATION).table
    deadlines = report.section(SectionId.FORMAL_REPORT_DEADLINES).table
    feedback = report.section(SectionId.CLIENT_FEEDBACK).table
    hours = report.section(SectionId.ADVISOR_HOURS).figures
    assert categories is not None and days is not None and deadlines is not None and feedback is not None
    tiles = [_tile(_count_span(categories.grand_total, lang), _t(_UI["tile_contacts"], lang))]
    published = [(value, j) for j, value in enumerate(categories.cells[0]) if value]
    if published:
        value, j = max(published, key=lambda item: (item[0], -item[1]))
        name = _key_label(Dimension.CATEGORY, categories.col_keys[j], lang)
        share = _fmt_pct(value, categories.grand_total)
        tiles.append(_tile(f'<span class="pct">{share}</span>', _t(_UI["tile_top"], lang).format(label=name)))
    week = days.cells[0][0], days.cells[0][1]
    within = None if None in week else sum(v or 0 for v in week)
    tiles.append(
        _tile(f'<span class="pct">{_fmt_pct(within, days.grand_total)}</span>', _t(_UI["tile_week"], lang))
    )
    reports = deadlines.row_totals[list(deadlines.row_keys).index(Deadline.ACKNOWLEDGEMENT)]
    tiles.append(_tile(_count_span(reports, lang), _t(_UI["tile_reports"], lang)))
    total_hours = next(f.value for f in hours if f.key == FigureKey.HOURS_TOTAL)
    tiles.append(_tile(_count_span(total_hours, lang, "hours"), _t(_UI["tile_hours"], lang)))
    satisfied = dict(feedback.items())[FeedbackRating.SATISFIED]
    tiles.append(
        _tile(
            f'<span class="pct">{_fmt_pct(satisfied, feedback.grand_total)}</span>',
            _t(_UI["tile_satisfied"], lang),
        )
    )
    title = _t(_UI["summary"], lang)
    return (
        f'<section id="summary" aria-labelledby="h-summary"><h2 id="h-summary">{escape(title)}</h2>'
        f'<div class="tiles">{"".join(tiles)}</div></section>'
    )


_METHOD: dict[str, Label] = {
    "intro": (
        (
            "Dit verslag bevat geen gegevens die naar een persoon te herleiden zijn. Alle cijfers zijn tellingen van "
            "gecodeerde velden; namen, verhalen en betrokkenen komen er niet in voor. De cijfers gelden voor de "
            "organisatie als geheel."
        ),
        (
            "This report contains nothing that can be traced to a person. All figures are counts of coded fields; "
            "names, stories and the people involved never enter it. Figures cover the organisation as a whole."
        ),
    ),
    "threshold": (
        (
            "Kleine aantallen zijn afgeschermd: elk aantal van 1 tot en met {small}, ook een totaal, staat als * in "
            "tabel en grafiek. Nullen worden wel getoond: een nul wijst niemand aan."
        ),
        (
            "Small numbers are suppressed: every number from 1 to {small}, totals included, shows as * in tables "
            "and charts. Zeros are shown: a zero points at no one."
        ),
    ),
    "no_threshold": (
        "Er is geen drempel voor kleine aantallen toegepast.",
        "No threshold for small numbers was applied.",
    ),
    "secondary": (
        (
            "Omdat een afgeschermd aantal anders uit de totalen terug te rekenen is, zijn waar nodig ook andere "
            "aantallen afgeschermd (secundaire afscherming). Een exacte controle bevestigt per tabel dat geen "
            "afgeschermd aantal af te leiden is, ook niet uit combinaties van rijen en kolommen, en dat de "
            "afgeschermde aantallen in een rij of kolom samen niet op 1 tot en met {small} uitkomen. De keuze is vast "
            "(kleinste aantallen eerst), zodat dezelfde gegevens altijd dezelfde tabel opleveren."
        ),
        (
            "Because a suppressed number could otherwise be worked out from the totals, other numbers are "
            "suppressed where needed (secondary suppression). An exact check confirms for each table that no "
            "suppressed number can be derived, not even from combinations of rows and columns, and that the "
            "suppressed numbers of a row or column do not add up to 1 to {small}. The choice is fixed (smallest "
            "numbers first), so the same data always gives the same table."
        ),
    ),
    "periods": (
        (
            "De kleinste tijdseenheid is het kwartaal. Alleen vaste perioden die elkaar niet overlappen worden "
            "gepubliceerd (kwartalen en het kalenderjaar), zodat publicaties niet van elkaar af te trekken zijn."
        ),
        (
            "The smallest unit of time is the quarter. Only fixed periods that do not overlap are published "
            "(quarters and the calendar year), so that publications cannot be subtracted from each other."
        ),
    ),
    "rounding": (
        (
            "Aantallen en totalen zijn afgerond op veelvouden van {base}. Totalen zijn afgerond vanuit de exacte "
            "totalen en kunnen daardoor afwijken van de som van de afgeronde aantallen."
        ),
        (
            "Numbers and totals are rounded to multiples of {base}. Totals are rounded from the exact totals and "
            "may therefore differ from the sum of the rounded numbers."
        ),
    ),
    "no_rounding": ("Aantallen zijn niet afgerond.", "Numbers are not rounded."),
    "categories": (
        (
            "Een contact kan meerdere onderwerpen hebben. In ‘Contacten per onderwerp’ telt elk contact één keer, "
            "onder het eerst geregistreerde onderwerp, zodat die tabel optelt tot het aantal contacten. "
            "‘Genoemde onderwerpen’ telt elk onderwerp dat in een contact genoemd is."
        ),
        (
            "A contact can have several subjects. In ‘Contacts by subject’ each contact counts once, under the first "
            "subject recorded, so that table adds up to the number of contacts. ‘Subjects mentioned’ counts every "
            "subject raised in a contact."
        ),
    ),
    "hours": (
        (
            "Uren en opleidingscijfers zijn totalen over alle vertrouwenspersonen; cijfers per persoon staan niet in "
            "dit verslag. Bij minder dan {minimum} vertrouwenspersonen worden ze niet getoond."
        ),
        (
            "Hours and training figures are totals over all advisors; this report has no figures per person. With "
            "fewer than {minimum} advisors they are not shown."
        ),
    ),
    "source": (
        (
            "Het verslag is berekend uit het gebeurtenissenlogboek; dezelfde gebeurtenissen geven altijd hetzelfde "
            "verslag."
        ),
        "The report is computed from the event log; the same events always give the same report.",
    ),
}


def _methodology_html(report: AnnualReport, lang: Lang) -> str:
    policy = report.policy
    paragraphs = [_t(_METHOD["intro"], lang)]
    small = _fmt_int(policy.k - 1, lang)
    if policy.k > 1:
        paragraphs += [_t(_METHOD["threshold"], lang).format(small=small)]
        paragraphs += [_t(_METHOD["secondary"], lang).format(small=small)]
    else:
        paragraphs.append(_t(_METHOD["no_threshold"], lang))
    paragraphs.append(_t(_METHOD["periods"], lang))
    if policy.round_to:
        paragraphs.append(_t(_METHOD["rounding"], lang).format(base=policy.round_to))
    else:
        paragraphs.append(_t(_METHOD["no_rounding"], lang))
    paragraphs.append(_t(_METHOD["categories"], lang))
    paragraphs.append(_t(_METHOD["hours"], lang).format(minimum=policy.min_contributors))
    paragraphs.append(_t(_METHOD["source"], lang))
    title = _t(_UI["methodology"], lang)
    body = "".join(f"<p>{escape(text)}</p>" for text in paragraphs)
    return (
        f'<section id="methodology" class="report-section" aria-labelledby="h-methodology">'
        f'<h2 id="h-methodology">{escape(title)}</h2>{body}</section>'
    )


# --------------------------------------------------------------------------------------------------
# Page

_CSS = """
:root{--blue:#154273;--sky:#007BC7;--ink:#1b1f24;--muted:#5b6670;--rule:#d5dbe3;--band:#f2f5f9}
*{box-sizing:border-box}
html{font-family:"RO Sans","Segoe UI",Calibri,"Helvetica Neue",Arial,sans-serif;color:var(--ink);
 line-height:1.5;font-size:16px;background:#fff}
body{margin:0}
.skip{position:absolute;left:-999px;top:0;background:#fff;color:var(--blue);padding:.5rem 1rem}
.skip:focus{left:1rem}
.cover{background:var(--blue);color:#fff;padding:2.5rem 2rem 2rem}
.cover p{margin:.2rem 0;max-width:60rem}
.cover .org{font-size:1.05rem;letter-spacing:.02em;text-transform:uppercase;opacity:.9}
.cover h1{font-size:2.2rem;line-height:1.2;margin:.4rem 0 .6rem;font-weight:700}
.cover .source{font-size:.85rem;opacity:.85}
.wrap{max-width:72rem;margin:0 auto;padding:0 2rem 3rem}
nav.toc{border-bottom:1px solid var(--rule);padding:1rem 0}
nav.toc h2{font-size:1rem;margin:0 0 .4rem;color:var(--blue)}
nav.toc ol{columns:2;margin:0;padding-left:1.4rem}
nav.toc a{color:var(--blue)}
h2{color:var(--blue);font-size:1.5rem;margin:2.4rem 0 .3rem;border-bottom:3px solid var(--blue);
 padding-bottom:.25rem}
.lede{color:var(--muted);margin:.2rem 0 1rem;max-width:48rem}
.pair{display:grid;grid-template-columns:minmax(0,1.15fr) minmax(0,1fr);gap:2rem;align-items:start}
figure{margin:0}
svg.chart{width:100%;height:auto;display:block;font-size:13px}
svg .lbl{fill:var(--ink)}
svg .count,svg .hours{fill:var(--ink);font-weight:600;font-variant-numeric:tabular-nums}
svg .big{font-size:26px;font-weight:700;fill:var(--blue)}
svg .axis{fill:var(--muted);font-size:11px}
svg .grid{stroke:var(--rule);stroke-width:1}
svg .muted{fill:var(--muted)}
table.data{border-collapse:collapse;width:100%;font-size:.92rem;margin-bottom:1rem}
table.data caption{text-align:left;font-size:.8rem;color:var(--muted);padding-bottom:.3rem}
table.data th,table.data td{padding:.3rem .5rem;border-bottom:1px solid var(--rule);text-align:left;
 vertical-align:top}
table.data thead th{border-bottom:2px solid var(--blue);color:var(--blue);font-weight:600}
table.data .num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
table.data tbody tr:nth-child(even){background:var(--band)}
table.data tr.total th,table.data tr.total td{font-weight:700;border-top:2px solid var(--ink)}
td.suppressed abbr{text-decoration:none;color:var(--muted);cursor:help}
.tiles{display:grid;grid-template-columns:repeat(3,minmax(0,1fr));gap:1rem}
.tile{border-top:4px solid var(--blue);background:var(--band);padding:1rem 1.2rem}
.tile p{margin:0}
.tile-value{font-size:2rem;font-weight:700;color:var(--blue);font-variant-numeric:tabular-nums}
.tile-label{color:var(--muted)}
.fnref a{color:var(--sky);text-decoration:none;padding-left:.15em}
#footnotes ol{font-size:.85rem;color:var(--muted);padding-left:1.4rem}
@media (max-width:800px){.pair{grid-template-columns:1fr}.tiles{grid-template-columns:1fr 1fr}
 nav.toc ol{columns:1}}
@page{size:A4;margin:18mm 16mm 20mm}
@media print{
 html{font-size:10pt}
 .skip{display:none}
 .cover{-webkit-print-color-adjust:exact;print-color-adjust:exact;padding:18mm 12mm 12mm}
 .wrap{max-width:none;padding:0}
 nav.toc{break-after:page}
 .report-section,#footnotes{break-before:page}
 .pair{grid-template-columns:1fr;gap:1rem}
 svg.chart{max-height:120mm}
 figure,table.data,.tile,tr{break-inside:avoid}
 h2{break-after:avoid}
 a{color:inherit;text-decoration:none}
 .tile,table.data tbody tr:nth-child(even){-webkit-print-color-adjust:exact;print-color-adjust:exact}
}
"""


def render_html(report: AnnualReport, lang: Lang = "nl") -> str:
    """The complete report as one self-contained, accessible HTML5 page."""
    if lang not in ("nl", "en"):
        raise ValueError("lang must be 'nl' or 'en'")
    notes = _Footnotes(lang)
    sections = [_section_html(section, report, lang, notes) for section in report.sections]
    title = f"{_t(_UI['title'], lang)} {report.year}"
    offsets = ", ".join(
        _t(_UI["offset_at"], lang).format(stream=stream, offset=_fmt_int(offset, lang))
        for stream, offset in report.generated_from.last_offsets
    )
    detail = _t(_UI["up_to"], lang).format(offsets=offsets) if offsets else ""
    if report.generated_from.fingerprint:
        detail += _t(_UI["fingerprint"], lang).format(fingerprint=report.generated_from.fingerprint)
    source = _t(_UI["generated"], lang).format(
        events=_fmt_int(report.generated_from.event_count, lang), detail=detail
    )
    toc_items = [("summary", _t(_UI["summary"], lang))]
    toc_items += [(s.section_id.value, _t(SECTION_TITLES[s.section_id], lang)) for s in report.sections]
    toc_items += [("methodology", _t(_UI["methodology"], lang)), ("footnotes", _t(_UI["footnotes"], lang))]
    toc = "".join(f'<li><a href="#{anchor}">{escape(text)}</a></li>' for anchor, text in toc_items)
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)} | {escape(report.organisation.name)}</title>\n"
        f"<style>{_CSS}</style>\n</head>\n<body>\n"
        f'<a class="skip" href="#main">{escape(_t(_UI["skip"], lang))}</a>\n'
        f'<header class="cover"><p class="org">{escape(report.organisation.name)}</p>'
        f"<h1>{escape(title)}</h1>"
        f'<p class="source">{escape(source)}</p></header>\n'
        '<div class="wrap">\n'
        f'<nav class="toc" aria-labelledby="h-toc"><h2 id="h-toc">{escape(_t(_UI["contents"], lang))}</h2>'
        f"<ol>{toc}</ol></nav>\n"
        '<main id="main">\n'
        f"{_summary_html(report, lang)}\n" + "\n".join(sections) + f"\n{_methodology_html(report, lang)}\n"
        f'<section id="footnotes" aria-labelledby="h-footnotes"><h2 id="h-footnotes">'
        f"{escape(_t(_UI['footnotes'], lang))}</h2>{notes.html()}</section>\n"
        "</main>\n</div>\n</body>\n</html>\n"
    )


# --------------------------------------------------------------------------------------------------
# CSV and JSON


def _csv_value(value: int | None) -> str:
    return SUPPRESSED_MARK if value is None else str(value)


def _table_rows(section_id: str, table: ProtectedTable) -> list[tuple[str, str, str, str]]:
    if table.is_one_way:
        dimension = table.dimensions[0]
        rows = [(section_id, dimension, key, _csv_value(value)) for key, value in table.items()]
        return [*rows, (section_id, dimension, TOTAL, _csv_value(table.grand_total))]
    dimension = "|".join(table.dimensions)
    rows = []
    for row_key, cells, row_total in zip(table.row_keys, table.cells, table.row_totals, strict=True):
        rows += [
            (section_id, dimension, f"{row_key}|{col_key}", _csv_value(value))
            for col_key, value in zip(table.col_keys, cells, strict=True)
        ]
        rows.append((section_id, dimension, f"{row_key}|{TOTAL}", _csv_value(row_total)))
    rows += [
        (section_id, dimension, f"{TOTAL}|{col_key}", _csv_value(value))
        for col_key, value in zip(table.col_keys, table.col_totals, strict=True)
    ]
    rows.append((section_id, dimension, f"{TOTAL}|{TOTAL}", _csv_value(table.grand_total)))
    return rows


def render_csv(report: AnnualReport) -> str:
    """One long-format CSV: section, dimension, key, value ("*" = suppressed).

    Rows of section "_meta" describe the report; figure rows have the unit as dimension
    ("hours", "sessions"); all other rows are protected counts.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(("section", "dimension", "key", "value"))
    policy = report.policy
    meta = [
        ("report", "organisation_id", report.organisation.id),
        ("report", "organisation_name", report.organisation.name),
        ("report", "year", str(report.year)),
        ("report", "event_count", str(report.generated_from.event_count)),
        *(
            (("report", "fingerprint", report.generated_from.fingerprint),)
            if report.generated_from.fingerprint
            else ()
        ),
        *(("last_offset", stream, str(offset)) for stream, offset in report.generated_from.last_offsets),
        ("policy", "k", str(policy.k)),
        ("policy", "round_to", "" if policy.round_to is None else str(policy.round_to)),
        ("policy", "min_contributors", str(policy.min_contributors)),
    ]
    writer.writerows(("_meta", *row) for row in meta)
    for section in report.sections:
        sid = section.section_id.value
        if section.table is not None:
            writer.writerows(_table_rows(sid, section.table))
        writer.writerows(
            (sid, FigureUnit(figure.unit).value, figure.key, _csv_value(figure.value))
            for figure in section.figures
        )
    return buffer.getvalue()


def _table_json(table: ProtectedTable) -> dict[str, object]:
    return {
        "dimensions": list(table.dimensions),
        "row_keys": list(table.row_keys),
        "col_keys": list(table.col_keys),
        "cells": [list(row) for row in table.cells],
        "row_totals": list(table.row_totals),
        "col_totals": list(table.col_totals),
        "grand_total": table.grand_total,
    }


def render_json(report: AnnualReport) -> str:
    """The report as JSON with sorted keys; `null` = suppressed or withheld."""
    document = {
        "format": "caseflow.annual_report.v1",
        "organisation": {"id": report.organisation.id, "name": report.organisation.name},
        "year": report.year,
        "generated_from": {
            "event_count": report.generated_from.event_count,
            "last_offsets": dict(report.generated_from.last_offsets),
            "fingerprint": report.generated_from.fingerprint or None,
        },
        "disclosure": {
            "k": report.policy.k,
            "round_to": report.policy.round_to,
            "min_contributors": report.policy.min_contributors,
            "suppressed_value": None,
        },
        "sections": [
            {
                "id": section.section_id.value,
                "table": None if section.table is None else _table_json(section.table),
                "figures": [
                    {"key": figure.key, "value": figure.value, "unit": FigureUnit(figure.unit).value}
                    for figure in section.figures
                ],
                "notes": [NoteId(note).value for note in section.notes],
            }
            for section in report.sections
        ],
    }
    return json.dumps(document, sort_keys=True, ensure_ascii=False, indent=2) + "\n"
