"""What a reader who knows the protection algorithm (and even its key) can infer from the pattern.

For every suppressed entry of a release, `pattern_inference` looks for another value the reader
cannot exclude: an integer table consistent with every published figure, nearest to the truth, with
the entry at that value (values nearest first; tables with the same primaries, or any, since a
reader does not know which suppressed cells are primary). It re-runs the protection on that table
and compares the suppression pattern. An entry with no such value is one the pattern gives away.
Used by the unit test (tests/unit/test_reporting_joint_disclosure.py) and by
bench/bench_pattern_inference.py for releases too large for the suite.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import Bounds as ScipyBounds
from scipy.optimize import LinearConstraint, milp
from scipy.sparse import csr_array

from services.reporting.domain.annual_report_data import DisclosurePolicy
from services.reporting.domain.joint_disclosure import ReleaseProblem, Requirement, protect_release
from services.reporting.domain.release_model import ReleaseInput, build_release_problem

SEARCH_RADIUS = 8  # values tried on each side of the truth


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
    pattern = {k for k, v in outcome.items() if v is None and k in problem.figures}
    given_away = []
    for target in sorted(pattern):
        if not _second_value(data, policy, requirement, key, problem, outcome, pattern, target):
            given_away.append(target)
    return Inference(tuple(sorted(pattern)), tuple(given_away))


def _second_value(
    data: ReleaseInput,
    policy: DisclosurePolicy,
    requirement: Requirement,
    key: bytes,
    problem: ReleaseProblem,
    outcome: dict[str, int | None],
    pattern: set[str],
    target: str,
) -> bool:
    """Whether some other value of `target` the reader cannot exclude gives the same pattern."""
    truth = problem.value(target)
    for step in range(1, SEARCH_RADIUS + 1):  # the truth's neighbours are the reader's best guesses
        for value in (truth - step, truth + step):
            if value < 0:
                continue
            for same_primaries in (True, False):
                atoms = alternative(problem, outcome, target, value, policy.k, same_primaries)
                if atoms is None:
                    continue
                other = build_release_problem(data, policy, atoms)
                again = protect_release(other, requirement, key)
                if {k for k, v in again.items() if v is None and k in other.figures} == pattern:
                    return True
    return False


def alternative(
    problem: ReleaseProblem,
    outcome: dict[str, int | None],
    target: str,
    pinned: int,
    threshold: int,
    same_primaries: bool = True,
) -> dict[str, int] | None:
    """The atoms closest to the truth (L1) that are consistent with every published figure and give
    `target` the value `pinned`; None when no such table exists. A reader's "what if this cell were
    `pinned`", not a table changed everywhere. `same_primaries`: also keep every primary in
    1..threshold-1 and every other suppressed count 0 or >= threshold (a reader does not know which
    suppressed cells are primary, so both kinds of table are ones the reader must consider)."""
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
    for j, key in enumerate(suppressed if same_primaries else ()):
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
    result = milp(
        np.concatenate([np.zeros(n + m), np.ones(n)]),
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
