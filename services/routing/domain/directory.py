"""The organisation and advisor directory that routing decides against.

State is a fold over directory change records (the HR feed on `directory.v1` and advisor
administration). `Directory.apply` updates the directory IN PLACE and returns the same object, so
`functools.reduce(Directory.apply, changes, Directory())` is the fold; call `snapshot()` when you
need a copy that later changes must not touch (the records themselves are immutable and shared).

Indexes are maintained on every change and the management chains are cached lazily, so that the
questions the policy asks per decision cost O(depth) or a set lookup, never a scan of everybody:
`management_chain`, `is_in_chain`, `unit_of`, `unit_size`, `organisation_of_unit`,
`ancestors_of_unit`, `advisors_in_scope`.

Coordinators (`CoordinatorAppointed`) are part of the directory too: `coordinates(coordinator,
organisation)` says whether someone may assign that organisation's escalated cases.

Pseudonymous person ids are personal data outside routing (ARCHITECTURE.md, "Personal data"), so
the errors raised here carry a reason code and no ids in their message.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import date

from shared.codes import AdvisorKind, AdvisorScope, AdvisorStatus

# --------------------------------------------------------------------------------------------
# Records


@dataclass(frozen=True, slots=True)
class OrgUnit:
    unit_id: str
    parent_id: str | None
    name: str
    size: int
    organisation_id: str  # the ministry or top-level organisation the unit belongs to


@dataclass(frozen=True, slots=True)
class Person:
    person_id: str  # pseudonymous
    unit_id: str
    manager_id: str | None
    is_top_management: bool = False


@dataclass(frozen=True, slots=True)
class Advisor:
    advisor_id: str
    person_id: str | None  # None for external advisors who are not in the organisation
    kind: AdvisorKind
    scope: AdvisorScope
    # cross_unit: the units served (their subunits included); internal: ignored, the advisor
    # serves the units of their own organisation; external: ignored, serves everyone.
    served_unit_ids: frozenset[str]
    organisation_id: str | None  # home organisation; None for government-wide external advisors
    languages: frozenset[str]
    locations: frozenset[str]
    weekly_hours: float
    term_start: date
    term_end: date | None
    status: AdvisorStatus
    open_cases: int
    acquaintances: frozenset[str]  # person ids the advisor declared to know (too) well, §2.3


# --------------------------------------------------------------------------------------------
# Change records (the fold's input)


@dataclass(frozen=True, slots=True)
class UnitUpserted:
    unit: OrgUnit


@dataclass(frozen=True, slots=True)
class PersonUpserted:
    person: Person


@dataclass(frozen=True, slots=True)
class PersonMoved:
    person_id: str
    unit_id: str


@dataclass(frozen=True, slots=True)
class ManagerChanged:
    person_id: str
    manager_id: str | None


@dataclass(frozen=True, slots=True)
class AdvisorUpserted:
    advisor: Advisor


@dataclass(frozen=True, slots=True)
class AdvisorStatusChanged:
    advisor_id: str
    status: AdvisorStatus


@dataclass(frozen=True, slots=True)
class AcquaintanceDeclared:
    advisor_id: str
    person_id: str


@dataclass(frozen=True, slots=True)
class CoordinatorAppointed:
    coordinator_id: str
    organisation_ids: frozenset[str]  # empty: no longer a coordinator


@dataclass(frozen=True, slots=True)
class AdvisorLoadChanged:
    advisor_id: str
    open_cases: int  # absolute, not a delta, so that a replayed change is harmless


DirectoryChange = (
    UnitUpserted
    | PersonUpserted
    | PersonMoved
    | ManagerChanged
    | AdvisorUpserted
    | AdvisorStatusChanged
    | AcquaintanceDeclared
    | CoordinatorAppointed
    | AdvisorLoadChanged
)


# --------------------------------------------------------------------------------------------
# Errors


class DirectoryDataError(Exception):
    """A change the directory refuses; the directory is left as it was."""

    reason_code = "directory.invalid_change"

    def __init__(self) -> None:
        super().__init__(self.reason_code)


class ManagerCycleError(DirectoryDataError):
    reason_code = "directory.manager_cycle"


class UnitCycleError(DirectoryDataError):
    reason_code = "directory.unit_cycle"


class UnknownPersonError(DirectoryDataError):
    reason_code = "directory.unknown_person"


class UnknownAdvisorError(DirectoryDataError):
    reason_code = "directory.unknown_advisor"


# --------------------------------------------------------------------------------------------
# The directory


class Directory:
    """Units, persons and advisors with the indexes routing needs; see the module docstring."""

    __slots__ = (
        "_advisor_ids_by_person",
        "_advisors",
        "_chain_sets",
        "_chains",
        "_coordinators",
        "_cross_unit_by_unit",
        "_external_ids",
        "_internal_by_organisation",
        "_persons",
        "_placements",
        "_unit_ancestors",
        "_units",
        "revision",
    )

    def __init__(self) -> None:
        self.revision = 0  # number of changes applied; record it next to a decision for audit
        self._units: dict[str, OrgUnit] = {}
        self._persons: dict[str, Person] = {}
        self._advisors: dict[str, Advisor] = {}
        self._advisor_ids_by_person: dict[str, set[str]] = {}
        self._internal_by_organisation: dict[str, set[str]] = {}
        self._cross_unit_by_unit: dict[str, set[str]] = {}
        self._external_ids: set[str] = set()
        self._coordinators: dict[str, frozenset[str]] = {}  # coordinator id -> organisations
        # Lazily filled caches, dropped whenever a manager link or a unit parent changes.
        self._chains: dict[str, tuple[str, ...]] = {}
        self._chain_sets: dict[str, frozenset[str]] = {}
        self._placements: dict[str, tuple[str | None, frozenset[str]]] = {}
        self._unit_ancestors: dict[str, tuple[str, ...]] = {}

    # ---- construction ----------------------------------------------------------------------

    @classmethod
    def build(
        cls,
        units: Iterable[OrgUnit] = (),
        persons: Iterable[Person] = (),
        advisors: Iterable[Advisor] = (),
    ) -> Directory:
        """Bulk load (a snapshot from the HR feed); checks for cycles once, in linear time."""
        directory = cls()
        for unit in units:
            directory._units[unit.unit_id] = unit
        for person in persons:
            directory._persons[person.person_id] = person
        _raise_on_cycle({u: x.parent_id for u, x in directory._units.items()}, UnitCycleError)
        _raise_on_cycle({p: x.manager_id for p, x in directory._persons.items()}, ManagerCycleError)
        for advisor in advisors:
            directory._put_advisor(advisor)
        directory.revision = 1
        return directory

    @classmethod
    def fold(cls, changes: Iterable[DirectoryChange]) -> Directory:
        directory = cls()
        for change in changes:
            directory.apply(change)
        return directory

    def snapshot(self) -> Directory:
        """An independent copy: later changes to either directory do not affect the other."""
        copy = Directory()
        copy.revision = self.revision
        copy._units = dict(self._units)
        copy._persons = dict(self._persons)
        copy._advisors = dict(self._advisors)
        copy._advisor_ids_by_person = {k: set(v) for k, v in self._advisor_ids_by_person.items()}
        copy._internal_by_organisation = {k: set(v) for k, v in self._internal_by_organisation.items()}
        copy._cross_unit_by_unit = {k: set(v) for k, v in self._cross_unit_by_unit.items()}
        copy._external_ids = set(self._external_ids)
        copy._coordinators = dict(self._coordinators)
        copy._chains = dict(self._chains)
        copy._chain_sets = dict(self._chain_sets)
        copy._placements = dict(self._placements)
        copy._unit_ancestors = dict(self._unit_ancestors)
        return copy

    def apply(self, change: DirectoryChange) -> Directory:
        """Apply one change in place and return self; raises DirectoryDataError and stays unchanged."""
        match change:
            case UnitUpserted(unit=unit):
                self._upsert_unit(unit)
            case PersonUpserted(person=person):
                self._upsert_person(person)
            case PersonMoved(person_id=person_id, unit_id=unit_id):
                self._upsert_person(replace(self._known_person(person_id), unit_id=unit_id))
            case ManagerChanged(person_id=person_id, manager_id=manager_id):
                self._upsert_person(replace(self._known_person(person_id), manager_id=manager_id))
            case AdvisorUpserted(advisor=advisor):
                self._put_advisor(advisor)
            case AdvisorStatusChanged(advisor_id=advisor_id, status=status):
                self._put_advisor(replace(self._known_advisor(advisor_id), status=status))
            case AcquaintanceDeclared(advisor_id=advisor_id, person_id=person_id):
                advisor = self._known_advisor(advisor_id)
                self._put_advisor(replace(advisor, acquaintances=advisor.acquaintances | {person_id}))
            case CoordinatorAppointed(coordinator_id=coordinator_id, organisation_ids=organisations):
                if organisations:
                    self._coordinators[coordinator_id] = organisations
                else:
                    self._coordinators.pop(coordinator_id, None)
            case AdvisorLoadChanged(advisor_id=advisor_id, open_cases=open_cases):
                self._put_advisor(replace(self._known_advisor(advisor_id), open_cases=open_cases))
        self.revision += 1
        return self

    # ---- queries ---------------------------------------------------------------------------

    def unit(self, unit_id: str) -> OrgUnit | None:
        return self._units.get(unit_id)

    def person(self, person_id: str) -> Person | None:
        return self._persons.get(person_id)

    def advisor(self, advisor_id: str) -> Advisor | None:
        return self._advisors.get(advisor_id)

    def advisors(self) -> tuple[Advisor, ...]:
        """All advisors, ordered by advisor id."""
        return tuple(self._advisors[a] for a in sorted(self._advisors))

    def coordinates(self, coordinator_id: str, organisation_id: str) -> bool:
        """Whether `coordinator_id` coordinates the advisors of `organisation_id` (CoordinatorAppointed)."""
        return organisation_id in self._coordinators.get(coordinator_id, ())

    def advisors_of_person(self, person_id: str) -> tuple[Advisor, ...]:
        """The advisor records of a person (one person may hold more than one appointment)."""
        return tuple(self._advisors[a] for a in sorted(self._advisor_ids_by_person.get(person_id, ())))

    @property
    def person_count(self) -> int:
        return len(self._persons)

    @property
    def advisor_count(self) -> int:
        return len(self._advisors)

    def unit_of(self, person_id: str) -> str | None:
        person = self._persons.get(person_id)
        return None if person is None else person.unit_id

    def unit_size(self, unit_id: str) -> int | None:
        unit = self._units.get(unit_id)
        return None if unit is None else unit.size

    def organisation_of_unit(self, unit_id: str) -> str | None:
        unit = self._units.get(unit_id)
        return None if unit is None else unit.organisation_id

    def organisation_of_person(self, person_id: str) -> str | None:
        unit_id = self.unit_of(person_id)
        return None if unit_id is None else self.organisation_of_unit(unit_id)

    def management_chain(self, person_id: str) -> tuple[str, ...]:
        """The person's managers up the line, direct manager first; () for an unknown person.

        A manager id without a person record ends the chain (it is still part of it).
        Cached; O(depth) the first time and for every person on the way up.
        """
        cached = self._chains.get(person_id)
        if cached is not None:
            return cached
        uncached: list[str] = []  # bottom-up path of persons whose chain is not cached yet
        on_path: set[str] = set()
        current = person_id
        while current not in self._chains:
            if current in on_path:  # cannot happen through apply/build; never loop on bad data
                raise ManagerCycleError()
            on_path.add(current)
            person = self._persons.get(current)
            if person is None or person.manager_id is None:
                self._chains[current] = ()
                break
            uncached.append(current)
            current = person.manager_id
        chain = self._chains[current]
        for node in reversed(uncached):
            chain = (current, *chain)
            self._chains[node] = chain
            current = node
        return self._chains[person_id]

    def management_chain_set(self, person_id: str) -> frozenset[str]:
        """`management_chain` as a set (cached; the policy uses it for advisors' own chains)."""
        cached = self._chain_sets.get(person_id)
        if cached is None:
            cached = frozenset(self.management_chain(person_id))
            self._chain_sets[person_id] = cached
        return cached

    def placement(self, person_id: str) -> tuple[str | None, frozenset[str]]:
        """(unit, management chain set) of a person in one cached lookup: the policy asks it for
        every candidate advisor."""
        cached = self._placements.get(person_id)
        if cached is None:
            cached = (self.unit_of(person_id), self.management_chain_set(person_id))
            self._placements[person_id] = cached
        return cached

    def is_in_chain(self, candidate: str, of_person: str) -> bool:
        """True when `candidate` manages `of_person`, directly or higher up the line."""
        return candidate in self.management_chain(of_person)

    def ancestors_of_unit(self, unit_id: str) -> tuple[str, ...]:
        """Parent first, up to the top unit; () for an unknown unit. Cached."""
        cached = self._unit_ancestors.get(unit_id)
        if cached is not None:
            return cached
        ancestors: list[str] = []
        seen = {unit_id}
        unit = self._units.get(unit_id)
        while unit is not None and unit.parent_id is not None:
            if unit.parent_id in seen:
                raise UnitCycleError()
            seen.add(unit.parent_id)
            ancestors.append(unit.parent_id)
            unit = self._units.get(unit.parent_id)
        result = tuple(ancestors)
        self._unit_ancestors[unit_id] = result
        return result

    def advisors_in_scope(self, organisation_id: str, unit_id: str) -> list[Advisor]:
        """Advisors whose scope covers a case in this unit, in no particular order.

        internal: same home organisation; cross_unit: serves the unit or one of its ancestors;
        external: everyone. Status, term and conflicts are the policy's business.
        """
        ids: set[str] = set(self._external_ids)
        ids.update(self._internal_by_organisation.get(organisation_id, ()))
        for served in (unit_id, *self.ancestors_of_unit(unit_id)):
            ids.update(self._cross_unit_by_unit.get(served, ()))
        advisors = self._advisors
        return [advisors[a] for a in ids]

    # ---- internals -------------------------------------------------------------------------

    def _known_person(self, person_id: str) -> Person:
        person = self._persons.get(person_id)
        if person is None:
            raise UnknownPersonError()
        return person

    def _known_advisor(self, advisor_id: str) -> Advisor:
        advisor = self._advisors.get(advisor_id)
        if advisor is None:
            raise UnknownAdvisorError()
        return advisor

    def _upsert_unit(self, unit: OrgUnit) -> None:
        previous = self._units.get(unit.unit_id)
        if previous is None or previous.parent_id != unit.parent_id:
            if _reaches(unit.unit_id, unit.parent_id, lambda u: _parent_of(self._units, u)):
                raise UnitCycleError()
            self._unit_ancestors.clear()
        self._units[unit.unit_id] = unit

    def _upsert_person(self, person: Person) -> None:
        previous = self._persons.get(person.person_id)
        if previous is None or previous.manager_id != person.manager_id:
            if _reaches(person.person_id, person.manager_id, lambda p: _manager_of(self._persons, p)):
                raise ManagerCycleError()
            # Every chain through this person changes; recomputing lazily is cheaper than finding them.
            self._chains.clear()
            self._chain_sets.clear()
        self._placements.pop(person.person_id, None)
        if previous is None or previous.manager_id != person.manager_id:
            self._placements.clear()
        self._persons[person.person_id] = person

    def _put_advisor(self, advisor: Advisor) -> None:
        previous = self._advisors.get(advisor.advisor_id)
        if previous is not None:
            self._unindex_advisor(previous)
        self._advisors[advisor.advisor_id] = advisor
        self._index_advisor(advisor)

    def _index_advisor(self, advisor: Advisor) -> None:
        if advisor.person_id is not None:
            self._advisor_ids_by_person.setdefault(advisor.person_id, set()).add(advisor.advisor_id)
        if advisor.scope is AdvisorScope.EXTERNAL:
            self._external_ids.add(advisor.advisor_id)
        elif advisor.scope is AdvisorScope.CROSS_UNIT:
            for unit_id in advisor.served_unit_ids:
                self._cross_unit_by_unit.setdefault(unit_id, set()).add(advisor.advisor_id)
        elif advisor.organisation_id is not None:
            self._internal_by_organisation.setdefault(advisor.organisation_id, set()).add(advisor.advisor_id)

    def _unindex_advisor(self, advisor: Advisor) -> None:
        if advisor.person_id is not None:
            _discard(self._advisor_ids_by_person, advisor.person_id, advisor.advisor_id)
        self._external_ids.discard(advisor.advisor_id)
        for unit_id in advisor.served_unit_ids:
            _discard(self._cross_unit_by_unit, unit_id, advisor.advisor_id)
        if advisor.organisation_id is not None:
            _discard(self._internal_by_organisation, advisor.organisation_id, advisor.advisor_id)


def _discard(index: dict[str, set[str]], key: str, value: str) -> None:
    members = index.get(key)
    if members is not None:
        members.discard(value)
        if not members:
            del index[key]


def _parent_of(units: dict[str, OrgUnit], unit_id: str) -> str | None:
    unit = units.get(unit_id)
    return None if unit is None else unit.parent_id


def _manager_of(persons: dict[str, Person], person_id: str) -> str | None:
    person = persons.get(person_id)
    return None if person is None else person.manager_id


def _reaches(target: str, start: str | None, up: Callable[[str], str | None]) -> bool:
    """Whether walking up from `start` reaches `target` (i.e. linking target -> start makes a cycle)."""
    seen: set[str] = set()
    current = start
    while current is not None:
        if current == target:
            return True
        if current in seen:  # a pre-existing cycle elsewhere; build/apply never let one in
            return True
        seen.add(current)
        current = up(current)
    return False


def _raise_on_cycle(links: dict[str, str | None], error: type[DirectoryDataError]) -> None:
    """Linear-time check that following `links` from any node never loops."""
    finished: set[str] = set()
    for start in links:
        path: set[str] = set()
        current: str | None = start
        while current is not None and current not in finished:
            if current in path:
                raise error()
            path.add(current)
            current = links.get(current)
        finished |= path
