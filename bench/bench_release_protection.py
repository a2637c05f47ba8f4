"""Protecting and auditing a government-wide release, with the previous year's release as baseline.

A simulated year of N ministries x U units (three-level unit trees with small units), every report
section, the management views, through quarter Q: first the previous year's release is made (the
ledger), then the release is protected jointly (joint_disclosure.protect_release) and audited again
from the published figures alone by the exact attacker. The previous year's release, made in the
same run, is the baseline the figures compare with (same machinery, a full year).
Usage:
    python bench/bench_release_protection.py [--organisations 12] [--units 50] [--through 4]
"""

from __future__ import annotations

import argparse
import platform
import resource
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from services.reporting.joint_disclosure import Requirement, audit, protect_release
from services.reporting.release_model import build_release_problem
from services.reporting.report_model import DisclosurePolicy
from tools.reporting.release_sample import sample_release_input


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--organisations", type=int, default=12)
    parser.add_argument("--units", type=int, default=50)
    parser.add_argument("--through", type=int, default=4)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    policy = DisclosurePolicy()
    requirement = Requirement(k=policy.k, interval=2)
    print(f"python {platform.python_version()} on {platform.machine()}, {args.organisations} organisations "
          f"x {args.units} units, quarters 1..{args.through}")  # fmt: skip

    # The ledger: the previous year's release (a separate year: separate atoms, same machinery).
    previous = sample_release_input(args.seed + 1, args.organisations, args.units, year=2025, through=4)
    started = time.perf_counter()
    protect_release(build_release_problem(previous, policy), requirement, b"bench")
    previous_s = time.perf_counter() - started

    data = sample_release_input(args.seed, args.organisations, args.units, through=args.through)
    tracemalloc.start()
    started = time.perf_counter()
    problem = build_release_problem(data, policy)
    built_s = time.perf_counter() - started
    outcome = protect_release(problem, requirement, b"bench")
    protect_s = time.perf_counter() - started - built_s
    findings = audit(problem, outcome, requirement, exact=False)
    audit_s = time.perf_counter() - started - built_s - protect_s
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    suppressed = sum(value is None for value in outcome.values())
    print(f"figures {len(problem.figures)}, atoms {len(problem.atoms)}, primary {len(problem.primary)}, "
          f"suppressed {suppressed} ({suppressed / len(outcome):.0%})")  # fmt: skip
    print(f"previous year's release {previous_s:.1f} s; build {built_s:.2f} s, protect {protect_s:.1f} s, "
          f"audit {audit_s:.1f} s, findings {len(findings)}, peak Python memory {peak / 2**20:.0f} MiB, "
          f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")  # fmt: skip


if __name__ == "__main__":
    main()
