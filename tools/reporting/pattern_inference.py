"""What a reader who knows the protection algorithm (and even its key) can infer from the pattern.

For every suppressed entry of a release, `pattern_inference` looks for another value the reader
cannot exclude: an integer table consistent with every published figure with the entry at that
value, on which the protection run again gives the same release (the same suppressed entries and
the same published values). An entry with no such value is one the pattern gives away.

The reader's search, values nearest the truth first; for each value, tables in three classes,
since a reader does not know which suppressed cells are primary:
  1. every suppressed count keeps its kind (primary in 1..k-1, other suppressed 0 or >= k);
  2. only the entry and the figures that share its contacts may change kind;
  3. any table.
In each class the table nearest the truth (L1), then tables nearest under other weightings of
"nearest" (random positive weights per atom, seeded by the entry: a reader may try any table, and
the nearest one can cross a threshold on a linked figure that another table of the same value
does not). One witness table is a proof that the value cannot be excluded; not finding one is
evidence, not proof, that the pattern gives the entry away.
Used by the unit test (tests/unit/test_reporting_joint_disclosure.py) and by
bench/bench_pattern_inference.py for releases too large for the suite.
"""

from __future__ import annotations

from dataclasses import dataclass
from random import Random

import numpy as np
from scipy.optimize import Bounds as ScipyBounds
from scipy.optimize import LinearConstraint, milp
from scipy.sparse import csr_array

from services.reporting.domain.annual_report_data import DisclosurePolicy
from services.reporting.domain.joint_disclosure import protect_release
from services.reporting.domain.release_model import ReleaseInput, build_release_problem
from services.reporting.domain.release_problem import ReleaseProblem, Requirement

SEARCH_RADIUS = 8  # values tried on each side of the truth
WEIGHTINGS = 4  # weightings of "nearest" per class: uniform, then random ones


@dataclass(frozen=True)
class Inference:
    entries: tuple[str, ...]  # every suppressed entry
    given_away: tuple[str, ...]  # those for which no other value gives the same pattern

    @property
    def safe(self) -> int:
        return len(self.entries) - len(self.given_away)


def pattern_inference(
    data: ReleaseInput, policy: DisclosurePolicy, requirement: Requirement, key: bytes
) -> Inference:
    problem = build_release_problem(data, policy)
    outcome = protect_release(problem, requirement, key)
    release = {k: v for k, v in outcome.items() if k in problem.figures}  # aliases are the same figures
    pattern = {k for k, v in release.items() if v is None}
    given_away = []
    for target in sorted(pattern):
        if not _second_value(data, policy, requirement, key, problem, release, target):
            given_away.append(target)
    return Inference(tuple(sorted(pattern)), tuple(given_away))


def _second_value(
    data: ReleaseInput,
    policy: DisclosurePolicy,
    requirement: Requirement,
    key: bytes,
    problem: ReleaseProblem,
    release: dict[str, int | None],
    target: str,
) -> bool:
    """Whether some other value of `target` the reader cannot exclude gives the same release."""
    truth = problem.value(target)
    shared = _sharing_contacts(problem, target)
    classes: tuple[frozenset[str] | None, ...] = (frozenset(), shared, None)
    for step in range(1, SEARCH_RADIUS + 1):  # the truth's neighbours are the reader's best guesses
        for value in (truth - step, truth + step):
            if value < 0:
                continue
            tried: set[frozenset[tuple[str, int]]] = set()
            for free in classes:
                for weighting in range(WEIGHTINGS):
                    weights = _weights(problem, f"{target}|{value}|{weighting}") if weighting else None
                    atoms = alternative(problem, release, target, value, policy.k, free, weights)
                    if atoms is None:
                        break  # infeasible in this class whatever the weighting
                    if frozenset(atoms.items()) in tried:
                        continue
                    tried.add(frozenset(atoms.items()))
                    other = build_release_problem(data, policy, atoms)
                    again = protect_release(other, requirement, key)
                    if {k: v for k, v in again.items() if k in other.figures} == release:
                        return True
    return False


def _sharing_contacts(problem: ReleaseProblem, target: str) -> frozenset[str]:
    """The target and every figure that counts some of the same contacts (its sums and parts)."""
    atoms = set(problem.figures[target].atoms)
    return frozenset(key for key, spec in problem.figures.items() if atoms & set(spec.atoms))


def _weights(problem: ReleaseProblem, seed: str) -> dict[str, float]:
    rng = Random(seed)
    atoms = sorted({a for f in problem.figures.values() for a in f.atoms})
    return {a: rng.uniform(1.0, 3.0) for a in atoms}


def alternative(
    problem: ReleaseProblem,
    outcome: dict[str, int | None],
    target: str,
    pinned: int,
    threshold: int,
    free: frozenset[str] | None = frozenset(),
    weights: dict[str, float] | None = None,
) -> dict[str, int] | None:
    """The atoms closest to the truth (L1) that are consistent with every published figure and give
    `target` the value `pinned`; None when no such table exists. A reader's "what if this cell were
    `pinned`", not a table changed everywhere. Every suppressed count not in `free` keeps its kind:
    a primary stays in 1..threshold-1, any other suppressed count 0 or >= threshold (`free` None:
    no such constraint). `weights`: the cost of a change per atom (default 1)."""
    outcome = {k: v for k, v in outcome.items() if k in problem.figures}  # aliases are the same figures
    atoms = sorted({a for f in problem.figures.values() for a in f.atoms})
    index = {a: i for i, a in enumerate(atoms)}
    suppressed = [k for k, v in outcome.items() if v is None and problem.figures[k].atoms]
    n, m = len(atoms), len(suppressed)
    rows, low, high = [], [], []

    def row(keys: tuple[str, ...], extra: dict[int, float] | None = None) -> dict[int, float]:
        r: dict[int, float] = {}
        for a in keys:
            r[index[a]] = r.get(index[a], 0.0) + 1
        for col, coefficient in (extra or {}).items():
            r[col] = coefficient
        return r

    for key, value in outcome.items():
        if value is not None and problem.figures[key].atoms:
            rows.append(row(problem.figures[key].atoms))
            low.append(value)
            high.append(value)
    big = 10_000
    for j, key in enumerate(suppressed if free is not None else ()):
        if key in free:
            continue
        atoms_of = problem.figures[key].atoms
        if key in problem.primary and problem.figures[key].kind.value == "count":
            rows.append(row(atoms_of))
            low.append(1)
            high.append(threshold - 1)
        elif problem.figures[key].kind.value == "count":
            # value <= big * b and value >= threshold * b: 0 (b = 0) or at least the threshold (b = 1)
            rows.append(row(atoms_of, {n + j: -big}))
            low.append(-np.inf)
            high.append(0)
            rows.append(row(atoms_of, {n + j: -threshold}))
            low.append(0)
            high.append(np.inf)
    for relation in problem.relations:
        r: dict[int, float] = {}
        for a in relation.left:
            r[index[a]] = r.get(index[a], 0.0) + 1
        for a in relation.right:
            r[index[a]] = r.get(index[a], 0.0) - 1
        rows.append(r)
        low.append(0 if relation.equal else -np.inf)
        high.append(0)
    data, cols, ptr = [], [], [0]
    for r in rows:
        for col, coefficient in sorted(r.items()):
            cols.append(col)
            data.append(coefficient)
        ptr.append(len(cols))
    matrix = csr_array((data, cols, ptr), shape=(len(rows), n + m))
    bounds_high = np.concatenate([np.full(n, np.inf), np.ones(m)])
    truth = np.array([problem.atoms.get(a, 0) for a in atoms], dtype=float)
    eye = csr_array((np.ones(n), (np.arange(n), np.arange(n))), shape=(n, n + m + n))
    dist = csr_array((np.ones(n), (np.arange(n), n + m + np.arange(n))), shape=(n, n + m + n))
    matrix.eliminate_zeros()  # relations with an atom on both sides leave explicit zeros
    wide = csr_array((matrix.data, matrix.indices, matrix.indptr), shape=(matrix.shape[0], n + m + n))
    pin = np.zeros(n + m + n)
    for a in problem.figures[target].atoms:
        pin[index[a]] = 1
    cost = np.array([(weights or {}).get(a, 1.0) for a in atoms])
    result = milp(
        np.concatenate([np.zeros(n + m), cost]),
        integrality=np.concatenate([np.ones(n + m), np.zeros(n)]),
        constraints=[
            LinearConstraint(wide, low, high),
            LinearConstraint(pin[None, :], pinned, pinned),
            LinearConstraint(dist - eye, -truth, np.inf),  # d >= truth - x
            LinearConstraint(dist + eye, truth, np.inf),  # d >= x - truth
        ],
        bounds=ScipyBounds(np.zeros(n + m + n), np.concatenate([bounds_high, np.full(n, np.inf)])),
    )
    if result.x is None:
        return None
    return {a: round(float(result.x[i])) for a, i in index.items() if round(float(result.x[i]))}
