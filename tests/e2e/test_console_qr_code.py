"""The console's QR code of a TOTP key (console/qr-code.js) against an independent encoder's: the
matrices in qr_code_vectors.json were made by segno for the same texts and masks, so a module out of
place in the codewords, the error correction, the function patterns, the format or version bits
fails here. Run in Chromium, as the console runs it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.sync_api import Page

from postdesk_tools.local_server import RunningDesk

pytestmark = pytest.mark.e2e

VECTORS = json.loads((Path(__file__).parent / "qr_code_vectors.json").read_text(encoding="utf-8"))["vectors"]


def _matrix(page: Page, text: str) -> list[str] | None:
    rows: list[str] | None = page.evaluate(
        """async (text) => {
            const { qrMatrix } = await import("./console/qr-code.js");
            const matrix = qrMatrix(text);
            return matrix && matrix.map((row) => row.map((dark) => (dark ? "1" : "0")).join(""));
        }""",
        text,
    )
    return rows


@pytest.mark.parametrize("vector", VECTORS, ids=[f"version-{v['version']}" for v in VECTORS])
def test_the_qr_code_is_the_one_an_independent_encoder_makes(
    desk: RunningDesk, page: Page, vector: dict[str, object]
) -> None:
    page.goto(f"{desk.api_url}/console")
    assert _matrix(page, str(vector["text"])) == vector["rows"]


def test_a_text_too_long_for_the_largest_version_gives_no_code(desk: RunningDesk, page: Page) -> None:
    page.goto(f"{desk.api_url}/console")
    assert _matrix(page, "x" * 213) is not None
    assert _matrix(page, "x" * 214) is None
