"""The axe-core the browser tests run is the one vendored from npm, byte for byte: an edited or
swapped copy fails here before it can pass or fail an accessibility audit."""

from __future__ import annotations

import hashlib

from tests.e2e.accessibility import AXE_SCRIPT, AXE_SHA256, AXE_VERSION

VENDOR = AXE_SCRIPT.parent


def test_the_vendored_axe_is_the_pinned_file() -> None:
    content = AXE_SCRIPT.read_bytes()

    assert hashlib.sha256(content).hexdigest() == AXE_SHA256
    assert content.startswith(f"/*! axe v{AXE_VERSION}\n".encode())


def test_it_comes_with_its_licences_and_says_which_version_it_is() -> None:
    licence = (VENDOR / "LICENSE").read_text(encoding="utf-8")
    bundled = (VENDOR / "LICENSE-3RD-PARTY.txt").read_text(encoding="utf-8")
    readme = (VENDOR / "README.md").read_text(encoding="utf-8")

    assert licence.startswith("Mozilla Public License, version 2.0")
    assert "MIT License" in bundled
    assert f"**{AXE_VERSION}**" in readme and f"axe-core-{AXE_VERSION}.tgz" in readme


def test_nothing_else_is_vendored() -> None:
    # The minified script only: no node_modules, no unminified copy, no source maps.
    assert sorted(path.name for path in VENDOR.iterdir()) == [
        "LICENSE",
        "LICENSE-3RD-PARTY.txt",
        "README.md",
        "axe.min.js",
    ]
