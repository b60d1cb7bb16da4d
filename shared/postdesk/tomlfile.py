"""The operator's TOML files (triage rules, SLA policy), read and checked with errors that name the file
and the entry. Each file's module raises its own error class, passed in as ``error``."""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
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


def as_table(value: object, where: str, error: type[PostdeskError]) -> Mapping[str, Any]:
    """``value`` if it is a table (TOML gives a dict; any mapping will do), else ``error``."""
    if not isinstance(value, Mapping):
        raise error(f"{where}: must be a table")
    return value


def only_keys(
    table: Mapping[str, Any],
    allowed: Iterable[str],
    where: str,
    error: type[PostdeskError],
    *,
    keys_called: str = "key(s)",
) -> None:
    """Refuse a key of ``table`` not in ``allowed``: a misspelt key would otherwise be ignored silently.
    ``keys_called`` is what the file's messages call its keys ("entries" in the SLA policy)."""
    known = set(allowed)
    unknown = sorted(set(table) - known)
    if unknown:
        raise error(
            f"{where}: unknown {keys_called} {', '.join(unknown)}; allowed: {', '.join(sorted(known))}"
        )


def as_strings(value: object, where: str, error: type[PostdeskError]) -> list[str]:
    """``value`` if it is a list of non-empty strings, else ``error``."""
    if not isinstance(value, list) or not all(isinstance(item, str) and item.strip() for item in value):
        raise error(f"{where}: must be a list of non-empty strings")
    return value
