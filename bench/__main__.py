"""Run every benchmark module (bench/bench_*.py) and write their figures to bench/results/latest.json.

Each module exposes ``run() -> dict``: named figures (medians, ratios, counts) plus a ``skipped`` key
with a reason when its input (for example ../shared/corpora) is not there.
"""

from __future__ import annotations

import importlib
import json
import platform
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
RESULTS = BENCH_DIR / "results" / "latest.json"


def main(argv: list[str]) -> int:
    names = argv or sorted(path.stem for path in BENCH_DIR.glob("bench_*.py"))
    # A run of some benchmarks updates their entries and keeps the others' last figures.
    results: dict[str, object] = json.loads(RESULTS.read_text(encoding="utf-8")) if RESULTS.exists() else {}
    results.update(
        {
            "python": platform.python_version(),
            "machine": platform.machine(),
            "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
    )
    for name in names:
        module = importlib.import_module(f"bench.{name}")
        print(f"== {name}", flush=True)
        figures = module.run()
        results[name] = figures
        print(json.dumps(figures, indent=2, ensure_ascii=False), flush=True)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"written to {RESULTS.relative_to(Path.cwd()) if RESULTS.is_relative_to(Path.cwd()) else RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
