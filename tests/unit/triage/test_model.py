"""The shipped category model: loads and predicts without numpy, small, and better than the majority."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter

import pytest

from postdesk.triage.classify import MODEL_PATH, load_model
from tests.corpora import corpus_dir

NO_NUMPY_SCRIPT = """
import sys
from postdesk.triage.classify import load_model
model = load_model()
category, probability, top = model.predict("Refund", "Please refund the double charge on my invoice.")
assert "numpy" not in sys.modules, "numpy was imported"
print(category, len(top))
"""


def test_model_predicts_in_a_fresh_process_without_numpy() -> None:
    completed = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", NO_NUMPY_SCRIPT], capture_output=True, text=True, check=False, timeout=60
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.split() == ["billing", "3"]


def test_shipped_model_is_small_and_loaded_once() -> None:
    assert MODEL_PATH.stat().st_size < 1_000_000
    assert load_model() is load_model()
    assert load_model().languages == frozenset({"en", "de"})


@pytest.mark.corpus
def test_model_beats_majority_on_held_out_tickets() -> None:
    # Given the held-out fifth of the tickets corpus (never trained on)
    corpus_dir("tickets-tobi-bueck-en-de")
    from bench.bench_triage import macro_f1
    from postdesk_tools.train_category import default_corpora, ticket_examples

    held_out = ticket_examples(default_corpora(), held_out=True)
    truth = [example.category for example in held_out]
    majority = Counter(example.category for example in ticket_examples(default_corpora(), held_out=False))
    baseline = [majority.most_common(1)[0][0]] * len(truth)
    # When the shipped model predicts it
    model = load_model()
    predicted = [model.predict(example.subject, example.text)[0] for example in held_out]
    # Then its macro-F1 is well above the majority baseline's
    assert macro_f1(truth, predicted) >= macro_f1(truth, baseline) + 0.2
