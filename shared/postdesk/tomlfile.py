"""The operator's TOML files (triage rules, SLA policy), read with errors that name the file."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from postdesk.errors import PostdeskError


def read_toml(path: Path, error: type[PostdeskError], what: str) -> dict[str, Any]:
    """The document in ``path``; ``error`` saying which file and why when it cannot be read
    (missing, not UTF-8, not TOML). ``what`` names the file for people ("the SLA policy")."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as problem:
        raise error(f"{path}: cannot read {what} ({problem.strerror})") from problem
    except UnicodeDecodeError as problem:
        raise error(f"{path}: cannot read {what} (not UTF-8 text: byte {problem.start})") from problem
    except tomllib.TOMLDecodeError as problem:
        raise error(f"{path}: not valid TOML: {problem}") from problem
