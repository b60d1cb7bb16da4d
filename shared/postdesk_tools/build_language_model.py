"""Build ``postdesk/triage/data/language-ngrams.bin.gz`` from the py3langid model (BSD-3-Clause).

Run ``.venv/bin/python -m postdesk_tools.build_language_model`` with the packages of
requirements-bench.txt installed (py3langid and numpy are needed here only, never at run time).
The output is byte-for-byte the same on every run: same upstream model, same selection, gzip with no
timestamp.

What it does, and why:

1. py3langid stores its byte n-gram features as an Aho-Corasick automaton whose every state carries
   at most one output *slot* (the union of the features that end there). A breadth-first walk gives
   each state its shortest byte string; the slot seen after reading some text is then the slot of the
   longest slot string that is a suffix of it, so a plain dictionary lookup, longest suffix first,
   reproduces the automaton exactly (``postdesk.triage.language`` does that lookup).
2. Only the columns of ``LANGUAGES`` are kept, and of the 100,053 slots only the ``FEATURE_COUNT``
   that carry most evidence among those languages: spread of the log-probabilities across languages
   (standard deviation) weighted by how frequent the slot is in its most likely language. A slot
   that is rare everywhere or equally likely everywhere moves no decision.
3. Log-probabilities are quantised to one byte on one shared scale (step about 0.05 nats), stored
   language-major so that inference sums one byte column per language.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil
from collections import deque
from importlib.metadata import version
from pathlib import Path
from typing import Any

# Languages the shipped model can answer: the desk's template languages, the languages its customers
# most often write in, and a few neighbours so that those are not mistaken for one another (Catalan
# for Spanish, Slovak for Czech, Romanian for Italian) or for a script the model has never seen.
LANGUAGES = (
    "en", "de", "fr", "es", "pt", "it", "nl", "pl", "sv", "da", "no", "fi", "ru", "uk", "ja", "zh", "tr",
    "cs", "ar", "ca", "el", "he", "hu", "ko", "ro", "sk",
)  # fmt: skip
FEATURE_COUNT = 30_000
FORMAT_VERSION = 1

DATA_DIR = Path(__file__).resolve().parents[1] / "postdesk" / "triage" / "data"
MODEL_NAME = "language-ngrams.bin.gz"
LICENSE_NAME = "LICENSE-py3langid"


def _upstream() -> tuple[Any, Any, list[str], Any, Any, Any, Path]:
    import numpy as np
    import py3langid
    from py3langid.modelio import load_model

    package_dir = Path(py3langid.__file__).resolve().parent
    ptc, pc, classes, nextmove, rows, outputs = load_model(package_dir / "data" / "model.npz.xz")
    return (
        np.asarray(ptc, dtype=np.float64),
        np.asarray(pc, dtype=np.float64),
        list(classes),
        np.frombuffer(nextmove, dtype=np.uint32 if nextmove.itemsize == 4 else np.uint16).reshape(-1, 256),
        np.frombuffer(rows, dtype=np.uint32 if rows.itemsize == 4 else np.uint16),
        np.asarray(outputs, dtype=np.int64),
        package_dir,
    )


def _state_strings(nextmove: Any, rows: Any) -> list[bytes]:
    """Each automaton state's shortest byte string, by breadth-first search from the start state."""
    strings: list[bytes | None] = [None] * len(rows)
    strings[0] = b""
    frontier = deque([0])
    while frontier:
        state = frontier.popleft()
        prefix = strings[state]
        assert prefix is not None
        for byte, target in enumerate(nextmove[rows[state]].tolist()):
            if strings[target] is None:
                strings[target] = prefix + bytes((byte,))
                frontier.append(target)
    missing = [index for index, string in enumerate(strings) if string is None]
    if missing:
        raise RuntimeError(f"{len(missing)} automaton states are unreachable: unknown model layout")
    return [string for string in strings if string is not None]


def _slot_strings(strings: list[bytes], outputs: Any) -> dict[bytes, int]:
    """Strings whose slot differs from that of their longest slot-carrying proper suffix.

    Dropping the others loses nothing: the longest-suffix lookup falls through to the same slot."""
    with_slot = {strings[state]: int(slot) for state, slot in enumerate(outputs.tolist()) if slot >= 0}

    def inherited(key: bytes) -> int:
        for length in range(len(key) - 1, 0, -1):
            slot = with_slot.get(key[-length:])
            if slot is not None:
                return slot
        return -1

    return {key: slot for key, slot in with_slot.items() if inherited(key) != slot}


def build(data_dir: Path = DATA_DIR) -> dict[str, Any]:
    """Write the model and the upstream licence into ``data_dir``; return what was written."""
    import numpy as np

    ptc, pc, classes, nextmove, rows, outputs, package_dir = _upstream()
    columns = [classes.index(code) for code in LANGUAGES]
    log_probabilities = ptc[:, columns]
    evidence = log_probabilities.std(axis=1) * np.exp(log_probabilities.max(axis=1))
    kept_slots = set(np.argsort(-evidence, kind="stable")[:FEATURE_COUNT].tolist())

    slot_strings = _slot_strings(_state_strings(nextmove, rows), outputs)
    features = sorted((key, slot) for key, slot in slot_strings.items() if slot in kept_slots)
    weights = log_probabilities[[slot for _, slot in features]]
    lowest, highest = float(weights.min()), float(weights.max())
    step = (highest - lowest) / 255
    quantised = np.rint((weights - lowest) / step).astype(np.uint8)

    header = {
        "format": FORMAT_VERSION,
        "source": "py3langid model.npz.xz (BSD-3-Clause), restricted and quantised",
        "languages": list(LANGUAGES),
        "features": len(features),
        "longest_feature": max(len(key) for key, _ in features),
        "step": round(step, 9),
        "priors": [round(float(value), 6) for value in pc[columns]],
    }
    keys = [key for key, _ in features]
    payload = b"".join(
        (
            json.dumps(header, sort_keys=True).encode("ascii"),
            b"\n",
            bytes(len(key) for key in keys),
            b"".join(keys),
            quantised.T.tobytes(order="C"),
        )
    )
    model_path = data_dir / MODEL_NAME
    data_dir.mkdir(parents=True, exist_ok=True)
    model_path.write_bytes(gzip.compress(payload, compresslevel=9, mtime=0))
    licence = package_dir.parent / f"py3langid-{version('py3langid')}.dist-info" / "licenses" / "LICENSE"
    shutil.copyfile(licence, data_dir / LICENSE_NAME)
    return {
        "model": str(model_path),
        "bytes": model_path.stat().st_size,
        "sha256": hashlib.sha256(model_path.read_bytes()).hexdigest(),
        "features": len(features),
        "languages": len(LANGUAGES),
    }


if __name__ == "__main__":
    print(json.dumps(build(), indent=2))
