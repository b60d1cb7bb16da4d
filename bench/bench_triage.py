"""Triage: category accuracy and macro-F1 of four deciders on two labelled sets, priority accuracy,
and speed.

Sets: the held-out fifth of ``tickets-tobi-bueck-en-de`` (never trained on) and BANKING77 ``test.csv``
(never trained on), labels mapped to the taxonomy as in docs/triage.md. Deciders: the majority class
of the training data; keywords (rules and keyword lists, no model); the model alone; rules + model
(what ``triage()`` does). Macro-F1 averages over every category that is either true or predicted;
``macro_f1_set_categories`` over the categories the set uses.
Priority: ``triage()`` against the tickets' own low/medium/high (urgent counted as high). Speed: the
median of per-call times of ``triage()`` over the held-out tickets, and the median of 5 model loads.
"""

from __future__ import annotations

import statistics
import time
from collections import Counter
from collections.abc import Callable, Sequence

from postdesk.triage.classify import MODEL_PATH, load_model, triage
from postdesk.triage.rules import load_rules
from postdesk_tools.train_category import (
    BANKING,
    TICKETS,
    Example,
    banking_examples,
    default_corpora,
    ticket_examples,
)

Decider = Callable[[Example], str]


def macro_f1(truth: Sequence[str], predicted: Sequence[str], *, only_true: bool = False) -> float:
    """Unweighted mean of per-category F1 over every category seen on either side (``only_true``:
    over the categories the set has, so that predicting one it never uses costs recall only)."""
    scores = []
    for label in sorted(set(truth) if only_true else set(truth) | set(predicted)):
        true_positive = sum(t == label and p == label for t, p in zip(truth, predicted, strict=True))
        predicted_count = sum(p == label for p in predicted)
        true_count = sum(t == label for t in truth)
        precision = true_positive / predicted_count if predicted_count else 0.0
        recall = true_positive / true_count if true_count else 0.0
        scores.append(2 * precision * recall / (precision + recall) if precision + recall else 0.0)
    return sum(scores) / len(scores)


def _scores(decide: Decider, examples: Sequence[Example]) -> dict[str, float]:
    truth = [example.category for example in examples]
    predicted = [decide(example) for example in examples]
    hits = sum(t == p for t, p in zip(truth, predicted, strict=True))
    return {
        "accuracy": round(hits / len(truth), 3),
        "macro_f1": round(macro_f1(truth, predicted), 3),
        "macro_f1_set_categories": round(macro_f1(truth, predicted, only_true=True), 3),
    }


def _most_common(examples: Sequence[Example]) -> str:
    return Counter(example.category for example in examples).most_common(1)[0][0]


def run() -> dict[str, object]:
    corpora = default_corpora()
    if not (corpora / TICKETS).is_dir() or not (corpora / BANKING).is_dir():
        return {"skipped": f"corpora {TICKETS} and {BANKING} not found under {corpora}"}
    rules = load_rules()
    model = load_model(MODEL_PATH)
    # The majority baseline answers the most frequent category of the matching training data.
    majority = {
        "tickets_held_out": _most_common(ticket_examples(corpora, held_out=False)),
        "banking77_test": _most_common(banking_examples(corpora, "train")),
    }

    def with_rules(example: Example, *, use_model: bool) -> str:
        decided = triage(
            subject=example.subject,
            text=example.text,
            language=example.language,
            sender="customer@example.org",
            rules=rules,
            model=model,
            use_model=use_model,
        )
        return decided.category

    deciders: dict[str, Decider] = {
        "keywords": lambda example: with_rules(example, use_model=False),
        "model": lambda example: model.predict(example.subject, example.text)[0],
        "rules+model": lambda example: with_rules(example, use_model=True),
    }
    sets = {
        "tickets_held_out": ticket_examples(corpora, held_out=True),
        "banking77_test": banking_examples(corpora, "test"),
    }
    table = {
        set_name: {
            "majority": _scores(lambda example, name=set_name: majority[name], examples),
            **{name: _scores(decide, examples) for name, decide in deciders.items()},
        }
        for set_name, examples in sets.items()
    }

    held_out = sets["tickets_held_out"]
    timings = []
    triaged = []
    for example in held_out:
        started = time.perf_counter()
        decided = triage(
            subject=example.subject,
            text=example.text,
            language=example.language,
            sender="c@example.org",
            rules=rules,
        )
        timings.append(time.perf_counter() - started)
        triaged.append(decided)
    priority_hits = sum(
        {"urgent": "high"}.get(decided.priority, decided.priority) == example.priority
        for decided, example in zip(triaged, held_out, strict=True)
    )
    majority_priority = Counter(example.priority for example in held_out).most_common(1)[0]
    loads = []
    for _ in range(5):
        started = time.perf_counter()
        load_model(MODEL_PATH)
        loads.append(time.perf_counter() - started)
    return {
        "sizes": {name: len(examples) for name, examples in sets.items()},
        "majority_class": majority,
        "category": table,
        "priority_accuracy_tickets_held_out": round(priority_hits / len(held_out), 3),
        "priority_majority_baseline": round(majority_priority[1] / len(held_out), 3),
        "triage_queue_share_tickets_held_out": round(
            sum(decided.queue == rules.triage_queue for decided in triaged) / len(triaged), 3
        ),
        "triage_call_median_ms": round(statistics.median(timings) * 1000, 3),
        "model_load_median_ms": round(statistics.median(loads) * 1000, 1),
        "model_file_bytes": MODEL_PATH.stat().st_size,
    }
