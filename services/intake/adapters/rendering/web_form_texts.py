"""Every Dutch and English text of the web form (services/intake/adapters/rendering/templates/)."""

from __future__ import annotations

from typing import Any

TEXT: dict[str, dict[str, Any]] = {
    "nl": {
        "title": "Contact met een vertrouwenspersoon",
        "intro": "Wat u hier schrijft, leest alleen de vertrouwenspersoon die uw melding krijgt. "
        "U mag anoniem blijven. Velden met * zijn verplicht.",
        "org": "Organisatie (code)",
        "unit": "Onderdeel (code)",
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
            "organisation_unknown": "Deze organisatiecode kennen wij niet. Controleer de code "
            "(bijvoorbeeld op intranet) of vraag uw vertrouwenspersoon om de juiste code.",
            "unit_unknown_in_organisation": "Dit onderdeel hoort niet bij de organisatie die u invulde. "
            "Controleer de code van uw onderdeel.",
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
        "You may stay anonymous. Fields marked * are required.",
        "org": "Organisation (code)",
        "unit": "Unit (code)",
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
            "organisation_unknown": "We do not know this organisation code. Check the code "
            "(for example on the intranet) or ask a confidential advisor for the right one.",
            "unit_unknown_in_organisation": "This unit is not part of the organisation you entered. "
            "Check your unit's code.",
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
