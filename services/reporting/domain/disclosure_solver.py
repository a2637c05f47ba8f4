"""The exact attacker: the reader's integer programmes over a release problem.

For every suppressed figure, the smallest and largest value over all non-negative INTEGER atom
vectors consistent with everything published, by mixed-integer programming (HiGHS through
highspy). The relations are not a network matrix once tables are linked, so an LP relaxation would
not be exact: each programme is solved as an LP first and as an integer programme wherever the LP
optimum is not integral (`_Program`), so every bound reported is an integer optimum.

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

A module of its own so that the solver can be swapped or tested on its own: the operations of
`joint_disclosure` (`attack`, `audit`, `protect_release`) only build an `Attacker` and ask it for
bounds (`Attacker.bounds`; `Attacker.atoms` orders the truth they pass). It works on the model
types of `release_problem` and does not import `joint_disclosure`.
"""

from __future__ import annotations

import math
import os
import sys
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence

import highspy
import numpy as np
import numpy.typing as npt
from scipy.sparse import csr_array  # type: ignore[import-untyped]

from services.reporting.domain.release_problem import (
    Bounds,
    FigureSpec,
    JointDisclosureError,
    Relation,
    Requirement,
    meets,
)

Vector = npt.NDArray[np.float64]


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
