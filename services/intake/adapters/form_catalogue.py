"""What the web form offers to choose from: the public unit catalogue and the advisors' profiles.

- Organisations and units by name, from directory.units.v1 as intake keeps it (ids, names and the
  unit tree; never people). An organisation's name is the name of its top unit (the unit without a
  parent), as reporting names it (services/reporting/adapters/organisation.py).
- Advisors as they agreed to show themselves (AdvisorUpserted.profile with `show` true, and only
  while active). On the page an advisor is a `handle`: a keyed hash of the advisor id under a key
  derived from intake's master key. The pseudonym itself never reaches the page (ARCHITECTURE.md:
  a pseudonym is personal data outside routing); intake maps a chosen handle back to the advisor
  id and seals it into the case's routing facts.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from services.intake.adapters.tables import advisor_profiles, directory_unit_parents, directory_units

HANDLE_KEY_INFO = b"caseflow intake: advisor profile handles v1"


@dataclass(frozen=True, slots=True)
class UnitChoice:
    unit_id: str
    label: str


@dataclass(frozen=True, slots=True)
class OrganisationChoice:
    organisation_id: str
    name: str
    units: tuple[UnitChoice, ...]


@dataclass(frozen=True, slots=True)
class AdvisorCard:
    """One advisor's profile on the form: what they agreed to show, under their handle."""

    handle: str
    display_name: str
    kind: str
    scope: str
    organisation_name: str | None
    languages: tuple[str, ...]
    location: str | None
    text_nl: str
    text_en: str
    photo_ref: str | None
    serves: tuple[str, ...] = ()  # a cross-unit advisor: the names of the organisations they serve

    @property
    def initials(self) -> str:
        words = [w for w in self.display_name.replace("-", " ").split() if w[:1].isupper()]
        picked = (words[0][0] + words[-1][0]) if len(words) > 1 else self.display_name[:1]
        return picked.upper()

    def text(self, lang: str) -> str:
        return (self.text_en or self.text_nl) if lang == "en" else (self.text_nl or self.text_en)


@dataclass(frozen=True, slots=True)
class FormCatalogue:
    """What the form offers and tells from intake's state: the lists, and how long personal data is
    kept after a case is closed (INTAKE_RETENTION_DAYS_AFTER_CLOSURE; the privacy notice says it)."""

    organisations: tuple[OrganisationChoice, ...] = ()
    advisors: tuple[AdvisorCard, ...] = ()
    _advisor_ids: Mapping[str, str] = field(default_factory=dict, repr=False)
    retention_days: int = 365

    def advisor_id(self, handle: str) -> str | None:
        """The advisor behind a handle the form sent, or None for a handle nobody has."""
        return self._advisor_ids.get(handle)

    def organisation(self, organisation_id: str) -> OrganisationChoice | None:
        return next((o for o in self.organisations if o.organisation_id == organisation_id), None)


def handle_key(master_key: bytes) -> bytes:
    return hmac.new(master_key, HANDLE_KEY_INFO, hashlib.sha256).digest()


def advisor_handle(key: bytes, advisor_id: str) -> str:
    return "vp-" + hmac.new(key, advisor_id.encode(), hashlib.sha256).hexdigest()[:16]


def _organisations(rows: Iterable[tuple[str, str, str, str | None]]) -> tuple[OrganisationChoice, ...]:
    """(unit id, organisation id, name, parent id) rows -> organisations with their units by path."""
    units = {unit_id: (org, name, parent) for unit_id, org, name, parent in rows}

    def path(unit_id: str) -> list[str]:
        names: list[str] = []
        seen: set[str] = set()
        current: str | None = unit_id
        while current in units and current not in seen:
            seen.add(current)
            org, name, parent = units[current]
            names.append(name)
            current = parent if parent in units and units[parent][0] == org else None
        return names[::-1]

    out = []
    for org in sorted({org for org, _, _ in units.values()}):
        mine = sorted(u for u, (o, _, _) in units.items() if o == org)
        tops = [u for u in mine if len(path(u)) == 1 and units[u][2] is None]
        name = units[tops[0]][1] if tops else org
        choices = []
        for unit_id in mine:
            names = path(unit_id)
            if names and names[0] == name and len(names) > 1:
                names = names[1:]
            choices.append(UnitChoice(unit_id, " › ".join(names)))
        choices.sort(key=lambda c: (c.unit_id not in tops, c.label.casefold()))
        out.append(OrganisationChoice(org, name, tuple(choices)))
    return tuple(sorted(out, key=lambda o: o.name.casefold()))


async def read_catalogue(
    engine: AsyncEngine, key: bytes, retention_days: int = 365, previous_keys: Sequence[bytes] = ()
) -> FormCatalogue:
    """The form's lists; each advisor's handle is keyed with `key`, and handles keyed with
    `previous_keys` (a master key being rotated out) still name the same advisor when a form sends them."""
    units = directory_units
    query = select(units.c.unit_id, units.c.organisation_id, units.c.name, directory_unit_parents.c.parent_id)
    query = query.outerjoin(directory_unit_parents, directory_unit_parents.c.unit_id == units.c.unit_id)
    profiles = select(advisor_profiles).where(advisor_profiles.c.active.is_(True))
    async with engine.connect() as conn:
        organisations = _organisations((r[0], r[1], r[2], r[3]) for r in await conn.execute(query))
        rows = list(await conn.execute(profiles.order_by(advisor_profiles.c.display_name)))
    names = {o.organisation_id: o.name for o in organisations}
    organisation_of = {u.unit_id: o.name for o in organisations for u in o.units}
    cards, ids = [], {}
    for r in rows:
        handle = advisor_handle(key, r.advisor_id)
        ids[handle] = r.advisor_id
        for old in previous_keys:
            ids.setdefault(advisor_handle(old, r.advisor_id), r.advisor_id)
        cards.append(
            AdvisorCard(
                handle=handle,
                display_name=r.display_name,
                kind=r.kind,
                scope=r.scope,
                organisation_name=names.get(r.organisation_id) if r.organisation_id else None,
                languages=tuple(x for x in r.languages.split(",") if x),
                location=r.location,
                text_nl=r.text_nl,
                text_en=r.text_en,
                photo_ref=r.photo_ref,
                serves=tuple(
                    sorted({organisation_of[u] for u in r.served_unit_ids.split(",") if u in organisation_of})
                ),
            )
        )
    # Internal advisors first, then those from another organisation, then the external ones.
    order = {"internal": 0, "cross_unit": 1, "external": 2}
    cards.sort(key=lambda c: (order.get(c.scope, 3), c.display_name.casefold()))
    return FormCatalogue(organisations, tuple(cards), ids, retention_days)


ORGANISATION_MISSING = "organisation_missing"
UNIT_MISSING = "unit_missing"
ADVISOR_UNKNOWN = "advisor_unknown"
ADVISOR_CHOSEN_AND_AVOIDED = "advisor_chosen_and_avoided"
NO_PREFERENCE = ""


def choice_problem(catalogue: FormCatalogue, fields: Mapping[str, object]) -> str | None:
    """Why the choices on the form cannot be sent (a reason code the form explains), or None.

    Whether the unit belongs to the organisation is the use case's rule (`unit_unknown_in_organisation`,
    services/intake/adapters/directory.py), judged and recorded like any other submission's.
    """
    if not fields.get("organisation_id"):
        return ORGANISATION_MISSING
    if not fields.get("unit_id"):
        return UNIT_MISSING
    chosen, avoided = str(fields.get("advisor") or ""), str(fields.get("avoid_advisor") or "")
    if any(h and catalogue.advisor_id(h) is None for h in (chosen, avoided)):
        return ADVISOR_UNKNOWN
    if chosen and chosen == avoided:
        return ADVISOR_CHOSEN_AND_AVOIDED
    return None


def advisor_choices(catalogue: FormCatalogue, fields: Mapping[str, object]) -> dict[str, object]:
    """The submission's `preferred_advisor_id` and `excluded_advisor_ids` for the chosen handles."""
    preferred = catalogue.advisor_id(str(fields.get("advisor") or ""))
    avoided = catalogue.advisor_id(str(fields.get("avoid_advisor") or ""))
    return {"preferred_advisor_id": preferred, "excluded_advisor_ids": [avoided] if avoided else []}
