"""Visible-reply extraction scored on every case of the public reply corpora, next to two peers.

For each ``../shared/corpora/reply-*`` set (schema ``reply-expectations/v1``) and each system
(``postdesk`` = :func:`postdesk.mail.quotes.visible_reply`, ``email-reply-parser``,
``mail-parser-reply`` with every language it knows), three shares:

- ``quote_removed``: of the cases where something must go (``reply_must_not_contain``, or an exact
  reply shorter than the input), those where no listed quoted text and no line outside the expected
  reply survives;
- ``reply_kept``: of the cases with ``reply_must_contain`` / ``reply_must_match`` / an exact reply,
  those where all of it is there (the exact reply compared with all whitespace removed);
- ``exact``: of the cases with ``reply_exact`` / ``reply_exact_ignoring_whitespace``, those equal
  after the corpus normalisation (CRLF to LF, each line right-stripped, the whole text stripped).

The reply a system shows is its text followed by the forwarded part for forwards. talon's
``reply_exact`` keeps signatures while the other sets' remove them: for talon the expected
``signature`` is cut off the end of ``reply_exact`` before comparing, and postdesk's own
``signature`` must then equal it (the peers do not return signatures separately). ``.eml`` inputs go
through ``parse_message``, ``.html`` inputs through ``html_to_text`` with the HTML passed along.
``robustness_only`` cases and talon's ``signature_extraction`` cases only have to run without error.
"""

from __future__ import annotations

import json
import re
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from postdesk.mail.html_text import html_to_text
from postdesk.mail.parse import parse_message
from postdesk.mail.quotes import visible_reply

CORPORA = Path(__file__).resolve().parent.parent.parent / "shared" / "corpora"
SETS_KEEPING_SIGNATURES = frozenset({"reply-talon"})
TIMING_REPEATS = 5
_WHITESPACE = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class Output:
    """What one system made of one case."""

    shown: str
    signature: str | None


@dataclass(frozen=True, slots=True)
class Input:
    text: str
    html: str | None


def normalize(text: str) -> str:
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).strip()


def _squeeze(text: str) -> str:
    return _WHITESPACE.sub("", text)


def load_input(path: Path) -> Input:
    raw = path.read_bytes()
    if path.suffix == ".eml":
        message = parse_message(raw)
        return Input(message.text, message.html)
    decoded = raw.decode("utf-8", errors="replace")
    if path.suffix == ".html":
        return Input(html_to_text(decoded), decoded)
    return Input(decoded, None)


def _postdesk(case_input: Input) -> Output:
    reply = visible_reply(case_input.text, case_input.html)
    return Output(reply.text_with_forward, reply.signature)


def _peer_systems() -> dict[str, Callable[[Input], Output]]:
    from email_reply_parser import EmailReplyParser as GithubPort
    from mailparser_reply import EmailReplyParser as MultilingualParser
    from mailparser_reply.constants import MAIL_LANGUAGES

    multilingual = MultilingualParser(languages=list(MAIL_LANGUAGES))

    def github_port(case_input: Input) -> Output:
        return Output(GithubPort.parse_reply(case_input.text) or "", None)

    def mail_parser_reply(case_input: Input) -> Output:
        return Output(multilingual.parse_reply(case_input.text) or "", None)

    return {"email-reply-parser": github_port, "mail-parser-reply": mail_parser_reply}


def _expected_reply(case: dict[str, object], keeps_signature: bool) -> str | None:
    exact = case.get("reply_exact")
    if not isinstance(exact, str):
        return None
    expected = normalize(exact)
    signature = case.get("signature")
    if keeps_signature and isinstance(signature, str) and signature.strip():
        tail = normalize(signature)
        if expected.endswith(tail):
            expected = expected[: -len(tail)].rstrip()
    return expected


def _strings(case: dict[str, object], key: str) -> list[str]:
    values = case.get(key)
    return [str(value) for value in values] if isinstance(values, list) else []


def score_case(
    case: dict[str, object],
    case_input: Input,
    output: Output,
    keeps_signature: bool,
    *,
    judge_signature: bool,
) -> dict[str, bool | None]:
    """The three verdicts for one case (None where the case does not test that)."""
    shown = normalize(output.shown)
    must_not = _strings(case, "reply_must_not_contain")
    must = _strings(case, "reply_must_contain")
    patterns = _strings(case, "reply_must_match")
    expected = _expected_reply(case, keeps_signature)
    loose = case.get("reply_exact_ignoring_whitespace")
    expected_loose = _squeeze(loose) if isinstance(loose, str) else None
    if expected is not None:
        expected_loose = _squeeze(expected)
    original = normalize(case_input.text)

    removal_applies = bool(must_not) or (expected_loose is not None and _squeeze(original) != expected_loose)
    removed: bool | None = None
    if removal_applies:
        removed = not any(normalize(text) in shown for text in must_not)
        if removed and expected_loose is not None:
            # Every line shown must belong to the expected reply: nothing of the history is left.
            removed = all(_squeeze(line) in expected_loose for line in shown.split("\n"))
    kept: bool | None = None
    if must or patterns or expected_loose is not None:
        kept = all(normalize(text) in shown for text in must)
        kept = kept and all(re.search(pattern, shown, re.MULTILINE) for pattern in patterns)
        kept = kept and (expected_loose is None or expected_loose in _squeeze(shown))
    exact: bool | None = None
    if expected is not None:
        exact = shown == expected
    elif isinstance(loose, str):
        exact = _squeeze(shown) == _squeeze(loose)
    if exact and judge_signature and keeps_signature:
        signature = case.get("signature")
        if isinstance(signature, str) and signature.strip():
            exact = normalize(output.signature or "") == normalize(signature)
    return {"quote_removed": removed, "reply_kept": kept, "exact": exact}


def _share(verdicts: list[bool | None]) -> dict[str, object]:
    judged = [verdict for verdict in verdicts if verdict is not None]
    return {"share": round(sum(judged) / len(judged), 3) if judged else None, "cases": len(judged)}


def _bench_set(root: Path, systems: dict[str, Callable[[Input], Output]]) -> dict[str, object]:
    spec = json.loads((root / "expected.json").read_text(encoding="utf-8"))
    keeps_signature = root.name in SETS_KEEPING_SIGNATURES
    verdicts: dict[str, dict[str, list[bool | None]]] = {
        name: {"quote_removed": [], "reply_kept": [], "exact": []} for name in systems
    }
    failures: dict[str, list[str]] = {}
    errors: dict[str, list[str]] = {name: [] for name in systems}
    timings: list[float] = []
    slow_cases: dict[str, dict[str, float]] = {}
    for case in spec["cases"]:
        path = root / case["file"]
        case_input = load_input(path)
        scored = case.get("category") != "robustness_only" and case.get("task") != "signature_extraction"
        for name, system in systems.items():
            started = time.perf_counter()
            try:
                output = system(case_input)
            except Exception as error:
                errors[name].append(f"{case['file']}: {type(error).__name__}")
                output = Output("", None)
            elapsed = time.perf_counter() - started
            if name == "postdesk":
                timings.append(elapsed)
            if "max_seconds" in case:
                runs = [elapsed]
                for _ in range(TIMING_REPEATS - 1):
                    started = time.perf_counter()
                    system(case_input)
                    runs.append(time.perf_counter() - started)
                slow_cases.setdefault(case["file"], {})[name] = round(statistics.median(runs), 4)
            if not scored:
                continue
            result = score_case(case, case_input, output, keeps_signature, judge_signature=name == "postdesk")
            for metric, verdict in result.items():
                verdicts[name][metric].append(verdict)
                if name == "postdesk" and verdict is False:
                    failures.setdefault(metric, []).append(case["file"])
    timings.sort()
    return {
        "cases": len(spec["cases"]),
        "scores": {
            name: {metric: _share(values) for metric, values in by_metric.items()}
            for name, by_metric in verdicts.items()
        },
        "postdesk_failures": failures,
        "errors": {name: found for name, found in errors.items() if found},
        "performance_cases_median_s": slow_cases,
        "postdesk_case_seconds": {
            "median": round(statistics.median(timings), 6),
            "p99": round(timings[min(len(timings) - 1, int(len(timings) * 0.99))], 6),
        },
    }


def run() -> dict[str, object]:
    sets = sorted(path for path in CORPORA.glob("reply-*") if (path / "expected.json").is_file())
    if not sets:
        return {"skipped": f"no reply-* corpora with expected.json under {CORPORA}"}
    systems: dict[str, Callable[[Input], Output]] = {"postdesk": _postdesk}
    try:
        systems.update(_peer_systems())
    except ImportError as error:
        return {
            "skipped": f"peer parsers not installed ({error.name}): pip install -r requirements-bench.txt"
        }
    return {root.name: _bench_set(root, systems) for root in sets}
