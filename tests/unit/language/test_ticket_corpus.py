"""Accuracy on the public ticket corpus (skipped when ../shared/corpora is absent), and the shipped
model is what the build script makes (skipped when py3langid, a build-only package, is absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

from postdesk.triage.language import MODEL_PATH, detect
from tests.corpora import corpus_dir
from tests.unit.language.ticket_corpus import CORPUS_NAME, load_ticket_corpus


def _accuracy(rows: tuple[tuple[str, str], ...], prefix: int | None) -> float:
    correct = 0
    for body, language in rows:
        guess = detect(body if prefix is None else body[:prefix])
        correct += guess is not None and guess[0] == language
    return correct / len(rows)


@pytest.mark.corpus
def test_ticket_corpus_accuracy_on_full_bodies_and_their_first_40_characters() -> None:
    # Given the clean rows of both CSV files (label confirmed by the stop-word test)
    corpus = load_ticket_corpus(corpus_dir(CORPUS_NAME))
    assert corpus.total == 4053
    assert len(corpus.clean) + corpus.contradicted + corpus.unconfirmed == corpus.total
    assert len(corpus.clean) > 3500
    # When every body, and the first 40 characters of every body, is detected
    # Then at least 99 % and 98.5 % are right
    assert _accuracy(corpus.clean, None) >= 0.99
    assert _accuracy(corpus.clean, 40) >= 0.985


def test_shipped_model_is_rebuilt_byte_for_byte(tmp_path: Path) -> None:
    pytest.importorskip("py3langid", reason="py3langid is a build-only package (requirements-bench.txt)")
    from postdesk_tools.build_language_model import MODEL_NAME, build

    # Given the build script run into an empty folder
    build(tmp_path)
    # Then it wrote exactly the file the module ships, and the upstream licence beside it
    assert (tmp_path / MODEL_NAME).read_bytes() == MODEL_PATH.read_bytes()
    assert "BSD 3-Clause" in (tmp_path / "LICENSE-py3langid").read_text(encoding="utf-8")
