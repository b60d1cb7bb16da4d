"""Where the public mail corpora are, when they are there (a user's clone has no ../shared)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
FIXTURES = REPO_ROOT / "tests" / "fixtures"
CORPORA = Path(os.environ.get("POSTDESK_CORPORA", REPO_ROOT.parent / "shared" / "corpora"))


def corpus_dir(name: str) -> Path:
    """The corpus folder, or skip the calling test saying clearly that the corpora are absent."""
    path = CORPORA / name
    if not path.is_dir():
        pytest.skip(f"corpus {name} not found at {path}: whole-corpus test skipped (fixtures still ran)")
    return path
