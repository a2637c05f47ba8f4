"""Every text of the workbench's pages, Dutch (the default) and English, at plain-language level."""

from __future__ import annotations

from typing import Any

from shared.codes import Channel

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
    },
}
