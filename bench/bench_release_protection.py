"""Protecting and auditing a government-wide release against a ledger of earlier releases.

A simulated year of N ministries x U units (three-level unit trees with small units), every report
section, the management views. The ledger holds the previous year's release and this year's release
through quarter 3; the year's release through quarter 4 is then protected jointly with every figure
of the ledger fixed (joint_disclosure.protect_release) and audited again from the published figures
and the ledger alone (`audit(..., exact=False)`: every finding confirmed by exact integer bounds).
The previous year's release, made first in the same run by the same machinery, is the baseline the
figures compare with.
Usage:
    python bench/bench_release_protection.py [--organisations 12] [--units 50]
"""

from __future__ import annotations

import argparse
import platform
import resource
import sys
import time
import tracemalloc
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import results  # bench/results.py: a script's own folder is first on sys.path

from services.reporting.application.releases import freeze
from services.reporting.domain.annual_report_data import DisclosurePolicy
from services.reporting.domain.disclosure_solver import SOLVES
from services.reporting.domain.joint_disclosure import audit, protect_release
from services.reporting.domain.release_model import build_release_problem
from services.reporting.domain.release_problem import ReleaseProblem, Requirement
from tools.reporting.release_sample import sample_release_input, through_quarter

SECRET = b"bench"


def add_ledger(problem: ReleaseProblem, earlier: ReleaseProblem, outcome: dict[str, int | None]) -> None:
    """Every figure `outcome` published (or suppressed), fixed in `problem`, with its atoms."""
    problem.atoms.update({atom: value for atom, value in earlier.atoms.items() if atom not in problem.atoms})
    for key, value in outcome.items():
        primary = earlier.aliases.get(key, key) in earlier.primary
        problem.fix(replace(earlier.spec(key), key=key), value, primary)


def timed(label: str, run):  # type: ignore[no-untyped-def]
    SOLVES.clear()
    started = time.perf_counter()
    result = run()
    elapsed = time.perf_counter() - started
    print(f"{label}: {elapsed:.1f} s, solves {dict(SOLVES)}", flush=True)
    return result, elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--organisations", type=int, default=12)
    parser.add_argument("--units", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    run = results.Run("release_protection", **vars(args))
    policy = DisclosurePolicy()
    requirement = Requirement(k=policy.k, interval=2)
    print(f"python {platform.python_version()} on {platform.machine()}, {args.organisations} organisations "
          f"x {args.units} units")  # fmt: skip

    # The baseline: the previous year's whole release, on an empty ledger (separate atoms).
    last_year = build_release_problem(
        sample_release_input(args.seed + 1, args.organisations, args.units, year=2025, through=4), policy
    )
    last_year_outcome, previous_s = timed(
        "previous year's release (baseline)", lambda: protect_release(last_year, requirement, SECRET)
    )

    # This year through Q3, against the previous year's release.
    year = sample_release_input(args.seed, args.organisations, args.units, through=4)
    q3 = build_release_problem(through_quarter(year, 3), policy)
    q3_atoms = dict(q3.atoms)  # what quarters 1-3 are frozen at
    add_ledger(q3, last_year, last_year_outcome)
    q3_outcome, q3_s = timed("this year through Q3", lambda: protect_release(q3, requirement, SECRET))

    # The measured release: through Q4, quarters 1-3 frozen, against both earlier releases.
    tracemalloc.start()
    started = time.perf_counter()
    problem = build_release_problem(
        year, policy, freeze(build_release_problem(year, policy).atoms, q3_atoms, 2026, 3, 4)
    )
    add_ledger(problem, q3, q3_outcome)
    built_s = time.perf_counter() - started
    outcome, protect_s = timed(
        "this year through Q4: protect", lambda: protect_release(problem, requirement, SECRET)
    )
    findings, audit_s = timed(
        "this year through Q4: audit", lambda: audit(problem, outcome, requirement, exact=False)
    )
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    new = [key for key in outcome if key not in problem.fixed and key in problem.figures]
    suppressed = sum(outcome[key] is None for key in new)
    print(f"Q4 release: figures {len(problem.figures)} ({len(new)} new, {len(problem.fixed)} in the ledger), "
          f"atoms {len(problem.atoms)}, primary {len(problem.primary)}, new suppressed {suppressed} "
          f"({suppressed / len(new):.0%})")  # fmt: skip
    print(f"previous year's release {previous_s:.1f} s; Q1-Q3 {q3_s:.1f} s; Q4 build {built_s:.2f} s, "
          f"protect {protect_s:.1f} s, audit {audit_s:.1f} s, findings {len(findings)}; "
          f"Q4 (protect + audit) / baseline {(protect_s + audit_s) / previous_s:.2f}; "
          f"peak Python memory {peak / 2**20:.0f} MiB, "
          f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")  # fmt: skip
    run.write(
        {
            "figures": len(problem.figures),
            "new_figures": len(new),
            "in_the_ledger": len(problem.fixed),
            "new_suppressed": suppressed,
            "baseline_previous_year_s": previous_s,
            "q1_q3_s": q3_s,
            "q4_build_s": built_s,
            "q4_protect_s": protect_s,
            "q4_audit_s": audit_s,
            "audit_findings": len(findings),
            "ratio_q4_to_baseline": (protect_s + audit_s) / previous_s,
            "peak_python_mib": peak / 2**20,
            "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        }
    )


if __name__ == "__main__":
    main()
