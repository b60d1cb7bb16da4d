"""`postdesk inspect` over thousands of files in one process: throughput and memory growth.

Every file of the mime-* corpora is inspected eight times over (about two thousand files) by one
``inspect_paths`` call per pass, in this process, as a person debugging a mail folder would run it.
"""

from __future__ import annotations

import io
import resource
import statistics
import time

from bench.bench_parse import CORPORA, _mail_files
from postdesk_tools.inspect import inspect_paths

PASSES = 8


def run() -> dict[str, object]:
    files = _mail_files()
    if not files:
        return {"skipped": f"corpora not found at {CORPORA}"}
    paths = [str(path) for path in files]
    rss_before_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    pass_seconds = []
    errors = 0
    for _ in range(PASSES):
        out = io.StringIO()
        started = time.perf_counter()
        inspect_paths(paths, jsonl=True, out=out)
        pass_seconds.append(time.perf_counter() - started)
        errors = out.getvalue().count('"error":')
    rss_after_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    median = statistics.median(pass_seconds)
    return {
        "files_per_pass": len(paths),
        "files_inspected": len(paths) * PASSES,
        "files_with_error_field": errors,
        "pass_seconds_median": round(median, 4),
        "files_per_second_median": round(len(paths) / median, 1),
        "max_rss_growth_mb": round((rss_after_kb - rss_before_kb) / 1024, 1),
    }
