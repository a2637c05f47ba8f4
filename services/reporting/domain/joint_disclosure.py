"""Joint disclosure control: one protection problem over every figure a release publishes.

A reader who holds every report, every view and every earlier release at once knows a system of
linear equations over the exact counts. This module protects and audits all of it together, the way
statistics offices do ("if a cell requires protection in one table, it requires protection in all
tables", ESSnet SDC handbook; sdcTable's `attack()`, GaussSuppression's interval computation).

The model
    Atoms are the finest exact counts the service holds for a release (e.g. contacts of ministry X
    in 2026-Q2 under category "bullying"; hours of ministry Y's advisors in Q3 on conversations):
    non-negative integers, never published themselves. A figure is a sum of atoms (a cell of a
    table, a total, a year-to-date count, a government-wide count, a unit's count). Relations are
    what a reader knows besides the figures: `equal` (two sets of atoms count the same population:
    contacts by category and by channel add up to the same contacts) and `at_most` (mentions of a
    category are at least its primary contacts). Lines (a total and the figures that add up to it)
    steer the choice of secondary suppressions; the audit does not need them.

Protection (`protect_release`)
    1. Primary suppression: the caller marks figures (counts 1..k-1; magnitudes with too few
       contributors). Figures already released (the ledger) are fixed: their value or suppression
       stands and is part of the reader's knowledge.
    2. Line rules: a line with one suppressed entry gets a second; a line whose published total
       covers suppressed primaries hides one part of at least k beside them (its zeros when it has
       no such part), so the hidden parts add up to at least k whatever the primaries are. (Hiding
       "until the hidden sum reaches k" would tell a reader who knows the rule that the primaries
       alone stayed below it.)
    3. The exact attacker (`audit`): for every suppressed figure, the smallest and largest value over
       all non-negative INTEGER atom vectors consistent with everything published, by mixed-integer
       programming (HiGHS through highspy). The relations are not a network matrix once
       tables are linked, so an LP relaxation would not be exact. Required: no suppressed figure
       determined; no primary suppression narrower than the protection interval; no primary count whose interval lies
       inside 1..k-1. A failing figure gets one more suppression next to it; repeat.
    Which figure is suppressed next is chosen without looking at hidden values (whether one more is
    needed does: the group rule and the audit): structural cost (inner cells
    before totals) and then a keyed pseudo-random priority (HMAC of the figure's key under a secret
    the service holds). The same data and key give the same release, so a replay is reproducible,
    but a reader who knows the algorithm cannot run it backwards without the key.

Witnesses
    Every integer solution the solver returns is a table a reader cannot tell from the truth; the
    attained range of each figure over all witnesses found so far is an inner bound of its interval.
    A figure whose witness range already meets the requirement needs no solve of its own, which
    settles most figures after a handful of solves.

    The government-wide sums tie every organisation into one component, and a solve over it costs
    40-80 ms. Witnesses are therefore first sought in small programmes: one organisation with every
    other atom fixed at the truth (any solution of it, completed with the truth, is a solution of
    the whole system), then pairs of organisations (a cell whose government-wide sum is published
    moves only against the same cell elsewhere), and for a government-wide figure the sum of each
    organisation's move (checked against every equation before it counts). A figure unbounded in
    such a programme is unbounded in the whole. Only what these leave open, and every finding, is
    solved over the whole component, so every finding is still an exact integer bound.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import os
import sys
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

import highspy
import numpy as np
import numpy.typing as npt
from scipy.sparse import csr_array  # type: ignore[import-untyped]

Vector = npt.NDArray[np.float64]


class JointDisclosureError(ValueError):
    """A release problem that cannot be set up (unknown atom, inconsistent ledger)."""


class FigureKind(StrEnum):
    COUNT = "count"  # people or cases: the threshold rule applies (no interval inside 1..k-1)
    MAGNITUDE = "magnitude"  # hours, sessions: protected by contributors and interval width only


@dataclass(frozen=True)
class FigureSpec:
    """A published quantity: the sum of `atoms`. `rank` orders secondary choices (0 = inner cell)."""

    key: str
    atoms: tuple[str, ...]
    kind: FigureKind = FigureKind.COUNT
    rank: int = 0


@dataclass(frozen=True)
class Line:
    """`total` is the sum of `parts` (all figure keys)."""

    total: str
    parts: tuple[str, ...]


@dataclass(frozen=True)
class Relation:
    """sum(left atoms) == sum(right atoms) (`equal`) or sum(left) <= sum(right) (`at_most`)."""

    left: tuple[str, ...]
    right: tuple[str, ...]
    equal: bool = True


@dataclass
class ReleaseProblem:
    """Everything one release decides, plus what earlier releases fixed."""

    atoms: dict[str, int]  # exact atom values
    figures: dict[str, FigureSpec] = field(default_factory=dict)
    lines: list[Line] = field(default_factory=list)
    relations: list[Relation] = field(default_factory=list)
    primary: set[str] = field(default_factory=set)
    fixed: dict[str, int | None] = field(default_factory=dict)  # ledger: value, or None = suppressed
    # Another key for a figure with exactly the same atoms (the government-wide count of a government
    # of one organisation is that organisation's): one figure, published or suppressed alike.
    aliases: dict[str, str] = field(default_factory=dict)
    # The part of the release an atom belongs to (its organisation). Witnesses are first sought one
    # part at a time with every other atom at its true value: small programmes instead of one over
    # the whole government (see Attacker.bounds). None: every component is solved whole.
    subsystem: Callable[[str], str] | None = None
    _by_atoms: dict[frozenset[str], str] = field(default_factory=dict, repr=False)

    def add(self, spec: FigureSpec) -> str:
        """Add a figure; returns the key it is known by (an earlier key with the same atoms)."""
        if spec.key in self.aliases:
            return self.aliases[spec.key]
        known = self.figures.get(spec.key)
        if known is not None and set(known.atoms) != set(spec.atoms):
            raise JointDisclosureError(f"figure {spec.key} defined twice with different atoms")
        if known is not None:
            return spec.key
        atoms = frozenset(spec.atoms)
        same = self._by_atoms.get(atoms) if atoms else None
        if same is not None:
            self.aliases[spec.key] = same
            return same
        self.figures[spec.key] = spec
        if atoms:
            self._by_atoms[atoms] = spec.key
        return spec.key

    def fix(self, spec: FigureSpec, released: int | None, primary: bool) -> str:
        """Add a figure an earlier release published (its value, or None: suppressed); it stands and
        is part of the reader's knowledge. Returns the key it is known by."""
        known_as = self.add(spec)
        self.fixed[known_as] = released
        if primary:
            self.primary.add(known_as)
        return known_as

    def spec(self, key: str) -> FigureSpec:
        return self.figures[self.aliases.get(key, key)]

    def value(self, key: str) -> int:
        return sum(self.atoms.get(atom, 0) for atom in self.spec(key).atoms)


@dataclass(frozen=True)
class Requirement:
    k: int = 5
    interval: int = 3  # minimum width (high - low) of every suppressed figure's feasible interval


@dataclass(frozen=True)
class Bounds:
    """Integer values a reader can infer for a figure; `high is None` = unbounded."""

    low: int
    high: int | None

    def width(self) -> float:
        return math.inf if self.high is None else self.high - self.low


@dataclass(frozen=True)
class Finding:
    key: str
    problem: str  # determined | interval_too_narrow | primary_bounded_below_k
    bounds: Bounds


def priority(secret: bytes, key: str) -> bytes:
    """The keyed pseudo-random priority of a figure (lower goes first): HMAC-SHA256 of its key."""
    return hmac.new(secret, key.encode("utf-8"), hashlib.sha256).digest()


def meets(bounds: Bounds, kind: FigureKind, primary: bool, requirement: Requirement) -> str | None:
    """None when `bounds` protect the figure, else the name of the problem.

    Every suppressed figure must not be determined. The protection interval (minimum width) and the
    threshold rule apply to primary suppressions, the figures that need protection; a secondary
    suppression (a value >= k or 0) only has to stay undetermined, as in sdcTable's protection
    levels. A secondary zero narrowed to [0, 1] is not a disclosure of anyone."""
    if bounds.high is not None and bounds.high <= bounds.low:
        return "determined"
    if primary and bounds.width() < requirement.interval:
        return "interval_too_narrow"
    if (
        primary
        and kind is FigureKind.COUNT
        and bounds.low >= 1
        and bounds.high is not None
        and bounds.high <= requirement.k - 1
    ):
        return "primary_bounded_below_k"
    return None


# --------------------------------------------------------------------------------------------------
# The attacker


class Attacker:
    """The reader's integer programs over one release problem, with a pool of witnesses.

    A witness is a non-negative integer atom vector consistent with what is published. Suppressing
    more only removes equations, so a witness stays valid for every later round of `protect_release`:
    the pool (and the attained range of every figure over it) only grows.
    """

    def __init__(
        self,
        figures: Mapping[str, FigureSpec],
        relations: Sequence[Relation],
        truth: Mapping[str, int] | None = None,
        subsystem: Callable[[str], str] | None = None,
    ) -> None:
        self.figures = figures
        self.subsystem = subsystem
        self.keys = sorted(figures)
        self.row = {key: i for i, key in enumerate(self.keys)}
        atoms = sorted(
            {a for f in figures.values() for a in f.atoms}
            | {a for r in relations for a in (*r.left, *r.right)}
        )
        self.atoms = atoms
        self.index = {atom: i for i, atom in enumerate(atoms)}
        data, cols, ptr = [], [], [0]
        for key in self.keys:
            for atom in figures[key].atoms:
                cols.append(self.index[atom])
                data.append(1.0)
            ptr.append(len(cols))
        self.matrix = csr_array((data, cols, ptr), shape=(len(self.keys), len(atoms)))
        self.relations = list(relations)
        # left - right of every relation, to check a combined witness (see _settle_by_subsystems)
        data, cols, ptr = [], [], [0]
        for relation in self.relations:
            for atom in relation.left:
                cols.append(self.index[atom])
                data.append(1.0)
            for atom in relation.right:
                cols.append(self.index[atom])
                data.append(-1.0)
            ptr.append(len(cols))
        self.relation_matrix = csr_array((data, cols, ptr), shape=(len(self.relations), len(atoms)))
        self.relation_equal = np.array([relation.equal for relation in self.relations], dtype=bool)
        # Figures a programme found unbounded above. Part of the whole system's feasible set (the
        # other atoms at the truth), so the whole system is unbounded too; like a witness it stays
        # valid while suppressing more only removes equations.
        self.unbounded: set[str] = set()
        self._figure_parts: dict[str, frozenset[str]] = {}  # organisations of a figure's atoms
        self._relation_parts = [
            frozenset(map(subsystem, (*relation.left, *relation.right))) if subsystem else frozenset()
            for relation in self.relations
        ]
        self.low = np.full(len(self.keys), np.inf)
        self.high = np.full(len(self.keys), -np.inf)
        if truth is not None:
            self.note(np.array([float(truth.get(atom, 0)) for atom in atoms]))

    def note(self, witness: Vector) -> None:
        values = self.matrix @ witness
        np.minimum(self.low, values, out=self.low)
        np.maximum(self.high, values, out=self.high)

    def attained(self, key: str) -> Bounds | None:
        i = self.row[key]
        if not np.isfinite(self.low[i]):
            return None
        return Bounds(round(self.low[i]), None if key in self.unbounded else round(self.high[i]))

    def _program(
        self,
        atoms: list[str],
        published: Iterable[tuple[str, int]],
        relations: Iterable[Relation],
        base: Vector,
        kind: str,
    ) -> _Program:
        """The `published` figures and `relations` as constraints over `atoms`, every other atom
        fixed at `base`. Over a whole component nothing is fixed; over one organisation (or a pair)
        the others stand at the truth, so any solution completed with `base` satisfies every
        published figure and relation: a witness of the whole release from a small programme."""
        local = {atom: i for i, atom in enumerate(atoms)}
        rows: list[dict[int, float]] = []
        low: list[float] = []
        high: list[float] = []

        def split(members: Iterable[str], sign: float, row: dict[int, float]) -> float:
            fixed = 0.0
            for atom in members:
                if atom in local:
                    row[local[atom]] = row.get(local[atom], 0.0) + sign
                else:
                    fixed += sign * base[self.index[atom]]
            return fixed

        for key, value in published:
            row: dict[int, float] = {}
            fixed = split(self.figures[key].atoms, 1.0, row)
            if row:
                rows.append(row)
                low.append(value - fixed)
                high.append(value - fixed)
        for relation in relations:
            row = {}
            fixed = split(relation.left, 1.0, row) + split(relation.right, -1.0, row)
            if row:
                rows.append(row)
                low.append(-fixed if relation.equal else -highspy.kHighsInf)
                high.append(-fixed)
        return _Program(len(atoms), rows, low, high, kind=kind)

    def _component_program(self, atoms: list[str], published: Mapping[str, int], base: Vector) -> _Program:
        """The programme of a whole component (`published`: its figures): nothing outside is fixed."""
        atom_set = set(atoms)
        relations = [r for r in self.relations if (r.left or r.right) and (*r.left, *r.right)[0] in atom_set]
        return self._program(atoms, published.items(), relations, base, "component")

    def _subsystem_program(
        self, atoms: list[str], members: frozenset[str], published: Mapping[str, int], base: Vector
    ) -> _Program:
        """The programme over the atoms of `members` (organisations), the others at the truth."""
        figures = (
            (key, value) for key, value in published.items() if not members.isdisjoint(self._parts_of(key))
        )
        relations = (
            relation
            for relation, parts in zip(self.relations, self._relation_parts, strict=True)
            if not members.isdisjoint(parts)
        )
        return self._program(atoms, figures, relations, base, "subsystem")

    def _parts_of(self, key: str) -> frozenset[str]:
        parts = self._figure_parts.get(key)
        if parts is None:
            assert self.subsystem is not None
            parts = self._figure_parts[key] = frozenset(map(self.subsystem, self.figures[key].atoms))
        return parts

    def _settle_by_subsystems(
        self,
        atoms: list[str],
        here: list[str],
        published: Mapping[str, int],
        base: Vector,
        settled: Callable[[str], bool],
        explore: int,
    ) -> None:
        """Witnesses from one organisation at a time (the others at the truth), then from pairs of
        organisations, for the open figures that lie inside one organisation; combined ones for the
        figures over several. What is settled here needs no solve over the whole component."""
        assert self.subsystem is not None
        parts: dict[str, list[str]] = {}
        for atom in atoms:
            parts.setdefault(self.subsystem(atom), []).append(atom)
        if len(parts) < 2:
            return
        inside: dict[str, list[str]] = {}
        spanning: list[str] = []
        for key in here:
            owners = self._parts_of(key)
            if len(owners) == 1:
                inside.setdefault(next(iter(owners)), []).append(key)
            else:
                spanning.append(key)
        programs: dict[str, tuple[_Program, list[str], Vector]] = {}

        def program_of(part: str) -> tuple[_Program, list[str], Vector]:
            if part not in programs:
                part_atoms = parts[part]
                positions = np.array([self.index[a] for a in part_atoms])
                program = self._subsystem_program(part_atoms, frozenset((part,)), published, base)
                programs[part] = (program, part_atoms, positions)
            return programs[part]

        for part in sorted(inside):
            if all(settled(key) for key in inside[part]):
                continue
            program, part_atoms, positions = program_of(part)
            self._explore_and_push(program, part_atoms, inside[part], positions, base, settled, explore)
        # A cell whose government-wide sum is published cannot move while every other organisation
        # stays at the truth, only against the same cell of another organisation: pairs.
        names = sorted(parts)
        for i, first in enumerate(names):
            for second in names[i + 1 :]:
                keys = [key for key in (*inside.get(first, ()), *inside.get(second, ())) if not settled(key)]
                if not keys:
                    continue
                pair_atoms = parts[first] + parts[second]
                positions = np.array([self.index[a] for a in pair_atoms])
                program = self._subsystem_program(pair_atoms, frozenset((first, second)), published, base)
                self._explore_and_push(program, pair_atoms, keys, positions, base, settled, explore)
        # A figure over several organisations (a government-wide count): push it in every one of
        # them at once. Each organisation's move keeps every published figure and relation of the
        # truth, and the moves touch different atoms, so their sum is a witness too; it is checked
        # before it counts, in case a relation spans organisations.
        published_matrix = self.matrix[np.array([self.row[key] for key in published], dtype=np.int64)]
        for key in spanning:
            for sign in (-1.0, 1.0):
                if settled(key):
                    break
                combined = base.copy()
                for part in sorted(self._parts_of(key)):
                    program, part_atoms, positions = program_of(part)
                    local = {atom: i for i, atom in enumerate(part_atoms)}
                    columns = [local[a] for a in self.figures[key].atoms if a in local]
                    _, witness = program.optimise(columns, sign)
                    if witness is not None:
                        combined[positions] = witness
                if self._consistent(combined, base, published_matrix):
                    self.note(combined)

    def _consistent(self, candidate: Vector, base: Vector, published_matrix: csr_array) -> bool:
        """`candidate` publishes what `base` (the truth) publishes (`published_matrix`: the rows of
        the published figures) and obeys every relation."""
        if np.any(candidate < 0):
            return False
        if np.any(np.abs(published_matrix @ (candidate - base)) > 1e-6):
            return False
        gaps = self.relation_matrix @ candidate
        return bool(
            np.all(np.abs(gaps[self.relation_equal]) < 1e-6) and np.all(gaps[~self.relation_equal] < 1e-6)
        )

    def _explore_and_push(
        self,
        program: _Program,
        atoms: list[str],
        keys: list[str],
        positions: Vector,
        base: Vector,
        settled: Callable[[str], bool],
        explore: int,
    ) -> None:
        """Witnesses for `keys` from `program`: random-sign explorations, then each open figure to its
        maximum and minimum. Finds witnesses only; exact bounds are the component's business."""
        local = {atom: i for i, atom in enumerate(atoms)}
        self._explore(lambda: program, local, keys, positions, base, settled, explore)
        for key in keys:
            for sign in (-1.0, 1.0):
                if settled(key):
                    break
                optimum, witness = program.optimise([local[a] for a in self.figures[key].atoms], sign)
                if witness is not None:
                    self._note_local(witness, positions, base)
                elif optimum is None and sign < 0:
                    self.unbounded.add(key)

    def _explore(
        self,
        program: Callable[[], _Program],
        local: Mapping[str, int],
        keys: list[str],
        positions: Vector,
        base: Vector,
        settled: Callable[[str], bool],
        explore: int,
    ) -> None:
        """Cheap exploration: one solve with random signs over every open figure pushes many of them
        to an extreme at once; each optimum is a witness for all of them. Stops when few are open or
        a round settled nothing (solve one by one then). `program` is built at the first solve."""
        rng = np.random.default_rng(len(keys))
        last_open = len(keys) + 1
        for _ in range(explore):
            still_open = [key for key in keys if not settled(key)]
            if len(still_open) < 8 or len(still_open) >= last_open:
                break
            last_open = len(still_open)
            costs = np.zeros(len(local))
            for key, sign in zip(still_open, rng.choice((-1.0, 1.0), size=len(still_open)), strict=True):
                for atom in self.figures[key].atoms:
                    costs[local[atom]] += sign
            _, witness = program().optimise_costs(costs)
            if witness is not None:
                self._note_local(witness, positions, base)

    def bounds(
        self,
        published: Mapping[str, int],
        suppressed: Iterable[str],
        requirement: Requirement | None = None,
        primary: Iterable[str] = (),
        truth: Vector | None = None,
        explore: int = 6,
    ) -> dict[str, Bounds]:
        """Bounds of every suppressed figure. With `requirement`, a figure whose attained range over
        the witnesses already meets it is reported with that inner range (enough to prove it
        protected); every other bound is exact."""
        suppressed = sorted(set(suppressed))
        primary_set = set(primary)
        base = truth if truth is not None else np.zeros(len(self.atoms))
        result: dict[str, Bounds] = {}

        def settled(key: str) -> bool:
            inner = self.attained(key)
            return (
                requirement is not None
                and inner is not None
                and meets(inner, self.figures[key].kind, key in primary_set, requirement) is None
            )

        def inner(key: str) -> Bounds:  # the range over the witnesses of a settled figure
            attained = self.attained(key)
            assert attained is not None
            return attained

        components = _components(self.figures, [*published, *suppressed], self.relations)
        component_of = {atom: i for i, atoms in enumerate(components) for atom in atoms}
        published_in: list[dict[str, int]] = [{} for _ in components]
        suppressed_in: list[list[str]] = [[] for _ in components]
        for key, value in published.items():
            if self.figures[key].atoms:
                published_in[component_of[self.figures[key].atoms[0]]][key] = value
        for key in suppressed:
            if self.figures[key].atoms:
                suppressed_in[component_of[self.figures[key].atoms[0]]].append(key)
        for atoms, here, published_here in zip(components, suppressed_in, published_in, strict=True):
            if not here:
                continue
            # Most components are settled by the witnesses of earlier rounds: no programme at all.
            if all(settled(key) for key in here):
                result.update((key, inner(key)) for key in here)
                continue
            positions = np.array([self.index[a] for a in atoms])
            local = {atom: i for i, atom in enumerate(atoms)}
            if requirement is not None and truth is not None and self.subsystem is not None:
                # The government-wide sums tie every organisation into one component; an organisation
                # alone, with the others at the truth, settles most of its figures far more cheaply.
                self._settle_by_subsystems(atoms, here, published_here, base, settled, explore)
            built: list[_Program] = []

            def program(
                atoms: list[str] = atoms,
                published_here: dict[str, int] = published_here,
                built: list[_Program] = built,
            ) -> _Program:
                """The whole component's programme, built at its first solve (many need none)."""
                if not built:
                    built.append(self._component_program(atoms, published_here, base))
                return built[0]

            if requirement is not None:
                self._explore(program, local, here, positions, base, settled, explore)
            for key in here:
                if settled(key):
                    result[key] = inner(key)
                    continue
                columns = [local[a] for a in self.figures[key].atoms]
                high, witness = program().optimise(columns, -1.0)
                if witness is not None:
                    self._note_local(witness, positions, base)
                elif high is None:
                    self.unbounded.add(key)
                if settled(key):
                    result[key] = inner(key)
                    continue
                low, witness = program().optimise(columns, 1.0)
                assert low is not None and witness is not None  # atoms are bounded below by 0
                self._note_local(witness, positions, base)
                result[key] = Bounds(
                    math.ceil(low - 1e-6), None if high is None else math.floor(-high + 1e-6)
                )
        return result

    def _note_local(self, witness: Vector, positions: Vector, base: Vector) -> None:
        full = base.copy()
        full[positions] = witness
        self.note(full)


# Solves by kind of programme since the process started (benchmarks print it; nothing reads it).
SOLVES: Counter[str] = Counter()

_BANNER = threading.Lock()
_banner_shown = False


def _highs() -> highspy.Highs:
    """A silent HiGHS instance. HiGHS prints a banner on standard output when the first instance of a
    process is made; standard output is where `caseflow report annual` writes the report."""
    global _banner_shown
    with _BANNER:
        if _banner_shown:
            solver = highspy.Highs()  # type: ignore[no-untyped-call]
        else:
            sys.stdout.flush()
            saved, devnull = os.dup(1), os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            try:
                solver = highspy.Highs()  # type: ignore[no-untyped-call]
            finally:
                os.dup2(saved, 1)
                os.close(saved)
                os.close(devnull)
            _banner_shown = True
    solver.setOptionValue("output_flag", False)
    return solver


class _Program:
    """One component's constraints in HiGHS, solved as a linear programme first (warm-started from
    the previous basis) and as an integer programme only when the LP optimum is not integral. The
    constraint matrix is 0/+-1 and mostly network-like, so most LP vertices are integral already;
    an integral LP optimum is the integer optimum (it is feasible for the integer programme and no
    integer point beats the relaxation)."""

    def __init__(
        self,
        n: int,
        rows: list[dict[int, float]],
        low: list[float],
        high: list[float],
        kind: str = "component",
    ) -> None:
        self.n = n
        self.kind = kind  # "component" or "subsystem", for SOLVES
        self.solver = _highs()
        lp = highspy.HighsLp()
        lp.num_col_ = n
        lp.num_row_ = len(rows)
        lp.col_cost_ = np.zeros(n)
        lp.col_lower_ = np.zeros(n)
        lp.col_upper_ = np.full(n, highspy.kHighsInf)
        lp.row_lower_ = np.array(low, dtype=float)
        lp.row_upper_ = np.array(high, dtype=float)
        starts, index, value = [0], [], []
        for row in rows:
            for col, coefficient in sorted(row.items()):
                if coefficient:
                    index.append(col)
                    value.append(coefficient)
            starts.append(len(index))
        lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
        lp.a_matrix_.start_ = np.array(starts, dtype=np.int32)
        lp.a_matrix_.index_ = np.array(index, dtype=np.int32)
        lp.a_matrix_.value_ = np.array(value, dtype=float)
        lp.a_matrix_.num_col_ = n
        lp.a_matrix_.num_row_ = len(rows)
        self.solver.passModel(lp)
        self._lp = lp
        self._mip: highspy.Highs | None = None
        self.all_columns = np.arange(n, dtype=np.int32)

    def optimise(self, columns: Sequence[int], sign: float) -> tuple[float | None, Vector | None]:
        """min (sign 1) or max (sign -1, returned negated) of the sum of `columns` over the integer
        points: (optimum, witness), or (None, None) when unbounded."""
        costs = np.zeros(self.n)
        for col in columns:
            costs[col] += sign
        return self.optimise_costs(costs)

    def optimise_costs(self, costs: Vector) -> tuple[float | None, Vector | None]:
        """min costs.x over the integer points: (optimum, witness), or (None, None) when unbounded."""
        solver = self.solver
        solver.changeColsCost(self.n, self.all_columns, costs)
        solver.run()
        SOLVES[self.kind] += 1
        status = solver.getModelStatus()
        if status in (highspy.HighsModelStatus.kUnbounded, highspy.HighsModelStatus.kUnboundedOrInfeasible):
            return None, None
        if status != highspy.HighsModelStatus.kOptimal:
            raise JointDisclosureError(f"the attacker's linear programme failed: {status}")
        x = np.asarray(solver.getSolution().col_value)
        if np.all(np.abs(x - np.round(x)) < 1e-7):
            x = np.round(x)
            return float(costs @ x), x
        # A fractional vertex: the integer programme, in a second instance of its own. Switching the
        # first instance to integer columns and back would throw away its warm basis, which costs
        # more than the integer solve itself on a government-wide component.
        mip = self._integer_solver()
        SOLVES[f"{self.kind} integer"] += 1
        mip.changeColsCost(self.n, self.all_columns, costs)
        mip.run()
        status = mip.getModelStatus()
        if status != highspy.HighsModelStatus.kOptimal:
            raise JointDisclosureError(f"the attacker's integer programme failed: {status}")
        x = np.round(np.asarray(mip.getSolution().col_value))
        return float(costs @ x), x

    def _integer_solver(self) -> highspy.Highs:
        if self._mip is None:
            self._mip = _highs()
            self._mip.passModel(self._lp)
            self._mip.changeColsIntegrality(
                self.n, self.all_columns, np.array([highspy.HighsVarType.kInteger] * self.n)
            )
            self._mip.setOptionValue("mip_rel_gap", 0.0)
        return self._mip


def _components(
    figures: Mapping[str, FigureSpec], keys: Iterable[str], relations: Sequence[Relation]
) -> list[list[str]]:
    """Atoms grouped into independent parts (union-find over figures and relations)."""
    parent: dict[str, str] = {}

    def find(atom: str) -> str:
        root = atom
        while parent.setdefault(root, root) != root:
            root = parent[root]
        while parent[atom] != root:
            parent[atom], atom = root, parent[atom]
        return root

    def join(atoms: Sequence[str]) -> None:
        if not atoms:
            return
        first = find(atoms[0])
        for atom in atoms[1:]:
            other = find(atom)
            if other != first:
                parent[other] = first

    for key in keys:
        join(figures[key].atoms)
    for relation in relations:
        join([*relation.left, *relation.right])
    groups: dict[str, list[str]] = {}
    for atom in parent:
        groups.setdefault(find(atom), []).append(atom)
    return [sorted(group) for group in sorted(groups.values(), key=min)]


def attack(
    figures: Mapping[str, FigureSpec],
    published: Mapping[str, int],
    suppressed: Iterable[str],
    relations: Sequence[Relation] = (),
) -> dict[str, Bounds]:
    """The reader's exact integer bounds of every suppressed figure, from `published` values alone."""
    return Attacker(figures, relations).bounds(published, suppressed)


def audit(
    problem: ReleaseProblem, outcome: Mapping[str, int | None], requirement: Requirement, exact: bool = True
) -> list[Finding]:
    """Everything `outcome` (and the ledger) publishes, attacked at once; [] means it may leave.

    `exact`: every bound is the attacker's integer optimum. Otherwise the auditor also uses the
    truth as a witness and stops solving a figure once witnesses prove it protected: the same
    verdict (a finding is always confirmed by exact bounds), fewer solves, but the bounds of
    protected figures are inner ones."""
    outcome = {key: value for key, value in outcome.items() if key in problem.figures}  # aliases: same figure
    published = {key: value for key, value in outcome.items() if value is not None}
    suppressed = [key for key, value in outcome.items() if value is None]
    if exact:
        bounds = attack(problem.figures, published, suppressed, problem.relations)
    else:
        attacker = Attacker(problem.figures, problem.relations, problem.atoms, problem.subsystem)
        truth = np.array([float(problem.atoms.get(atom, 0)) for atom in attacker.atoms])
        bounds = attacker.bounds(published, suppressed, requirement, problem.primary, truth)
    findings = []
    for key in sorted(bounds):
        issue = meets(bounds[key], problem.figures[key].kind, key in problem.primary, requirement)
        if issue is not None:
            findings.append(Finding(key, issue, bounds[key]))
    return findings


# --------------------------------------------------------------------------------------------------
# Protection


def protect_release(
    problem: ReleaseProblem,
    requirement: Requirement,
    secret: bytes,
    trace: list[tuple[str, str]] | None = None,
) -> dict[str, int | None]:
    """Values of every figure of `problem` (None = suppressed) that pass the exact attacker.

    Figures in `problem.fixed` keep their released value or suppression. Deterministic for the same
    problem and secret. Ends at the latest when every figure that is not fixed is suppressed.
    """
    figures = problem.figures
    values = {key: problem.value(key) for key in figures}
    for key, released in problem.fixed.items():
        if key not in figures:
            raise JointDisclosureError(f"released figure {key} is not part of the problem")
        if released is not None and released != values[key]:
            raise JointDisclosureError(f"released figure {key} would change: freeze its period")
    suppressed = {key for key, value in problem.fixed.items() if value is None}
    suppressed |= {key for key in problem.primary if key not in problem.fixed}
    free = {key for key in figures if key not in problem.fixed}
    order = {key: (figures[key].rank, priority(secret, key)) for key in figures}
    lines_of: dict[str, list[Line]] = {}
    for line in problem.lines:
        for key in (line.total, *line.parts):
            lines_of.setdefault(key, []).append(line)

    figures_of_atom: dict[str, list[str]] = {}
    for key, spec in figures.items():
        for atom in spec.atoms:
            figures_of_atom.setdefault(atom, []).append(key)
    relations_of_atom: dict[str, list[Relation]] = {}
    for relation in problem.relations:
        for atom in (*relation.left, *relation.right):
            relations_of_atom.setdefault(atom, []).append(relation)

    def related(key: str) -> set[str]:
        atoms = set(figures[key].atoms)
        for atom in list(atoms):
            for relation in relations_of_atom.get(atom, []):
                atoms.update(relation.left)
                atoms.update(relation.right)
        return {other for atom in atoms for other in figures_of_atom.get(atom, []) if other != key}

    def choose(candidates: Iterable[str], smallest: bool = False) -> str | None:
        # A figure without atoms is structurally 0: suppressing it protects nothing.
        candidates = [
            key for key in candidates if key in free and key not in suppressed and figures[key].atoms
        ]
        pool = [
            key for key in candidates if key not in revealed
        ] or candidates  # revealed only as a last resort
        if not pool:
            return None
        if smallest:  # among figures of the same cost, the smallest value first
            choice = min(pool, key=lambda key: (figures[key].rank, values[key], order[key]))
        else:
            choice = min(pool, key=order.__getitem__)
        revealed.discard(choice)
        return choice

    def line_fix(line: Line) -> str | None:
        entries = (line.total, *line.parts)
        hidden = [key for key in entries if key in suppressed]
        if not hidden:
            return None
        if (
            line.total not in suppressed
            and figures[line.total].kind is FigureKind.COUNT
            and any(key in problem.primary for key in line.parts if key in suppressed)
            and not any(
                values[key] >= requirement.k
                for key in line.parts
                if key in suppressed and key not in problem.primary
            )
        ):
            # The group rule, decided so that the pattern does not tell the primaries' sum: a line
            # whose published total covers suppressed primaries hides one part of at least k beside
            # them, whatever the primaries add up to. Its hidden parts then add up to at least k.
            # Stopping as soon as the hidden sum reached k would tell a reader who knows the rule
            # that the primaries alone stayed below k. The cover is the smallest such part (then by
            # keyed priority): a reader learns only that it is at most the published ones, and the
            # line's large figures, the ones a report is read for, stay published.
            cover = choose(
                (key for key in line.parts if key not in problem.primary and values[key] >= requirement.k),
                smallest=True,
            )
            if cover is not None:
                return cover
            # No free part of at least k: the other parts are 0. Hide them too, or a reader could
            # tell a line of 1 + 1 + 1 + 1 + 1 from one of 2 + 0 + 1 + 1 + 1, whose 0 would be
            # published (a part the audit has published again stays published). Where a part of an
            # earlier release is fixed, fall back to hiding more until the hidden parts' sum is safe.
            zero = choose(
                key
                for key in line.parts
                if key not in problem.primary and values[key] == 0 and key not in ever_revealed
            )
            if zero is not None:
                return zero
            hidden_sum = sum(values[key] for key in line.parts if key in suppressed)
            if 1 <= hidden_sum <= requirement.k - 1:
                return choose(line.parts) or choose([line.total])
        if len(hidden) == 1:
            return choose(entries)
        return None

    strikes: dict[str, int] = {}  # audit rounds a figure has failed
    revealed: set[str] = set()  # secondaries published again because the rest determines them
    ever_revealed: set[str] = set()
    attacker = Attacker(figures, problem.relations, problem.atoms, problem.subsystem)
    truth = np.array([float(problem.atoms.get(atom, 0)) for atom in attacker.atoms])
    while True:
        settled = False
        while not settled:
            settled = True
            for line in problem.lines:
                extra = line_fix(line)
                if extra is not None:
                    suppressed.add(extra)
                    settled = False
                    if trace is not None:
                        trace.append((extra, f"line {line.total}"))
        published = {key: values[key] for key in figures if key not in suppressed}
        bounds = attacker.bounds(published, suppressed, requirement, problem.primary, truth)
        failing = [
            key
            for key in sorted(bounds, key=order.__getitem__)
            if meets(bounds[key], figures[key].kind, key in problem.primary, requirement) is not None
        ]
        if not failing:
            outcome = {key: (None if key in suppressed else values[key]) for key in figures}
            outcome.update({alias: outcome[key] for alias, key in problem.aliases.items()})
            return dict(sorted(outcome.items()))
        # A secondary suppression that the reader can determine anyway hides nothing: publish it (its
        # value, 0 or >= k, adds no equation the reader lacks) and never choose it again. Suppressing
        # more around it cannot help when it is pinned by a relation (a category never mentioned is
        # never the primary one).
        revealed_now = [
            key
            for key in failing
            if key not in problem.primary
            and key not in problem.fixed
            and key not in ever_revealed  # once: no ping-pong with the line rules
            and meets(bounds[key], figures[key].kind, False, requirement) == "determined"
        ]
        for key in revealed_now:
            suppressed.discard(key)
            revealed.add(key)
            ever_revealed.add(key)
            if trace is not None:
                trace.append((key, "published again: determined by the rest"))
        failing = [key for key in failing if key not in revealed]
        if not failing:
            continue
        # Open each failing figure: one more suppressed part in each of its lines (never a line's total
        # first: a total is shared by other tables and suppressing it cascades); failing that, the
        # cheapest figure over the same or related atoms (relations: other tables of the same
        # contacts), then a total. One audit round serves them all.
        added: set[str] = set()
        for key in failing:
            strikes[key] = strikes.get(key, 0) + 1
            opened = False
            for line in lines_of.get(key, []):
                entries = {line.total, *line.parts}
                if entries & added:
                    opened = True  # a suppression added this round already opens this line
                    continue
                # A figure that still fails after a round of parts may take its lines' totals too.
                pool = entries if strikes[key] > 2 else {part for part in line.parts if part != key}
                candidate = choose(pool - {key})
                if candidate is not None:
                    suppressed.add(candidate)
                    added.add(candidate)
                    opened = True
                    if trace is not None:
                        trace.append((candidate, f"audit {key}: line {line.total}"))
            if opened:
                continue
            extra = (
                choose(related(key))
                or choose(line.total for line in lines_of.get(key, []))
                or choose(figures)
            )
            if extra is not None:
                suppressed.add(extra)
                added.add(extra)
                if trace is not None:
                    trace.append((extra, f"audit {key}: related"))
        if not added:
            raise JointDisclosureError(
                "a released figure cannot be protected even with everything new suppressed"
            )
