"""Timing helpers shared by the benchmarks."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def fresh_interpreter_seconds(code: str, runs: int = 5) -> float:
    """Median wall time of a new interpreter running ``code`` (a cold start, as Lambda has one)."""
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO_ROOT)
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)
