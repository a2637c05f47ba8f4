"""The garbage collector's settings for a long-running service process (docs/decisions.md, D65).

CPython's cyclic collector runs its youngest generation every 700 allocations of container objects
and walks every object that survived into an older generation when that one is collected. A
service builds most of its objects at start-up (modules, pydantic validators, compiled statements,
the driver) and keeps them for its life, and a consumed batch allocates thousands of short-lived
ones: with the defaults the collector walks the batch's objects several times while they are
still in use and the start-up objects in every full collection. Measured on intake
(bench/bench_intake_throughput.py, six alternating pairs): 16-34 % more submissions per second
with start-up's objects frozen and a young generation of about a batch.

`caseflow serve` calls `settle_after_start` once the service has started (shared/runtime.py,
`asgi_app(after_start=...)`); tests that start services in the pytest process do not, since a
frozen object is never collected. The replay has its own, stronger settings for its duration
(services/reporting/entrypoints/replay.py, `batch_friendly_gc`).
"""

from __future__ import annotations

import gc

YOUNG_GENERATION = 10_000  # container allocations between collections of the youngest generation
OLDER_GENERATIONS = (20, 20)  # collections of the next younger generation between each older one


def settle_after_start() -> None:
    """Collect what start-up left behind, freeze the rest out of the collector, raise thresholds."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_GENERATION, *OLDER_GENERATIONS)
