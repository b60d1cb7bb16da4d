"""Files agents send: names cleaned once, types read from the content (never from the name or the
browser), and the limits of a deployment checked against each other and against what SES sends."""

from __future__ import annotations

import io
import zipfile

import pytest

from postdesk.attachments.names import MAX_FILENAME_CHARS, clean_filename
from postdesk.attachments.types import FileTypeRefused, file_type
from postdesk.attachments.uploads import FileTooLarge, check_announced
from postdesk.errors import ConfigurationError, Invalid, TooLarge
from postdesk.settings import MAX_MAIL_BYTES, AttachmentSettings, Settings

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(32)


@pytest.mark.parametrize(
    ("given", "cleaned"),
    [
        ("report.pdf", "report.pdf"),
        ("C:\\Users\\sam\\Desktop\\report.pdf", "report.pdf"),
        ("../../etc/passwd", "passwd"),
        ("invoice\u202egpj.exe", "invoicegpj.exe"),
        ("line\r\nbreak.txt", "line break.txt"),
        ("zero\u200bwidth.png", "zerowidth.png"),
        ('what?<is>"this"|*.txt', "what__is__this___.txt"),
        ("  .hidden  ", "hidden"),
        ("dots at the end...", "dots at the end"),
        ("Cafe\u0301.pdf", "Café.pdf"),
        ("見積書.pdf", "見積書.pdf"),
        ("", "attachment"),
        ("/", "attachment"),
        ("...", "attachment"),
    ],
)
def test_names_lose_paths_controls_and_what_file_systems_refuse(given: str, cleaned: str) -> None:
    assert clean_filename(given) == cleaned


def test_a_long_name_is_cut_and_keeps_its_extension() -> None:
    cleaned = clean_filename("a" * 400 + ".docx")
    assert len(cleaned) == MAX_FILENAME_CHARS and cleaned.endswith("a.docx")
    assert len(clean_filename("b" * 400)) == MAX_FILENAME_CHARS


def _zip(**members: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name.replace("__", "/").replace("_dot_", "."), data)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("filename", "data", "content_type"),
    [
        ("report.pdf", PDF, "application/pdf"),
        ("scan", PDF, "application/pdf"),  # no extension: the content names it
        ("photo.png", PNG, "image/png"),
        ("photo.JPG", b"\xff\xd8\xff\xe0\x00\x10JFIF" + bytes(20), "image/jpeg"),
        ("anim.gif", b"GIF89a" + bytes(20), "image/gif"),
        ("pic.webp", b"RIFF\x00\x00\x00\x00WEBPVP8 " + bytes(20), "image/webp"),
        ("IMG_0001.HEIC", b"\x00\x00\x00\x18ftypheic" + bytes(20), "image/heic"),
        ("clip.mov", b"\x00\x00\x00\x14ftypqt  " + bytes(20), "video/quicktime"),
        ("clip.mp4", b"\x00\x00\x00\x18ftypisom" + bytes(20), "video/mp4"),
        ("notes.txt", "Grüße\nLine two\n".encode(), "text/plain"),
        ("README", b"Just some words.\n", "text/plain"),
        ("table.csv", b"a,b\n1,2\n", "text/csv"),
        ("old.log", "caf\xe9 latin-1 text\n".encode("latin-1"), "text/plain"),
        ("letter.rtf", b"{\\rtf1\\ansi hello}", "application/rtf"),
        (
            "letter.docx",
            _zip(**{"[Content_Types]_dot_xml": b"<x/>", "word__document_dot_xml": b"<w/>"}),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        (
            "sheet.xlsx",
            _zip(**{"[Content_Types]_dot_xml": b"<x/>", "xl__workbook_dot_xml": b"<w/>"}),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        (
            "text.odt",
            _zip(mimetype=b"application/vnd.oasis.opendocument.text", content_dot_xml=b"<x/>"),
            "application/vnd.oasis.opendocument.text",
        ),
        ("photos.zip", _zip(a_dot_jpg=b"\xff\xd8\xff", b_dot_txt=b"hi"), "application/zip"),
        ("old.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(40), "application/msword"),
    ],
)
def test_the_type_is_what_the_content_is(filename: str, data: bytes, content_type: str) -> None:
    assert file_type(filename, data).content_type == content_type


@pytest.mark.parametrize(
    ("filename", "data", "words"),
    [
        ("invoice.pdf", b"MZ\x90\x00" + bytes(60), "invoice.pdf is a Windows program"),
        ("photo.jpg", b"\x7fELF\x02\x01\x01" + bytes(60), "a Linux program"),
        ("tool", b"\xcf\xfa\xed\xfe" + bytes(60), "a macOS program"),
        ("notes.txt", b"#!/bin/sh\necho hi\n", "a script"),
        ("setup.exe", b"hello", ".exe files"),
        ("run.ps1", b"Write-Host hi", ".ps1 files"),
        # Without a text extension, a browser would open it as a page
        ("page", b"<!DOCTYPE html><html><script>x()</script>", "web page"),
        ("drawing.svg", b"<svg onload='x()'/>", ".svg files"),
        ("scan.pdf", PNG, "scan.pdf is a PNG image, not a PDF document"),
        ("photo.png", PDF, "photo.png is a PDF document, not a PNG image"),
        ("photo.png", b"just text\n", "is a text file, not a PNG image"),
        ("blob.bin", bytes(range(256)) * 4, "of a kind the desk does not send"),
        ("empty.pdf", b"", "is empty"),
        (
            "macros.docx",
            _zip(**{"[Content_Types]_dot_xml": b"<x/>", "word__vbaProject_dot_bin": b"x"}),
            "macros",
        ),
        ("bundle.zip", _zip(**{"docs__readme_dot_txt": b"hi", "bin__run_dot_exe": b"MZ"}), "bin/run.exe"),
        ("broken.zip", b"PK\x03\x04not really a zip", "cannot be read"),
        ("setup.xyz", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(40), "OLE2"),
    ],
)
def test_programs_scripts_and_files_that_are_not_what_their_name_says_are_refused(
    filename: str, data: bytes, words: str
) -> None:
    with pytest.raises(FileTypeRefused, match=words) as refused:
        file_type(filename, data)
    assert isinstance(refused.value, Invalid)


def test_a_file_announced_over_the_limit_or_as_a_program_gets_no_upload() -> None:
    limits = AttachmentSettings(max_file_bytes=1000, max_mail_bytes=2000)
    assert check_announced("../My report.pdf", 1000, "application/pdf", limits) == "My report.pdf"
    with pytest.raises(FileTooLarge, match=r"My report\.pdf is 1,001 bytes") as large:
        check_announced("My report.pdf", 1001, "application/pdf", limits)
    assert isinstance(large.value, TooLarge)
    with pytest.raises(FileTypeRefused, match=r"\.bat files"):
        check_announced("run.bat", 10, "", limits)
    with pytest.raises(FileTypeRefused, match="application/x-msdownload"):
        check_announced("harmless.pdf", 10, "application/x-msdownload", limits)


ENVIRONMENT = {
    "POSTDESK_SUPPORT_ADDRESS": "support@example.com",
    "POSTDESK_MAIL_BUCKET": "mail",
    "POSTDESK_SIGNING_SECRET_ID": "secret",
    **{
        f"POSTDESK_{name}_TABLE": name.lower()
        for name in (
            "TICKETS", "TICKET_LOG", "MESSAGE_INDEX", "COUNTERS", "GUARDS", "AGENTS", "SAVED_REPLIES",
            "STATS", "SUPPRESSIONS", "AUDIT",
        )
    },
}  # fmt: skip


def test_the_limits_come_from_the_environment_with_defaults_that_fit_in_ses() -> None:
    defaults = Settings.from_environment(ENVIRONMENT).attachments
    assert (defaults.max_file_bytes, defaults.max_mail_bytes, defaults.max_files) == (
        10_000_000,
        20_000_000,
        10,
    )
    # base64 makes 4 of 3 bytes, in lines of 76 characters and a line break: under SES's 40 MB
    assert MAX_MAIL_BYTES * 4 / 3 * 78 / 76 < 40 * 1000 * 1000 - 1_500_000
    chosen = Settings.from_environment(
        {
            **ENVIRONMENT,
            "POSTDESK_ATTACHMENT_MAX_FILE_BYTES": "5000000",
            "POSTDESK_ATTACHMENT_MAX_MAIL_BYTES": "25000000",
            "POSTDESK_ATTACHMENT_MAX_FILES": "4",
        }
    ).attachments
    assert (chosen.max_file_bytes, chosen.max_mail_bytes, chosen.max_files) == (5_000_000, 25_000_000, 4)


@pytest.mark.parametrize(
    ("variables", "words"),
    [
        ({"POSTDESK_ATTACHMENT_MAX_MAIL_BYTES": "30000000"}, "at most 28,000,000"),
        ({"POSTDESK_ATTACHMENT_MAX_FILE_BYTES": "21000000"}, "must not be over"),
        ({"POSTDESK_ATTACHMENT_MAX_FILES": "0"}, "at least 1"),
        ({"POSTDESK_ATTACHMENT_MAX_FILES": "many"}, "whole number"),
    ],
)
def test_limits_that_cannot_work_stop_the_desk_in_words(variables: dict[str, str], words: str) -> None:
    with pytest.raises(ConfigurationError, match=words):
        Settings.from_environment({**ENVIRONMENT, **variables})
