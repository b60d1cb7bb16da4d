"""The sign-off of a reply, composed in one place: exactly one, whatever the body already holds;
in the reply's language; the agent's signature or name; the queue's footer or the brand's. Signatures
and the sign-off file are checked, every refusal in words."""

from __future__ import annotations

from typing import Any

import pytest

from postdesk.rendering import available_languages
from postdesk.replies.markdown import markdown_to_text
from postdesk.replies.sign_off import (
    BodySignOff,
    InvalidSignature,
    SignOffError,
    SignOffPolicy,
    body_sign_off,
    compose_sign_off,
    load_sign_off,
    parse_sign_off,
    sign_off_language,
    validated_signature,
)
from postdesk.replies.variables import ReplyVariables, render_reply

POLICY = parse_sign_off(
    {
        "closing": {"en": "Best regards,", "de": "Viele Grüße"},
        "recognised": {"en": ["Thanks", "Cheers"], "de": ["Danke", "Mit freundlichen Grüßen"]},
        "footer": {"default": "Example Ltd, London", "de": "Example GmbH, Berlin"},
        "queues": {
            "billing": {"footer": {"de": "Example Payments GmbH · [Impressum](https://example.com/i)"}}
        },
    }
)
LANGUAGES = ("de", "en", "es", "fr", "pt")


def _compose(body: str, **options: Any) -> Any:
    values: dict[str, Any] = {
        "language": "en",
        "default_language": "en",
        "agent_name": "Local Admin",
        "agent_signature": {},
        "support_name": "Example Support",
        "queue": "support",
        "policy": POLICY,
    }
    values.update(options)
    return compose_sign_off(markdown_to_text(body), **values)


def test_the_issues_german_saved_reply_gets_exactly_one_closing_and_one_name() -> None:
    # Given the saved reply of the issue, rendered for Local Admin on a German ticket
    saved_reply = "Hallo {{ customer.first_name }},\n\nerledigt.\n\nViele Grüße\n{{ agent.name }}"
    body = render_reply(
        saved_reply,
        ReplyVariables(
            "Max Mustermann", "max@kunde.example", "K7Q2-M9XD", "Rechnung", "Local Admin", "Example Support"
        ),
    )

    # When its sign-off is composed
    sign_off = _compose(body, language="de")

    # Then the body counts as signed, and only the footer is added
    assert sign_off.found is BodySignOff.SIGNED
    assert (sign_off.block, sign_off.text, sign_off.html) == ("", "", "")
    assert sign_off.footer_text == "Example GmbH, Berlin"
    mail = markdown_to_text(body) + "\n\n" + sign_off.text + "\n\n" + sign_off.footer_text
    assert mail.count("Viele Grüße") == 1 and mail.count("Local Admin") == 1


def test_a_plain_body_gets_the_closing_the_name_and_the_desk_in_the_reply_language() -> None:
    sign_off = _compose("Erledigt.", language="de")

    assert sign_off.found is BodySignOff.NONE
    assert sign_off.text == "Viele Grüße\nLocal Admin\nExample Support"
    assert sign_off.html == "<p>Viele Grüße<br>\nLocal Admin<br>\nExample Support</p>\n"


def test_the_agents_signature_in_the_language_replaces_the_name_and_is_markdown() -> None:
    signature = {
        "default": "Sam Lee",
        "de": "**Sam Lee**\nKundenservice · [Hilfe](https://example.com/hilfe)",
    }

    german = _compose("Erledigt.", language="de", agent_name="Sam Lee", agent_signature=signature)
    english = _compose("Done.", agent_name="Sam Lee", agent_signature=signature)

    assert (
        german.text
        == "Viele Grüße\nSam Lee\nKundenservice · Hilfe <https://example.com/hilfe>\nExample Support"
    )
    assert (
        '<strong>Sam Lee</strong><br>\nKundenservice · <a href="https://example.com/hilfe">Hilfe</a>'
        in german.html
    )
    assert english.text == "Best regards,\nSam Lee\nExample Support"


def test_a_signature_that_ends_with_the_desks_name_does_not_get_it_twice() -> None:
    sign_off = _compose(
        "Done.", agent_name="Sam Lee", agent_signature={"default": "Sam Lee\nExample Support"}
    )

    assert sign_off.text == "Best regards,\nSam Lee\nExample Support"


@pytest.mark.parametrize(
    ("ending", "found"),
    [
        ("Viele Grüße\nLocal Admin", BodySignOff.SIGNED),
        ("viele grüße,\n  local   admin. ", BodySignOff.SIGNED),
        ("Best regards,\nLocal", BodySignOff.SIGNED),  # the first name
        ("Cheers, Local", BodySignOff.SIGNED),  # closing and name on one line
        ("Thanks - Local Admin", BodySignOff.SIGNED),
        ("Local Admin", BodySignOff.SIGNED),  # the name alone is a sign-off too
        ("Mit freundlichen Grüßen\nExample Support", BodySignOff.SIGNED),  # the team signs
        ("Thanks!", BodySignOff.CLOSING),
        ("Mit freundlichen Grüssen", BodySignOff.CLOSING),  # ß and ss alike
        ("Thanks for your patience.", BodySignOff.NONE),
        ("Ask Local Admin", BodySignOff.NONE),
        ("Cheerslocal", BodySignOff.NONE),
        ("Best regards,\nAnna", BodySignOff.NONE),  # someone else's name is not the agent's sign-off
    ],
)
def test_what_the_end_of_a_body_holds(ending: str, found: BodySignOff) -> None:
    body = f"Hello,\n\nthe refund is on its way.\n\n{ending}"

    assert body_sign_off(body, ["Local Admin", "Local"], "Example Support", POLICY.closings) is found


def test_a_body_signed_with_the_first_line_of_the_agents_signature_is_signed() -> None:
    sign_off = _compose("Done.\n\nCheers,\nLocky", agent_signature={"default": "**Locky**\nTeam Lead"})

    assert sign_off.found is BodySignOff.SIGNED and sign_off.text == ""


def test_a_body_that_closes_gets_the_name_but_no_second_closing() -> None:
    sign_off = _compose("Done.\n\nThanks!")

    assert sign_off.found is BodySignOff.CLOSING
    assert sign_off.text == "Local Admin\nExample Support"


def test_an_empty_body_and_an_agent_without_name_sign_with_the_desk() -> None:
    assert _compose("", agent_name="").text == "Best regards,\nExample Support"


def test_names_and_closings_are_markdown_escaped_so_they_read_as_written() -> None:
    sign_off = _compose("Done.", agent_name="*Sam* [Lee](https://evil.example)", support_name="<b>Desk</b>")

    assert sign_off.text == "Best regards,\n*Sam* [Lee](https://evil.example)\n<b>Desk</b>"
    assert "<a " not in sign_off.html and "<b>" not in sign_off.html and "&lt;b&gt;Desk" in sign_off.html


def test_the_footer_is_the_queues_in_the_language_else_the_brands() -> None:
    assert _compose("x", language="de", queue="billing").footer_text == (
        "Example Payments GmbH · Impressum <https://example.com/i>"
    )
    assert _compose("x", language="en", queue="billing").footer_text == "Example Ltd, London"
    assert _compose("x", language="de", queue="support").footer_text == "Example GmbH, Berlin"
    assert _compose("x", language="fr", queue="support").footer_text == "Example Ltd, London"
    bare = SignOffPolicy(closing={"en": "Best,"})
    assert _compose("x", policy=bare).footer == "" and _compose("x", policy=bare).footer_html == ""


def test_the_footer_of_the_mailbox_the_mail_goes_from_stands_over_the_queues() -> None:
    # Given a brand of its own on another address, with a footer in German and for the rest
    policy = parse_sign_off(
        {
            "closing": {"en": "Best,"},
            "footer": {"default": "Example Ltd, London"},
            "queues": {"billing": {"footer": {"default": "Example Payments GmbH"}}},
            "mailboxes": {
                "Help@Other.example": {"footer": {"default": "Other Ltd, Leeds", "de": "Other GmbH"}}
            },
        }
    )

    # Then the other brand's tickets carry its footer, whatever their queue; the rest as before
    assert (
        _compose("x", policy=policy, queue="billing", mailbox="help@other.example").footer
        == "Other Ltd, Leeds"
    )
    assert _compose("x", policy=policy, language="de", mailbox="help@other.example").footer == "Other GmbH"
    assert _compose("x", policy=policy, queue="billing", mailbox="support@example.com").footer == (
        "Example Payments GmbH"
    )
    assert _compose("x", policy=policy, mailbox="support@example.com").footer == "Example Ltd, London"


def test_the_language_is_the_tickets_when_the_desk_answers_in_it_else_the_desks() -> None:
    assert sign_off_language("de", "en", LANGUAGES) == "de"
    assert sign_off_language("DE ", "en", LANGUAGES) == "de"
    assert sign_off_language("it", "en", LANGUAGES) == "en"
    assert sign_off_language("", "de", LANGUAGES) == "de"
    # A language without a closing closes in the desk's
    assert _compose("Hecho.", language="es").text.startswith("Best regards,\n")


def test_a_signature_is_stored_cleaned_and_in_the_desks_languages() -> None:
    assert validated_signature({"de": " Sam\r\nKundenservice ", "default": "Sam"}, LANGUAGES) == {
        "default": "Sam",
        "de": "Sam\nKundenservice",
    }
    assert validated_signature({}, LANGUAGES) == {}
    # A Markdown autolink is not HTML
    assert validated_signature({"en": "Sam <https://example.com>"}, LANGUAGES) == {
        "en": "Sam <https://example.com>"
    }


@pytest.mark.parametrize(
    ("value", "said"),
    [
        (None, "must be an object"),
        (["Sam"], "must be an object"),
        ({"it": "Sam"}, "unknown language(s) 'it'; use default or the desk's languages: de, en, es, fr, pt"),
        ({"en": 1}, "signature.en must be a string"),
        ({"en": ""}, "signature.en is empty"),
        ({"en": "x" * 1001}, "over 1,000 characters"),
        ({"en": "a\n" * 10 + "b"}, "more than 10 lines"),
        ({"en": "<img src=x onerror=alert(1)>"}, "holds HTML"),
        ({"en": "{% if x %}Sam{% endif %}"}, "without variables"),
        ({"en": "Sam\u2028Lee"}, "control character"),
    ],
)
def test_a_signature_that_cannot_be_used_is_refused_in_words(value: object, said: str) -> None:
    with pytest.raises(InvalidSignature) as refused:
        validated_signature(value, LANGUAGES)
    assert said in str(refused.value)


def test_the_shipped_sign_off_file_closes_in_every_language_the_desk_answers_in() -> None:
    shipped = load_sign_off()

    assert set(shipped.closing) == set(available_languages())
    assert set(shipped.recognised) == set(available_languages())
    # Its own closings count as a sign-off already written
    assert {line.casefold().strip(" ,") for line in shipped.closing.values()} <= shipped.closings
    assert shipped.footer == {} and shipped.queue_footers == {} and shipped.mailbox_footers == {}


@pytest.mark.parametrize(
    ("document", "said"),
    [
        ({}, "[closing]: at least one language"),
        ({"closing": {"english": "Hi"}}, "'english' is not a two-letter language code"),
        ({"closing": {"en": "Best,\nSam"}}, "one line of at most 80 characters"),
        ({"closing": {"en": "Best"}, "signature": {}}, "unknown table(s) signature"),
        ({"closing": {"en": "Best"}, "recognised": {"en": "Thanks"}}, "a list of closings"),
        ({"closing": {"en": "Best"}, "footer": {"en": "<p>Ltd</p>"}}, "[footer].en holds HTML"),
        ({"closing": {"en": "Best"}, "footer": {"en": "{{ support.name }}"}}, "without variables"),
        ({"closing": {"en": "Best"}, "queues": {"billing": {"closing": {}}}}, "holds only a footer table"),
        ({"closing": {"en": "Best"}, "queues": {"billing": {"footer": {"en": " "}}}}, "is empty"),
        ({"closing": {"en": "Best"}, "mailboxes": {"billing": {"footer": {}}}}, "is not an address"),
        ({"closing": {"en": "Best"}, "mailboxes": {"a@b.example": {"queue": "x"}}}, "holds only a footer"),
        ({"closing": {"en": "Best"}, "mailboxes": {"a@b.example": {"footer": {"en": "<b>"}}}}, "holds HTML"),
    ],
)
def test_a_sign_off_file_with_a_mistake_is_refused_naming_the_entry(
    document: dict[str, Any], said: str
) -> None:
    with pytest.raises(SignOffError) as refused:
        parse_sign_off(document, source="mine.toml")
    assert said in str(refused.value) and "mine.toml" in str(refused.value)
