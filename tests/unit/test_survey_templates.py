"""The survey mail and pages: every language renders them, labels every rating in words that the
mail-answer reader understands, and escapes what it is given."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from postdesk.rendering import environment, render_mail, render_page
from postdesk.triage.survey_answers import rating_only

LANGUAGES = ("en", "de", "fr", "es", "pt")
REF = "K7Q2-M9XD"
LINKS = [
    {"rating": r, "url": f"https://desk.example.com/survey/{REF}.1.{r}.1796000000.abc{r}"}
    for r in (5, 4, 3, 2, 1)
]


def _context(**overrides: object) -> dict[str, object]:
    context: dict[str, object] = {
        "ref": REF,
        "subject": "Cannot <b>sign</b> in",
        "customer_name": "Jane Doe",
        "links": LINKS,
        "support_name": "Example Support",
        "expires_at": datetime(2026, 12, 31, 12, 0, tzinfo=UTC),
    }
    context.update(overrides)
    return context


def _labels(language: str) -> dict[int, str]:
    module = environment().get_template(f"{language}/survey_words.j2").module
    labels: dict[int, str] = module.labels  # type: ignore[attr-defined]
    return labels


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_survey_mail_has_one_labelled_link_per_rating_in_text_and_html(language: str) -> None:
    rendered = render_mail("survey", language, _context())

    assert rendered.language == language
    labels = _labels(language)
    for link in LINKS:
        rating = int(str(link["rating"]))
        assert f"{rating} - {labels[rating]}:\n  {link['url']}" in rendered.text
        assert f'<a href="{link["url"]}"' in rendered.html
        assert f"<strong>{rating}</strong> &ndash; {labels[rating]}" in rendered.html
    assert REF in rendered.text and REF in rendered.html
    assert "Jane Doe" in rendered.text.splitlines()[0]
    assert "{{" not in rendered.text and "%s" not in rendered.text and "%s" not in rendered.html


@pytest.mark.parametrize("language", LANGUAGES)
def test_each_label_replied_by_mail_is_read_as_its_rating(language: str) -> None:
    for rating, label in _labels(language).items():
        answer = rating_only(label, language)
        assert answer is not None and answer.rating == rating, (language, label)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_customers_subject_is_escaped_in_the_mail_and_the_page(language: str) -> None:
    html = render_mail("survey", language, _context()).html
    page = render_page(
        "survey_form",
        language,
        {
            "stylesheet": "",
            "ref": REF,
            "subject": "Cannot <b>sign</b> in",
            "chosen": 4,
            "comment": "</textarea><script>alert(1)</script>",
            "max_comment": 2000,
            "problem": False,
        },
    )

    for document in (html, page):
        assert "<b>sign</b>" not in document and "&lt;b&gt;sign&lt;/b&gt;" in document
    assert "<script>" not in page and "&lt;/textarea&gt;&lt;script&gt;" in page
    assert re.findall(r'value="(\d)" checked', page) == ["4"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_page_renders_in_every_language(language: str) -> None:
    base = {"stylesheet": "", "ref": REF}
    thanks = render_page(
        "survey_thanks", language, {**base, "rating": 2, "changed": False, "follow_up": True}
    )
    expired = render_page("survey_problem", language, {**base, "expired": True})
    invalid = render_page("survey_problem", language, {**base, "expired": False})

    assert f'<html lang="{language}">' in thanks
    assert _labels(language)[2] in thanks
    assert REF in expired and REF not in invalid
    assert expired != invalid
