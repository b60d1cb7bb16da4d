"""German mail goes on in lower case after the greeting's comma ("Guten Tag Jana Berg, wir haben…"),
as every German mail of the desk does; the survey did not."""

from __future__ import annotations

from datetime import UTC, datetime

from postdesk.rendering import render_mail

LINKS = [
    {"rating": r, "url": f"https://desk.example.com/survey/K7Q2-M9XD.1.{r}.1796000000.abc"}
    for r in (5, 4, 3, 2, 1)
]


def test_the_german_survey_goes_on_in_lower_case_after_the_greeting() -> None:
    rendered = render_mail(
        "survey",
        "de",
        {
            "ref": "K7Q2-M9XD",
            "subject": "Passwort vergessen",
            "customer_name": "Jana Berg",
            "links": LINKS,
            "support_name": "Example Support",
            "expires_at": datetime(2026, 12, 31, 12, 0, tzinfo=UTC),
        },
    )
    lines = [line for line in rendered.text.splitlines() if line.strip()]
    assert lines[0] == "Guten Tag Jana Berg,"
    assert lines[1].startswith("wir haben Ihr Ticket K7Q2-M9XD")
    assert "<p>wir haben Ihr Ticket K7Q2-M9XD" in rendered.html
