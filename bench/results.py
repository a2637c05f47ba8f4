"""Where every benchmark leaves its latest figures: `bench/results/<name>.json`.

Machine-readable, with the machine's description and the load average before and after, so that
a figure is never read without the conditions it was measured in (docs/benchmarks.md). Each run
replaces the file of its name; the case-flow benchmark also keeps dated copies (D58).
"""

from __future__ import annotations

import json
import os
import platform
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

# CASEFLOW_BENCH_RESULTS elsewhere: a trial run with small settings does not replace the figures.
RESULTS = Path(os.environ.get("CASEFLOW_BENCH_RESULTS") or Path(__file__).resolve().parent / "results")


def machine(**extra: Any) -> dict[str, Any]:
    """The machine a figure was measured on (and e.g. the database, passed in `extra`)."""
    mem = next(
        (
            int(line.split()[1]) // 1024
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        ),
        None,
    )
    return {
        "machine": platform.machine(),
        "cores": os.cpu_count(),
        "memory_mib": mem,
        "python": platform.python_version(),
        "kernel": platform.release(),
        **extra,
    }


class Run:
    """One benchmark run: `Run("name")` when it starts, `.write(figures)` when it has them."""

    def __init__(self, name: str, **settings: Any) -> None:
        self.name = name
        self.settings = settings
        self.started = datetime.now(UTC)
        self.load_before = os.getloadavg()

    def write(self, figures: dict[str, Any], path: Path | None = None) -> Path:
        out = path or RESULTS / f"{self.name}.json"
        out.parent.mkdir(parents=True, exist_ok=True)
        document = {
            "benchmark": self.name,
            "date": self.started.isoformat(),
            "settings": self.settings,
            "machine": machine(),
            "load_average_before": self.load_before,
            "load_average_after": os.getloadavg(),
            "figures": figures,
        }
        out.write_text(json.dumps(document, indent=2, default=str) + "\n")
        print(f"written {out}")
        return out
