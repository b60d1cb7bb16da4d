"""The Lambda package as the deploy builds it (Chalice's package, made reproducible): deployment.zip's
size and file count."""

from __future__ import annotations

import tempfile
import zipfile
from pathlib import Path
from typing import Any


def run() -> dict[str, Any]:
    from postdesk_tools.deploy import build

    with tempfile.TemporaryDirectory(prefix="postdesk-package-") as out:
        build("prod", "eu-west-1", Path(out))
        archive = Path(out) / "deployment.zip"
        with zipfile.ZipFile(archive) as opened:
            files = opened.infolist()
        return {
            "zip_bytes": archive.stat().st_size,
            "zip_mb": round(archive.stat().st_size / 1_000_000, 1),
            "unpacked_mb": round(sum(f.file_size for f in files) / 1_000_000, 1),
            "files": len(files),
        }
