"""Neutral iCalendar invitations: a calendar entry must not give away why two people meet.

Calendars are shared, synced to phones and read over shoulders (seed §2.2 "Afspreeklocatie"), so
title, description and location say nothing about advisors, cases or categories, and the UID is a
random UUID that cannot be traced back to a case. Pure: bytes in memory, no clock (pass dtstamp_utc).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Literal

from icalendar import Calendar, Event, vCalAddress

from services.scheduling.domain.places import SchedulingInputError, as_utc
from services.scheduling.domain.slots import neutral_title
from shared.codes import CATEGORY_LABELS, Category, MeetingMode

ForWhom = Literal["advisor", "client"]

# Matched anywhere, case-insensitive: these give the purpose away even inside another word.
REVEALING_FRAGMENTS: tuple[str, ...] = (
    "vertrouwens",  # vertrouwenspersoon, vertrouwenspersonen
    "vertrouwelijk",
    "confidential",
    "advisor",
    "adviseur",
    "integriteit",
    "integrity",
    "case",
    "zaak",
    "melding",
    "klacht",
    "complaint",
    "klokkenluid",
    "whistleblow",
)
# Matched as whole words only: short or common enough to occur innocently inside other words.
_REVEALING_WORDS: tuple[str, ...] = (
    "vp",
    "vpi",
    "vpo",
    "vpio",
    *(category.value for category in Category),
    *(label for labels in CATEGORY_LABELS.values() for label in labels),
)
_REVEALING_WORD_PATTERN = re.compile(
    r"\b(" + "|".join(re.escape(word) for word in _REVEALING_WORDS) + r")\b", re.IGNORECASE
)

PRODUCT_ID = "-//Agenda//NL"
_REMOTE_LOCATIONS: dict[MeetingMode, dict[str, str]] = {
    MeetingMode.PHONE: {"nl": "Telefonisch", "en": "By phone"},
    MeetingMode.VIDEO: {"nl": "Online", "en": "Online"},
}
_LOCATION_FOLLOWS = {"nl": "Locatie volgt", "en": "Location to follow"}
_CLIENT_DESCRIPTIONS: dict[str, str] = {
    "nl": "Verzetten of afzeggen? Reageer op het bericht waarmee u deze uitnodiging ontving.",
    "en": "Need to reschedule or cancel? Reply to the message this invitation came with.",
}


class RevealingCalendarText(SchedulingInputError):
    """Text meant for a calendar entry would reveal what the meeting is about."""


def reveals_purpose(text: str) -> bool:
    lowered = text.lower()
    return any(fragment in lowered for fragment in REVEALING_FRAGMENTS) or bool(
        _REVEALING_WORD_PATTERN.search(text)
    )


def remote_location_text(mode: MeetingMode, lang: str = "nl") -> str:
    """ "Telefonisch" / "Online" for phone and video meetings."""
    texts = _REMOTE_LOCATIONS.get(mode)
    if texts is None:
        raise SchedulingInputError("only phone and video meetings have a fixed location text")
    return texts.get(lang, texts["nl"])


def neutral_location_text(candidates: Sequence[str], lang: str = "nl") -> str:
    """The first of a place's names (most precise first) that gives nothing away, else "Locatie
    volgt": a room named after its use is not named."""
    for text in candidates:
        if text and not reveals_purpose(text):
            return text
    return _LOCATION_FOLLOWS.get(lang, _LOCATION_FOLLOWS["nl"])


def _opaque_uid(meeting_uid: uuid.UUID | str) -> str:
    """Only random (version 4) UUIDs: a name-based UUID of a case id could be recomputed by anyone."""
    try:
        parsed = meeting_uid if isinstance(meeting_uid, uuid.UUID) else uuid.UUID(meeting_uid)
    except ValueError as error:
        raise SchedulingInputError("the meeting uid must be a random UUID") from error
    if parsed.version != 4:
        raise SchedulingInputError("the meeting uid must be a random (version 4) UUID")
    return str(parsed)


def _calendar(
    method: Literal["REQUEST", "CANCEL"],
    meeting_uid: uuid.UUID | str,
    start_utc: datetime,
    end_utc: datetime,
    location_text: str,
    for_whom: ForWhom,
    lang: str,
    sequence: int,
    dtstamp_utc: datetime | None,
    organizer_address: str | None,
) -> bytes:
    if for_whom not in ("advisor", "client"):
        raise SchedulingInputError("for_whom must be 'advisor' or 'client'")
    start, end = as_utc(start_utc, "meeting start"), as_utc(end_utc, "meeting end")
    if not start < end:
        raise SchedulingInputError("a meeting must end after it starts")
    if sequence < 0:
        raise SchedulingInputError("sequence cannot be negative")
    for text in (location_text, organizer_address or ""):
        if reveals_purpose(text):
            raise RevealingCalendarText("calendar text must be neutral")

    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("method", method)

    event = Event()
    event.add("uid", _opaque_uid(meeting_uid))
    event.add(
        "dtstamp", (as_utc(dtstamp_utc, "dtstamp") if dtstamp_utc is not None else start).astimezone(UTC)
    )
    event.add("dtstart", start)
    event.add("dtend", end)
    event.add("sequence", sequence)
    event.add("summary", neutral_title(lang))
    event.add("location", location_text)
    if for_whom == "client":
        event.add("description", _CLIENT_DESCRIPTIONS.get(lang, _CLIENT_DESCRIPTIONS["nl"]))
    # PRIVATE, not CONFIDENTIAL: the class value itself would be a hint.
    event.add("class", "PRIVATE")
    event.add("transp", "OPAQUE")
    event.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    if organizer_address is not None:
        event.add("organizer", vCalAddress(f"mailto:{organizer_address}"))
    calendar.add_component(event)
    ics: bytes = calendar.to_ical()
    return ics


def meeting_invitation_ics(
    meeting_uid: uuid.UUID | str,
    start_utc: datetime,
    end_utc: datetime,
    location_text: str,
    for_whom: ForWhom,
    lang: str = "nl",
    *,
    sequence: int = 0,
    dtstamp_utc: datetime | None = None,
    organizer_address: str | None = None,
) -> bytes:
    """METHOD:REQUEST. For a room, `location_text` is the building and room name as the caller
    made them neutral; for phone/video use remote_location_text(). Raises RevealingCalendarText.

    dtstamp_utc should be the caller's `now`; without it the start time is used (deterministic).
    A reschedule is a new invitation with the same uid and sequence + 1.
    """
    return _calendar(
        "REQUEST",
        meeting_uid,
        start_utc,
        end_utc,
        location_text,
        for_whom,
        lang,
        sequence,
        dtstamp_utc,
        organizer_address,
    )


def meeting_cancellation_ics(
    meeting_uid: uuid.UUID | str,
    start_utc: datetime,
    end_utc: datetime,
    location_text: str,
    for_whom: ForWhom,
    lang: str = "nl",
    *,
    previous_sequence: int = 0,
    dtstamp_utc: datetime | None = None,
    organizer_address: str | None = None,
) -> bytes:
    """METHOD:CANCEL for the same uid, with the sequence one above the last invitation sent."""
    return _calendar(
        "CANCEL",
        meeting_uid,
        start_utc,
        end_utc,
        location_text,
        for_whom,
        lang,
        previous_sequence + 1,
        dtstamp_utc,
        organizer_address,
    )
