"""Every text of the workbench's pages, Dutch (the default) and English, at plain-language level."""

from __future__ import annotations

from typing import Any

from shared.codes import Channel, ConflictReason

LANGS = ("nl", "en")

CHANNEL_LABELS: dict[str, tuple[str, str]] = {
    Channel.WEB: ("Webformulier", "Web form"),
    Channel.CHAT: ("Chat", "Chat"),
    Channel.PHONE: ("Telefoon", "Phone"),
    Channel.WALK_IN: ("Inloop", "Walk-in"),
    Channel.EMAIL: ("E-mail", "E-mail"),
    Channel.VIA_MANAGER: ("Via leidinggevende", "Via a manager"),
}

TEXT: dict[str, dict[str, Any]] = {
    "nl": {
        "app": "Werkplek vertrouwenspersonen",
        "other_lang": "English",
        "skip": "Naar de inhoud",
        "start_title": "Inloggen",
        "start_intro": (
            "Dit is de werkplek van de vertrouwenspersonen van de Rijksoverheid. U logt in met uw "
            "account van de organisatie. Daarna ziet u alleen de meldingen die aan u zijn toegewezen."
        ),
        "sign_in": "Inloggen",
        "sign_out": "Uitloggen",
        "signed_in_as": {
            "advisor": "Ingelogd als vertrouwenspersoon",
            "coordinator": "Ingelogd als coördinator",
            "management": "Ingelogd als management",
        },
        "nav_label": "Hoofdmenu",
        "my_cases": "Mijn meldingen",
        "my_cases_intro": "De meldingen die nu aan u zijn toegewezen. Open meldingen staan bovenaan.",
        "no_cases": "Er zijn nu geen meldingen aan u toegewezen.",
        "queue": "Wachtende meldingen",
        "queue_intro": (
            "Meldingen waarvoor geen vertrouwenspersoon zonder belangenconflict is gevonden. U ziet "
            "alleen gecodeerde gegevens, nooit de inhoud."
        ),
        "no_queue": "Er wachten nu geen meldingen.",
        "management_title": "Statistieken",
        "management_intro": (
            "U ziet in caseflow geen meldingen, alleen beschermde cijfers: het aantal meldingen per "
            "onderdeel en kwartaal van uw organisatie."
        ),
        "stats_caption": "Meldingen in {year}, {organisation}",
        "stats_unit": "Onderdeel",
        "stats_total": "Totaal",
        "stats_suppressed": (
            "{mark} = niet getoond: een klein aantal (minder dan {k}) zou naar een persoon kunnen "
            "wijzen. Kleine onderdelen zijn samengevoegd."
        ),
        "stats_why": {
            "sign_in_again": "Uw inlog is verlopen voor de cijfers. Log uit en opnieuw in.",
            "reporting_refused": "De rapportage geeft deze cijfers niet aan uw account.",
            "reporting_unavailable": "De cijfers zijn nu niet beschikbaar. Probeer het later opnieuw.",
            "reporting_not_configured": "De rapportage is niet gekoppeld aan deze werkplek.",
            "no_organisation": "Uw account is niet gekoppeld aan een organisatie.",
        },
        "prefs_title": "E-mailberichten",
        "prefs_intro": (
            "Wilt u een e-mail krijgen als er iets nieuws voor u is, zoals een nieuwe melding of een "
            "bericht van een melder? De e-mail zegt alleen dat er iets nieuws is, nooit waarover."
        ),
        "prefs_now": "Nu",
        "prefs_on": "aan",
        "prefs_off": "uit",
        "prefs_no_address": "Uw e-mailadres is nog niet bekend; log nog één keer in.",
        "prefs_legend": "E-mail bij iets nieuws",
        "prefs_choose_on": "Ja, stuur mij een e-mail",
        "prefs_choose_off": "Nee, geen e-mails (uw e-mailadres wordt dan vergeten)",
        "prefs_save": "Opslaan",
        "case_title": "Melding",
        "case_story": "Wat de melder vertelt",
        "case_no_story": "De melder heeft niets opgeschreven.",
        "case_persons": "Betrokken personen",
        "case_role": {
            "direct_manager": "Eigen leidinggevende",
            "higher_manager": "Hogere leidinggevende",
            "colleague": "Collega",
            "subordinate": "Medewerker",
            "advisor": "Vertrouwenspersoon",
            "top_management": "Topmanagement",
            "hr": "HR",
            "other": "Anders",
        },
        "case_role_unknown": "Rol niet genoemd",
        "case_dialogue": "Berichten met de melder",
        "case_no_dialogue": "Nog geen berichten.",
        "case_author": {"client": "Melder", "advisor": "Vertrouwenspersoon"},
        "case_reads": "Wie deze melding heeft geopend",
        "case_reads_hint": "Elke keer dat de melding wordt geopend, wordt dat hier vastgelegd, ook nu.",
        "case_back": "Terug naar mijn meldingen",
        "case_accept": "Melding aannemen",
        "case_accept_hint": "Neem de melding aan om de melder te kunnen antwoorden.",
        "case_reply_label": "Uw bericht aan de melder",
        "case_reply_hint": "De melder leest dit met de ontvangstcode. Schrijf niets dat de melder niet mag lezen.",
        "case_reply": "Bericht versturen",
        "case_done": {
            "accepted": "U hebt de melding aangenomen. Het kan een paar seconden duren voor dat hier staat.",
            "sent": "Uw bericht is verstuurd.",
        },
        "case_why": {
            "not_assignee": "Deze melding bestaat niet of is niet aan u toegewezen.",
            "intake_unavailable": "De melding kan nu niet worden geopend. Probeer het over een paar minuten opnieuw.",
            "intake_not_configured": "Deze werkplek kan nog geen meldingen openen (niet gekoppeld).",
            "not_accepted": "Neem de melding eerst aan; daarna kunt u de melder antwoorden.",
            "case_closed": "Deze melding is gesloten.",
            "message_empty_or_too_long": "Het bericht is leeg of te lang (ten hoogste 5.000 tekens).",
        },
        "case_why_other": "De melding kan niet worden geopend.",
        "case_action_done": {
            "time_logged": "Uw tijd is doorgegeven. Het kan een paar seconden duren voor die hier meetelt.",
            "meeting_requested": "Uw verzoek om een afspraak is verstuurd. De afspraak verschijnt hier zodra die is gepland.",
            "meeting_moving": "De afspraak wordt verzet. De nieuwe tijd verschijnt hier zodra die is gepland.",
            "meeting_cancelling": "De afspraak wordt geannuleerd.",
            "quiet_room_requested": "Uw verzoek om een stilteruimte is verstuurd.",
            "outcome_recorded": "De uitkomst is doorgegeven.",
            "closing": "De melding wordt gesloten. In uw overzicht staat ze daarna als gesloten.",
        },
        "case_action_why": {
            "activity_unknown": "Kies waaraan u de tijd hebt besteed.",
            "minutes_not_a_number": "Vul de tijd in hele getallen in.",
            "minutes_out_of_range": "De tijd is te kort of te lang (ten minste 1 minuut, ten hoogste 24 uur; stilteruimte ten hoogste 8 uur).",
            "mode_unknown": "Kies een soort afspraak uit de lijst.",
            "earliest_not_a_date": "De datum is niet goed ingevuld.",
            "earliest_in_the_past": "De vroegste datum ligt in het verleden.",
            "meeting_unknown": "Deze afspraak staat niet (meer) gepland voor deze melding.",
            "location_unknown": "Kies een plaats uit de lijst.",
            "outcome_unknown": "Kies een uitkomst uit de lijst.",
            "outcome_missing": "Kies ten minste één uitkomst.",
            "outcome_choose_one": "Kies één uitkomst.",
        },
        "case_back_to_case": "Terug naar de melding",
        "case_ics_title": "Afspraak",
        "case_activity": {
            "conversation": "Gesprek",
            "administration": "Administratie",
            "publicity": "Voorlichting",
            "training": "Scholing",
        },
        "case_mode": {
            "on_site_discreet_room": "Op kantoor, in een rustige ruimte",
            "off_site_venue": "Buiten kantoor",
            "phone": "Telefoon",
            "video": "Video",
        },
        "case_outcome": {
            "advice_given": "Advies gegeven",
            "referred.labour_law_desk": "Doorverwezen naar het arbeidsrechtelijk loket",
            "referred.social_worker": "Doorverwezen naar het maatschappelijk werk",
            "referred.company_doctor": "Doorverwezen naar de bedrijfsarts",
            "referred.integrity_office": "Doorverwezen naar het integriteitsbureau",
            "referred.external_body": "Doorverwezen naar een externe instantie",
            "formal_complaint": "Formele klacht",
            "whistleblower_report": "Melding van een misstand",
            "mediation": "Bemiddeling",
            "no_follow_up": "Geen vervolg",
        },
        "case_suggested": "voorgesteld",
        "case_time": "Bestede tijd",
        "case_time_none": "Nog geen tijd doorgegeven.",
        "case_time_total": "Totaal",
        "case_minutes": "min.",
        "case_time_legend": "Waaraan hebt u de tijd besteed?",
        "case_hours": "Uren",
        "case_minutes_label": "Minuten",
        "case_time_hint": "Ten minste 1 minuut, ten hoogste 24 uur.",
        "case_time_send": "Tijd doorgeven",
        "case_meeting": "Afspraak",
        "case_meeting_none": "Er staat geen afspraak gepland.",
        "case_meeting_when": "Wanneer",
        "case_meeting_how": "Hoe",
        "case_meeting_ics": "Zet in mijn agenda (.ics)",
        "case_meeting_move": "Afspraak verzetten",
        "case_meeting_cancel": "Afspraak annuleren",
        "case_meeting_request": "Afspraak aanvragen",
        "case_mode_legend": "Soort afspraak",
        "case_mode_any": "Laat de planning kiezen",
        "case_earliest": "Niet eerder dan (optioneel)",
        "case_earliest_hint": "Leeg laten: zo snel mogelijk.",
        "case_quiet_room": "Stilteruimte boeken",
        "case_quiet_room_hint": "Een ruimte voor u alleen, voor een vertrouwelijk telefoontje of het uitwerken van een gesprek.",
        "case_location": "Plaats",
        "case_quiet_minutes": "Hoe lang (minuten)",
        "case_quiet_minutes_hint": "Ten minste 1, ten hoogste 480 minuten.",
        "case_quiet_room_send": "Stilteruimte aanvragen",
        "case_outcome_title": "Uitkomst vastleggen",
        "case_outcome_legend": "Uitkomst",
        "case_outcome_hint": "De voorgestelde doorverwijzing past bij het onderwerp van de melding.",
        "case_outcome_send": "Uitkomst vastleggen",
        "case_close": "Melding sluiten",
        "case_close_legend": "Uitkomsten van de melding (ten minste één)",
        "case_close_hint": "Na het sluiten kunt u niets meer aan de melding doen.",
        "case_close_send": "Melding sluiten",
        "case_col_next_meeting": "Volgende afspraak",
        "case_no_next_meeting": "geen",
        "col_case": "Melding",
        "col_opened": "Binnengekomen",
        "col_categories": "Onderwerp",
        "col_channel": "Kanaal",
        "col_status": "Status",
        "unknown": "nog niet bekend",
        "status": {"open": "Open", "closed": "Gesloten", "erased": "Gewist"},
        "problem_title": "Inloggen is niet gelukt",
        "problem_again": "Opnieuw inloggen",
        "why": {
            "sign_in_unknown_or_expired": ("Het inloggen duurde te lang of is al afgerond. Begin opnieuw."),
            "code_not_accepted": "De inlogdienst heeft het inloggen niet bevestigd. Begin opnieuw.",
            "provider_unreachable": (
                "De inlogdienst is nu niet bereikbaar. Probeer het over een paar minuten opnieuw."
            ),
            "no_caseflow_role": (
                "Uw account heeft geen rol in caseflow. Vraag de beheerder om u de rol "
                "vertrouwenspersoon, coördinator of management te geven."
            ),
            "more_than_one_caseflow_role": (
                "Uw account heeft meer dan één rol in caseflow. Vraag de beheerder om één rol te kiezen."
            ),
            "advisor_without_advisor_id": (
                "Uw account is nog niet gekoppeld aan een vertrouwenspersoon in het register. Vraag "
                "de beheerder om de koppeling."
            ),
            "coordinator_without_coordinator_id": (
                "Uw account is nog niet gekoppeld aan een coördinator in het register. Vraag de "
                "beheerder om de koppeling."
            ),
            "management_without_organisation_id": (
                "Uw account is nog niet gekoppeld aan een organisatie. Vraag de beheerder om de koppeling."
            ),
            "sign_in_cancelled": "Het inloggen is afgebroken. U kunt opnieuw beginnen.",
        },
        "why_other": "Het inloggen is niet gelukt. Begin opnieuw; blijft dit gebeuren, meld het dan aan de beheerder.",
        "reason": "Code voor de beheerder",
        "forbidden_title": "Deze pagina is niet voor uw rol",
        "forbidden_body": "Met uw rol kunt u deze pagina niet openen.",
        "csrf_title": "Het formulier is verlopen",
        "csrf_body": "Ga terug, laad de pagina opnieuw en probeer het nog eens.",
        # Conflict of interest (wb-conflict)
        "conflict_why": {
            "unknown_conflict_reason": "Kies een van de redenen in de lijst.",
            "conflict_not_confirmed": "Vink aan dat u de melding wilt afgeven en probeer het opnieuw.",
        },
        "conflict_title": "Belangenconflict melden",
        "conflict_intro": (
            "Kunt u deze melding niet onafhankelijk behandelen? Kies de reden. De melding gaat dan meteen "
            "naar een andere vertrouwenspersoon en u kunt haar niet meer openen."
        ),
        "conflict_reason_label": "Reden",
        "conflict_confirm": "Ik geef deze melding af en kan haar daarna niet meer openen.",
        "conflict_send": "Belangenconflict melden",
        "list_done": {
            "conflict": "U heeft de melding afgegeven. Een andere vertrouwenspersoon neemt haar over.",
        },
        "conflict_refused": "Uw melding van een belangenconflict is niet verwerkt; de melding staat weer op uw naam:",
        "conflict_refused_why": {
            "not_assignee": "volgens de toewijzing behandelt u deze melding niet (meer).",
        },
        "conflict_refused_other": "de toewijzing kon het niet uitvoeren. Probeer het opnieuw of neem contact op met de coördinator.",
        # Persons involved added by the advisor (wb-conflict)
        "person_title": "Betrokkene toevoegen",
        "person_intro": (
            "Hoort u van iemand anders die bij de melding betrokken is? Voeg die persoon toe. De toewijzing "
            "kijkt dan opnieuw of u de melding onafhankelijk kunt behandelen."
        ),
        "person_role_label": "Rol ten opzichte van de melder",
        "person_description_label": "Omschrijving (niet verplicht)",
        "person_description_hint": "Ten hoogste 1.000 tekens. Alleen wie de melding behandelt kan dit lezen.",
        "person_send": "Betrokkene toevoegen",
        "person_done": {"person_added": "De betrokkene is toegevoegd."},
        "person_why": {
            "unknown_person_role": "Kies een van de rollen in de lijst.",
            "person_description_too_long": "De omschrijving is te lang (ten hoogste 1.000 tekens).",
            "invalid_body": "De gegevens van de betrokkene zijn niet geldig. Controleer ze en probeer het opnieuw.",
        },
        # Registering a phone call or walk-in (wb-conflict)
        "contact_title": "Contact registreren",
        "contact_link": "Telefoontje of inloopgesprek registreren",
        "contact_intro": (
            "Belde iemand of kwam iemand langs? Registreer het contact als melding. De melding wordt aan u "
            "toegewezen als dat mag; anders kiest de toewijzing een andere vertrouwenspersoon."
        ),
        "contact_channel": "Hoe was het contact?",
        "contact_organisation": "Organisatie (code)",
        "contact_unit": "Onderdeel (code)",
        "contact_unit_hint": "De codes uit het personeelssysteem, bijvoorbeeld min-bzk en bzk-dgob-ict.",
        "contact_client_role": "De melder is",
        "contact_client_roles": {
            "employee": "Medewerker",
            "manager": "Leidinggevende",
            "former_employee": "Oud-medewerker",
            "external_worker": "Externe medewerker",
        },
        "contact_narrative": "Wat vertelde de melder?",
        "contact_anonymous": "De melder wil anoniem blijven (geen contactgegevens)",
        "contact_reach": "Hoe bereikt u de melder?",
        "contact_name": "Naam (niet verplicht)",
        "contact_email": "E-mailadres",
        "contact_phone": "Telefoonnummer",
        "contact_send": "Contact registreren",
        "contact_done": {
            "registered": "Het contact is geregistreerd. De melding verschijnt zo in uw lijst als zij aan u is toegewezen."
        },
        "contact_why": {
            "contact_form_expired": "Het formulier is verlopen. Laad de pagina opnieuw.",
            "contact_unknown_channel": "Kies telefoon of inloop.",
            "contact_unknown_client_role": "Kies wie de melder is.",
            "contact_unknown_category": "Kies een onderwerp uit de lijst.",
            "contact_unknown_unit": "Vul de codes van de organisatie en het onderdeel in.",
            "contact_narrative_too_long": "Het verhaal is te lang (ten hoogste 20.000 tekens).",
            "contact_given_while_anonymous": "Een anonieme melder heeft geen contactgegevens. Haal het vinkje weg of laat de gegevens leeg.",
            "contact_unreachable": "Vul een e-mailadres of telefoonnummer in, of vink anoniem aan.",
            "unknown_organisation": "Deze organisatie is niet bekend.",
            "unknown_unit": "Dit onderdeel is niet bekend.",
            "invalid_email": "Het e-mailadres is niet geldig.",
            "invalid_phone": "Het telefoonnummer is niet geldig.",
        },
        "contact_why_other": "Het contact kon niet worden geregistreerd. Controleer de gegevens en probeer het opnieuw.",
        # the coordinators' queue: choosing an advisor (entrypoints/people_pages.py)
        "queue_assign_legend": "Vertrouwenspersoon kiezen voor melding {case}",
        "queue_assign_label": "Vertrouwenspersoon",
        "queue_assign_button": "Toewijzen",
        "queue_no_advisors": "Er zijn nog geen actieve vertrouwenspersonen bekend.",
        "queue_col_assign": "Toewijzen",
        "queue_sent": "Uw keuze ({advisor}) is verstuurd. De melding verdwijnt uit de wachtrij zodra zij is toegewezen.",
        "queue_refused": "Uw keuze ({advisor}) is niet uitgevoerd.",
        "queue_done": "Uw keuze is verstuurd.",
        "queue_why": {
            "not_coordinator": "U coördineert de organisatie van deze melding niet.",
            "case_not_escalated": "Deze melding wacht niet meer: zij is al toegewezen, gesloten of gewist.",
            "chosen_advisor_unknown": "Deze vertrouwenspersoon is niet (meer) bekend.",
            "chosen_advisor_unavailable": "Deze vertrouwenspersoon is nu niet beschikbaar (verlof, vertrokken of buiten de benoemingstermijn).",
            "chosen_advisor_kind_mismatch": "Deze vertrouwenspersoon behandelt dit soort melding niet (integriteit of ongewenste omgangsvormen).",
            "chosen_advisor_language_mismatch": "Deze vertrouwenspersoon spreekt de taal van de melder niet.",
            "chosen_advisor_conflict_of_interest": "Deze vertrouwenspersoon heeft een belangenconflict bij deze melding. Kies een ander.",
            "signer_not_configured": "De werkplek kan nu geen opdrachten ondertekenen. Meld dit aan de beheerder.",
        },
        "queue_why_other": "De keuze is niet uitgevoerd. Kies opnieuw of meld het aan de beheerder.",
        "advisor_kinds": {
            "VPI": "integriteit",
            "VPO": "ongewenste omgangsvormen",
            "VPIO": "integriteit en ongewenste omgangsvormen",
        },
        "advisor_scopes": {"internal": "intern", "cross_unit": "organisatiebreed", "external": "extern"},
        # "Mijn uren" (entrypoints/people_pages.py)
        "hours_title": "Mijn uren",
        "hours_intro": (
            "Uw uren per soort werk, en uw scholing en intervisie tegen de basisnorm, dit jaar. Wat u "
            "hier vastlegt telt mee zodra de rapportage het heeft verwerkt."
        ),
        "hours_caption": "Uw uren in {year}",
        "hours_baseline_caption": "Scholing en intervisie in {year} tegen de basisnorm",
        "hours_col_activity": "Soort werk",
        "hours_col_hours": "Uren",
        "hours_col_what": "Wat",
        "hours_col_done": "Gedaan",
        "hours_col_baseline": "Basisnorm",
        "hours_col_state": "Stand",
        "hours_total": "Totaal",
        "hours_meets": "Voldaan",
        "hours_short_by": "Nog {n} te gaan",
        "hours_training_row": "Scholing (uren)",
        "hours_supervision_row": "Intervisie (bijeenkomsten)",
        "hours_activities": {
            "conversation": "Gesprekken",
            "administration": "Administratie",
            "publicity": "Voorlichting",
            "training": "Scholing",
        },
        "hours_training_kinds": {
            "basic_course": "Basisopleiding",
            "refresher": "Opfriscursus",
            "specialist": "Verdieping",
        },
        "hours_time_legend": "Tijd vastleggen zonder melding",
        "hours_minutes": "Minuten",
        "hours_time_button": "Tijd vastleggen",
        "hours_training_legend": "Scholing vastleggen",
        "hours_training_kind": "Soort scholing",
        "hours_hours": "Uren (bijvoorbeeld 1,5)",
        "hours_completed_on": "Afgerond op",
        "hours_training_button": "Scholing vastleggen",
        "hours_supervision_legend": "Intervisie vastleggen",
        "hours_session_on": "Datum van de bijeenkomst",
        "hours_supervision_button": "Intervisie vastleggen",
        "hours_done": {
            "tijd": "Uw tijd is vastgelegd.",
            "scholing": "Uw scholing is vastgelegd.",
            "intervisie": "Uw intervisie is vastgelegd.",
        },
        "hours_forms": {"tijd": "Tijd", "scholing": "Scholing", "intervisie": "Intervisie"},
        "hours_why": {
            "activity_unknown": "Kies een soort werk uit de lijst.",
            "minutes_not_a_number": "Vul het aantal minuten in als heel getal.",
            "minutes_not_positive": "Het aantal minuten moet groter zijn dan 0.",
            "minutes_too_many": "Een registratie is hoogstens 24 uur (1440 minuten).",
            "training_kind_unknown": "Kies een soort scholing uit de lijst.",
            "hours_not_a_number": "Vul het aantal uren in als getal, bijvoorbeeld 1,5.",
            "hours_not_positive": "Het aantal uren moet groter zijn dan 0.",
            "hours_too_many": "Dat zijn meer uren dan één registratie kan bevatten.",
            "date_invalid": "Vul een geldige datum in.",
            "date_in_future": "De datum ligt in de toekomst.",
            "date_too_long_ago": "De datum ligt meer dan een jaar terug.",
            "signer_not_configured": "De werkplek kan nu geen opdrachten ondertekenen. Meld dit aan de beheerder.",
        },
        "hours_why_other": "Dit is niet vastgelegd. Probeer het opnieuw.",
        "hours_no_such_form": "Dit formulier bestaat niet. Ga terug naar Mijn uren.",
        # a coordinator's advisors (entrypoints/people_pages.py)
        "advisors_title": "Vertrouwenspersonen",
        "advisors_intro": (
            "De vertrouwenspersonen van uw organisatie: hun uren, scholing en intervisie tegen de "
            "basisnorm dit jaar, en wiens benoeming binnen zes maanden afloopt. U ziet geen meldingen."
        ),
        "advisors_caption": "Vertrouwenspersonen van uw organisatie in {year}",
        "advisors_col_advisor": "Vertrouwenspersoon",
        "advisors_col_kind": "Soort en bereik",
        "advisors_col_status": "Status",
        "advisors_col_term_end": "Benoemd tot",
        "advisors_ends_soon": "loopt binnen zes maanden af",
        "advisors_no_term_end": "geen einddatum",
        "advisors_no_figures": "geen cijfers",
        "advisors_of_baseline": "{done} van {baseline}",
        "advisors_terms_title": "Benoemingen die binnen zes maanden aflopen",
        "advisors_no_terms_ending": "Geen benoeming loopt binnen zes maanden af.",
        "advisors_none": "Er zijn nog geen vertrouwenspersonen van uw organisatie bekend.",
        "advisor_statuses": {"active": "actief", "on_leave": "met verlof", "departed": "vertrokken"},
        # the yearly reflection talk (entrypoints/people_pages.py, /adviseurs/reflectiegesprek)
        "talk_col": "Reflectiegesprek",
        "talk_none": "nog niet vastgelegd",
        "talk_due": "jaarlijks gesprek is aan de beurt",
        "talk_legend": "Reflectiegesprek vastleggen",
        "talk_hint": (
            "Het jaarlijkse gesprek over het functioneren van de vertrouwenspersoon, nooit over "
            "meldingen. Alleen de datum wordt bewaard, geen aantekeningen."
        ),
        "talk_held_on": "Datum van het gesprek",
        "talk_button": "Gesprek vastleggen",
        "talk_done": "Het reflectiegesprek is verstuurd. Het staat in de tabel zodra het is vastgelegd.",
        "talk_refused_by_routing": "Het gesprek met {advisor} op {day} is niet vastgelegd",
        "talk_why": {
            "advisor_not_yours": "Kies een vertrouwenspersoon van uw eigen organisatie uit de lijst.",
            "not_coordinator": "U bent geen coördinator (meer) van de organisatie van deze vertrouwenspersoon.",
            "date_invalid": "Vul een geldige datum in.",
            "date_in_future": "De datum ligt in de toekomst. Leg het gesprek vast nadat het is gehouden.",
            "talk_date_in_future": "De datum ligt in de toekomst. Leg het gesprek vast nadat het is gehouden.",
            "date_too_long_ago": "De datum ligt meer dan een jaar terug.",
            "talk_date_too_long_ago": "De datum ligt meer dan een jaar terug.",
            "signer_not_configured": "De werkplek kan nu geen opdrachten ondertekenen. Meld dit aan de beheerder.",
        },
    },
    "en": {
        "app": "Confidential advisors' workbench",
        "other_lang": "Nederlands",
        "skip": "Skip to content",
        "start_title": "Sign in",
        "start_intro": (
            "This is the workbench of the confidential advisors of the Dutch central government. "
            "You sign in with your organisation account. You then see only the cases assigned to you."
        ),
        "sign_in": "Sign in",
        "sign_out": "Sign out",
        "signed_in_as": {
            "advisor": "Signed in as confidential advisor",
            "coordinator": "Signed in as coordinator",
            "management": "Signed in as management",
        },
        "nav_label": "Main menu",
        "my_cases": "My cases",
        "my_cases_intro": "The cases assigned to you now. Open cases come first.",
        "no_cases": "No cases are assigned to you now.",
        "queue": "Cases waiting",
        "queue_intro": (
            "Cases for which no advisor without a conflict of interest was found. You see coded "
            "facts only, never the content."
        ),
        "no_queue": "No cases are waiting now.",
        "management_title": "Statistics",
        "management_intro": (
            "You see no cases in caseflow, only protected figures: the number of cases per unit and "
            "quarter of your organisation."
        ),
        "stats_caption": "Cases in {year}, {organisation}",
        "stats_unit": "Unit",
        "stats_total": "Total",
        "stats_suppressed": (
            "{mark} = not shown: a small number (fewer than {k}) could point to a person. Small units "
            "are combined."
        ),
        "stats_why": {
            "sign_in_again": "Your sign-in has expired for the figures. Sign out and in again.",
            "reporting_refused": "Reporting does not give these figures to your account.",
            "reporting_unavailable": "The figures are not available now. Try again later.",
            "reporting_not_configured": "Reporting is not connected to this workbench.",
            "no_organisation": "Your account is not linked to an organisation.",
        },
        "prefs_title": "E-mail notifications",
        "prefs_intro": (
            "Do you want an e-mail when there is something new for you, such as a new case or a "
            "message from a client? The e-mail only says that there is something new, never what."
        ),
        "prefs_now": "Now",
        "prefs_on": "on",
        "prefs_off": "off",
        "prefs_no_address": "Your e-mail address is not known yet; sign in once more.",
        "prefs_legend": "E-mail when there is something new",
        "prefs_choose_on": "Yes, send me an e-mail",
        "prefs_choose_off": "No e-mails (your e-mail address is then forgotten)",
        "prefs_save": "Save",
        "case_title": "Case",
        "case_story": "What the client tells",
        "case_no_story": "The client wrote nothing down.",
        "case_persons": "Persons involved",
        "case_role": {
            "direct_manager": "Own manager",
            "higher_manager": "Higher manager",
            "colleague": "Colleague",
            "subordinate": "Subordinate",
            "advisor": "Confidential advisor",
            "top_management": "Top management",
            "hr": "HR",
            "other": "Other",
        },
        "case_role_unknown": "Role not given",
        "case_dialogue": "Messages with the client",
        "case_no_dialogue": "No messages yet.",
        "case_author": {"client": "Client", "advisor": "Advisor"},
        "case_reads": "Who opened this case",
        "case_reads_hint": "Every time the case is opened it is recorded here, this time too.",
        "case_back": "Back to my cases",
        "case_accept": "Accept the case",
        "case_accept_hint": "Accept the case to be able to answer the client.",
        "case_reply_label": "Your message to the client",
        "case_reply_hint": "The client reads this with the receipt code. Write nothing the client may not read.",
        "case_reply": "Send message",
        "case_done": {
            "accepted": "You have accepted the case. It may take a few seconds to show here.",
            "sent": "Your message has been sent.",
        },
        "case_why": {
            "not_assignee": "This case does not exist or is not assigned to you.",
            "intake_unavailable": "The case cannot be opened now. Try again in a few minutes.",
            "intake_not_configured": "This workbench cannot open cases yet (not connected).",
            "not_accepted": "Accept the case first; then you can answer the client.",
            "case_closed": "This case is closed.",
            "message_empty_or_too_long": "The message is empty or too long (at most 5,000 characters).",
        },
        "case_why_other": "The case cannot be opened.",
        "case_action_done": {
            "time_logged": "Your time was sent. It may take a few seconds before it counts here.",
            "meeting_requested": "Your meeting request was sent. The meeting appears here once it is scheduled.",
            "meeting_moving": "The meeting is being moved. The new time appears here once it is scheduled.",
            "meeting_cancelling": "The meeting is being cancelled.",
            "quiet_room_requested": "Your quiet room request was sent.",
            "outcome_recorded": "The outcome was sent.",
            "closing": "The case is being closed. Your list will then show it as closed.",
        },
        "case_action_why": {
            "activity_unknown": "Choose what you spent the time on.",
            "minutes_not_a_number": "Enter the time in whole numbers.",
            "minutes_out_of_range": "The time is too short or too long (at least 1 minute, at most 24 hours; a quiet room at most 8 hours).",
            "mode_unknown": "Choose a kind of meeting from the list.",
            "earliest_not_a_date": "The date is not filled in correctly.",
            "earliest_in_the_past": "The earliest date is in the past.",
            "meeting_unknown": "This meeting is not (or no longer) scheduled for this case.",
            "location_unknown": "Choose a place from the list.",
            "outcome_unknown": "Choose an outcome from the list.",
            "outcome_missing": "Choose at least one outcome.",
            "outcome_choose_one": "Choose one outcome.",
        },
        "case_back_to_case": "Back to the case",
        "case_ics_title": "Appointment",
        "case_activity": {
            "conversation": "Conversation",
            "administration": "Administration",
            "publicity": "Publicity",
            "training": "Training",
        },
        "case_mode": {
            "on_site_discreet_room": "At the office, in a quiet room",
            "off_site_venue": "Away from the office",
            "phone": "Phone",
            "video": "Video",
        },
        "case_outcome": {
            "advice_given": "Advice given",
            "referred.labour_law_desk": "Referred to the labour-law desk",
            "referred.social_worker": "Referred to the social worker",
            "referred.company_doctor": "Referred to the company doctor",
            "referred.integrity_office": "Referred to the integrity office",
            "referred.external_body": "Referred to an external body",
            "formal_complaint": "Formal complaint",
            "whistleblower_report": "Whistleblower report",
            "mediation": "Mediation",
            "no_follow_up": "No follow-up",
        },
        "case_suggested": "suggested",
        "case_time": "Time spent",
        "case_time_none": "No time logged yet.",
        "case_time_total": "Total",
        "case_minutes": "min",
        "case_time_legend": "What did you spend the time on?",
        "case_hours": "Hours",
        "case_minutes_label": "Minutes",
        "case_time_hint": "At least 1 minute, at most 24 hours.",
        "case_time_send": "Log time",
        "case_meeting": "Meeting",
        "case_meeting_none": "No meeting is scheduled.",
        "case_meeting_when": "When",
        "case_meeting_how": "How",
        "case_meeting_ics": "Add to my calendar (.ics)",
        "case_meeting_move": "Move the meeting",
        "case_meeting_cancel": "Cancel the meeting",
        "case_meeting_request": "Request a meeting",
        "case_mode_legend": "Kind of meeting",
        "case_mode_any": "Let scheduling choose",
        "case_earliest": "Not before (optional)",
        "case_earliest_hint": "Leave empty: as soon as possible.",
        "case_quiet_room": "Book a quiet room",
        "case_quiet_room_hint": "A room for you alone, for a confidential phone call or writing up a talk.",
        "case_location": "Place",
        "case_quiet_minutes": "How long (minutes)",
        "case_quiet_minutes_hint": "At least 1, at most 480 minutes.",
        "case_quiet_room_send": "Request a quiet room",
        "case_outcome_title": "Record an outcome",
        "case_outcome_legend": "Outcome",
        "case_outcome_hint": "The suggested referral fits the case's subject.",
        "case_outcome_send": "Record the outcome",
        "case_close": "Close the case",
        "case_close_legend": "Outcomes of the case (at least one)",
        "case_close_hint": "Once closed, nothing more can be done on the case.",
        "case_close_send": "Close the case",
        "case_col_next_meeting": "Next meeting",
        "case_no_next_meeting": "none",
        "col_case": "Case",
        "col_opened": "Received",
        "col_categories": "Subject",
        "col_channel": "Channel",
        "col_status": "Status",
        "unknown": "not known yet",
        "status": {"open": "Open", "closed": "Closed", "erased": "Erased"},
        "problem_title": "Signing in did not work",
        "problem_again": "Sign in again",
        "why": {
            "sign_in_unknown_or_expired": "Signing in took too long or was already completed. Start again.",
            "code_not_accepted": "The sign-in service did not confirm the sign-in. Start again.",
            "provider_unreachable": "The sign-in service cannot be reached now. Try again in a few minutes.",
            "no_caseflow_role": (
                "Your account has no role in caseflow. Ask the administrator for the role of "
                "advisor, coordinator or management."
            ),
            "more_than_one_caseflow_role": (
                "Your account has more than one role in caseflow. Ask the administrator to choose one."
            ),
            "advisor_without_advisor_id": (
                "Your account is not yet linked to an advisor in the register. Ask the administrator to link it."
            ),
            "coordinator_without_coordinator_id": (
                "Your account is not yet linked to a coordinator in the register. Ask the administrator to link it."
            ),
            "management_without_organisation_id": (
                "Your account is not yet linked to an organisation. Ask the administrator to link it."
            ),
            "sign_in_cancelled": "Signing in was cancelled. You can start again.",
        },
        "why_other": "Signing in did not work. Start again; if it keeps happening, tell the administrator.",
        "reason": "Code for the administrator",
        "forbidden_title": "This page is not for your role",
        "forbidden_body": "Your role cannot open this page.",
        "csrf_title": "The form has expired",
        "csrf_body": "Go back, reload the page and try again.",
        # Conflict of interest (wb-conflict)
        "conflict_why": {
            "unknown_conflict_reason": "Choose one of the reasons in the list.",
            "conflict_not_confirmed": "Tick the box to confirm you give up the case, then try again.",
        },
        "conflict_title": "Declare a conflict of interest",
        "conflict_intro": (
            "Can you not handle this case independently? Choose the reason. The case then goes to another "
            "advisor at once and you can no longer open it."
        ),
        "conflict_reason_label": "Reason",
        "conflict_confirm": "I give up this case and can no longer open it afterwards.",
        "conflict_send": "Declare a conflict of interest",
        "list_done": {
            "conflict": "You gave up the case. Another advisor will take it over.",
        },
        "conflict_refused": "Your conflict of interest declaration was not carried out; the case is yours again:",
        "conflict_refused_why": {
            "not_assignee": "routing says you do not (or no longer) handle this case.",
        },
        "conflict_refused_other": "routing could not carry it out. Try again or contact the coordinator.",
        # Persons involved added by the advisor (wb-conflict)
        "person_title": "Add a person involved",
        "person_intro": (
            "Have you learnt of someone else involved in the case? Add them. Routing then checks again "
            "whether you can handle the case independently."
        ),
        "person_role_label": "Role towards the client",
        "person_description_label": "Description (optional)",
        "person_description_hint": "At most 1,000 characters. Only whoever handles the case can read it.",
        "person_send": "Add the person",
        "person_done": {"person_added": "The person has been added."},
        "person_why": {
            "unknown_person_role": "Choose one of the roles in the list.",
            "person_description_too_long": "The description is too long (at most 1,000 characters).",
            "invalid_body": "The person's details are not valid. Check them and try again.",
        },
        # Registering a phone call or walk-in (wb-conflict)
        "contact_title": "Register a contact",
        "contact_link": "Register a phone call or walk-in",
        "contact_intro": (
            "Did someone call or drop in? Register the contact as a case. It is assigned to you if that is "
            "allowed; otherwise routing chooses another advisor."
        ),
        "contact_channel": "How was the contact?",
        "contact_organisation": "Organisation (code)",
        "contact_unit": "Unit (code)",
        "contact_unit_hint": "The codes of the HR system, for example min-bzk and bzk-dgob-ict.",
        "contact_client_role": "The client is",
        "contact_client_roles": {
            "employee": "Employee",
            "manager": "Manager",
            "former_employee": "Former employee",
            "external_worker": "External worker",
        },
        "contact_narrative": "What did the client tell?",
        "contact_anonymous": "The client wants to stay anonymous (no contact details)",
        "contact_reach": "How do you reach the client?",
        "contact_name": "Name (optional)",
        "contact_email": "E-mail address",
        "contact_phone": "Phone number",
        "contact_send": "Register the contact",
        "contact_done": {
            "registered": "The contact has been registered. The case shows in your list once it is assigned to you."
        },
        "contact_why": {
            "contact_form_expired": "The form has expired. Reload the page.",
            "contact_unknown_channel": "Choose phone or walk-in.",
            "contact_unknown_client_role": "Choose who the client is.",
            "contact_unknown_category": "Choose a subject from the list.",
            "contact_unknown_unit": "Fill in the codes of the organisation and the unit.",
            "contact_narrative_too_long": "The story is too long (at most 20,000 characters).",
            "contact_given_while_anonymous": "An anonymous client has no contact details. Untick the box or leave the details empty.",
            "contact_unreachable": "Fill in an e-mail address or phone number, or tick anonymous.",
            "unknown_organisation": "This organisation is not known.",
            "unknown_unit": "This unit is not known.",
            "invalid_email": "The e-mail address is not valid.",
            "invalid_phone": "The phone number is not valid.",
        },
        "contact_why_other": "The contact could not be registered. Check the details and try again.",
        # the coordinators' queue: choosing an advisor (entrypoints/people_pages.py)
        "queue_assign_legend": "Choose a confidential advisor for case {case}",
        "queue_assign_label": "Confidential advisor",
        "queue_assign_button": "Assign",
        "queue_no_advisors": "No active confidential advisors are known yet.",
        "queue_col_assign": "Assign",
        "queue_sent": "Your choice ({advisor}) has been sent. The case leaves the queue once it is assigned.",
        "queue_refused": "Your choice ({advisor}) was not carried out.",
        "queue_done": "Your choice has been sent.",
        "queue_why": {
            "not_coordinator": "You do not coordinate this case's organisation.",
            "case_not_escalated": "This case no longer waits: it was assigned, closed or erased.",
            "chosen_advisor_unknown": "This confidential advisor is not (or no longer) known.",
            "chosen_advisor_unavailable": "This confidential advisor is not available now (leave, departed or outside their term).",
            "chosen_advisor_kind_mismatch": "This confidential advisor does not handle this kind of case (integrity or undesirable behaviour).",
            "chosen_advisor_language_mismatch": "This confidential advisor does not speak the client's language.",
            "chosen_advisor_conflict_of_interest": "This confidential advisor has a conflict of interest in this case. Choose someone else.",
            "signer_not_configured": "The workbench cannot sign commands now. Tell the administrator.",
        },
        "queue_why_other": "The choice was not carried out. Choose again or tell the administrator.",
        "advisor_kinds": {
            "VPI": "integrity",
            "VPO": "undesirable behaviour",
            "VPIO": "integrity and undesirable behaviour",
        },
        "advisor_scopes": {"internal": "internal", "cross_unit": "organisation-wide", "external": "external"},
        # "My hours" (entrypoints/people_pages.py)
        "hours_title": "My hours",
        "hours_intro": (
            "Your hours by kind of work, and your training and supervision against the baseline, this "
            "year. What you record here counts once reporting has processed it."
        ),
        "hours_caption": "Your hours in {year}",
        "hours_baseline_caption": "Training and supervision in {year} against the baseline",
        "hours_col_activity": "Kind of work",
        "hours_col_hours": "Hours",
        "hours_col_what": "What",
        "hours_col_done": "Done",
        "hours_col_baseline": "Baseline",
        "hours_col_state": "State",
        "hours_total": "Total",
        "hours_meets": "Met",
        "hours_short_by": "{n} to go",
        "hours_training_row": "Training (hours)",
        "hours_supervision_row": "Supervision (sessions)",
        "hours_activities": {
            "conversation": "Conversations",
            "administration": "Administration",
            "publicity": "Information sessions",
            "training": "Training",
        },
        "hours_training_kinds": {
            "basic_course": "Basic course",
            "refresher": "Refresher",
            "specialist": "Specialist",
        },
        "hours_time_legend": "Record time without a case",
        "hours_minutes": "Minutes",
        "hours_time_button": "Record time",
        "hours_training_legend": "Record training",
        "hours_training_kind": "Kind of training",
        "hours_hours": "Hours (for example 1.5)",
        "hours_completed_on": "Completed on",
        "hours_training_button": "Record training",
        "hours_supervision_legend": "Record supervision",
        "hours_session_on": "Date of the session",
        "hours_supervision_button": "Record supervision",
        "hours_done": {
            "tijd": "Your time has been recorded.",
            "scholing": "Your training has been recorded.",
            "intervisie": "Your supervision has been recorded.",
        },
        "hours_forms": {"tijd": "Time", "scholing": "Training", "intervisie": "Supervision"},
        "hours_why": {
            "activity_unknown": "Choose a kind of work from the list.",
            "minutes_not_a_number": "Enter the minutes as a whole number.",
            "minutes_not_positive": "The minutes must be more than 0.",
            "minutes_too_many": "One record is at most 24 hours (1440 minutes).",
            "training_kind_unknown": "Choose a kind of training from the list.",
            "hours_not_a_number": "Enter the hours as a number, for example 1.5.",
            "hours_not_positive": "The hours must be more than 0.",
            "hours_too_many": "That is more hours than one record can hold.",
            "date_invalid": "Enter a valid date.",
            "date_in_future": "The date is in the future.",
            "date_too_long_ago": "The date is more than a year ago.",
            "signer_not_configured": "The workbench cannot sign commands now. Tell the administrator.",
        },
        "hours_why_other": "This was not recorded. Try again.",
        "hours_no_such_form": "This form does not exist. Go back to My hours.",
        # a coordinator's advisors (entrypoints/people_pages.py)
        "advisors_title": "Confidential advisors",
        "advisors_intro": (
            "Your organisation's confidential advisors: their hours, training and supervision against "
            "the baseline this year, and whose appointment ends within six months. You see no cases."
        ),
        "advisors_caption": "Your organisation's confidential advisors in {year}",
        "advisors_col_advisor": "Confidential advisor",
        "advisors_col_kind": "Kind and reach",
        "advisors_col_status": "Status",
        "advisors_col_term_end": "Appointed until",
        "advisors_ends_soon": "ends within six months",
        "advisors_no_term_end": "no end date",
        "advisors_no_figures": "no figures",
        "advisors_of_baseline": "{done} of {baseline}",
        "advisors_terms_title": "Appointments ending within six months",
        "advisors_no_terms_ending": "No appointment ends within six months.",
        "advisors_none": "No confidential advisors of your organisation are known yet.",
        "advisor_statuses": {"active": "active", "on_leave": "on leave", "departed": "departed"},
        # the yearly reflection talk (entrypoints/people_pages.py, /adviseurs/reflectiegesprek)
        "talk_col": "Reflection talk",
        "talk_none": "not recorded yet",
        "talk_due": "the yearly talk is due",
        "talk_legend": "Record a reflection talk",
        "talk_hint": (
            "The yearly talk about how the confidential advisor is doing, never about cases. Only "
            "the date is kept, no notes."
        ),
        "talk_held_on": "Date of the talk",
        "talk_button": "Record the talk",
        "talk_done": "The reflection talk was sent. It appears in the table once it is recorded.",
        "talk_refused_by_routing": "The talk with {advisor} on {day} was not recorded",
        "talk_why": {
            "advisor_not_yours": "Choose a confidential advisor of your own organisation from the list.",
            "not_coordinator": "You are not (or no longer) a coordinator of this advisor's organisation.",
            "date_invalid": "Enter a valid date.",
            "date_in_future": "The date is in the future. Record the talk after it was held.",
            "talk_date_in_future": "The date is in the future. Record the talk after it was held.",
            "date_too_long_ago": "The date is more than a year ago.",
            "talk_date_too_long_ago": "The date is more than a year ago.",
            "signer_not_configured": "The workbench cannot sign commands now. Tell the administrator.",
        },
    },
}

# Conflict of interest (DeclareConflict): the reason codes' labels, Dutch and English.
CONFLICT_REASON_LABELS: dict[str, tuple[str, str]] = {
    ConflictReason.KNOWS_PERSON: ("Ik ken een betrokkene persoonlijk", "I know a person involved"),
    ConflictReason.OWN_MANAGER_INVOLVED: (
        "Mijn eigen leidinggevende is betrokken",
        "My own manager is involved",
    ),
    ConflictReason.PRESSURE_FROM_MANAGEMENT: (
        "Ik word onder druk gezet door het management",
        "I am under pressure from management",
    ),
    ConflictReason.OTHER: ("Een andere reden", "Another reason"),
}
