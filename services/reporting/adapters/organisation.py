"""The organisation as reporting knows it: units (name, parent, size) and advisors' home organisations.

Reporting does not read `directory.v1`: that topic carries person pseudonyms and the Kafka ACLs keep
it from reporting (deploy/kafka/acls.yaml). What reporting needs of the directory (unit names and
sizes for folding small units, the unit tree, an organisation's display name) comes from a file in
the format of `caseflow directory import`; its person and acquaintance records are dropped while
reading, before anything is kept (docs/decisions-reporting.md). Which organisation an advisor belongs
to comes foremost from the narrow copy directory.advisors.v1 (no pseudonyms in it).

Advisors' home organisations (`home_organisations`), first source that knows the advisor wins:
1. the HR feed's directory.advisors.v1 (AdvisorUpserted, folded into rp_advisor_homes): the live
   directory, without pseudonyms, and the only source that knows an advisor before their first case;
   an advisor who changes organisation there changes at once;
2. the file (a snapshot of a directory import, for deployments without the feed);
3. derived from the events: the organisation of most of the cases routing gave them as an internal
   advisor (a guess, for advisors neither of the others knows).
Without a file, units are unknown (so every unit folds into its organisation).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

GOVERNMENT_WIDE = "all"
GOVERNMENT_WIDE_NAMES = {"nl": "Rijksoverheid", "en": "Central government"}


class OrganisationFileError(ValueError):
    """The organisation file cannot be read; the message names the record, never a value."""


@dataclass(frozen=True)
class Unit:
    unit_id: str
    parent_id: str | None
    name: str
    size: int
    organisation_id: str


@dataclass(frozen=True)
class OrganisationModel:
    units: Mapping[str, Unit] = field(default_factory=dict)
    advisor_organisations: Mapping[str, str | None] = field(default_factory=dict)

    def organisation_name(self, organisation_id: str) -> str:
        """The name of the organisation's root unit, or its id when the file does not name it."""
        roots = sorted(
            (u for u in self.units.values() if u.organisation_id == organisation_id and u.parent_id is None),
            key=lambda u: u.unit_id,
        )
        return roots[0].name if roots else organisation_id

    def organisations(self) -> tuple[str, ...]:
        return tuple(sorted({u.organisation_id for u in self.units.values()}))

    def may_exist(self, organisation_id: str) -> bool:
        """False for an organisation the file does not have: events that name one (an id invented
        before intake checked ids against the directory) get no report of their own. Without a
        file every organisation seen in the events may exist."""
        return not self.units or any(u.organisation_id == organisation_id for u in self.units.values())

    def unit_tree(
        self, organisation_id: str, seen_units: Iterable[str]
    ) -> tuple[dict[str, int], dict[str, str | None]]:
        """(sizes, parent_of) of the organisation's units, for `disclosure.merge_small_units`.

        The organisation itself is the root (key = organisation id): a unit missing from the file, or a
        top unit of the file, hangs under it, so an unknown unit is always folded into the organisation.
        """
        sizes: dict[str, int] = {}
        parent_of: dict[str, str | None] = {organisation_id: None}
        for unit in self.units.values():
            if unit.organisation_id != organisation_id:
                continue
            sizes[unit.unit_id] = unit.size
            parent = unit.parent_id if unit.parent_id in self.units else None
            parent_of[unit.unit_id] = parent if parent is not None else organisation_id
        for unit_id in seen_units:
            parent_of.setdefault(unit_id, organisation_id)
        parent_of[organisation_id] = None
        return sizes, parent_of

    def unit_name(self, unit_id: str) -> str:
        unit = self.units.get(unit_id)
        return unit.name if unit is not None else unit_id


def _records(path: Path) -> list[tuple[str, str, dict[str, Any]]]:
    if path.suffix.lower() == ".json":
        doc = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(doc, dict):
            raise OrganisationFileError("the JSON file is not an object with 'units' and 'advisors'")
        return [
            (f"{section}[{i}]", kind, dict(item))
            for section, kind in (("units", "unit"), ("advisors", "advisor"))
            for i, item in enumerate(doc.get(section, []))
        ]
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return [(f"line {i + 2}", (row.get("record_type") or "").strip(), row) for i, row in enumerate(rows)]


def _text(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def load_organisation(path: str | Path | None) -> OrganisationModel:
    """Units and advisors' organisations from a directory file; every other record is dropped unread."""
    if not path:
        return OrganisationModel()
    units: dict[str, Unit] = {}
    advisors: dict[str, str | None] = {}
    for where, kind, record in _records(Path(path)):
        if kind == "unit":
            try:
                unit = Unit(
                    unit_id=str(record["unit_id"]),
                    parent_id=_text(record.get("parent_id")),
                    name=str(record.get("name") or record["unit_id"]),
                    size=int(record.get("size") or 0),
                    organisation_id=str(record["organisation_id"]),
                )
            except (KeyError, TypeError, ValueError):
                raise OrganisationFileError(
                    f"{where}: a unit needs unit_id, organisation_id and a whole size"
                ) from None
            units[unit.unit_id] = unit
        elif kind == "advisor":
            if not _text(record.get("advisor_id")):
                raise OrganisationFileError(f"{where}: an advisor needs advisor_id")
            # Only the id and the organisation are kept: person_id and the rest never leave this loop.
            advisors[str(record["advisor_id"])] = _text(record.get("organisation_id"))
    return OrganisationModel(units=units, advisor_organisations=advisors)


def home_organisations(
    internal_cases: Iterable[tuple[str, str]],
    configured: Mapping[str, str | None],
    directory: Mapping[str, str | None] | None = None,
) -> dict[str, str | None]:
    """Each advisor's home organisation: the directory feed's, else the configured one, else the
    organisation of most of the cases routing gave them as an internal advisor (ties: the smallest
    id). `internal_cases` holds (advisor_id, organisation_id) once per such case. A None from the
    directory or the file (no organisation) is an answer too: it is not overridden."""
    tally: dict[str, dict[str, int]] = {}
    for advisor, organisation in internal_cases:
        per = tally.setdefault(advisor, {})
        per[organisation] = per.get(organisation, 0) + 1
    homes: dict[str, str | None] = {
        advisor: min(per, key=lambda org: (-per[org], org)) for advisor, per in tally.items()
    }
    homes.update(configured)
    homes.update(directory or {})
    return homes
