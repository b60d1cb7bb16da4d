"""French mail keeps its punctuation with its word, as the help center's pages already do: a
non-breaking space before « : ; ? ! » and inside the guillemets, so a narrow screen never starts a
line with a lone colon or leaves « at the end of one."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from postdesk.rendering import render_mail

_BREAKABLE = re.compile(r" [:;?!»]|« ")
_COMMON = {"ref": "K7Q2-M9XD", "subject": "Remboursement", "customer_name": "Hélène Léger"}
_CONTEXTS = {
    "ack": {
        "excerpt_lines": ["Bonjour,", "", "merci"],
        "attachment_names": ["facture.pdf"],
        "more_attachments": 0,
        "empathy": False,
        "articles": [{"title": "Réinitialiser votre mot de passe", "url": "https://help.example/fr/a"}],
        "category_line": "",
        "promise": "",
    },
    "survey": {
        "links": [{"rating": r, "url": f"https://desk.example/survey/{r}"} for r in (5, 4, 3, 2, 1)],
        "expires_at": datetime(2026, 12, 31, tzinfo=UTC),
    },
    "pending_reminder": {"resolve_days": 4, "last_reply_lines": ["Quel est le numéro"]},
    "auto_resolved": {},
}


@pytest.mark.parametrize("name", sorted(_CONTEXTS))
def test_french_mail_never_breaks_before_its_punctuation(name: str) -> None:
    context = {**_COMMON, "support_name": "Example Support", **_CONTEXTS[name]}
    rendered = render_mail(name, "fr", context)
    assert rendered.language == "fr"
    assert _BREAKABLE.findall(rendered.text) == []
    assert _BREAKABLE.findall(rendered.html) == []
