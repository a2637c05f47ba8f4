"""The garbage collector's settings for a long-running service process (docs/decisions.md, D65).

CPython's cyclic collector runs its youngest generation every 700 allocations of container objects
and walks every object that survived into an older generation when that one is collected. A
service builds most of its objects at start-up (modules, pydantic validators, compiled statements,
the driver) and keeps them for its life, and a consumed batch allocates thousands of short-lived
ones: with the defaults the collector walks the batch's objects several times while they are
still in use and the start-up objects in every full collection. Measured on intake
(bench/bench_intake_throughput.py, ten alternating pairs, every one faster): a median 18 % more
submissions per second with start-up's objects frozen and a young generation of about a batch.

`caseflow serve` calls `settle_after_start` once the service has started (shared/runtime.py,
`asgi_app(after_start=...)`); tests that start services in the pytest process do not, since a
frozen object is never collected. The replay (services/reporting/entrypoints/replay.py) takes
stronger settings for its duration only, `batch_friendly_gc` below.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

YOUNG_GENERATION = 10_000  # container allocations between collections of the youngest generation
OLDER_GENERATIONS = (20, 20)  # collections of the next younger generation between each older one


def settle_after_start() -> None:
    """Collect what start-up left behind, freeze the rest out of the collector, raise thresholds."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_GENERATION, *OLDER_GENERATIONS)


@contextlib.contextmanager
def batch_friendly_gc() -> Iterator[None]:
    """Fewer full garbage collections while replaying.

    A replay holds a few batches of short-lived objects at a time; with the default thresholds the
    collector walks every long-lived object (modules, models, the driver) many times per batch,
    which measured as more than a third of the replay's CPU. Long-lived objects are frozen out of
    collection and the young generation may grow to a batch before it is collected.
    """
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(50_000, 20, 50)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()
