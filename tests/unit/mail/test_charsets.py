"""Bytes to text: the declared charset when it fits, a reasoned fallback when it does not."""

from __future__ import annotations

import pytest

from postdesk.mail.charsets import codecs_for, decode_bytes, decode_header_bytes


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("ks_c_5601-1987", ("cp949",)),
        ("GB2312", ("gb18030",)),
        ("Shift_JIS", ("cp932",)),
        ("iso-2022-jp", ("iso2022_jp_ext", "iso2022_jp_2")),
        ("unicode-1-1-utf-7", ("utf-7",)),
        ("windows-874", ("cp874",)),
        ('"windows-1251"', ("cp1251",)),
        ("koi8-r", ("koi8-r",)),
        ("x-unknown", ()),
        ("unicode_escape", ()),
        ("base64", ()),
        ("no-such-charset", ()),
        (None, ()),
    ],
)
def test_given_a_label_from_the_wild_when_resolved_then_a_usable_codec_or_none(
    label: str | None, expected: tuple[str, ...]
) -> None:
    assert codecs_for(label) == expected


def test_given_the_declared_charset_fits_when_decoded_then_no_defect() -> None:
    # Given KOI8-R bytes declared as koi8-r
    data = "Привет, мир".encode("koi8-r")
    # When / Then
    assert decode_bytes(data, "koi8-r") == ("Привет, мир", None)


def test_given_korean_declared_by_its_microsoft_name_when_decoded_then_cp949_is_used() -> None:
    assert decode_bytes("스티해".encode("cp949"), "ks_c_5601-1987") == ("스티해", None)


def test_given_iso_2022_jp_when_decoded_then_japanese_text() -> None:
    assert decode_bytes("すみません。".encode("iso2022_jp"), "ISO-2022-JP") == ("すみません。", None)


def test_given_utf7_under_its_old_name_when_decoded_then_text() -> None:
    assert decode_bytes(b"Hi Mom -+Jjo--!", "unicode-1-1-utf-7") == ("Hi Mom -\u263a-!", None)


def test_given_us_ascii_that_holds_utf8_when_decoded_then_utf8_with_a_defect() -> None:
    # Given a body declared us-ascii that contains UTF-8
    text, defect = decode_bytes("Envoyé".encode(), "us-ascii")
    # Then the text is right and the mislabel is reported
    assert text == "Envoyé"
    assert defect is not None and "us-ascii" in defect and "UTF-8" in defect


def test_given_latin1_label_over_utf8_when_decoded_then_utf8_wins() -> None:
    text, defect = decode_bytes("Grüße".encode(), "iso-8859-1")
    assert text == "Grüße"
    assert defect is not None


def test_given_real_latin1_when_decoded_then_windows_1252_reading_without_defect() -> None:
    # 0x80 is the euro sign in windows-1252, which is what "iso-8859-1" senders actually produce.
    assert decode_bytes(b"Preis: 5 \x80, Stra\xdfe", "iso-8859-1") == ("Preis: 5 €, Straße", None)


def test_given_an_unknown_charset_when_decoded_then_utf8_or_detection_with_a_defect() -> None:
    text, defect = decode_bytes("Envoyé par le service".encode(), "x-unknown")
    assert text == "Envoyé par le service"
    assert defect == "unknown charset 'x-unknown'; decoded as UTF-8"


def test_given_a_wrong_multibyte_declaration_when_decoded_then_the_detector_decides() -> None:
    # Given Russian windows-1251 text declared as UTF-8 (which it cannot be)
    data = ("Это письмо написано в кодировке Windows, а заявлено как UTF-8. " * 3).encode("cp1251")
    # When
    text, defect = decode_bytes(data, "utf-8")
    # Then the detector's reading is Russian, and the defect names the problem
    assert text.startswith("Это письмо написано")
    assert defect is not None and defect.startswith(
        "charset 'utf-8' does not decode the text; decoded as detected"
    )


def test_given_mostly_utf8_with_one_broken_byte_when_decoded_then_utf8_with_a_replacement() -> None:
    data = "Grüße aus Köln, schöne Tage".encode() + b"\xff"
    text, defect = decode_bytes(data, None)
    assert text == "Grüße aus Köln, schöne Tage\ufffd"
    assert defect == "no charset declared for 8-bit text; decoded as UTF-8 with a few invalid bytes replaced"


def test_given_binary_junk_when_decoded_then_text_anyway() -> None:
    text, defect = decode_bytes(bytes(range(256)) * 4, "us-ascii")
    assert isinstance(text, str) and text
    assert defect is not None


def test_given_ascii_without_declaration_when_decoded_then_no_defect() -> None:
    assert decode_bytes(b"plain words", None) == ("plain words", None)
    assert decode_bytes(b"", "utf-8") == ("", None)


def test_given_undeclared_iso_2022_jp_when_decoded_then_its_escapes_are_recognised() -> None:
    text, defect = decode_bytes("まみむめも".encode("iso2022_jp"), None)
    assert text == "まみむめも"
    assert defect is not None


def test_given_a_raw_utf8_header_when_decoded_then_no_defect() -> None:
    assert decode_header_bytes("Jöhn Doe".encode()) == ("Jöhn Doe", None)


def test_given_a_raw_header_in_the_message_charset_when_decoded_then_the_hint_is_used() -> None:
    text, defect = decode_header_bytes("Привет".encode("koi8-r"), "koi8-r")
    assert text == "Привет"
    assert defect == "raw 8-bit header decoded as the message charset koi8-r"


def test_given_short_latin_header_without_hint_when_decoded_then_windows_1252_wins_the_tie() -> None:
    text, _ = decode_header_bytes(b"Forma\xe7\xe3o FrenetikPolis: Mega Campanha Final Ver\xe3o")
    assert text == "Formação FrenetikPolis: Mega Campanha Final Verão"


def test_given_a_truncated_utf8_header_when_decoded_then_only_the_broken_tail_is_replaced() -> None:
    data = "Юникод запрещен".encode() + b"\xd0"
    text, defect = decode_header_bytes(data)
    assert text == "Юникод запрещен\ufffd"
    assert defect is not None
