"""How much of a release's suppression pattern a reader who knows the algorithm (and the key) can
invert, on releases too large for the unit test: the share of suppressed entries for which another
value consistent with everything published gives the same pattern (tools/reporting/pattern_inference).
The unit test holds one-ministry releases at 100 %; this measures releases of several ministries.
Usage:
    python bench/bench_pattern_inference.py [--organisations 2] [--units 3] [--through 2] [--seed 5]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import results  # bench/results.py: a script's own folder is first on sys.path

from services.reporting.domain.annual_report_data import DisclosurePolicy
from services.reporting.domain.release_problem import Requirement
from tools.reporting.pattern_inference import pattern_inference
from tools.reporting.release_sample import sample_release_input


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--organisations", type=int, default=2)
    parser.add_argument("--units", type=int, default=3)
    parser.add_argument("--through", type=int, default=2)
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()
    policy = DisclosurePolicy(k=5)
    data = sample_release_input(
        args.seed, args.organisations, args.units, through=args.through, contacts_per_quarter=(10, 30)
    )
    started = time.perf_counter()
    found = pattern_inference(data, policy, Requirement(k=5, interval=2), b"bench-pattern")
    elapsed = time.perf_counter() - started
    print(
        f"{args.organisations} organisations x {args.units} units, quarters 1..{args.through}, seed {args.seed}"
    )
    print(f"suppressed entries {len(found.entries)}, with a second value {found.safe} "
          f"({found.safe / max(1, len(found.entries)):.0%}), given away {len(found.given_away)}; {elapsed:.0f} s")  # fmt: skip
    for key in found.given_away:
        print(f"  given away: {key}")
    results.Run("pattern_inference", **vars(args)).write(
        {
            "suppressed_entries": len(found.entries),
            "with_a_second_value": found.safe,
            "given_away": [str(k) for k in found.given_away],
            "seconds": elapsed,
        }
    )


if __name__ == "__main__":
    main()
