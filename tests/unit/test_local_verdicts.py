"""The local stack's stand-in for SES's receipt verdicts: a header of the mail asks for them."""

from __future__ import annotations

import pytest

from postdesk_tools.ses_events import local_verdicts


@pytest.mark.parametrize(
    ("header", "verdicts", "policy"),
    [
        ("spam=FAIL", {"spam": "FAIL"}, None),
        ("Virus=fail; DMARC=FAIL, dmarc_policy=reject", {"virus": "FAIL", "dmarc": "FAIL"}, "REJECT"),
        ("spam=maybe; colour=FAIL; dmarc_policy=sometimes", {}, None),
        ("", {}, None),
    ],
)
def test_the_header_names_verdicts_and_anything_else_passes(
    header: str, verdicts: dict[str, str], policy: str | None
) -> None:
    raw = f"From: a@b.example\r\nX-Postdesk-Local-Verdicts: {header}\r\nSubject: x\r\n\r\nbody\r\n".encode()
    assert local_verdicts(raw) == (verdicts, policy)


def test_a_mail_without_the_header_passes_everything() -> None:
    assert local_verdicts(
        b"From: a@b.example\r\nSubject: x\r\n\r\nX-Postdesk-Local-Verdicts: spam=FAIL\r\n"
    ) == (
        {},
        None,
    )
