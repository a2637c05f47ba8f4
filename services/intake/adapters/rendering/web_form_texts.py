"""Every Dutch and English text of the web form (services/intake/adapters/rendering/templates/)."""

from __future__ import annotations

from typing import Any

TEXT: dict[str, dict[str, Any]] = {
    "nl": {
        "title": "Contact met een vertrouwenspersoon",
        "intro": "Wat u hier schrijft, leest alleen de vertrouwenspersoon die uw melding krijgt. "
        "U mag anoniem blijven. Vragen met een * moet u invullen.",
        "org": "Uw organisatie *",
        "unit": "Uw onderdeel *",
        "role": "U bent",
        "roles": {
            "employee": "medewerker",
            "manager": "leidinggevende",
            "former_employee": "oud-medewerker",
            "external_worker": "extern ingehuurd",
        },
        "anonymous": "Ik wil anoniem blijven",
        "contact": "Hoe kunnen we u bereiken?",
        "name": "Naam (mag een roepnaam zijn)",
        "email": "E-mailadres",
        "phone": "Telefoonnummer",
        "categories": "Waar gaat het over? *",
        "narrative": "Uw verhaal",
        "narrative_hint": "Schrijf zo veel of zo weinig als u wilt.",
        "external": "Ik wil liever een vertrouwenspersoon van buiten mijn organisatie",
        "meeting": "Hoe wilt u afspreken?",
        "modes": {
            "on_site_discreet_room": "in een rustige, afgesloten ruimte",
            "off_site_venue": "buiten kantoor",
            "phone": "telefonisch",
            "video": "via video",
        },
        "location": "Plaats",
        "whistleblower": "Dit is een melding van een vermoeden van een misstand (Wet bescherming klokkenluiders)",
        "submit": "Versturen",
        "language": "Taal",
        "other_language": "English",
        "received": "Uw melding is ontvangen",
        "receipt": "Uw ontvangstcode",
        "receipt_hint": "Bewaar deze code goed. Daarmee kunt u later berichten lezen en sturen, ook als u anoniem bent. "
        "Wij kunnen de code niet opnieuw voor u opvragen.",
        "rejected": "Uw melding kon niet worden verwerkt",
        "back": "Terug naar het formulier",
        "reasons": "Reden",
        "kept": "Wat u invulde staat hieronder nog in het formulier. Pas het aan en verstuur het opnieuw.",
        "why": {
            "organisation_unknown": "Deze organisatie staat niet in onze lijst. Kies uw organisatie uit de lijst.",
            "unit_unknown_in_organisation": "Dit onderdeel hoort niet bij de organisatie die u koos. "
            "Kies een onderdeel onder de naam van uw organisatie.",
            "directory_not_loaded": "Het systeem is net gestart en kent de organisaties nog niet. "
            "Er is niets bewaard. Verstuur het formulier over een paar minuten opnieuw.",
            "no_category": "Kies ten minste één onderwerp.",
            "contact_required": "Vul een e-mailadres of telefoonnummer in, of kies voor anoniem.",
            "contact_unreachable": "Vul een e-mailadres of telefoonnummer in, of kies voor anoniem.",
            "contact_given_while_anonymous": "U koos voor anoniem: laat naam, e-mail en telefoon dan leeg.",
            "invalid_email": "Dit e-mailadres lijkt niet te kloppen.",
            "invalid_phone": "Dit telefoonnummer lijkt niet te kloppen.",
            "invalid_identifier": "Een code bevat tekens die niet mogen (alleen letters, cijfers, - _ . :).",
        },
        "why_other": "Controleer de gegevens en probeer het opnieuw.",
    },
    "en": {
        "title": "Contact a confidential advisor",
        "intro": "What you write here is read only by the confidential advisor who takes your case. "
        "You may stay anonymous. Questions marked * must be answered.",
        "org": "Your organisation *",
        "unit": "Your unit *",
        "role": "You are",
        "roles": {
            "employee": "an employee",
            "manager": "a manager",
            "former_employee": "a former employee",
            "external_worker": "an external worker",
        },
        "anonymous": "I want to stay anonymous",
        "contact": "How can we reach you?",
        "name": "Name (a first name is fine)",
        "email": "E-mail address",
        "phone": "Phone number",
        "categories": "What is it about? *",
        "narrative": "Your story",
        "narrative_hint": "Write as much or as little as you like.",
        "external": "I would rather talk to an advisor from outside my organisation",
        "meeting": "How would you like to meet?",
        "modes": {
            "on_site_discreet_room": "in a quiet, closed room",
            "off_site_venue": "away from the office",
            "phone": "by phone",
            "video": "by video",
        },
        "location": "Town",
        "whistleblower": "This is a report of suspected wrongdoing (Whistleblowers Act)",
        "submit": "Send",
        "language": "Language",
        "other_language": "Nederlands",
        "received": "Your message has been received",
        "receipt": "Your receipt code",
        "receipt_hint": "Keep this code safe. With it you can read and send messages later, even anonymously. "
        "We cannot look it up for you.",
        "rejected": "Your message could not be processed",
        "back": "Back to the form",
        "reasons": "Reason",
        "kept": "What you entered is still in the form below. Correct it and send it again.",
        "why": {
            "organisation_unknown": "This organisation is not on our list. Choose your organisation from the list.",
            "unit_unknown_in_organisation": "This unit is not part of the organisation you chose. "
            "Choose a unit under the name of your organisation.",
            "directory_not_loaded": "The system has just started and does not know the organisations yet. "
            "Nothing was kept. Please send the form again in a few minutes.",
            "no_category": "Choose at least one subject.",
            "contact_required": "Enter an e-mail address or phone number, or choose to stay anonymous.",
            "contact_unreachable": "Enter an e-mail address or phone number, or choose to stay anonymous.",
            "contact_given_while_anonymous": "You chose to stay anonymous: leave name, e-mail and phone empty.",
            "invalid_email": "This e-mail address does not look right.",
            "invalid_phone": "This phone number does not look right.",
            "invalid_identifier": "A code contains characters that are not allowed (letters, digits, - _ . : only).",
        },
        "why_other": "Check what you entered and try again.",
    },
}

# The received page when the case is stored but the broker has not taken it yet (the outbox relay
# passes it on later): said in plain words, and only then.
_PASSED_ON_LATER = {
    "nl": "Uw melding is veilig bij ons opgeslagen. Wij sturen hem door naar een vertrouwenspersoon "
    "zodra dat kan. U hoeft niets opnieuw te versturen. Uw ontvangstcode werkt al.",
    "en": "Your message is stored safely with us. We will pass it on to a confidential advisor as soon "
    "as we can. You do not need to send it again. Your receipt code already works.",
}
for _lang, _words in _PASSED_ON_LATER.items():
    TEXT[_lang]["passed_on_later"] = _words

# -- The form's lists, the choice of advisor, the category groups, privacy and what happens next
# (issue 14, the form). Merged into TEXT below; kept apart from the other pages' texts.
FORM_TEXT: dict[str, dict[str, Any]] = {
    "nl": {
        "where": "Waar werkt u?",
        "choose_org": "Kies uw organisatie",
        "choose_unit": "Kies uw onderdeel",
        "unit_hint": "Kies het onderdeel onder de naam van uw organisatie. Staat uw onderdeel er niet bij? "
        "Kies dan de naam van de organisatie zelf.",
        "categories_hint": "Kies één of meer onderwerpen, hoogstens vijf. Twijfelt u? Kies dan wat het beste past. "
        "De vertrouwenspersoon helpt u verder.",
        "groups": {
            "unwanted_behaviour": (
                "Ongewenst gedrag",
                (
                    "Iemand behandelt u of een ander slecht: bijvoorbeeld "
                    "pesten, schelden, bedreigen, seksuele opmerkingen of discriminatie."
                ),
            ),
            "integrity": (
                "Integriteit",
                (
                    "U denkt dat iemand zich niet aan de regels houdt: bijvoorbeeld "
                    "fraude, omkoping, misbruik van macht of van informatie."
                ),
            ),
            "work": (
                "Werk en arbeidsvoorwaarden",
                (
                    "Het gaat over uw werk zelf: bijvoorbeeld een conflict "
                    "met uw leidinggevende, uw contract of te veel werk."
                ),
            ),
            "other": (
                "Iets anders",
                "Past uw vraag nergens bij? Kies dit. U kunt het uitleggen in uw verhaal.",
            ),
        },
        "advisor": "Met wie wilt u praten?",
        "advisor_hint": "U mag zelf een vertrouwenspersoon kiezen. Wij houden ons daaraan als het kan. "
        "Werkt die persoon niet voor uw organisatie, of is die persoon betrokken bij uw situatie? "
        "Dan zoeken wij iemand anders.",
        "serves_other": "andere organisaties",
        "no_preference": "Geen voorkeur",
        "no_preference_hint": "Wij kiezen een vertrouwenspersoon die bij uw vraag past.",
        "kinds": {
            "VPI": "Vertrouwenspersoon integriteit",
            "VPO": "Vertrouwenspersoon ongewenst gedrag",
            "VPIO": "Vertrouwenspersoon integriteit en ongewenst gedrag",
        },
        "scopes": {
            "internal": "Voor medewerkers van {org}",
            "cross_unit": "Werkt bij {org}, ook voor {serves}",
            "external": "Extern: voor de hele Rijksoverheid, niet van uw eigen organisatie",
        },
        "speaks": "Spreekt",
        "language_names": {"nl": "Nederlands", "en": "Engels", "de": "Duits", "fr": "Frans"},
        "avoid": "Liever niet met",
        "avoid_none": "Geen bezwaar tegen iemand",
        "avoid_hint": "Wilt u een bepaalde vertrouwenspersoon liever niet spreken? Kies die hier. "
        "U hoeft niet te zeggen waarom.",
        "externals": "De externe vertrouwenspersonen zijn:",
        "meeting_mode": "Manier van afspreken",
        "privacy": "Wat gebeurt er met uw gegevens?",
        "kept_for": {"year": "Eén jaar", "years": "{n} jaar", "days": "{n} dagen", "none": "Direct"},
        "privacy_points": [
            (
                "Alleen de vertrouwenspersoon die uw melding krijgt, kan uw verhaal en uw gegevens lezen. "
                "Uw leidinggevende, HR en de integriteitscoördinator kunnen dat niet."
            ),
            (
                "Uw gegevens worden versleuteld bewaard. {kept} nadat uw melding is afgesloten, worden ze "
                "gewist."
            ),
            "U mag altijd vragen om uw gegevens te wissen. Dat kan met uw ontvangstcode.",
            (
                "U mag anoniem blijven. Dan weet niemand wie u bent, ook de vertrouwenspersoon niet. "
                "U kunt dan alleen contact houden met uw ontvangstcode."
            ),
            "Voor jaarcijfers tellen wij alleen onderwerpen en aantallen, nooit namen of verhalen.",
        ],
        "next": "Wat gebeurt er daarna?",
        "next_steps": [
            "U krijgt direct een ontvangstcode. Bewaar die goed.",
            "Een vertrouwenspersoon krijgt uw melding en leest die zo snel mogelijk.",
            "De vertrouwenspersoon neemt contact met u op, of stuurt een bericht dat u met uw code leest.",
            "Samen bespreekt u wat u wilt. U beslist zelf wat er verder gebeurt.",
        ],
        "go_to_question": "Naar de vraag",
        "why": {
            "organisation_missing": "Kies uw organisatie uit de lijst.",
            "unit_missing": "Kies uw onderdeel uit de lijst. Staat het er niet bij? Kies dan de naam van uw "
            "organisatie.",
            "advisor_unknown": "Deze vertrouwenspersoon staat niet (meer) in de lijst. Kies iemand anders, "
            "of kies ‘Geen voorkeur’.",
            "advisor_chosen_and_avoided": "U koos dezelfde vertrouwenspersoon om mee te praten én om niet mee "
            "te praten. Pas een van de twee aan.",
            "too_many_categories": "Kies hoogstens vijf onderwerpen. Vertel de rest in uw verhaal.",
            "duplicate_category": "U koos een onderwerp twee keer. Kies elk onderwerp één keer.",
            "narrative_too_long": "Uw verhaal is te lang voor het formulier. Maak het korter. "
            "U kunt de rest later vertellen aan de vertrouwenspersoon.",
            "field_too_long": "Een van de antwoorden is te lang. Maak het korter.",
        },
    },
    "en": {
        "where": "Where do you work?",
        "choose_org": "Choose your organisation",
        "choose_unit": "Choose your unit",
        "unit_hint": "Choose the unit under the name of your organisation. Is your unit not on the list? "
        "Then choose the name of the organisation itself.",
        "categories_hint": "Choose one or more subjects, five at most. Not sure? Choose what fits best. "
        "The advisor will help you further.",
        "groups": {
            "unwanted_behaviour": (
                "Unwanted behaviour",
                (
                    "Someone treats you or another person badly: for "
                    "example bullying, insults, threats, sexual remarks or discrimination."
                ),
            ),
            "integrity": (
                "Integrity",
                (
                    "You think someone is breaking the rules: for example fraud, "
                    "bribery, abuse of power or misuse of information."
                ),
            ),
            "work": (
                "Work and employment",
                (
                    "It is about your work itself: for example a conflict with your "
                    "manager, your contract or too much work."
                ),
            ),
            "other": (
                "Something else",
                "Does your question not fit anywhere? Choose this. You can explain it in your story.",
            ),
        },
        "advisor": "Who would you like to talk to?",
        "advisor_hint": "You may choose a confidential advisor yourself. We follow your choice when we can. "
        "Does that person not work for your organisation, or are they involved in your situation? "
        "Then we will find someone else.",
        "serves_other": "other organisations",
        "no_preference": "No preference",
        "no_preference_hint": "We will choose an advisor who fits your question.",
        "kinds": {
            "VPI": "Confidential advisor for integrity",
            "VPO": "Confidential advisor for unwanted behaviour",
            "VPIO": "Confidential advisor for integrity and unwanted behaviour",
        },
        "scopes": {
            "internal": "For employees of {org}",
            "cross_unit": "Works at {org}, also for {serves}",
            "external": "External: for all of central government, not from your own organisation",
        },
        "speaks": "Speaks",
        "language_names": {"nl": "Dutch", "en": "English", "de": "German", "fr": "French"},
        "avoid": "Rather not with",
        "avoid_none": "No objection to anyone",
        "avoid_hint": "Would you rather not talk to a certain advisor? Choose them here. "
        "You do not have to say why.",
        "externals": "The external advisors are:",
        "meeting_mode": "How to meet",
        "privacy": "What happens to your information?",
        "kept_for": {"year": "One year", "years": "{n} years", "days": "{n} days", "none": "Straight away"},
        "privacy_points": [
            (
                "Only the confidential advisor who takes your case can read your story and your details. "
                "Your manager, HR and the integrity coordinator cannot."
            ),
            "Your information is stored encrypted. {kept} after your case is closed, it is erased.",
            "You may always ask us to erase your information. You can do this with your receipt code.",
            (
                "You may stay anonymous. Then nobody knows who you are, not even the advisor. "
                "You can then only stay in touch with your receipt code."
            ),
            "For yearly figures we count only subjects and numbers, never names or stories.",
        ],
        "next": "What happens next?",
        "next_steps": [
            "You get a receipt code straight away. Keep it safe.",
            "A confidential advisor gets your message and reads it as soon as possible.",
            "The advisor contacts you, or sends a message that you read with your code.",
            "Together you talk about what you want. You decide what happens next.",
        ],
        "go_to_question": "Go to the question",
        "why": {
            "organisation_missing": "Choose your organisation from the list.",
            "unit_missing": "Choose your unit from the list. Is it not there? Then choose the name of your "
            "organisation.",
            "advisor_unknown": "This advisor is not (or no longer) on the list. Choose someone else, "
            "or choose ‘No preference’.",
            "advisor_chosen_and_avoided": "You chose the same advisor to talk to and not to talk to. "
            "Change one of the two.",
            "too_many_categories": "Choose five subjects at most. Tell the rest in your story.",
            "duplicate_category": "You chose a subject twice. Choose each subject once.",
            "narrative_too_long": "Your story is too long for the form. Make it shorter. "
            "You can tell the rest to the advisor later.",
            "field_too_long": "One of your answers is too long. Make it shorter.",
        },
    },
}
for _lang, _extra in FORM_TEXT.items():
    TEXT[_lang] |= {k: v for k, v in _extra.items() if k != "why"}
    TEXT[_lang]["why"] |= _extra["why"]
