"""Real reply bodies from the MIT-licensed upstream test suites (tests/fixtures/quotes/SOURCE.md),
with the expectations of the upstream tests named in each case."""

from __future__ import annotations

import time

import pytest

from postdesk.mail.quotes import visible_reply
from tests.corpora import FIXTURES

QUOTES = FIXTURES / "quotes"


def _read(name: str) -> str:
    return (QUOTES / name).read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("name", "kept", "removed"),
    [
        # zapier test_reads_bottom_message: the reply continues below the quote
        ("zapier_email_1_2.txt", ["Hi,", "You can list the keys for the bucket"], ["running a test?"]),
        # zapier test_reads_inline_replies: answers between quotes
        ("zapier_email_1_8.txt", ["I will reply under this one", "and under this."], ["okay?", "-- Tim"]),
        # zapier test_multiple_on: the reply itself starts with "On your remote host"
        (
            "zapier_greedy_on.txt",
            ["On your remote host", "telnet 127.0.0.1 52698"],
            ["George Plymale wrote:"],
        ),
        # mail-parser-reply test_complex_mail_thread: German Gmail attribution
        ("mpr_email_3_1.txt", ["First reply."], ["Am So., 1. Jan. 2023 um 17:22 Uhr schrieb John Doe"]),
        # mail-parser-reply test_danish_outlook_separator
        ("mpr_email_danish_4.txt", ["Svar."], ["-----Oprindelig meddelelse-----", "Fra: Peter Petersen"]),
        # mail-parser-reply test_swedish_realistic_anonymized
        ("mpr_email_sv_anon_1.txt", ["Berättar gärna."], ["skrev Person B", "Ursäkta mitt sena svar!"]),
        # mail-parser-reply test_ja_simple_quoted_reply
        ("mpr_email_ja_1_2.txt", ["お世話になっております。織田です。"], ["かしこまりました"]),
        # mail-parser-reply test_dutch_gmail_header
        (
            "mpr_email_nl_1_2.txt",
            ["Outlook met een antwoord"],
            ["*Verzonden:* donderdag, 9 februari 2012 13:36"],
        ),
        # mail-parser-reply test_pl_simple_body: the mail's own header block is not a quote
        ("mpr_email_pl_1_1.txt", ["Czesc Anno"], []),
    ],
)
def test_given_an_upstream_fixture_when_read_then_the_reply_stays_and_the_history_goes(
    name: str, kept: list[str], removed: list[str]
) -> None:
    # When
    reply = visible_reply(_read(name))
    # Then
    for text in kept:
        assert text in reply.text
    for text in removed:
        assert text not in reply.text


@pytest.mark.parametrize(
    ("name", "text", "signature"),
    [
        ("zapier_email_2_2.txt", "Outlook with a reply directly above line", None),
        ("zapier_email_headers_no_delimiter.txt", "And another reply!", None),
        ("zapier_correct_sig.txt", "this is an email with a correct -- signature.", "-- \nrick"),
        (
            "zapier_email_sent_from_my_not_signature.txt",
            "Here is another email\n\nSent from my desk, is much easier then my mobile phone.",
            None,
        ),
    ],
)
def test_given_an_upstream_fixture_with_an_exact_reply_when_read_then_it_is_exactly_that(
    name: str, text: str, signature: str | None
) -> None:
    # When
    reply = visible_reply(_read(name))
    # Then
    assert (reply.text, reply.signature) == (text, signature)


def test_given_the_backtracking_trap_when_read_then_it_finishes_and_cuts_at_the_attribution() -> None:
    # Given zapier's pathological.txt (timed in bench_reply; here only its result is checked)
    mail = _read("zapier_pathological.txt")
    # When
    reply = visible_reply(mail)
    # Then
    assert reply.text.startswith("I think you're onto something.")
    assert "John Sullivan" not in reply.text


@pytest.mark.parametrize(
    "mail",
    [
        "> " * 200_000,
        ">" * 700_000 + "\nHi folks",
        "On " * 100_000 + "wrote:",
        "From: x@y.z\n" * 50_000,
        ("a" * 300 + "\n") * 5_000 + "On 1 Jan 2024, Bob <b@x.y> wrote:\n> q",
        "-" * 500_000 + "Forwarded message",
    ],
)
def test_given_adversarial_input_when_read_then_the_work_stays_linear(mail: str) -> None:
    # When
    started = time.perf_counter()
    visible_reply(mail)
    # Then: a generous bound (CI machines vary); bench_reply reports the real figures
    assert time.perf_counter() - started < 5.0
