"""A small, memorable sample organisation: two ministries, their advisors, and case facts.

Used by the demo and the tests. Person ids are pseudonyms (`p-...`), as the HR feed would send.

    min-bzk  Binnenlandse Zaken (2,000 people)
      bzk-sg            Secretariaat-generaal (top management: p-sg)
      bzk-dgob          DG Overheidsorganisatie (400)        director p-dg
        bzk-dgob-ict    ICT team (30: a small unit)          manager p-ict-lead, employees p-ict-1..3
        bzk-dgob-hr     HR (60)                              manager p-hr-lead, employees p-hr-1..3
    min-fin  Financiën (1,500 people)
      fin-tax           Belastingbeleid (200)                manager p-tax-lead, employees p-tax-1..2

Advisors
    adv-anna   internal VPIO at BZK, works in bzk-dgob-hr: her manager's manager is p-dg
    adv-bram   internal VPO at BZK, works in the small ICT team (p-ict-3)
    adv-carla  cross-unit VPIO from Financiën, serving the BZK units
    adv-dirk   external VPIO, government-wide, Dutch
    adv-eva    external VPI, government-wide, Dutch and English

Profiles (shown to employees on the web form, by consent): Anna de Vries, Carla Bakker, Dirk Jansen
(the one fixed external advisor for VPIO), Eva Mulder; Bram did not agree to show a profile.

Coordinators
    coord-bzk  coordinates the advisors of BZK (assigns its escalated cases); signs with a demo key
"""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, time
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shared.auth import public_key_to_b64
from shared.contracts.directory import (
    AdvisorAvailabilitySet,
    AdvisorKeyRegistered,
    AdvisorUpserted,
    CoordinatorAppointed,
    OrgUnitUpserted,
    PersonUpserted,
    WeeklyWindowSpec,
)
from shared.envelope import Envelope, EventPayload, new_envelope

UNITS = [
    ("bzk", None, "Binnenlandse Zaken", 2000, "min-bzk"),
    ("bzk-sg", "bzk", "Secretariaat-generaal", 40, "min-bzk"),
    ("bzk-dgob", "bzk", "DG Overheidsorganisatie", 400, "min-bzk"),
    ("bzk-dgob-ict", "bzk-dgob", "ICT", 30, "min-bzk"),
    ("bzk-dgob-hr", "bzk-dgob", "HR", 60, "min-bzk"),
    ("fin", None, "Financiën", 1500, "min-fin"),
    ("fin-tax", "fin", "Belastingbeleid", 200, "min-fin"),
]
PERSONS = [
    ("p-sg", "bzk-sg", None, True),
    ("p-dg", "bzk-dgob", "p-sg", True),
    ("p-ict-lead", "bzk-dgob-ict", "p-dg", False),
    ("p-ict-1", "bzk-dgob-ict", "p-ict-lead", False),
    ("p-ict-2", "bzk-dgob-ict", "p-ict-lead", False),
    ("p-ict-3", "bzk-dgob-ict", "p-ict-lead", False),
    ("p-hr-lead", "bzk-dgob-hr", "p-dg", False),
    ("p-hr-1", "bzk-dgob-hr", "p-hr-lead", False),
    ("p-hr-2", "bzk-dgob-hr", "p-hr-lead", False),
    ("p-hr-3", "bzk-dgob-hr", "p-hr-lead", False),
    ("p-fin-sg", "fin", None, True),
    ("p-tax-lead", "fin-tax", "p-fin-sg", False),
    ("p-tax-1", "fin-tax", "p-tax-lead", False),
    ("p-tax-2", "fin-tax", "p-tax-lead", False),
]
TERM = (date(2024, 1, 1), date(2028, 12, 31))
ADVISORS: list[dict[str, Any]] = [
    {
        "advisor_id": "adv-anna",
        "person_id": "p-hr-2",
        "kind": "VPIO",
        "scope": "internal",
        "organisation_id": "min-bzk",
        "languages": ("nl",),
        "locations": ("Den Haag",),
        "weekly_hours": 4.0,
        "profile": {
            "show": True,
            "display_name": "Anna de Vries",
            "languages": ("nl",),
            "location": "Den Haag",
            "text_nl": "Ik werk bij HR en ben al zes jaar vertrouwenspersoon. Ik luister en denk met u mee. "
            "Wat u mij vertelt, blijft tussen ons.",
            "text_en": "I work in HR and have been a confidential advisor for six years. I listen and think "
            "along with you. What you tell me stays between us.",
        },
    },
    {
        "advisor_id": "adv-bram",
        "person_id": "p-ict-3",
        "kind": "VPO",
        "scope": "internal",
        "organisation_id": "min-bzk",
        "languages": ("nl",),
        "locations": ("Den Haag",),
        "weekly_hours": 4.0,
    },
    {
        "advisor_id": "adv-carla",
        "person_id": "p-tax-2",
        "kind": "VPIO",
        "scope": "cross_unit",
        "organisation_id": "min-fin",
        "served_unit_ids": ("bzk",),
        "languages": ("nl",),
        "locations": ("Den Haag",),
        "weekly_hours": 3.0,
        "profile": {
            "show": True,
            "display_name": "Carla Bakker",
            "languages": ("nl",),
            "location": "Den Haag",
            "text_nl": "Ik werk bij Financiën, dus buiten uw eigen ministerie. Bij mij kunt u terecht "
            "met vragen over omgangsvormen en integriteit.",
            "text_en": "I work at Finance, so outside your own ministry. You can come to me about how "
            "people treat each other and about integrity.",
        },
    },
    {
        "advisor_id": "adv-dirk",
        "person_id": None,
        "kind": "VPIO",
        "scope": "external",
        "organisation_id": None,
        "languages": ("nl",),
        "locations": ("Utrecht",),
        "weekly_hours": 16.0,
        "profile": {
            "show": True,
            "display_name": "Dirk Jansen",
            "languages": ("nl",),
            "location": "Utrecht",
            "text_nl": "Ik ben de vaste externe vertrouwenspersoon voor de hele Rijksoverheid. "
            "Ik werk niet voor uw organisatie.",
            "text_en": "I am the permanent external confidential advisor for all of central government. "
            "I do not work for your organisation.",
        },
    },
    {
        "advisor_id": "adv-eva",
        "person_id": None,
        "kind": "VPI",
        "scope": "external",
        "organisation_id": None,
        "languages": ("nl", "en"),
        "locations": ("Den Haag",),
        "weekly_hours": 16.0,
        "profile": {
            "show": True,
            "display_name": "Eva Mulder",
            "languages": ("nl", "en"),
            "location": "Den Haag",
            "text_nl": "Ik ben externe vertrouwenspersoon voor integriteit. U kunt mij ook in het Engels "
            "spreken.",
            "text_en": "I am an external confidential advisor for integrity. You can also talk to me in "
            "English.",
        },
    },
]
COORDINATORS: dict[str, tuple[str, ...]] = {"coord-bzk": ("min-bzk",)}
WORK_WEEK = tuple(WeeklyWindowSpec(weekday=d, start=time(9), end=time(17)) for d in range(5))


def advisor_private_key(advisor_id: str, secret: bytes = b"caseflow-demo") -> Ed25519PrivateKey:
    """Deterministic demo keys (the workbench simulator signs with them). Never for production."""
    return Ed25519PrivateKey.from_private_bytes(hashlib.sha256(secret + advisor_id.encode()).digest())


def advisor_key_registered(who: str) -> tuple[str, AdvisorKeyRegistered]:
    """(stream id, event) registering the sample key of advisor or coordinator `who`."""
    key = public_key_to_b64(advisor_private_key(who).public_key())
    registered = AdvisorKeyRegistered(
        advisor_id=who, public_key_b64=key, valid_from=datetime(2024, 1, 1, tzinfo=UTC), valid_until=None
    )
    return f"advisor-key:{who}:{key}", registered


def directory_events(
    now: datetime | None = None, advisors: list[dict[str, Any]] | None = None
) -> list[Envelope[Any]]:
    """The organisation as `directory.v1` envelopes, in an order the directory accepts."""
    now = now or datetime(2026, 1, 1, tzinfo=UTC)
    payloads: list[tuple[str, EventPayload]] = []
    for unit_id, parent, name, size, org in UNITS:
        payloads.append(
            (
                unit_id,
                OrgUnitUpserted(unit_id=unit_id, parent_id=parent, name=name, size=size, organisation_id=org),
            )
        )
    for person_id, unit_id, manager, top in PERSONS:
        payloads.append(
            (
                person_id,
                PersonUpserted(
                    person_id=person_id, unit_id=unit_id, manager_id=manager, is_top_management=top
                ),
            )
        )
    for spec in advisors or ADVISORS:
        a = AdvisorUpserted(term_start=TERM[0], term_end=TERM[1], **spec)
        payloads.append((a.advisor_id, a))
        payloads.append(
            (
                f"availability:{a.advisor_id}",
                AdvisorAvailabilitySet(advisor_id=a.advisor_id, weekly_windows=WORK_WEEK),
            )
        )
        payloads.append(advisor_key_registered(a.advisor_id))
    for coordinator_id, organisation_ids in COORDINATORS.items():
        payloads.append(
            (
                f"coordinator:{coordinator_id}",
                CoordinatorAppointed(coordinator_id=coordinator_id, organisation_ids=organisation_ids),
            )
        )
        payloads.append(advisor_key_registered(coordinator_id))
    return [
        new_envelope(
            p, stream_id=stream, producer="hr-feed", occurred_at=now, causation_id=f"sample-org:{stream}:{i}"
        )
        for i, (stream, p) in enumerate(payloads)
    ]


def places_events(year: int = 2026, now: datetime | None = None) -> list[Envelope[Any]]:
    """Rooms (discreet and not), a quiet room, off-site venues and budgets, as scheduling.places.v1."""
    from shared.contracts.scheduling import OffSiteBudgetSet, RoomRegistered, VenueRegistered

    now = now or datetime(2026, 1, 1, tzinfo=UTC)
    days = tuple(WeeklyWindowSpec(weekday=d, start=time(8), end=time(18)) for d in range(5))
    payloads: list[tuple[str, EventPayload]] = [
        (
            "room-tz-4.12",
            RoomRegistered(
                room_id="room-tz-4.12",
                building="Turfmarkt 147",
                location="Den Haag",
                discreet=True,
                capacity=4,
                bookable_hours=days,
                unit_ids=("bzk-dgob-ict",),
            ),
        ),
        (
            "room-tz-2.03",
            RoomRegistered(
                room_id="room-tz-2.03",
                building="Turfmarkt 147",
                location="Den Haag",
                discreet=True,
                capacity=2,
                bookable_hours=days,
                unit_ids=("bzk-dgob-hr",),
            ),
        ),
        (
            "room-kp-1.20",
            RoomRegistered(
                room_id="room-kp-1.20",
                building="Korte Voorhout 7",
                location="Den Haag",
                discreet=True,
                capacity=3,
                bookable_hours=days,
                unit_ids=("fin-tax",),
            ),
        ),
        (
            "room-glass",
            RoomRegistered(
                room_id="room-glass",
                building="Turfmarkt 147",
                location="Den Haag",
                discreet=False,
                capacity=8,
                bookable_hours=days,
            ),
        ),
        (
            "room-vp",
            RoomRegistered(
                room_id="room-vp",
                building="Turfmarkt 147",
                location="Den Haag",
                discreet=True,
                labelled_as_advisor_room=True,
                capacity=2,
                bookable_hours=days,
            ),
        ),
        (
            "room-quiet",
            RoomRegistered(
                room_id="room-quiet",
                building="Turfmarkt 147",
                location="Den Haag",
                discreet=True,
                capacity=1,
                bookable_hours=days,
                quiet_room=True,
            ),
        ),
        (
            "room-ut-0.5",
            RoomRegistered(
                room_id="room-ut-0.5",
                building="Griffioenlaan 2",
                location="Utrecht",
                discreet=True,
                capacity=2,
                bookable_hours=days,
            ),
        ),
        (
            "venue-cafe",
            VenueRegistered(
                venue_id="venue-cafe", location="Den Haag", cost_eur_cents=1800, organisation_id="min-bzk"
            ),
        ),
        (
            "venue-lunch",
            VenueRegistered(
                venue_id="venue-lunch", location="Den Haag", cost_eur_cents=4500, organisation_id="min-fin"
            ),
        ),
        (
            f"budget-min-bzk-{year}",
            OffSiteBudgetSet(organisation_id="min-bzk", year=year, budget_cents=20000),
        ),
        (f"budget-min-fin-{year}", OffSiteBudgetSet(organisation_id="min-fin", year=year, budget_cents=0)),
    ]
    return [
        new_envelope(
            p,
            stream_id=stream,
            producer="rooms-import",
            occurred_at=now,
            causation_id=f"sample-places:{stream}",
        )
        for stream, p in payloads
    ]
