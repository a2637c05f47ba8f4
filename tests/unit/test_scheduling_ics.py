"""Neutral iCalendar invitations: nothing in the bytes may reveal what the meeting is about."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from icalendar import Calendar

from services.scheduling.domain.calendar_ics import (
    RevealingCalendarText,
    meeting_cancellation_ics,
    meeting_invitation_ics,
    neutral_location_text,
    remote_location_text,
    reveals_purpose,
)
from services.scheduling.domain.places import SchedulingInputError
from shared.codes import CATEGORY_LABELS, Category, MeetingMode

pytestmark = pytest.mark.unit

MEETING_UID = uuid.UUID("5f1c7a52-3c1e-4f0b-9a53-2b8f6f4f3f10")
CASE_ID = uuid.UUID("0b7e2d6a-9f4c-4a5e-8d1b-7c3a2e1f0d9c")
CASE_REFERENCE = "VP-2025-0042"
START = datetime(2025, 6, 3, 8, 15, tzinfo=UTC)
END = START + timedelta(hours=1)
NOW = datetime(2025, 5, 30, 12, 0, tzinfo=UTC)

FORBIDDEN = [
    "vertrouwenspersoon",
    "confidential",
    "advisor",
    "vp",
    "integriteit",
    "integrity",
    "case",
    "zaak",
    "melding",
]
LEAKS = [
    *FORBIDDEN,
    str(CASE_ID),
    CASE_ID.hex,
    CASE_REFERENCE,
    *(category.value for category in Category),
    *(label for labels in CATEGORY_LABELS.values() for label in labels),
]

LOCATIONS = ["Turfmarkt 147, kamer 4.12", "Rijnstraat 50 - Zaal Noord", "Telefonisch", "Online", "By phone"]


def unfolded(ics: bytes) -> bytes:
    # A long line folded at 75 octets could split a word; check the unfolded text too.
    return ics.replace(b"\r\n ", b"").replace(b"\r\n\t", b"")


def all_variants() -> list[bytes]:
    variants = []
    for for_whom in ("advisor", "client"):
        for lang in ("nl", "en"):
            for location in LOCATIONS:
                variants.append(
                    meeting_invitation_ics(MEETING_UID, START, END, location, for_whom, lang, dtstamp_utc=NOW)
                )
                variants.append(
                    meeting_cancellation_ics(
                        MEETING_UID, START, END, location, for_whom, lang, previous_sequence=2
                    )
                )
    return variants


@pytest.mark.parametrize("leak", LEAKS)
def test_no_invitation_or_cancellation_contains_a_revealing_word_code_or_label(leak: str) -> None:
    for ics in all_variants():
        for text in (ics, unfolded(ics)):
            assert leak.lower().encode() not in text.lower()


def test_an_invitation_parses_as_a_request_with_utc_times_and_a_neutral_title() -> None:
    ics = meeting_invitation_ics(
        MEETING_UID, START, END, "Turfmarkt 147, kamer 4.12", "client", dtstamp_utc=NOW
    )

    calendar = Calendar.from_ical(ics)
    (event,) = calendar.walk("VEVENT")

    assert str(calendar["METHOD"]) == "REQUEST"
    assert str(event["UID"]) == str(MEETING_UID)
    assert event.decoded("DTSTART") == START and event.decoded("DTSTART").tzinfo is not None
    assert event.decoded("DTEND") == END
    assert event.decoded("DTSTAMP") == NOW
    assert event.decoded("SEQUENCE") == 0
    assert str(event["SUMMARY"]) == "Afspraak"
    assert str(event["LOCATION"]) == "Turfmarkt 147, kamer 4.12"
    assert str(event["CLASS"]) == "PRIVATE"
    assert b"DTSTART:20250603T081500Z" in ics
    assert b"VTIMEZONE" not in ics


def test_times_given_in_another_zone_are_written_in_utc() -> None:
    amsterdam_summer = timezone(timedelta(hours=2))
    ics = meeting_invitation_ics(
        MEETING_UID, START.astimezone(amsterdam_summer), END.astimezone(amsterdam_summer), "Online", "advisor"
    )

    assert b"DTSTART:20250603T081500Z" in ics
    assert b"DTEND:20250603T091500Z" in ics


def test_an_english_invitation_is_titled_meeting() -> None:
    ics = meeting_invitation_ics(MEETING_UID, START, END, "Online", "client", "en")

    (event,) = Calendar.from_ical(ics).walk("VEVENT")
    assert str(event["SUMMARY"]) == "Meeting"


def test_only_the_client_gets_a_description_and_it_is_neutral() -> None:
    (for_client,) = Calendar.from_ical(
        meeting_invitation_ics(MEETING_UID, START, END, "Online", "client")
    ).walk("VEVENT")
    (for_advisor,) = Calendar.from_ical(
        meeting_invitation_ics(MEETING_UID, START, END, "Online", "advisor")
    ).walk("VEVENT")

    assert "DESCRIPTION" in for_client and not reveals_purpose(str(for_client["DESCRIPTION"]))
    assert "DESCRIPTION" not in for_advisor


def test_a_cancellation_keeps_the_uid_and_raises_the_sequence() -> None:
    invitation = Calendar.from_ical(
        meeting_invitation_ics(MEETING_UID, START, END, "Online", "client", sequence=1)
    )
    cancellation = Calendar.from_ical(
        meeting_cancellation_ics(MEETING_UID, START, END, "Online", "client", previous_sequence=1)
    )
    (invited,) = invitation.walk("VEVENT")
    (cancelled,) = cancellation.walk("VEVENT")

    assert str(cancellation["METHOD"]) == "CANCEL"
    assert str(cancelled["UID"]) == str(invited["UID"])
    assert cancelled.decoded("SEQUENCE") == invited.decoded("SEQUENCE") + 1 == 2
    assert str(cancelled["STATUS"]) == "CANCELLED"


@pytest.mark.parametrize(
    ("mode", "lang", "text"),
    [
        (MeetingMode.PHONE, "nl", "Telefonisch"),
        (MeetingMode.VIDEO, "nl", "Online"),
        (MeetingMode.PHONE, "en", "By phone"),
        (MeetingMode.VIDEO, "en", "Online"),
    ],
)
def test_remote_meetings_have_a_fixed_neutral_location(mode: MeetingMode, lang: str, text: str) -> None:
    assert remote_location_text(mode, lang) == text


def test_rooms_have_no_fixed_location_text() -> None:
    with pytest.raises(SchedulingInputError):
        remote_location_text(MeetingMode.ON_SITE_DISCREET_ROOM)


@pytest.mark.parametrize(
    "location",
    [
        "Kamer vertrouwenspersoon",
        "VP-kamer 3",
        "Integriteitsbureau, 2e verdieping",
        "Room of the Advisor",
        "Meldingen loket",
        "Pesten spreekuur",
        "Workload clinic",
        "Rijnstraat 50, CONFIDENTIAL room",
    ],
)
def test_a_revealing_location_is_refused(location: str) -> None:
    with pytest.raises(RevealingCalendarText):
        meeting_invitation_ics(MEETING_UID, START, END, location, "client")


def test_a_revealing_organizer_address_is_refused_and_a_neutral_one_is_kept() -> None:
    with pytest.raises(RevealingCalendarText):
        meeting_invitation_ics(
            MEETING_UID, START, END, "Online", "client", organizer_address="vertrouwenspersonen@example.org"
        )
    ics = meeting_invitation_ics(
        MEETING_UID, START, END, "Online", "client", organizer_address="agenda@example.org"
    )

    (event,) = Calendar.from_ical(ics).walk("VEVENT")
    assert str(event["ORGANIZER"]) == "mailto:agenda@example.org"


@pytest.mark.parametrize(
    "meeting_uid",
    [
        uuid.uuid5(uuid.NAMESPACE_URL, f"case:{CASE_ID}"),  # derived from the case id: recomputable
        uuid.uuid3(uuid.NAMESPACE_URL, str(CASE_ID)),
        "case-0042-meeting-1",
        "",
    ],
)
def test_the_uid_must_be_a_random_uuid(meeting_uid: uuid.UUID | str) -> None:
    with pytest.raises(SchedulingInputError):
        meeting_invitation_ics(meeting_uid, START, END, "Online", "client")


def test_a_random_uuid_string_is_accepted() -> None:
    uid = str(uuid.uuid4())

    (event,) = Calendar.from_ical(meeting_invitation_ics(uid, START, END, "Online", "client")).walk("VEVENT")

    assert str(event["UID"]) == uid


@pytest.mark.parametrize(
    ("start", "end", "for_whom"),
    [
        (datetime(2025, 6, 3, 8), datetime(2025, 6, 3, 9), "client"),
        (END, START, "client"),
        (START, END, "manager"),
    ],
)
def test_malformed_invitations_are_refused(start: datetime, end: datetime, for_whom: str) -> None:
    with pytest.raises(SchedulingInputError):
        meeting_invitation_ics(MEETING_UID, start, end, "Online", for_whom)  # type: ignore[arg-type]


def test_the_most_precise_neutral_place_name_is_the_location() -> None:
    assert neutral_location_text(["Turfmarkt 147, kamer-3", "Turfmarkt 147"]) == "Turfmarkt 147, kamer-3"


def test_a_room_named_after_its_use_leaves_only_its_building() -> None:
    assert neutral_location_text(["Turfmarkt 147, vp-kamer", "Turfmarkt 147"]) == "Turfmarkt 147"


@pytest.mark.parametrize(
    ("lang", "text"), [("nl", "Locatie volgt"), ("en", "Location to follow"), ("de", "Locatie volgt")]
)
def test_no_neutral_place_name_means_the_location_follows(lang: str, text: str) -> None:
    assert neutral_location_text(["Integriteitsbureau", ""], lang) == text
    assert neutral_location_text([], lang) == text
