"""The inbound parser: decoded headers, the right body, every attachment, and never an exception."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime, timedelta, timezone
from email import message_from_bytes
from email.message import Message
from email.policy import compat32
from pathlib import Path

import pytest

from postdesk.mail.model import Address, ParsedMessage
from postdesk.mail.parse import DEFAULT_LIMITS, ParseLimits, parse_message
from tests.corpora import FIXTURES

MIME = FIXTURES / "mime"


def _mail(headers: str, body: str | bytes = "Hello\n") -> bytes:
    """A raw mail with CRLF line ends from readable pieces."""
    head = "".join(f"{line}\r\n" for line in headers.strip("\n").split("\n"))
    payload = body.encode() if isinstance(body, str) else body
    return head.encode("utf-8") + b"\r\n" + payload


def _fixture(path: str) -> ParsedMessage:
    return parse_message((MIME / path).read_bytes())


def _no_line_breaks(message: ParsedMessage) -> bool:
    values = [value for _, value in message.headers] + [message.subject]
    values += [address.name for address in (*message.to, *message.cc, *message.reply_to)]
    return not any("\r" in value or "\n" in value or "\x00" in value for value in values)


# -- never raises ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\x00" * 100,
        b"\r\n\r\n\r\n",
        b":::\n: :\n\n",
        bytes(range(256)) * 16,
        b"Content-Type: multipart/mixed; boundary=x\n\n--x\n--x\n--x--",
        b"Content-Type: multipart/mixed; boundary=\n\n--\n",
        b"Content-Type: message/rfc822\n\nContent-Type: message/rfc822\n\n",
        b'Subject: =?utf-8?b?\xff\xfe?= =?x?q?=ZZ?=\nFrom: <<<@>>>, "unterminated\n\n\x00body\x00',
        b"Content-Type: text/plain; charset*0*=''; charset*1=%%%\nContent-Transfer-Encoding: base64\n\n!!!",
        b"Content-Transfer-Encoding: x-uuencode\n\nbegin 644 f\n\xff\xff\xff\nend\n",
        b"Date: Mon, 32 Feb 99999 99:99:99 +9999\nMessage-ID: <>\nReferences: <a b> junk\n\n",
    ],
)
def test_given_broken_or_hostile_bytes_when_parsed_then_a_result_without_nuls(raw: bytes) -> None:
    # When
    message = parse_message(raw)
    # Then
    assert isinstance(message, ParsedMessage)
    assert isinstance(message.text, str) and "\x00" not in message.text
    assert _no_line_breaks(message)
    assert not any(defect.startswith("parser error") for defect in message.defects)


def test_given_empty_input_when_parsed_then_an_empty_plain_message() -> None:
    message = parse_message(b"")
    assert (message.content_type, message.text, message.subject, message.sender) == (
        "text/plain",
        "",
        "",
        None,
    )
    assert message.attachments == () and message.html is None


# -- headers -----------------------------------------------------------------------------------


def test_given_a_plain_mail_when_parsed_then_headers_are_decoded_and_typed() -> None:
    # Given
    raw = _mail(
        """From: "Doe, Jane" <Jane.Doe@Example.COM>
To: support@example.org, Bob <BOB@Sub.Example.org>
Cc: undisclosed-recipients:;
Reply-To: Jane <jane+replies@example.com>
Subject: Order 4711
Date: Tue, 25 Nov 2025 10:15:00 +0100
Message-ID: <abc@example.com>""",
        "Line one\r\nLine two\r\n",
    )
    # When
    message = parse_message(raw)
    # Then
    assert message.sender == Address("Doe, Jane", "Jane.Doe@example.com")
    assert message.to == (Address("", "support@example.org"), Address("Bob", "BOB@sub.example.org"))
    assert message.cc == ()
    assert message.reply_to == (Address("Jane", "jane+replies@example.com"),)
    assert message.subject == "Order 4711"
    assert message.date == datetime(2025, 11, 25, 10, 15, tzinfo=timezone(timedelta(hours=1)))
    assert message.message_id == "<abc@example.com>"
    assert message.content_type == "text/plain"
    assert message.text == "Line one\nLine two"
    assert message.header("subject") == "Order 4711"
    assert message.defects == ()


def test_given_encoded_words_in_mixed_charsets_when_parsed_then_one_decoded_subject() -> None:
    # Given words in two charsets, whitespace between adjacent words, and a character split in two
    euro = "€".encode()
    split = (
        f"=?utf-8?b?{base64.b64encode(euro[:1]).decode()}?= =?utf-8?b?{base64.b64encode(euro[1:]).decode()}?="
    )
    raw = _mail(f"Subject: =?iso-8859-1?q?Gr=FC=DFe?= =?koi8-r?b?8NLJ18XU?=\r\n  und {split} 5")
    # When
    message = parse_message(raw)
    # Then
    assert message.subject == "GrüßeПривет und € 5"


def test_given_malformed_encoded_words_when_parsed_then_decoded_where_possible() -> None:
    raw = _mail(
        """Subject: =?NONE?B?VEVTVA=?= =?utf-8?q?inside_quotes?= and =?utf-8?q?not closed
X-Bad-Padding: =?utf-8?b?SGVsbG8?="""
    )
    message = parse_message(raw)
    assert message.subject == "TESTinside quotes and =?utf-8?q?not closed"
    assert message.header("x-bad-padding") == "Hello"


def test_given_line_breaks_hidden_in_encoded_words_when_parsed_then_they_are_folded() -> None:
    # Given a subject and a display name that decode to CR LF and a NUL
    raw = _mail(
        """From: =?utf-8?q?Eve=0D=0ABcc:_victim@example.org?= <eve@example.com>
Subject: =?utf-8?q?Hi=0D=0ABcc:=00_victim@example.org?="""
    )
    # When
    message = parse_message(raw)
    # Then nothing that looks like a line or a control character survives
    assert message.subject == "Hi Bcc: victim@example.org"
    assert message.sender == Address("Eve Bcc: victim@example.org", "eve@example.com")
    assert _no_line_breaks(message)


def test_given_raw_8bit_headers_when_parsed_then_utf8_first_then_the_message_charset() -> None:
    utf8 = _mail("Subject: Grüße aus Köln\nFrom: Jöhn <john@example.com>")
    assert parse_message(utf8).subject == "Grüße aus Köln"
    koi8 = "Subject: Привет\r\nContent-Type: text/plain; charset=koi8-r\r\n\r\n".encode("koi8-r")
    message = parse_message(koi8)
    assert message.subject == "Привет"
    assert "raw 8-bit header decoded as the message charset koi8-r" in message.defects


def test_given_message_ids_in_many_shapes_when_parsed_then_bracketed_deduplicated_and_clean() -> None:
    # Given
    raw = _mail(
        """Message-ID:   bare@example.com
In-Reply-To: <parent@example.com> (Jane's message of Tuesday)
References: <root@example.com>  <parent@example.com>,<root@example.com>
References: <folded.
 id@example.com> <> <bad id> <näive@example.com>"""
    )
    # When
    message = parse_message(raw)
    # Then
    assert message.message_id == "<bare@example.com>"
    assert message.in_reply_to == ("<parent@example.com>",)
    assert message.references == (
        "<root@example.com>",
        "<parent@example.com>",
        "<folded.id@example.com>",
        "<badid>",
    )
    assert "invalid message id 'näive@example.com' dropped" in message.defects


def test_given_invalid_addresses_when_parsed_then_they_are_skipped_with_a_defect() -> None:
    raw = _mail(
        """From: Big Bug bb@bug.com
To: , ok@example.com, "Klaus" <>, foo@bar@baz, Good <good@Example.NET>"""
    )
    message = parse_message(raw)
    assert message.sender is None
    assert message.to == (Address("", "ok@example.com"), Address("Good", "good@example.net"))
    assert "invalid address skipped: 'Big Bug bb@bug.com'" in message.defects
    assert "address without a mailbox skipped: 'Klaus'" in message.defects


def test_given_a_header_full_of_colons_when_parsed_then_no_recursion_error() -> None:
    # The stdlib address parser recurses once per group colon; a long header must not blow the stack.
    raw = _mail("To: a@example.com, " + "x:" * 5000 + " b@example.com")
    message = parse_message(raw)
    assert Address("", "a@example.com") in message.to
    assert not any(defect.startswith("parser error") for defect in message.defects)


def test_given_dates_in_odd_shapes_when_parsed_then_aware_or_none_with_a_defect() -> None:
    no_zone = parse_message(_mail("Date: Wed, 13 Oct 2010 07:53:04"))
    assert no_zone.date == datetime(2010, 10, 13, 7, 53, 4, tzinfo=UTC)
    junk = parse_message(_mail("Date: Pn, 29 paX 2007 21:13:00 +0100"))
    assert junk.date is None
    assert "unreadable Date header 'Pn, 29 paX 2007 21:13:00 +0100'" in junk.defects


def test_given_a_missing_blank_line_when_parsed_then_headers_end_at_the_first_non_header() -> None:
    message = parse_message(b"Subject: hi\nthis is the body\nsecond line\n")
    assert message.subject == "hi"
    assert message.text == "this is the body\nsecond line"
    assert "no blank line between headers and body" in message.defects


def test_given_a_malformed_line_between_headers_when_parsed_then_only_that_line_is_skipped() -> None:
    message = _fixture("mime-ruby-mail/emails/plain_emails/raw_email_incorrect_header.eml")
    assert message.subject == "Stop adware/spyware once and for all."
    assert message.sender == Address("xxx xxx", "xxx@xxx.xxx")
    assert message.defects == ("malformed header line skipped",)


def test_given_an_overlong_header_block_when_parsed_then_it_is_cut_and_the_body_still_found() -> None:
    raw = _mail("From: a@example.com\nX-Long: " + "y" * 300_000 + "\nSubject: lost", "the body\n")
    message = parse_message(raw, limits=ParseLimits(max_header_bytes=1000))
    assert message.sender == Address("", "a@example.com")
    assert message.subject == ""
    assert message.text == "the body"
    assert "header block longer than 1000 bytes; the rest was skipped" in message.defects


def test_given_one_overlong_header_value_when_parsed_then_only_that_value_is_cut() -> None:
    raw = _mail("Subject: " + "=?utf-8?q?long?=\n " * 10_000 + "end\nFrom: after@example.com")
    message = parse_message(raw, limits=ParseLimits(max_header_value_bytes=1000))
    assert message.subject.startswith("longlong") and len(message.subject) < 1000
    assert message.sender == Address("", "after@example.com")
    assert "header 'subject' longer than 1000 bytes; cut" in message.defects


# -- body choice --------------------------------------------------------------------------------

_ALTERNATIVE = """From: a@example.com
Content-Type: multipart/alternative; boundary="alt"

--alt
Content-Type: text/plain; charset=utf-8

Plain text
--alt
Content-Type: text/html; charset=utf-8

<p>HTML <b>text</b></p>
--alt--
"""


def test_given_plain_and_html_alternatives_when_parsed_then_plain_is_text_and_html_is_kept() -> None:
    message = parse_message(_ALTERNATIVE.encode())
    assert message.content_type == "multipart/alternative"
    assert message.text == "Plain text"
    assert message.html == "<p>HTML <b>text</b></p>"
    assert message.attachments == ()


def test_given_only_html_when_parsed_then_text_is_the_readable_html() -> None:
    raw = _mail(
        "Content-Type: text/html; charset=iso-8859-1",
        b"<html><body><p>Gr\xfc\xdfe</p><blockquote>earlier</blockquote></body></html>",
    )
    message = parse_message(raw)
    assert message.text == "Grüße\n\n> earlier"
    assert message.html == "<html><body><p>Grüße</p><blockquote>earlier</blockquote></body></html>"


def test_given_an_empty_plain_alternative_when_parsed_then_the_html_gives_the_text() -> None:
    raw = _ALTERNATIVE.replace("Plain text", "  ").encode()
    assert parse_message(raw).text == "HTML text"


def test_given_mixed_with_inline_text_around_an_image_when_parsed_then_text_joins_and_image_attaches() -> (
    None
):
    # Given an Apple-Mail-like body: text, an inline image, more text, then a file
    image = b"\x89PNG\r\n\x1a\n" + bytes(100)
    raw = f"""From: a@example.com
Content-Type: multipart/mixed; boundary=mix

--mix
Content-Type: text/plain

Before the picture
--mix
Content-Type: image/png; name="pic.png"
Content-Disposition: inline; filename="pic.png"
Content-ID: <pic@local>
Content-Transfer-Encoding: base64

{base64.encodebytes(image).decode()}
--mix
Content-Type: text/plain

After the picture
--mix
Content-Type: application/pdf; name="../../etc/Invoice\tMay.pdf"
Content-Disposition: attachment

%PDF-1.4
--mix--
""".encode()
    # When
    message = parse_message(raw)
    # Then
    assert message.text == "Before the picture\n\nAfter the picture"
    picture, invoice = message.attachments
    assert (picture.filename, picture.content_type, picture.inline, picture.content_id) == (
        "pic.png",
        "image/png",
        True,
        "pic@local",
    )
    assert picture.content == image
    assert (picture.size, picture.sha256) == (len(image), hashlib.sha256(image).hexdigest())
    assert (invoice.filename, invoice.inline, invoice.content) == ("Invoice May.pdf", False, b"%PDF-1.4")


def test_given_related_html_with_a_start_part_when_parsed_then_the_root_is_the_body() -> None:
    raw = b"""Content-Type: multipart/related; boundary=rel; type="text/html"

--rel
Content-Type: image/gif
Content-ID: <logo>

GIF89a
--rel
Content-Type: text/html

<p>Hi <img src="cid:logo"></p>
--rel--
"""
    message = parse_message(raw)
    assert message.text == "Hi"
    (logo,) = message.attachments
    assert (logo.filename, logo.inline, logo.content_id) == ("attachment-1.gif", True, "logo")


def test_given_an_unknown_body_charset_when_parsed_then_the_text_is_decoded_and_the_defect_listed() -> None:
    message = _fixture("mime-ruby-mail/emails/plain_emails/raw_email10.eml")
    assert "Envoyé par le service" in message.text
    assert message.defects == ("text/plain part: unknown charset 'X-UNKNOWN'; decoded as UTF-8",)


def test_given_us_ascii_that_is_utf8_when_parsed_then_the_text_is_right() -> None:
    message = _fixture("mime-ruby-mail/emails/plain_emails/raw_email6.eml")
    assert "Envoyé par le service" in message.text
    assert "text/plain part: charset 'us-ascii' declared but the text is UTF-8; decoded as UTF-8" in (
        message.defects
    )


@pytest.mark.parametrize(
    ("path", "subject", "text"),
    [
        ("mime-ruby-mail/emails/multi_charset/ks_c_5601-1987.eml", "test", "스티해"),
        ("mime-ruby-mail/emails/multi_charset/japanese_iso_2022.eml", "まみむめも", "すみません。"),
        (
            "mime-ruby-mail/emails/multi_charset/japanese_shift_jis.eml",
            "test",
            "あいうえお\n\nこのメールはテスト用のメールです。\n\n今後ともよろしくお願い申し上げます！",
        ),
        ("mime-mimekit/messages/japanese.txt", "日本語メールテスト (testing Japanese emails)", None),
    ],
)
def test_given_asian_charsets_when_parsed_then_subject_and_text_are_decoded(
    path: str, subject: str, text: str | None
) -> None:
    message = _fixture(path)
    assert message.subject == subject
    if text is not None:
        assert message.text == text
    assert message.defects == ()


def test_given_crlf_and_nuls_in_the_body_when_parsed_then_lf_and_no_nuls() -> None:
    message = parse_message(_mail("Subject: x", b"a\r\nb\x00c\rd\r\n\r\n"))
    assert message.text == "a\nbc\nd"


def test_given_a_text_over_the_limit_when_parsed_then_it_is_cut_with_a_defect() -> None:
    message = parse_message(_mail("Subject: x", "z" * 5000), limits=ParseLimits(max_text_chars=1000))
    assert message.text == "z" * 1000
    assert "text longer than 1000 characters; cut" in message.defects


# -- broken MIME ----------------------------------------------------------------------------------


def test_given_a_multipart_without_its_final_boundary_when_parsed_then_the_last_part_runs_to_the_end() -> (
    None
):
    message = _fixture("mime-flanker/messages/missing-final-boundary.eml")
    assert message.text == "Some body"
    assert message.defects == ("multipart/alternative has no closing boundary",)


def test_given_a_false_multipart_when_parsed_then_it_reads_as_text() -> None:
    message = _fixture("mime-flanker/messages/false-multipart.eml")
    assert message.content_type == "multipart/alternative"
    assert message.text == ""
    assert message.defects == ("no multipart/alternative boundary found in the body; read as text",)


def test_given_boundaries_that_start_and_end_with_dashes_when_parsed_then_parts_are_found() -> None:
    message = _fixture("mime-flanker/messages/dashed-boundaries.eml")
    assert (message.text, message.html) == ("Hi", "<html><body>Hi</body></html>\n")


def test_given_a_missing_content_type_when_parsed_then_it_is_text_plain() -> None:
    assert parse_message(b"Subject: s\n\nbody").content_type == "text/plain"


def test_given_an_invalid_content_type_with_a_name_when_parsed_then_it_is_an_octet_stream_attachment() -> (
    None
):
    message = _fixture("mime-mimekit/messages/missing-subtype.txt")
    assert message.content_type == "application/octet-stream"
    (document,) = message.attachments
    assert (document.filename, document.content, document.size) == (
        "document.xml.gz",
        b"blah blah blah\n",
        15,
    )


def test_given_broken_base64_when_parsed_then_what_decodes_is_kept_with_a_defect() -> None:
    # Given base64 with junk characters and a dangling last character
    raw = _mail(
        "Content-Type: multipart/mixed; boundary=b",
        "--b\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        "SGVs!!bG8g\r\nd29y*bGQ=\r\nQUJD\r\nR\r\n--b--\r\n",
    )
    # When
    message = parse_message(raw)
    (attachment,) = message.attachments
    # Then
    assert attachment.content == b"Hello worldABC"
    assert "base64 content contained characters outside the alphabet; they were skipped" in message.defects
    assert "base64 content was truncated; the last incomplete byte was dropped" in message.defects


def test_given_binary_content_with_crlf_when_parsed_then_only_the_delimiter_line_break_is_removed() -> None:
    raw = (
        b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: application/octet-stream\r\n"
        b"Content-Transfer-Encoding: binary\r\n\r\nline1\r\nline2\r\n\r\n--b--\r\n"
    )
    (attachment,) = parse_message(raw).attachments
    assert attachment.content == b"line1\r\nline2\r\n"


def test_given_a_uuencoded_attachment_when_parsed_then_it_is_decoded() -> None:
    raw = _mail(
        "Content-Type: multipart/mixed; boundary=b",
        "--b\r\nContent-Type: application/octet-stream; name=hi.txt\r\n"
        "Content-Transfer-Encoding: x-uuencode\r\n\r\n"
        "begin 644 hi.txt\r\n&:&5L;&\\*\r\n`\r\nend\r\n--b--\r\n",
    )
    (attachment,) = parse_message(raw).attachments
    assert (attachment.filename, attachment.content) == ("hi.txt", b"hello\n")


# -- attachment names ------------------------------------------------------------------------------


def test_given_rfc2231_continuations_with_a_charset_when_parsed_then_the_filename_is_joined() -> None:
    raw = _mail(
        "Content-Type: multipart/mixed; boundary=b",
        "--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment;\r\n"
        " filename*0*=utf-8''%E2%82%AC%20rates; filename*1=\" 2025.pdf\"\r\n\r\n%PDF\r\n--b--\r\n",
    )
    (attachment,) = parse_message(raw).attachments
    assert attachment.filename == "€ rates 2025.pdf"


def test_given_names_in_every_encoding_when_parsed_then_clean_filenames_or_a_typed_fallback() -> None:
    # Given an RFC 2231 name, an RFC 2047 name with a Windows path, and a part without any name
    raw = _mail(
        "Content-Type: multipart/mixed; boundary=b",
        "--b\r\nContent-Type: application/pdf\r\n"
        "Content-Disposition: attachment; filename*=UTF-8''%E2%82%AC%20Preise.pdf\r\n\r\nA\r\n"
        '--b\r\nContent-Type: text/csv; name="=?utf-8?b?QzpcVXNlcnNcam9lXFLDqXN1bcOpLmNzdg==?="\r\n'
        "Content-Disposition: attachment\r\n\r\nB\r\n"
        "--b\r\nContent-Type: application/x-unheard-of\r\n\r\nC\r\n--b--\r\n",
    )
    # When
    names = [attachment.filename for attachment in parse_message(raw).attachments]
    # Then
    assert names == ["€ Preise.pdf", "Résumé.csv", "attachment-3.bin"]


@pytest.mark.parametrize(
    ("path", "filename"),
    [
        ("mime-ruby-mail/emails/attachment_emails/attachment_nonascii_filename.eml", "ciële.txt"),
        ("mime-ruby-mail/emails/multi_charset/japanese_attachment.eml", "てすと.txt"),
        ("mime-ruby-mail/emails/attachment_emails/attachment_message_rfc822.eml", "ForwardedMessage.eml"),
        ("mime-mimekit/messages/simple-embedded-message.eml", "embedded message.eml"),
    ],
)
def test_given_encoded_attachment_names_when_parsed_then_filenames_are_decoded(
    path: str, filename: str
) -> None:
    assert [attachment.filename for attachment in _fixture(path).attachments] == [filename]


def test_given_an_attachment_in_a_fixture_when_parsed_then_content_matches_the_stdlib_decoding() -> None:
    # Given the stdlib parser as an independent decoder of the same part
    raw = (MIME / "mime-cpython-test-email/data/msg_07.txt").read_bytes()
    expected_part = message_from_bytes(raw, policy=compat32).get_payload(1)
    assert isinstance(expected_part, Message)
    expected = expected_part.get_payload(decode=True)
    assert isinstance(expected, bytes)
    # When
    message = parse_message(raw)
    # Then
    (gif,) = message.attachments
    assert (gif.filename, gif.content_type, gif.size) == ("dingusfish.gif", "image/gif", len(expected))
    assert gif.sha256 == hashlib.sha256(expected).hexdigest()
    assert message.text == "Hi there,\n\nThis is the dingus fish."


# -- enclosed messages ------------------------------------------------------------------------------

_FORWARD_ONLY = b"""From: Forwarder <fwd@example.com>
Subject: Fwd: invoice
Content-Type: multipart/mixed; boundary=outer

--outer
Content-Type: message/rfc822

From: Customer <customer@Example.com>
To: shop@example.com
Subject: Invoice question
Date: Mon, 24 Nov 2025 09:00:00 +0000
Content-Type: multipart/mixed; boundary=inner

--inner
Content-Type: text/plain

Where is my invoice?
--inner
Content-Type: application/pdf
Content-Disposition: attachment; filename=order.pdf

%PDF
--inner--
--outer--
"""


def test_given_a_forward_as_attachment_only_when_parsed_then_the_enclosed_message_is_the_text() -> None:
    # When
    message = parse_message(_FORWARD_ONLY)
    # Then the enclosed message reads like a forward, and its own attachments are kept
    assert message.text == (
        "---------- Forwarded message ----------\n"
        "From: Customer <customer@example.com>\n"
        "Date: Mon, 24 Nov 2025 09:00:00 +0000\n"
        "Subject: Invoice question\n"
        "To: shop@example.com\n"
        "\n"
        "Where is my invoice?"
    )
    assert [(attachment.filename, attachment.content) for attachment in message.attachments] == [
        ("order.pdf", b"%PDF")
    ]


def test_given_an_enclosed_message_next_to_text_when_parsed_then_it_is_an_eml_attachment() -> None:
    raw = _FORWARD_ONLY.replace(
        b"--outer\nContent-Type: message/rfc822",
        b"--outer\n\nSee below\n--outer\nContent-Type: message/rfc822",
        1,
    )
    message = parse_message(raw)
    assert message.text == "See below"
    (enclosed,) = message.attachments
    assert (enclosed.filename, enclosed.content_type) == ("Invoice question.eml", "message/rfc822")
    assert enclosed.content.startswith(b"From: Customer")


def test_given_fixture_enclosed_mails_when_parsed_then_body_and_eml_attachment() -> None:
    message = _fixture("mime-flanker/messages/enclosed.eml")
    assert message.text == "Hello"
    assert message.to == (Address("Александр Клижентас☯", "bob@example.com"),)
    assert [(attachment.filename, attachment.content_type) for attachment in message.attachments] == [
        ("thanks.eml", "message/rfc822")
    ]


def test_given_a_bounce_when_parsed_then_the_report_text_is_the_body() -> None:
    message = _fixture("mime-flanker/messages/bounce/zed.eml")
    assert message.content_type == "multipart/report"
    assert message.text.startswith("This is the mail system at host mail.example.com.")
    assert [attachment.content_type for attachment in message.attachments] == [
        "message/delivery-status",
        "message/rfc822",
    ]


# -- limits ------------------------------------------------------------------------------------------


def test_given_thousands_of_nested_enclosed_messages_when_parsed_then_depth_is_bounded() -> None:
    levels = 5000
    raw = b"".join(b"Subject: level %d\nContent-Type: message/rfc822\n\n" % n for n in range(levels))
    message = parse_message(raw + b"Subject: bottom\n\ninnermost")
    assert message.text.count("Forwarded message") == DEFAULT_LIMITS.max_depth - 1
    assert len(message.attachments) == 1
    assert f"MIME nesting deeper than {DEFAULT_LIMITS.max_depth}; kept as one attachment" in message.defects


def test_given_thousands_of_nested_multiparts_when_parsed_then_the_deep_rest_is_one_attachment() -> None:
    body = b"Content-Type: text/plain\n\ninnermost\n"
    for level in range(3000):
        body = b'Content-Type: multipart/mixed; boundary="b%d"\n\n--b%d\n%s\n--b%d--\n' % (
            level,
            level,
            body,
            level,
        )
    message = parse_message(body)
    (rest,) = message.attachments
    assert rest.content_type == "multipart/mixed"
    assert message.text == ""


def test_given_more_parts_than_the_limit_when_parsed_then_parts_and_attachments_are_capped() -> None:
    part = b"--x\nContent-Type: application/octet-stream\n\nAAAA\n"
    raw = b"Content-Type: multipart/mixed; boundary=x\n\n" + part * 10_000 + b"--x--\n"
    message = parse_message(raw, limits=ParseLimits(max_parts=50, max_attachments=20))
    assert len(message.attachments) == 20
    assert "more than 50 MIME parts; the rest was ignored" in message.defects
    assert "more than 20 attachments; the rest was dropped" in message.defects


def test_given_many_identical_defects_when_parsed_then_they_are_listed_once_and_bounded() -> None:
    to = ", ".join(f"bad{n}" for n in range(500))
    message = parse_message(_mail(f"To: {to}"), limits=ParseLimits(max_defects=10))
    assert len(message.defects) == 10
    assert message.defects[-1] == "491 further defects not listed"


# -- fixtures with known trouble ------------------------------------------------------------------


def test_given_a_135_kb_to_header_of_encoded_words_when_parsed_then_it_is_cut_and_the_rest_survives() -> None:
    message = _fixture("mime-mimekit/messages/stack-overflow.txt")
    assert message.sender == Address("test", "test@test.com")
    assert message.to == (Address("test", "test@test.com"),)
    assert message.subject == "Message Subject"
    assert message.text == "Message Body"
    assert "header 'to' longer than 65536 bytes; cut" in message.defects


def test_given_malformed_8bit_headers_when_parsed_then_undecodable_addresses_are_skipped() -> None:
    message = _fixture("mime-flanker/messages/mailformed-headers.eml")
    assert message.sender == Address("Юникод запрещен\ufffd", "headers@gmail.com")
    assert message.to == ()
    assert any(defect.startswith("undecodable address skipped") for defect in message.defects)


def test_given_an_encoded_display_name_with_a_comma_when_parsed_then_it_stays_one_address() -> None:
    message = _fixture("mime-flanker/messages/encoded-header.eml")
    assert message.sender == Address("Foo, Bar", "foo.bar@example.com")
    assert message.text == "hello, world"


def test_given_utf8_headers_per_rfc6532_when_parsed_then_addresses_keep_their_letters() -> None:
    message = _fixture("mime-ruby-mail/emails/rfc6532/utf8_headers.eml")
    assert message.subject == "Säying Hello"
    assert message.sender == Address("Jöhn Doe", "jdöe@mächine.example")


def test_given_references_with_a_folded_invalid_id_when_parsed_then_the_valid_ones_remain() -> None:
    message = _fixture("mime-ruby-mail/emails/error_emails/multiple_references_with_one_invalid.eml")
    assert message.references == ("<foo@bar.net>", "<baz@bar.net>")
    assert (message.text, message.html) == ("foo", "<p>foo</p>\n")


def test_given_every_fixture_when_parsed_then_no_parser_error() -> None:
    fixtures = [path for path in MIME.rglob("*") if path.suffix in (".eml", ".txt")]
    assert len(fixtures) >= 20
    for path in fixtures:
        message = parse_message(Path(path).read_bytes())
        assert not any(defect.startswith("parser error") for defect in message.defects), path
