"""Every word of the annual report page, in Dutch and English: one (Dutch, English) pair per text.

Placeholders in braces ({k}, {minimum}, ...) are filled in by the view model. The templates look
texts up by key in `UI` (already in the page's language); this module is where a translator or an
editor changes the wording.
"""

from __future__ import annotations

from typing import Literal

from services.reporting.domain.annual_report_data import (
    BaselineStatus,
    Deadline,
    DeadlineStatus,
    Dimension,
    FeedbackRating,
    FigureKey,
    NoteId,
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


def t(label: Label, lang: Lang) -> str:
    return label[0] if lang == "nl" else label[1]


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

UI: dict[str, Label] = {
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

MONTHS: dict[str, tuple[str, ...]] = {
    "nl": ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september",
           "oktober", "november", "december"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December"),
}  # fmt: skip

# The name of the government-wide report; the model carries the Dutch name.
GOVERNMENT_NAMES: Label = ("Rijksoverheid", "Government of the Netherlands")

NOTES: dict[str, Label] = {
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


SECTION_NOTES: dict[SectionId, str] = {
    SectionId.CONTACTS_BY_CATEGORY: "primary",
    SectionId.CATEGORY_MENTIONS: "mentions",
    SectionId.CONTACTS_BY_CHANNEL: "channel_margin",
    SectionId.MEETING_MODES: "meetings",
    SectionId.OUTCOMES: "outcomes",
    SectionId.DAYS_TO_FIRST_CONVERSATION: "days",
    SectionId.FORMAL_REPORT_DEADLINES: "deadlines",
    SectionId.ADVISOR_HOURS: "hours",
}
VALUE_HEADERS: dict[SectionId, Label] = {
    SectionId.MEETING_MODES: ("Gesprekken", "Meetings"),
    SectionId.CATEGORY_MENTIONS: ("Vermeldingen", "Mentions"),
    SectionId.CONFLICT_REASSIGNMENTS: ("Herverdelingen", "Reassignments"),
    SectionId.TRAINING_SUPERVISION: ("Vertrouwenspersonen", "Advisors"),
}

METHOD: dict[str, Label] = {
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
