"""Render an `AnnualReport` as a self-contained HTML page, a long-format CSV and JSON.

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
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import date
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

# The mark the management view (views.py) names for a suppressed value in its JSON. This report no
# longer prints it: a "*" next to a number reads as a multiplication or a footnote.
SUPPRESSED_MARK = "*"

# Status of a value in the CSV and JSON.
PUBLISHED, SUPPRESSED, WITHHELD = "published", "suppressed", "withheld"

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
    SectionId.MEETING_MODES: ("Gesprekken die plaatsvonden", "Meetings that took place"),
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
        "Het aantal gesprekken dat heeft plaatsgevonden, naar de vorm van het gesprek.",
        "The number of meetings that took place, by the form of the meeting.",
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
        "conflict": ("Belangenconflict", "Conflict of interest"),
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


# The line that replaces the zero rows of a nominal one-way table: (Dutch, English) noun phrase.
ZERO_LINES: dict[SectionId, Label] = {
    SectionId.CONTACTS_BY_CATEGORY: ("onderwerpen zonder contacten", "subjects with no contacts"),
    SectionId.CATEGORY_MENTIONS: ("onderwerpen die niet genoemd zijn", "subjects not mentioned"),
    SectionId.CONTACTS_BY_CHANNEL: ("kanalen zonder contacten", "channels with no contacts"),
    SectionId.CONTACTS_BY_CLIENT_ROLE: ("rollen zonder contacten", "roles with no contacts"),
    SectionId.CONFLICT_REASSIGNMENTS: ("redenen zonder herverdelingen", "reasons with no reassignments"),
    SectionId.MEETING_MODES: ("gespreksvormen zonder gesprekken", "forms with no meetings"),
    SectionId.OUTCOMES: ("uitkomsten die niet voorkwamen", "outcomes that did not occur"),
}

_UI: dict[str, Label] = {
    "title": ("Jaarverslag vertrouwenspersonen", "Annual report of the confidential advisors"),
    "skip": ("Naar de inhoud", "Skip to content"),
    "contents": ("Inhoud", "Contents"),
    "summary": ("Samenvatting", "Summary"),
    "methodology": ("Werkwijze en geheimhouding", "Method and confidentiality"),
    "annex": ("Technische verantwoording", "Technical annex"),
    "notes": ("Toelichting", "Notes"),
    "count": ("Aantal", "Number"),
    "share": ("Aandeel", "Share"),
    "hours": ("Uren", "Hours"),
    "value": ("Waarde", "Value"),
    "total": ("Totaal", "Total"),
    "figures_caption": ("uren en bijeenkomsten", "hours and sessions"),
    "total_outline": ("Totaal (gestippelde omtrek)", "Total (dashed outline)"),
    "suppressed": ("afgeschermd", "protected"),
    "withheld": ("niet getoond", "not shown"),
    "no_share": ("geen percentage", "no percentage"),
    "no_data": (
        "Te weinig gepubliceerde aantallen voor een grafiek; zie de tabel.",
        "Too few published numbers for a chart; see the table.",
    ),
    "chart": ("Grafiek", "Chart"),
    "table": ("Tabel", "Table"),
    "chart_desc": (
        "Dezelfde aantallen staan in de tabel bij deze grafiek. Afgeschermde aantallen zijn niet getekend.",
        "The same numbers are in the table that goes with this chart. Protected numbers are not drawn.",
    ),
    "outline_desc": (
        (
            "Gekleurde delen zijn gepubliceerde aantallen; de gestippelde omtrek is het gepubliceerde totaal. "
            "Afgeschermde aantallen zijn niet getekend. Dezelfde aantallen staan in de tabel bij deze grafiek."
        ),
        (
            "Coloured parts are published numbers; the dashed outline is the published total. "
            "Protected numbers are not drawn. The same numbers are in the table that goes with this chart."
        ),
    ),
    "legend_a": (
        "afgeschermd: minder dan {k} personen, of een aantal waaruit zo’n klein aantal terug te rekenen is.",
        "protected: fewer than {k} people, or a number from which such a small number could be worked out.",
    ),
    "legend_b": (
        (
            "niet getoond: minder dan {minimum} vertrouwenspersonen droegen bij, dus het totaal zou naar één "
            "persoon te herleiden zijn."
        ),
        "not shown: fewer than {minimum} advisors contributed, so the total could be traced to one person.",
    ),
    "other": ("Overige {phrase}", "Other {phrase}"),
    "and": ("en", "and"),
    # Cover
    "published_on": ("Publicatiedatum", "Publication date"),
    "draft": ("Concept, nog niet gepubliceerd", "Draft, not yet published"),
    "draft_badge": ("Concept", "Draft"),
    "responsible": ("Verantwoordelijk", "Responsible"),
    "contact": ("Contact", "Contact"),
    "months": ("{first} t/m {last} {year}", "{first} to {last} {year}"),
    "coverage": (
        "Dit verslag beslaat {quarters}; latere kwartalen volgen zodra ze zijn afgesloten.",
        "This report covers {quarters}; later quarters follow once they are closed.",
    ),
    "quarter": ("K{q} {year}", "Q{q} {year}"),
    "quarter_span": ("K{a}–K{b} {year}", "Q{a}–Q{b} {year}"),
    "quarter_bare": ("K{q}", "Q{q}"),
    # Summary tiles
    "tile_contacts": ("contacten", "contacts"),
    "tile_top": ("van de contacten: {label}", "of contacts: {label}"),
    "tile_week": ("eerste gesprek binnen een week", "first conversation within a week"),
    "tile_reports": (
        "meldingen van een vermoeden van een misstand (klokkenluidersmeldingen)",
        "reports of suspected wrongdoing (whistleblower reports)",
    ),
    "tile_hours": ("uren besteed door vertrouwenspersonen", "hours spent by advisors"),
    "tile_satisfied": ("van de melders die reageerden was tevreden", "of responding clients were satisfied"),
    "not_published": ("Niet gepubliceerd", "Not published"),
    "why_small": (
        "minder dan {k} personen, of daaruit af te leiden",
        "fewer than {k} people, or could reveal them",
    ),
    "why_few": ("minder dan {minimum} vertrouwenspersonen", "fewer than {minimum} advisors"),
    "why_derived": ("berekend uit een afgeschermd aantal", "based on a protected number"),
    "no_data_tile": ("Geen gegevens", "No data"),
    "why_empty": ("er is niets om een percentage van te nemen", "there is nothing to take a percentage of"),
    # Technical annex
    "annex_intro": (
        "Voor wie het verslag wil controleren of opnieuw wil opbouwen.",
        "For readers who want to check or rebuild the report.",
    ),
    "events": ("Gebeurtenissen", "Events"),
    "events_text": ("{events} gebeurtenissen in het logboek", "{events} events in the log"),
    "fingerprint": ("Vingerafdruk van de gebeurtenissen", "Fingerprint of the events"),
    "offsets": ("Posities in het logboek", "Log positions"),
    "offset_at": ("{stream} positie {offset}", "{stream} offset {offset}"),
    "release": ("Publicatieversie", "Release"),
    "release_none": ("nog geen (concept)", "none yet (draft)"),
    "quarters_covered": ("Afgesloten kwartalen", "Closed quarters"),
    "settings": ("Geheimhouding", "Confidentiality settings"),
    "settings_text": (
        "drempel {k}; {rounding}; uren en opleiding vanaf {minimum} vertrouwenspersonen",
        "threshold {k}; {rounding}; hours and training from {minimum} advisors",
    ),
    "rounding_none": ("niet afgerond", "not rounded"),
    "rounding_base": ("afgerond op veelvouden van {base}", "rounded to multiples of {base}"),
    "rebuild": (
        (
            "Opnieuw opbouwen uit dezelfde gebeurtenissen geeft een identiek verslag. Dezelfde cijfers zijn "
            "beschikbaar als CSV en JSON; daar is een afgeschermd aantal leeg (CSV) of null (JSON), met de "
            "status ‘suppressed’ of ‘withheld’ ernaast."
        ),
        (
            "Rebuilding from the same events gives an identical report. The same figures are available as CSV "
            "and JSON; there a protected number is empty (CSV) or null (JSON), with the status ‘suppressed’ or "
            "‘withheld’ beside it."
        ),
    ),
}

_MONTHS: dict[str, tuple[str, ...]] = {
    "nl": ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september",
           "oktober", "november", "december"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December"),
}  # fmt: skip

# The government-wide report (organisation id "all"); the model carries the Dutch name.
GOVERNMENT_WIDE_ID = "all"
GOVERNMENT_NAMES: Label = ("Rijksoverheid", "Government of the Netherlands")

_NOTES: dict[str, Label] = {
    "percentages": (
        "Een percentage staat er alleen als het aantal en het totaal allebei gepubliceerd zijn.",
        "A percentage is shown only when both the number and the total are published.",
    ),
    "rounded": (
        "Aantallen zijn afgerond op veelvouden van {base}; totalen zijn apart afgerond.",
        "Numbers are rounded to multiples of {base}; totals are rounded separately.",
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
        (
            "Geteld zijn gesprekken die hebben plaatsgevonden, niet contacten: één contact kan meerdere "
            "gesprekken hebben."
        ),
        "What is counted is meetings that took place, not contacts: one contact can have several meetings.",
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


def _join(names: Sequence[str], lang: Lang) -> str:
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} {_t(_UI['and'], lang)} {names[-1]}"


def organisation_name(report: AnnualReport, lang: Lang) -> str:
    """The organisation as the reader of `lang` calls it: the government-wide report is translated."""
    organisation = report.organisation
    if organisation.id == GOVERNMENT_WIDE_ID or organisation.name == GOVERNMENT_NAMES[0]:
        return _t(GOVERNMENT_NAMES, lang)
    return organisation.name


def _organisation_html(report: AnnualReport, lang: Lang) -> str:
    """The name, marked as Dutch inside an English page when it is a Dutch proper name (WCAG 3.1.2)."""
    name = organisation_name(report, lang)
    if lang == "en" and name == report.organisation.name:
        return f'<span lang="nl">{escape(name)}</span>'
    return escape(name)


# --------------------------------------------------------------------------------------------------
# Numbers, dates and periods


def _fmt_int(value: int, lang: Lang) -> str:
    text = f"{value:,}"
    return text.replace(",", ".") if lang == "nl" else text


def _percent(part: int, whole: int) -> int:
    return int((Decimal(100 * part) / Decimal(whole)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _share(part: int | None, whole: int | None) -> int | None:
    """A percentage, only when both numbers are published and the whole is not zero."""
    if part is None or whole is None or whole == 0:
        return None
    return _percent(part, whole)


def _fmt_date(day: date, lang: Lang) -> str:
    return f"{day.day} {_MONTHS[lang][day.month - 1]} {day.year}"


def _quarter_numbers(report: AnnualReport) -> list[int]:
    """The quarters of the report's year it covers (1-4), sorted; all four for a complete year."""
    prefix = f"{report.year}-Q"
    numbers = sorted({int(q[len(prefix) :]) for q in report.quarters if q.startswith(prefix)})
    return numbers or [1, 2, 3, 4]


def _is_partial(report: AnnualReport) -> bool:
    return len(_quarter_numbers(report)) < 4


def _quarters_text(numbers: Sequence[int], year: int, lang: Lang) -> str:
    if len(numbers) == 1:
        return _t(_UI["quarter"], lang).format(q=numbers[0], year=year)
    if numbers == list(range(numbers[0], numbers[-1] + 1)):
        return _t(_UI["quarter_span"], lang).format(a=numbers[0], b=numbers[-1], year=year)
    bare = [_t(_UI["quarter_bare"], lang).format(q=n) for n in numbers]
    return f"{_join(bare, lang)} {year}"


def _period_text(report: AnnualReport, lang: Lang) -> str:
    numbers = _quarter_numbers(report)
    months = _MONTHS[lang]
    first, last = months[(numbers[0] - 1) * 3], months[numbers[-1] * 3 - 1]
    return _t(_UI["months"], lang).format(first=first, last=last, year=report.year)


def _num(value: float) -> str:
    """Stable SVG coordinates: two decimals, no trailing zeros, no '-0'."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


# --------------------------------------------------------------------------------------------------
# Marks for values that are not shown

MARK_SUPPRESSED, MARK_WITHHELD = "a", "b"


def _mark(letter: str, lang: Lang) -> str:
    """A dash with a superscript letter; screen readers hear the word instead."""
    word = _t(_UI["suppressed"] if letter == MARK_SUPPRESSED else _UI["withheld"], lang)
    return (
        f'<span class="mark" aria-hidden="true">–<sup>{letter}</sup></span>'
        f'<span class="vh">{escape(word)}</span>'
    )


def _legend_html(letters: Sequence[str], report: AnnualReport, lang: Lang) -> str:
    items = []
    for letter in letters:
        if letter == MARK_SUPPRESSED:
            text = _t(_UI["legend_a"], lang).format(k=report.policy.k)
        else:
            text = _t(_UI["legend_b"], lang).format(minimum=report.policy.min_contributors)
        items.append(
            f'<li><span class="mark" aria-hidden="true">–<sup>{letter}</sup></span> {escape(text)}</li>'
        )
    return f'<ul class="legend">{"".join(items)}</ul>' if items else ""


# --------------------------------------------------------------------------------------------------
# SVG charts. Drawn at 1:1 in a 540 px column; every text is 14 px (the totals in a ring 28 px), and
# the page never shows a chart narrower than 480 px, so no text renders below 12 px.

# Every colour has a contrast of at least 3:1 against white (WCAG 1.4.11); parts are also split by a
# white line, and every number is in the table beside the chart.
PALETTE = ("#154273", "#007BC7", "#E17000", "#39870C", "#A90061", "#94710A", "#5B2A86")
_BAR = PALETTE[0]
_OUTLINE = 'fill="#eef2f7" stroke="#5b6670" stroke-width="1" stroke-dasharray="3 2"'
CHART_WIDTH = 540
_LINE = 17  # line height of two-line labels
_LABEL_CHARS = 30  # what fits in the 230 px label column at 14 px


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


def _label_text(
    x: float, middle: float, text: str, anchor: str, width: int = _LABEL_CHARS, max_lines: int = 2
) -> str:
    """A label of one or two lines, centred vertically on `middle`; the full text is in its title."""
    lines = wrap_label(text, width, max_lines)
    first = middle + 5 - (len(lines) - 1) * _LINE / 2
    spans = "".join(
        f'<tspan x="{_num(x)}" y="{_num(first + i * _LINE)}">{escape(line)}</tspan>'
        for i, line in enumerate(lines)
    )
    title = f"<title>{escape(text)}</title>" if " ".join(lines) != text else ""
    return f'<text text-anchor="{anchor}" class="lbl">{title}{spans}</text>'


def _svg_open(chart_id: str, height: float, label: str, description: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {CHART_WIDTH} {_num(height)}" '
        f'role="img" aria-label="{escape(label)}" aria-describedby="{chart_id}-desc">'
        f'<title id="{chart_id}-title">{escape(label)}</title>'
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>'
    )


def _no_data_svg(chart_id: str, label: str, lang: Lang) -> str:
    message = _t(_UI["no_data"], lang)
    return (
        _svg_open(chart_id, 60, label, message)
        + f'<text x="{CHART_WIDTH // 2}" y="35" text-anchor="middle" class="muted">{escape(message)}</text></svg>'
    )


def _value_text(
    x: float, y: float, value: int | None, css: str, lang: Lang, missing: str, anchor: str = "start"
) -> str:
    """A published value, or the word for a hidden one (never a bare mark)."""
    if value is None:
        return f'<text x="{_num(x)}" y="{_num(y)}" text-anchor="{anchor}" class="muted hidden">{escape(missing)}</text>'
    return f'<text x="{_num(x)}" y="{_num(y)}" text-anchor="{anchor}" class="{css}">{_fmt_int(value, lang)}</text>'


def _hbar_chart(
    chart_id: str, label: str, rows: Sequence[tuple[str, int | None]], css: str, lang: Lang, missing: str
) -> str:
    """Horizontal bars; a hidden value gets no bar and says so in words."""
    if not any(value for _, value in rows):
        return _no_data_svg(chart_id, label, lang)
    label_right, bar_x, bar_span = 230, 240, 220
    top = max(value or 0 for _, value in rows)
    parts: list[str] = []
    y = 6.0
    for name, value in rows:
        lines = len(wrap_label(name))
        height = max(30, 12 + _LINE * lines)
        middle = y + height / 2
        parts.append(_label_text(label_right, middle, name, "end"))
        end = float(bar_x)
        if value:
            bar = max(1.0, bar_span * value / top)
            parts.append(
                f'<rect x="{bar_x}" y="{_num(middle - 8)}" width="{_num(bar)}" height="16" rx="2" fill="{_BAR}">'
                f"<title>{escape(name)}: {_fmt_int(value, lang)}</title></rect>"
            )
            end = bar_x + bar
        parts.append(_value_text(end + 6, middle + 5, value, css, lang, missing))
        y += height
    return _svg_open(chart_id, y + 6, label, _t(_UI["chart_desc"], lang)) + "".join(parts) + "</svg>"


def _legend(entries: Sequence[str], y: float) -> tuple[str, float]:
    """Colour keys for the series in two columns, then the dashed key for the published total."""
    column_width = CHART_WIDTH // 2
    parts = []
    for index, name in enumerate(entries):
        x = 10 + (index % 2) * column_width
        row_y = y + (index // 2) * 24
        if index < len(entries) - 1:
            swatch = f'<rect x="{x}" y="{_num(row_y)}" width="14" height="14" fill="{PALETTE[index % len(PALETTE)]}"/>'
        else:
            swatch = f'<rect x="{x}" y="{_num(row_y)}" width="14" height="14" {_OUTLINE}/>'
        parts.append(
            f'{swatch}<text x="{x + 20}" y="{_num(row_y + 12)}" class="lbl">{escape(wrap_label(name, 30, 1)[0])}</text>'
        )
    return "".join(parts), math.ceil(len(entries) / 2) * 24


def _stacked_columns(chart_id: str, label: str, table: ProtectedTable, lang: Lang) -> str:
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
        return _no_data_svg(chart_id, label, lang)
    plot_top, plot_height, left = 30, 190, 10
    total = _t(_UI["total"], lang)
    missing = _t(_UI["suppressed"], lang)
    base_y = plot_top + plot_height
    slot = (CHART_WIDTH - 2 * left) / len(table.col_keys)
    bar_width = min(72.0, slot * 0.55)
    top = max(heights)
    parts = [f'<line x1="{left}" x2="{CHART_WIDTH - left}" y1="{base_y}" y2="{base_y}" class="grid"/>']
    for j, column in enumerate(columns):
        x = left + slot * j + (slot - bar_width) / 2
        column_label = _key_label(col_dim, table.col_keys[j], lang)
        column_total = table.col_totals[j]
        if column_total:
            h = plot_height * column_total / top
            parts.append(
                f'<rect x="{_num(x)}" y="{_num(base_y - h)}" width="{_num(bar_width)}" height="{_num(h)}" {_OUTLINE}>'
                f"<title>{escape(column_label)}, {escape(total)}: {_fmt_int(column_total, lang)}</title></rect>"
            )
        stack = float(base_y)
        for i, value in enumerate(column):
            if not value:
                continue
            h = plot_height * value / top
            stack -= h
            series = _key_label(row_dim, table.row_keys[i], lang)
            parts.append(
                f'<rect x="{_num(x)}" y="{_num(stack)}" width="{_num(bar_width)}" height="{_num(h)}" '
                f'fill="{PALETTE[i % len(PALETTE)]}" stroke="#fff" stroke-width="1">'
                f"<title>{escape(column_label)}, {escape(series)}: {_fmt_int(value, lang)}</title></rect>"
            )
        top_y = base_y - plot_height * heights[j] / top
        centre = x + bar_width / 2
        parts.append(_value_text(centre, top_y - 8, column_total, "count", lang, missing, "middle"))
        parts.append(
            f'<text x="{_num(centre)}" y="{base_y + 22}" text-anchor="middle" class="lbl">{escape(column_label)}</text>'
        )
    names = [_key_label(row_dim, key, lang) for key in table.row_keys]
    legend, legend_height = _legend([*names, _t(_UI["total_outline"], lang)], base_y + 44)
    height = base_y + 44 + legend_height
    return (
        _svg_open(chart_id, height, label, _t(_UI["outline_desc"], lang)) + "".join(parts) + legend + "</svg>"
    )


def _stacked_rows(chart_id: str, label: str, table: ProtectedTable, lang: Lang) -> str:
    """One horizontal bar per row key, stacked by column key; only published parts are drawn."""
    row_dim, col_dim = table.dimensions
    lengths = [
        max(total or 0, sum(v for v in row if v))  # geometry only
        for total, row in zip(table.row_totals, table.cells, strict=True)
    ]
    if not any(lengths):
        return _no_data_svg(chart_id, label, lang)
    label_right, bar_x, bar_span, row_height = 230, 240, 210, 46
    total = _t(_UI["total"], lang)
    missing = _t(_UI["suppressed"], lang)
    top = max(lengths)
    parts = []
    for i, row in enumerate(table.cells):
        middle = 6 + i * row_height + row_height / 2
        row_label = _key_label(row_dim, table.row_keys[i], lang)
        parts.append(_label_text(label_right, middle, row_label, "end"))
        row_total = table.row_totals[i]
        if row_total:
            parts.append(
                f'<rect x="{bar_x}" y="{_num(middle - 10)}" width="{_num(bar_span * row_total / top)}" height="20" '
                f"{_OUTLINE}><title>{escape(row_label)}, {escape(total)}: {_fmt_int(row_total, lang)}</title></rect>"
            )
        x = float(bar_x)
        for j, value in enumerate(row):
            if not value:
                continue
            w = bar_span * value / top
            series = _key_label(col_dim, table.col_keys[j], lang)
            parts.append(
                f'<rect x="{_num(x)}" y="{_num(middle - 10)}" width="{_num(w)}" height="20" '
                f'fill="{PALETTE[j % len(PALETTE)]}" stroke="#fff" stroke-width="1"><title>{escape(row_label)}, '
                f"{escape(series)}: {_fmt_int(value, lang)}</title></rect>"
            )
            x += w
        end = max(x, bar_x + bar_span * lengths[i] / top)
        parts.append(_value_text(end + 6, middle + 5, row_total, "count", lang, missing))
    names = [_key_label(col_dim, key, lang) for key in table.col_keys]
    legend_y = 6 + row_height * len(table.row_keys) + 12
    legend, legend_height = _legend([*names, _t(_UI["total_outline"], lang)], legend_y)
    return (
        _svg_open(chart_id, legend_y + legend_height, label, _t(_UI["outline_desc"], lang))
        + "".join(parts)
        + legend
        + "</svg>"
    )


def _donut_chart(chart_id: str, label: str, table: ProtectedTable, order: Sequence[int], lang: Lang) -> str:
    """Ring segments for published values; hidden values leave the dashed ring visible."""
    items = [table.items()[j] for j in order]
    drawn = sum(value for _, value in items if value)  # geometry only
    whole = max(table.grand_total or 0, drawn)
    if not drawn:
        return _no_data_svg(chart_id, label, lang)
    cx, cy, radius, ring = 105, 110, 78, 30
    missing = _t(_UI["suppressed"], lang)
    height = max(226, 24 + 30 * len(items))
    circumference = 2 * math.pi * radius
    parts = [
        (
            f'<circle cx="{cx}" cy="{cy}" r="{radius}" fill="none" stroke="#d5dbe3" stroke-width="{ring}" '
            f'stroke-dasharray="4 4"/>'
        )
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
    if table.grand_total is None:
        parts.append(_value_text(cx, cy + 5, None, "count", lang, missing, "middle"))
    else:
        parts.append(_value_text(cx, cy + 10, table.grand_total, "count big", lang, missing, "middle"))
    for index, (key, value) in enumerate(items):
        middle = 24 + index * 30
        name = _key_label(table.dimensions[0], key, lang)
        parts.append(
            f'<rect x="226" y="{middle - 7}" width="14" height="14" fill="{PALETTE[index % len(PALETTE)]}"/>'
        )
        parts.append(_label_text(248, middle, name, "start", 26, 1))
        parts.append(_value_text(CHART_WIDTH - 8, middle + 5, value, "count", lang, missing, "end"))
    return _svg_open(chart_id, height, label, _t(_UI["chart_desc"], lang)) + "".join(parts) + "</svg>"


# --------------------------------------------------------------------------------------------------
# Tables


def _count_cell(value: int | None, lang: Lang, css: str = "count", letter: str = MARK_SUPPRESSED) -> str:
    if value is None:
        return f'<td class="num {css} suppressed">{_mark(letter, lang)}</td>'
    return f'<td class="num {css}">{_fmt_int(value, lang)}</td>'


def _pct_cell(part: int | None, whole: int | None, lang: Lang) -> str:
    share = _share(part, whole)
    if share is None:
        return f'<td class="num pct-none"><span class="vh">{escape(_t(_UI["no_share"], lang))}</span></td>'
    return f'<td class="num pct">{share}%</td>'


def _caption(section_title: str, lang: Lang) -> str:
    return f"<caption>{escape(_t(_UI['table'], lang))}: {escape(section_title)}</caption>"


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
) -> str:
    dimension = table.dimensions[0]
    total = table.grand_total
    with_share = bool(total)  # a published, non-zero total
    zeros = zero_rows(section_id, table)
    rows = []
    for j in order:
        if j in zeros:
            continue
        key, value = table.col_keys[j], table.cells[0][j]
        share = _pct_cell(value, total, lang) if with_share else ""
        rows.append(
            f'<tr><th scope="row">{escape(_key_label(dimension, key, lang))}</th>'
            f"{_count_cell(value, lang)}{share}</tr>"
        )
    if zeros:
        phrase = _t(ZERO_LINES[section_id], lang)
        head = _t(_UI["other"], lang).format(phrase=phrase) if len(zeros) < len(table.col_keys) else phrase
        names = _join([_key_label(dimension, table.col_keys[j], lang) for j in zeros], lang)
        share = _pct_cell(0, total, lang) if with_share else ""
        rows.append(
            f'<tr class="zeros"><th scope="row">{escape(head[0].upper() + head[1:])}: '
            f'<span class="zero-names">{escape(names)}</span></th>{_count_cell(0, lang)}{share}</tr>'
        )
    share = _pct_cell(total, total, lang) if with_share else ""
    rows.append(
        f'<tr class="total"><th scope="row">{escape(_t(_UI["total"], lang))}</th>{_count_cell(total, lang)}{share}</tr>'
    )
    share_header = f'<th scope="col" class="num">{escape(_t(_UI["share"], lang))}</th>' if with_share else ""
    header = (
        f'<tr><th scope="col">{escape(_t(DIMENSION_LABELS[dimension], lang))}</th>'
        f'<th scope="col" class="num">{escape(value_header)}</th>{share_header}</tr>'
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
    table_html = f'<table class="data wide">{_caption(title, lang)}<thead>{header}</thead><tbody>{"".join(rows)}</tbody></table>'
    # On a phone the table scrolls sideways inside its own box (keyboard-focusable), not the page.
    return f'<div class="table-scroll" tabindex="0">{table_html}</div>'


def _figures_table(title: str, figures: Sequence[Figure], lang: Lang, value_header: str) -> str:
    rows = []
    for figure in figures:
        opening = '<tr class="total">' if figure.key == FigureKey.HOURS_TOTAL else "<tr>"
        name = escape(_key_label("activity", figure.key, lang))
        cell = _count_cell(figure.value, lang, "hours", MARK_WITHHELD)
        rows.append(f'{opening}<th scope="row">{name}</th>{cell}</tr>')
    header = (
        f'<tr><th scope="col">{escape(_t(DIMENSION_LABELS["activity"], lang))}</th>'
        f'<th scope="col" class="num">{escape(value_header)}</th></tr>'
    )
    return f'<table class="data">{_caption(title, lang)}<thead>{header}</thead><tbody>{"".join(rows)}</tbody></table>'


def _covered_columns(table: ProtectedTable, report: AnnualReport) -> ProtectedTable:
    """Drop the quarters a running year's report does not cover yet, when they are published zeros."""
    if table.is_one_way or table.dimensions[1] != Dimension.QUARTER or not _is_partial(report):
        return table
    covered = {f"{report.year}-Q{n}" for n in _quarter_numbers(report)}
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


# --------------------------------------------------------------------------------------------------
# Sections

# Nominal dimensions are shown largest first (suppressed last, in code order, so the order says
# nothing about them); ordinal ones keep their natural order.
_ORDINAL = {SectionId.DAYS_TO_FIRST_CONVERSATION, SectionId.CLIENT_FEEDBACK, SectionId.TRAINING_SUPERVISION,
            SectionId.ROUTING_SCOPE}  # fmt: skip
_SECTION_NOTES: dict[SectionId, str] = {
    SectionId.CONTACTS_BY_CATEGORY: "primary",
    SectionId.CATEGORY_MENTIONS: "mentions",
    SectionId.CONTACTS_BY_CHANNEL: "channel_margin",
    SectionId.MEETING_MODES: "meetings",
    SectionId.OUTCOMES: "outcomes",
    SectionId.DAYS_TO_FIRST_CONVERSATION: "days",
    SectionId.FORMAL_REPORT_DEADLINES: "deadlines",
    SectionId.ADVISOR_HOURS: "hours",
}
_VALUE_HEADERS: dict[SectionId, Label] = {
    SectionId.MEETING_MODES: ("Gesprekken", "Meetings"),
    SectionId.CATEGORY_MENTIONS: ("Vermeldingen", "Mentions"),
    SectionId.CONFLICT_REASSIGNMENTS: ("Herverdelingen", "Reassignments"),
    SectionId.TRAINING_SUPERVISION: ("Vertrouwenspersonen", "Advisors"),
}


def _display_order(section_id: SectionId, table: ProtectedTable) -> list[int]:
    indices = list(range(len(table.col_keys)))
    if section_id in _ORDINAL:
        return indices
    values = table.cells[0]
    return sorted(indices, key=lambda j: (values[j] is None, -(values[j] or 0), j))


def _section_html(section: Section, report: AnnualReport, lang: Lang) -> str:
    sid = section.section_id
    title = _t(SECTION_TITLES[sid], lang)
    chart_id = f"chart-{sid.value}"
    chart_label = f"{_t(_UI['chart'], lang)}: {title}"
    suppressed_word, withheld_word = _t(_UI["suppressed"], lang), _t(_UI["withheld"], lang)
    table = section.table
    count_header = _t(_VALUE_HEADERS.get(sid, _UI["count"]), lang)
    if sid == SectionId.ADVISOR_HOURS:
        activities = [figure for figure in section.figures if figure.key != FigureKey.HOURS_TOTAL]
        rows = [(_key_label("activity", f.key, lang), f.value) for f in activities]
        chart = _hbar_chart(chart_id, chart_label, rows, "hours", lang, withheld_word)
        data = _figures_table(title, section.figures, lang, _t(_UI["hours"], lang))
    elif table is None:
        chart, data = _no_data_svg(chart_id, chart_label, lang), ""
    elif not table.is_one_way:
        shown = _covered_columns(table, report)
        draw = _stacked_columns if sid == SectionId.CONTACTS_BY_QUARTER else _stacked_rows
        chart, data = draw(chart_id, chart_label, shown, lang), _two_way_table(title, shown, lang)
    else:
        order = _display_order(sid, table)
        data = _one_way_table(sid, title, table, order, lang, count_header)
        if sid == SectionId.MEETING_MODES:
            chart = _donut_chart(chart_id, chart_label, table, order, lang)
        else:
            zeros = zero_rows(sid, table)
            rows = [
                (_key_label(table.dimensions[0], table.col_keys[j], lang), table.cells[0][j])
                for j in order
                if j not in zeros
            ]
            chart = _hbar_chart(chart_id, chart_label, rows, "count", lang, suppressed_word)
    if sid == SectionId.TRAINING_SUPERVISION:
        caption = f"{title}, {_t(_UI['figures_caption'], lang)}"  # captions of one page differ
        data += _figures_table(caption, section.figures, lang, _t(_UI["value"], lang))
    letters = []
    if table is not None and None in table.published_values():
        letters.append(MARK_SUPPRESSED)
    if any(figure.value is None for figure in section.figures):
        letters.append(MARK_WITHHELD)
    notes = []
    if sid in _SECTION_NOTES:
        notes.append(_t(_NOTES[_SECTION_NOTES[sid]], lang))
    # The legend of the "b" mark already says why figures are withheld.
    notes += [
        _t(_NOTES[NoteId(note)], lang)
        for note in section.notes
        if not (note == NoteId.FEW_CONTRIBUTORS and MARK_WITHHELD in letters)
    ]
    if table is not None and table.is_one_way and table.grand_total:
        notes.append(_t(_NOTES["percentages"], lang))
    if table is not None and report.policy.round_to:
        notes.append(_t(_NOTES["rounded"], lang).format(base=report.policy.round_to))
    notes_html = "".join(f"<li>{escape(note)}</li>" for note in notes)
    lede = _t(SECTION_LEDES[sid], lang)
    return (
        f'<section id="{sid.value}" class="report-section" aria-labelledby="h-{sid.value}">'
        f'<h2 id="h-{sid.value}">{escape(title)}</h2>'
        f'<p class="lede">{escape(lede)}</p>'
        f'<div class="pair"><figure class="chart-box" tabindex="0">{chart}</figure><div class="table-box">{data}'
        f"{_legend_html(letters, report, lang)}"
        f'<ul class="notes" aria-label="{escape(_t(_UI["notes"], lang))}">{notes_html}</ul></div></div>'
        "</section>"
    )


# --------------------------------------------------------------------------------------------------
# Summary


def _tile(name: str, value_html: str, label: str) -> str:
    return (
        f'<div class="tile tile-{name}"><p class="tile-value">{value_html}</p>'
        f'<p class="tile-label">{escape(label)}</p></div>'
    )


def _hidden_value(lang: Lang, why: str, heading: str = "not_published") -> str:
    """In words: what is not shown and why ("Niet gepubliceerd: minder dan 5 personen ...")."""
    return (
        f'<span class="tile-hidden">{escape(_t(_UI[heading], lang))}:</span> '
        f'<span class="tile-why">{escape(why)}</span>'
    )


def _count_tile(name: str, value: int | None, label: str, lang: Lang, why: str, css: str = "count") -> str:
    if value is None:
        return _tile(name, _hidden_value(lang, why), label)
    return _tile(name, f'<span class="{css}">{_fmt_int(value, lang)}</span>', label)


def _pct_tile(name: str, part: int | None, whole: int | None, label: str, lang: Lang) -> str:
    if part is None or whole is None:
        return _tile(name, _hidden_value(lang, _t(_UI["why_derived"], lang)), label)
    if whole == 0:
        return _tile(name, _hidden_value(lang, _t(_UI["why_empty"], lang), "no_data_tile"), label)
    return _tile(name, f'<span class="pct">{_percent(part, whole)}%</span>', label)


def _summary_html(report: AnnualReport, lang: Lang) -> str:
    categories = report.section(SectionId.CONTACTS_BY_CATEGORY).table
    days = report.section(SectionId.DAYS_TO_FIRST_CONVERSATION).table
    deadlines = report.section(SectionId.FORMAL_REPORT_DEADLINES).table
    feedback = report.section(SectionId.CLIENT_FEEDBACK).table
    hours = report.section(SectionId.ADVISOR_HOURS).figures
    assert categories is not None and days is not None and deadlines is not None and feedback is not None
    small = _t(_UI["why_small"], lang).format(k=report.policy.k)
    tiles = [_count_tile("contacts", categories.grand_total, _t(_UI["tile_contacts"], lang), lang, small)]
    published = [(value, j) for j, value in enumerate(categories.cells[0]) if value]
    if published:
        value, j = max(published, key=lambda item: (item[0], -item[1]))
        name = _key_label(Dimension.CATEGORY, categories.col_keys[j], lang)
        tiles.append(
            _pct_tile(
                "top", value, categories.grand_total, _t(_UI["tile_top"], lang).format(label=name), lang
            )
        )
    # Two published buckets added up; with either one hidden there is no figure.
    first, second = days.cells[0][0], days.cells[0][1]
    within = None if first is None or second is None else first + second
    tiles.append(_pct_tile("week", within, days.grand_total, _t(_UI["tile_week"], lang), lang))
    # The number of formal reports is the published row total of the acknowledgement row.
    reports = deadlines.row_totals[list(deadlines.row_keys).index(Deadline.ACKNOWLEDGEMENT)]
    tiles.append(_count_tile("reports", reports, _t(_UI["tile_reports"], lang), lang, small))
    total_hours = next(f.value for f in hours if f.key == FigureKey.HOURS_TOTAL)
    few = _t(_UI["why_few"], lang).format(minimum=report.policy.min_contributors)
    tiles.append(_count_tile("hours", total_hours, _t(_UI["tile_hours"], lang), lang, few, "hours"))
    satisfied = dict(feedback.items())[FeedbackRating.SATISFIED]
    tiles.append(
        _pct_tile("satisfied", satisfied, feedback.grand_total, _t(_UI["tile_satisfied"], lang), lang)
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
            "Kleine aantallen zijn afgeschermd: elk aantal van 1 tot en met {small}, ook een totaal, staat in een "
            "tabel als {mark} en in een grafiek als ‘afgeschermd’. Nullen worden wel getoond: een nul wijst niemand "
            "aan. Een gepubliceerde nul kan met andere nullen op één regel staan; een afgeschermd aantal nooit."
        ),
        (
            "Small numbers are protected (suppressed): every number from 1 to {small}, totals included, shows as "
            "{mark} in a table and as ‘protected’ in a chart. Zeros are shown: a zero points at no one. Published "
            "zeros may share one line; a protected number never does."
        ),
    ),
    "derived": (
        (
            "Percentages zijn alleen berekend als het aantal en het totaal allebei gepubliceerd zijn. Er is nooit "
            "iets opgeteld uit cellen waarvan er één afgeschermd kan zijn."
        ),
        (
            "Percentages are computed only when both the number and the total are published. Nothing is ever added "
            "up from cells of which one could be protected."
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
    small = _fmt_int(policy.k - 1, lang)
    mark = '<span class="mark">–<sup>a</sup></span>'
    paragraphs = [escape(_t(_METHOD["intro"], lang))]
    if policy.k > 1:
        paragraphs.append(
            escape(_t(_METHOD["threshold"], lang).format(small=small, mark="\0")).replace("\0", mark)
        )
        paragraphs.append(escape(_t(_METHOD["secondary"], lang).format(small=small)))
    else:
        paragraphs.append(escape(_t(_METHOD["no_threshold"], lang)))
    paragraphs.append(escape(_t(_METHOD["derived"], lang)))
    paragraphs.append(escape(_t(_METHOD["periods"], lang)))
    if policy.round_to:
        paragraphs.append(escape(_t(_METHOD["rounding"], lang).format(base=policy.round_to)))
    else:
        paragraphs.append(escape(_t(_METHOD["no_rounding"], lang)))
    paragraphs.append(escape(_t(_METHOD["categories"], lang)))
    paragraphs.append(escape(_t(_METHOD["hours"], lang).format(minimum=policy.min_contributors)))
    paragraphs.append(escape(_t(_METHOD["source"], lang)))
    title = _t(_UI["methodology"], lang)
    body = "".join(f"<p>{text}</p>" for text in paragraphs)
    return (
        f'<section id="methodology" class="report-section" aria-labelledby="h-methodology">'
        f'<h2 id="h-methodology">{escape(title)}</h2>{body}</section>'
    )


def _annex_html(report: AnnualReport, lang: Lang) -> str:
    """Event count, fingerprint, log positions, release id and settings: for auditors, not the cover."""
    source, policy = report.generated_from, report.policy
    rows = [
        (
            _t(_UI["events"], lang),
            escape(_t(_UI["events_text"], lang).format(events=_fmt_int(source.event_count, lang))),
        )
    ]
    if source.fingerprint:
        rows.append((_t(_UI["fingerprint"], lang), f"<code>{escape(source.fingerprint)}</code>"))
    if source.last_offsets:
        offsets = "; ".join(
            escape(_t(_UI["offset_at"], lang).format(stream=stream, offset=_fmt_int(offset, lang)))
            for stream, offset in source.last_offsets
        )
        rows.append((_t(_UI["offsets"], lang), offsets))
    release = report.publication.release_id
    rows.append(
        (
            _t(_UI["release"], lang),
            f"<code>{escape(release)}</code>" if release else escape(_t(_UI["release_none"], lang)),
        )
    )
    if report.quarters:
        rows.append((_t(_UI["quarters_covered"], lang), escape(", ".join(report.quarters))))
    rounding = (
        _t(_UI["rounding_base"], lang).format(base=policy.round_to)
        if policy.round_to
        else _t(_UI["rounding_none"], lang)
    )
    settings = _t(_UI["settings_text"], lang).format(
        k=policy.k, rounding=rounding, minimum=policy.min_contributors
    )
    rows.append((_t(_UI["settings"], lang), escape(settings)))
    items = "".join(f"<div><dt>{escape(name)}</dt><dd>{value}</dd></div>" for name, value in rows)
    title = _t(_UI["annex"], lang)
    return (
        f'<section id="annex" class="report-section annex" aria-labelledby="h-annex">'
        f'<h2 id="h-annex">{escape(title)}</h2><p>{escape(_t(_UI["annex_intro"], lang))}</p>'
        f'<dl class="facts">{items}</dl><p>{escape(_t(_UI["rebuild"], lang))}</p></section>'
    )


# --------------------------------------------------------------------------------------------------
# Cover


def _contact_html(contact: str) -> str:
    if re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", contact):
        return f'<a href="mailto:{escape(contact)}">{escape(contact)}</a>'
    return escape(contact)


def _cover_html(report: AnnualReport, lang: Lang) -> str:
    publication = report.publication
    title = f"{_t(_UI['title'], lang)} {report.year}"
    badge = ""
    if publication.released_on is None:
        published = escape(_t(_UI["draft"], lang))
        badge = f' <span class="badge">{escape(_t(_UI["draft_badge"], lang))}</span>'
    else:
        published = f'<time datetime="{publication.released_on.isoformat()}">{_fmt_date(publication.released_on, lang)}</time>'
    coverage = ""
    if _is_partial(report):
        quarters = _quarters_text(_quarter_numbers(report), report.year, lang)
        coverage = f'<p class="coverage">{escape(_t(_UI["coverage"], lang).format(quarters=quarters))}</p>'
    facts = [
        (_t(_UI["published_on"], lang), published),
        (_t(_UI["responsible"], lang), escape(_t(publication.responsible_body, lang))),
        (_t(_UI["contact"], lang), _contact_html(publication.contact)),
    ]
    items = "".join(f"<div><dt>{escape(name)}</dt><dd>{value}</dd></div>" for name, value in facts)
    return (
        f'<header class="cover"><p class="org">{_organisation_html(report, lang)}</p>'
        f"<h1>{escape(title)}{badge}</h1>"
        f'<p class="period">{escape(_period_text(report, lang))}</p>{coverage}'
        f'<dl class="meta">{items}</dl></header>'
    )


# --------------------------------------------------------------------------------------------------
# Page

_CSS = """
:root{--blue:#154273;--sky:#007BC7;--ink:#1b1f24;--muted:#535f6b;--rule:#d5dbe3;--band:#f2f5f9}
*{box-sizing:border-box}
html{font-family:"RO Sans","Segoe UI",Calibri,"Helvetica Neue",Arial,sans-serif;color:var(--ink);
 line-height:1.5;font-size:16px;background:#fff}
body{margin:0}
.vh{position:absolute!important;width:1px;height:1px;margin:-1px;padding:0;overflow:hidden;
 clip:rect(0 0 0 0);white-space:nowrap;border:0}
.skip{position:absolute;left:-999px;top:0;background:#fff;color:var(--blue);padding:.5rem 1rem}
.skip:focus{left:1rem}
.cover{background:var(--blue);color:#fff;padding:2.5rem 2rem 2rem}
.cover>*{max-width:68rem;margin-left:auto;margin-right:auto}
.cover p{margin:.2rem auto}
.cover .org{font-size:1.05rem;letter-spacing:.02em;text-transform:uppercase}
.cover h1{font-size:2.2rem;line-height:1.2;margin:.4rem auto .3rem;font-weight:700}
.cover .period{font-size:1.3rem}
.cover .coverage{font-size:1rem}
.cover a{color:#fff}
.badge{display:inline-block;border:2px solid #fff;border-radius:3px;padding:0 .5rem;font-size:1rem;
 letter-spacing:.06em;text-transform:uppercase;vertical-align:middle}
dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:.15rem 1.2rem;margin-top:1.2rem;
 margin-bottom:0}
dl.meta div,dl.facts div{display:contents}
dl.meta dt{font-weight:600}
dl.meta dd,dl.facts dd{margin:0}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.3rem 1.2rem}
dl.facts dt{font-weight:600;color:var(--blue)}
dl.facts code{overflow-wrap:anywhere}
.wrap{max-width:72rem;margin:0 auto;padding:0 2rem 3rem}
nav.toc{border-bottom:1px solid var(--rule);padding:1rem 0}
nav.toc h2{font-size:1rem;margin:0 0 .4rem;border:0;padding:0}
nav.toc ol{columns:2;margin:0;padding-left:1.4rem}
nav.toc a{color:var(--blue)}
h2{color:var(--blue);font-size:1.5rem;margin:2.4rem 0 .3rem;border-bottom:3px solid var(--blue);
 padding-bottom:.25rem}
.lede{color:var(--muted);margin:.2rem 0 1rem;max-width:48rem}
.pair{display:grid;grid-template-columns:minmax(0,540px) minmax(0,1fr);gap:2rem;align-items:start}
figure{margin:0}
figure.chart-box{overflow-x:auto}
svg.chart{width:100%;max-width:540px;min-width:480px;height:auto;display:block}
svg.chart text{font-size:14px}
svg .lbl{fill:var(--ink)}
svg .count,svg .hours{fill:var(--ink);font-weight:600;font-variant-numeric:tabular-nums}
svg.chart text.big{font-size:28px;font-weight:700;fill:var(--blue)}
svg .grid{stroke:var(--muted);stroke-width:1}
svg .muted{fill:var(--muted)}
svg .hidden{font-style:italic}
table.data{border-collapse:collapse;width:100%;font-size:.95rem;margin-bottom:.6rem}
table.data caption{text-align:left;font-size:.85rem;color:var(--muted);padding-bottom:.3rem}
table.data th,table.data td{padding:.3rem .5rem;border-bottom:1px solid var(--rule);text-align:left;
 vertical-align:top}
table.data thead th{border-bottom:2px solid var(--blue);color:var(--blue);font-weight:600}
table.data .num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
table.data tbody tr:nth-child(even){background:var(--band)}
table.data tbody th{font-weight:400}
table.data tr.total th,table.data tr.total td{font-weight:700;border-top:2px solid var(--ink)}
table.data tr.zeros th{font-weight:400;color:var(--muted)}
table.data tr.zeros .zero-names{color:var(--ink)}
.mark{color:var(--muted);font-weight:600;white-space:nowrap}
.mark sup{font-size:.75em;margin-left:.1em;line-height:0}
ul.legend,ul.notes{list-style:none;margin:.3rem 0 0;padding:0;font-size:.88rem;color:var(--muted)}
ul.legend li,ul.notes li{margin:.15rem 0}
ul.legend .mark{color:var(--ink)}
.tiles{display:grid;grid-template-columns:repeat(3,minmax(0,1fr));gap:1rem}
.tile{border-top:4px solid var(--blue);background:var(--band);padding:1rem 1.2rem}
.tile p{margin:0}
.tile-value{font-size:2rem;line-height:1.25;font-weight:700;color:var(--blue);font-variant-numeric:tabular-nums}
.tile-hidden{display:block;font-size:1.15rem}
.tile-why{display:block;font-size:.95rem;font-weight:400;color:var(--ink)}
.tile-label{color:var(--muted);margin-top:.2rem!important}
#annex{font-size:.92rem}
@media screen and (max-width:1100px){.pair{grid-template-columns:minmax(0,1fr)}}
.table-scroll{overflow-x:auto;position:relative}
dl.meta dd,dl.facts dd{overflow-wrap:anywhere}
@media screen and (max-width:600px){dl.meta,dl.facts{grid-template-columns:minmax(0,1fr)}
 dl.meta dd,dl.facts dd{margin-bottom:.4rem}.tiles{grid-template-columns:minmax(0,1fr)!important}
 .cover h1{font-size:1.7rem}table.data th,table.data td{padding:.3rem .3rem}
 table.data th{hyphens:auto;overflow-wrap:anywhere}}
@media screen and (max-width:800px){.tiles{grid-template-columns:1fr 1fr}nav.toc ol{columns:1}
 .wrap{padding:0 1rem 2rem}.cover{padding:1.5rem 1rem}}
@page{size:A4;margin:16mm 15mm 18mm}
@media print{
 html{font-size:10pt}
 .skip{display:none}
 .cover{-webkit-print-color-adjust:exact;print-color-adjust:exact;padding:12mm 10mm 10mm}
 .wrap{max-width:none;padding:0}
 h2{margin-top:8mm;break-after:avoid}
 .lede{break-after:avoid}
 .pair{grid-template-columns:minmax(0,1fr);gap:4mm}
 figure.chart-box{overflow:visible}
 svg.chart{width:140mm;max-width:100%;min-width:0;max-height:120mm}
 figure,.tile,.tiles,tr,ul.legend,ul.notes,dl,.cover{break-inside:avoid}
 table.data{break-inside:auto}
 tr.total,ul.legend,ul.notes{break-before:avoid}
 thead{display:table-header-group}
 a{color:inherit;text-decoration:none}
 .tile,table.data tbody tr:nth-child(even){-webkit-print-color-adjust:exact;print-color-adjust:exact}
}
"""


def render_html(report: AnnualReport, lang: Lang = "nl") -> str:
    """The complete report as one self-contained, accessible HTML5 page."""
    if lang not in ("nl", "en"):
        raise ValueError("lang must be 'nl' or 'en'")
    sections = [_section_html(section, report, lang) for section in report.sections]
    title = f"{_t(_UI['title'], lang)} {report.year}"
    toc_items = [("summary", _t(_UI["summary"], lang))]
    toc_items += [(s.section_id.value, _t(SECTION_TITLES[s.section_id], lang)) for s in report.sections]
    toc_items += [("methodology", _t(_UI["methodology"], lang)), ("annex", _t(_UI["annex"], lang))]
    toc = "".join(f'<li><a href="#{anchor}">{escape(text)}</a></li>' for anchor, text in toc_items)
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)} | {escape(organisation_name(report, lang))}</title>\n"
        f"<style>{_CSS}</style>\n</head>\n<body>\n"
        f'<a class="skip" href="#main">{escape(_t(_UI["skip"], lang))}</a>\n'
        f"{_cover_html(report, lang)}\n"
        '<div class="wrap">\n'
        f'<nav class="toc" aria-labelledby="h-toc"><h2 id="h-toc">{escape(_t(_UI["contents"], lang))}</h2>'
        f"<ol>{toc}</ol></nav>\n"
        '<main id="main">\n'
        f"{_summary_html(report, lang)}\n" + "\n".join(sections) + f"\n{_methodology_html(report, lang)}\n"
        f"{_annex_html(report, lang)}\n"
        "</main>\n</div>\n</body>\n</html>\n"
    )


# --------------------------------------------------------------------------------------------------
# CSV and JSON


def _status(value: int | None, hidden: str = SUPPRESSED) -> str:
    return hidden if value is None else PUBLISHED


def _csv_cells(value: int | None, hidden: str = SUPPRESSED) -> tuple[str, str]:
    return ("" if value is None else str(value)), _status(value, hidden)


def _table_rows(section_id: str, table: ProtectedTable) -> list[tuple[str, ...]]:
    if table.is_one_way:
        dimension = table.dimensions[0]
        rows: list[tuple[str, ...]] = [
            (section_id, dimension, key, *_csv_cells(value)) for key, value in table.items()
        ]
        return [*rows, (section_id, dimension, TOTAL, *_csv_cells(table.grand_total))]
    dimension = "|".join(table.dimensions)
    rows = []
    for row_key, cells, row_total in zip(table.row_keys, table.cells, table.row_totals, strict=True):
        rows += [
            (section_id, dimension, f"{row_key}|{col_key}", *_csv_cells(value))
            for col_key, value in zip(table.col_keys, cells, strict=True)
        ]
        rows.append((section_id, dimension, f"{row_key}|{TOTAL}", *_csv_cells(row_total)))
    rows += [
        (section_id, dimension, f"{TOTAL}|{col_key}", *_csv_cells(value))
        for col_key, value in zip(table.col_keys, table.col_totals, strict=True)
    ]
    rows.append((section_id, dimension, f"{TOTAL}|{TOTAL}", *_csv_cells(table.grand_total)))
    return rows


def render_csv(report: AnnualReport) -> str:
    """One long-format CSV: section, dimension, key, value, status.

    `value` is empty and `status` is "suppressed" (disclosure control) or "withheld" (too few
    advisors) for a hidden value, "published" otherwise. Rows of section "_meta" describe the report
    (their status is empty); figure rows have the unit as dimension ("hours", "sessions"); all other
    rows are protected counts.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(("section", "dimension", "key", "value", "status"))
    policy, publication = report.policy, report.publication
    meta = [
        ("report", "organisation_id", report.organisation.id),
        ("report", "organisation_name", report.organisation.name),
        ("report", "year", str(report.year)),
        ("report", "quarters", " ".join(report.quarters)),
        ("report", "event_count", str(report.generated_from.event_count)),
        *(
            (("report", "fingerprint", report.generated_from.fingerprint),)
            if report.generated_from.fingerprint
            else ()
        ),
        *(("last_offset", stream, str(offset)) for stream, offset in report.generated_from.last_offsets),
        (
            "publication",
            "released_on",
            "" if publication.released_on is None else publication.released_on.isoformat(),
        ),
        ("publication", "release_id", publication.release_id),
        ("publication", "responsible_body_nl", publication.responsible_body[0]),
        ("publication", "responsible_body_en", publication.responsible_body[1]),
        ("publication", "contact", publication.contact),
        ("policy", "k", str(policy.k)),
        ("policy", "round_to", "" if policy.round_to is None else str(policy.round_to)),
        ("policy", "min_contributors", str(policy.min_contributors)),
    ]
    writer.writerows(("_meta", *row, "") for row in meta)
    for section in report.sections:
        sid = section.section_id.value
        if section.table is not None:
            writer.writerows(_table_rows(sid, section.table))
        writer.writerows(
            (sid, FigureUnit(figure.unit).value, figure.key, *_csv_cells(figure.value, WITHHELD))
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
        "status": {
            "cells": [[_status(value) for value in row] for row in table.cells],
            "row_totals": [_status(value) for value in table.row_totals],
            "col_totals": [_status(value) for value in table.col_totals],
            "grand_total": _status(table.grand_total),
        },
    }


def render_json(report: AnnualReport) -> str:
    """The report as JSON with sorted keys; `null` = hidden, with "suppressed"/"withheld" as status."""
    publication = report.publication
    document = {
        "format": "caseflow.annual_report.v1",
        "organisation": {"id": report.organisation.id, "name": report.organisation.name},
        "year": report.year,
        "quarters": list(report.quarters),
        "publication": {
            "released_on": None if publication.released_on is None else publication.released_on.isoformat(),
            "release_id": publication.release_id or None,
            "responsible_body": {
                "nl": publication.responsible_body[0],
                "en": publication.responsible_body[1],
            },
            "contact": publication.contact,
        },
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
            "statuses": [PUBLISHED, SUPPRESSED, WITHHELD],
        },
        "sections": [
            {
                "id": section.section_id.value,
                "table": None if section.table is None else _table_json(section.table),
                "figures": [
                    {
                        "key": figure.key,
                        "value": figure.value,
                        "unit": FigureUnit(figure.unit).value,
                        "status": _status(figure.value, WITHHELD),
                    }
                    for figure in section.figures
                ],
                "notes": [NoteId(note).value for note in section.notes],
            }
            for section in report.sections
        ],
    }
    return json.dumps(document, sort_keys=True, ensure_ascii=False, indent=2) + "\n"
