"""The inbound MIME parser: the two giant corpus mails, every mime-* corpus file, and hostile input.

Figures: median seconds of 7 parses for ``torture.eml`` (1.8 MB) and ``enclosed-endless.eml`` (3 MB);
for all files of the mime-* corpora their count, total size, files per second (median of 3 passes)
and the tracemalloc peak for the largest file; and median seconds for built inputs that are hard on
naive parsers (deep nesting, thousands of parts, HTML that makes ``html.parser`` quadratic).
"""

from __future__ import annotations

import os
import statistics
import time
import tracemalloc
from collections.abc import Callable
from functools import partial
from pathlib import Path

from postdesk.mail.parse import parse_message

REPO_ROOT = Path(__file__).resolve().parent.parent
CORPORA = Path(os.environ.get("POSTDESK_CORPORA", REPO_ROOT.parent / "shared" / "corpora"))
NOT_MAIL = ("README.md", "inventory.json")
MEGABYTE = 1024 * 1024


def _median_seconds(action: Callable[[], object], runs: int) -> float:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        timings.append(time.perf_counter() - started)
    return round(statistics.median(timings), 5)


def _mail_files() -> list[Path]:
    return sorted(
        path
        for corpus in sorted(CORPORA.glob("mime-*"))
        for path in corpus.rglob("*")
        if path.is_file() and path.name not in NOT_MAIL and not path.name.startswith("LICENSE")
    )


def _hostile_inputs() -> dict[str, bytes]:
    nested_messages = b"".join(b"Subject: %d\nContent-Type: message/rfc822\n\n" % n for n in range(5000))
    nested_multiparts = b"Content-Type: text/plain\n\nx\n"
    for level in range(3000):
        nested_multiparts = b"Content-Type: multipart/mixed; boundary=b%d\n\n--b%d\n%s\n--b%d--\n" % (
            level,
            level,
            nested_multiparts,
            level,
        )
    many_parts = b"Content-Type: multipart/mixed; boundary=x\n\n" + b"--x\n\nAAAA\n" * 100_000 + b"--x--\n"
    html_only = b"Content-Type: text/html\n\n"
    return {
        "nested_rfc822_5000_levels": nested_messages + b"\nbottom\n",
        "nested_multipart_3000_levels": nested_multiparts,
        "multipart_100000_parts": many_parts,
        "html_unclosed_tags_150kb": html_only + b"<a " * 50_000,
        "html_unclosed_comments_200kb": html_only + b"<p>x</p>" + b"<!--" * 50_000,
    }


def run() -> dict[str, object]:
    """Parse timings and memory; skipped (with the reason) when the corpora are not there."""
    flanker = CORPORA / "mime-flanker" / "messages"
    if not flanker.is_dir():
        return {"skipped": f"corpora not found at {CORPORA}"}
    figures: dict[str, object] = {}
    for name in ("torture.eml", "enclosed-endless.eml"):
        raw = (flanker / name).read_bytes()
        figures[f"{name}_median_seconds"] = _median_seconds(partial(parse_message, raw), runs=7)

    files = _mail_files()
    contents = [path.read_bytes() for path in files]
    total_bytes = sum(map(len, contents))

    def parse_all() -> None:
        for raw in contents:
            parse_message(raw)

    pass_seconds = _median_seconds(parse_all, runs=3)
    largest = max(files, key=lambda path: path.stat().st_size)
    tracemalloc.start()
    parse_message(largest.read_bytes())
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    figures.update(
        {
            "corpus_files": len(files),
            "corpus_total_mb": round(total_bytes / MEGABYTE, 2),
            "corpus_files_per_second": round(len(files) / pass_seconds, 1),
            "corpus_pass_median_seconds": pass_seconds,
            "largest_file": largest.relative_to(CORPORA).as_posix(),
            "largest_file_mb": round(largest.stat().st_size / MEGABYTE, 2),
            "largest_file_peak_tracemalloc_mb": round(peak / MEGABYTE, 2),
        }
    )
    for name, raw in _hostile_inputs().items():
        figures[f"{name}_median_seconds"] = _median_seconds(partial(parse_message, raw), runs=3)
    return figures
