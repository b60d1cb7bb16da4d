"""What a file is, read from its content (magic bytes), and whether the desk sends it.

The browser's type and the name's extension are the sender's word; the bytes are not. A file is
sent as what its content is, when that is a kind customers open without risk: images, PDF, office
documents (without macros), plain text and its cousins (CSV, Markdown, JSON, calendar, contact),
mail, audio and video, and ZIP archives that hold none of the refused kinds. Programs and scripts
(Windows, Linux and macOS executables, Java classes, shell, batch, PowerShell, JavaScript, HTML and
SVG, which run script in a browser) are refused, whatever the name says. A name whose extension
promises another allowed type than the content (``invoice.pdf`` that is a PNG) is refused too: the
recipient's computer would open it with the wrong program.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

from postdesk.attachments.names import extension_of
from postdesk.errors import Invalid


class FileTypeRefused(Invalid):
    """The file's content is of a kind the desk does not send, or not what its name says."""


@dataclass(frozen=True, slots=True)
class FileType:
    content_type: str
    # How the type is named to an agent ("a PDF document").
    description: str
    # Extensions a name of this type may have (the first is its usual one).
    extensions: tuple[str, ...]


PNG = FileType("image/png", "a PNG image", ("png",))
JPEG = FileType("image/jpeg", "a JPEG image", ("jpg", "jpeg", "jpe", "jfif"))
GIF = FileType("image/gif", "a GIF image", ("gif",))
WEBP = FileType("image/webp", "a WebP image", ("webp",))
TIFF = FileType("image/tiff", "a TIFF image", ("tif", "tiff"))
BMP = FileType("image/bmp", "a BMP image", ("bmp",))
HEIC = FileType("image/heic", "a HEIC image", ("heic", "heif"))
PDF = FileType("application/pdf", "a PDF document", ("pdf",))
RTF = FileType("application/rtf", "an RTF document", ("rtf",))
DOCX = FileType(
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "a Word document", ("docx",)
)
XLSX = FileType(
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "an Excel workbook", ("xlsx",)
)
PPTX = FileType(
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "a PowerPoint presentation",
    ("pptx",),
)
DOC = FileType("application/msword", "a Word 97–2003 document", ("doc",))
XLS = FileType("application/vnd.ms-excel", "an Excel 97–2003 workbook", ("xls",))
PPT = FileType("application/vnd.ms-powerpoint", "a PowerPoint 97–2003 presentation", ("ppt",))
MSG = FileType("application/vnd.ms-outlook", "an Outlook message", ("msg",))
ODT = FileType("application/vnd.oasis.opendocument.text", "an OpenDocument text", ("odt",))
ODS = FileType("application/vnd.oasis.opendocument.spreadsheet", "an OpenDocument spreadsheet", ("ods",))
ODP = FileType("application/vnd.oasis.opendocument.presentation", "an OpenDocument presentation", ("odp",))
ZIP = FileType("application/zip", "a ZIP archive", ("zip",))
MP4 = FileType("video/mp4", "an MP4 video", ("mp4", "m4v"))
M4A = FileType("audio/mp4", "an MP4 audio file", ("m4a",))
QUICKTIME = FileType("video/quicktime", "a QuickTime video", ("mov", "qt"))
MP3 = FileType("audio/mpeg", "an MP3 audio file", ("mp3",))
WAV = FileType("audio/wav", "a WAV audio file", ("wav",))
TEXT = FileType("text/plain", "a text file", ("txt", "text", "log"))
CSV = FileType("text/csv", "a CSV file", ("csv",))
MARKDOWN = FileType("text/markdown", "a Markdown file", ("md", "markdown"))
JSON = FileType("application/json", "a JSON file", ("json",))
XML = FileType("application/xml", "an XML file", ("xml",))
CALENDAR = FileType("text/calendar", "a calendar entry", ("ics",))
VCARD = FileType("text/vcard", "a contact card", ("vcf",))
MAIL = FileType("message/rfc822", "an email message", ("eml",))

ALLOWED: tuple[FileType, ...] = (
    PNG, JPEG, GIF, WEBP, TIFF, BMP, HEIC, PDF, RTF, DOCX, XLSX, PPTX, DOC, XLS, PPT, MSG, ODT, ODS,
    ODP, ZIP, MP4, M4A, QUICKTIME, MP3, WAV, TEXT, CSV, MARKDOWN, JSON, XML, CALENDAR, VCARD, MAIL,
)  # fmt: skip
_BY_EXTENSION = {extension: kind for kind in ALLOWED for extension in kind.extensions}
# Text whose name says it is one of these is text for a computer to run, not for a person to read.
_TEXT_KINDS = (TEXT, CSV, MARKDOWN, JSON, XML, CALENDAR, VCARD, MAIL)
# Extensions of programs, scripts and what runs them (shortcuts, installers, registry files): refused
# whatever the content, and inside a ZIP archive too.
REFUSED_EXTENSIONS = frozenset(
    {
        "exe", "dll", "com", "scr", "pif", "cpl", "msi", "msp", "msix", "appx", "bat", "cmd", "ps1", "psm1",
        "vbs", "vbe", "js", "jse", "mjs", "wsf", "wsh", "hta", "lnk", "reg", "inf", "sh", "bash", "zsh",
        "csh", "ksh", "command", "app", "dmg", "pkg", "deb", "rpm", "apk", "jar", "class", "py", "pyc",
        "pl", "rb", "php", "asp", "aspx", "jsp", "cgi", "html", "htm", "xhtml", "shtml", "svg", "svgz",
        "mht", "mhtml", "iso", "img", "vhd", "vhdx", "docm", "dotm", "xlsm", "xltm", "xlam", "pptm", "potm",
        "ppsm", "sldm",
    }
)  # fmt: skip


def _program(data: bytes) -> str | None:
    """What kind of program ``data`` is, when it is one."""
    if data.startswith(b"MZ"):
        return "a Windows program"
    if data.startswith(b"\x7fELF"):
        return "a Linux program"
    if data[:4] in (b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf", b"\xce\xfa\xed\xfe", b"\xcf\xfa\xed\xfe"):
        return "a macOS program"
    if data.startswith(b"\xca\xfe\xba\xbe"):
        return "a macOS or Java program"
    if data.startswith(b"dex\n"):
        return "an Android program"
    if data.lstrip(b"\xef\xbb\xbf").startswith(b"#!"):
        return "a script"
    return None


def _iso_media(data: bytes) -> FileType | None:
    """ISO base media files (``....ftyp<brand>``): HEIC photos, MP4 and QuickTime videos."""
    if data[4:8] != b"ftyp":
        return None
    brand = data[8:12]
    if brand in (b"heic", b"heix", b"heim", b"heis", b"mif1", b"msf1", b"hevc", b"hevx"):
        return HEIC
    if brand == b"qt  ":
        return QUICKTIME
    if brand in (b"M4A ", b"M4B "):
        return M4A
    return MP4


def _zip_kind(data: bytes, filename: str) -> FileType:
    """An office document (OOXML, OpenDocument) or a plain ZIP archive; refused when it holds a
    program, a script or macros, or cannot be read."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
            mimetype = (
                archive.read("mimetype").decode("ascii", "replace").strip() if "mimetype" in names else ""
            )
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        RuntimeError,
        NotImplementedError,
        OSError,
        EOFError,
    ) as error:
        raise FileTypeRefused(f"{filename} looks like a ZIP archive but cannot be read.") from error
    lowered = [name.lower() for name in names]
    if any(name.endswith("vbaproject.bin") for name in lowered):
        raise FileTypeRefused(f"{filename} holds macros, which the desk does not send.")
    if "[content_types].xml" in lowered:
        for folder, kind in (("word/", DOCX), ("xl/", XLSX), ("ppt/", PPTX)):
            if any(name.startswith(folder) for name in lowered):
                return kind
    for kind in (ODT, ODS, ODP):
        if mimetype == kind.content_type:
            return kind
    for name in lowered:
        if extension_of(name.rsplit("/", 1)[-1]) in REFUSED_EXTENSIONS:
            inner = names[lowered.index(name)]
            raise FileTypeRefused(
                f"{filename} holds {inner}, a program or script, which the desk does not send."
            )
    return ZIP


def _ole_kind(filename: str) -> FileType:
    """Word, Excel and PowerPoint 97–2003 and Outlook messages share one container (OLE2) with
    Windows installers: the name's extension tells them apart, and an unknown one is refused."""
    kind = _BY_EXTENSION.get(extension_of(filename))
    if kind in (DOC, XLS, PPT, MSG):
        return kind
    raise FileTypeRefused(
        f"{filename} is an OLE2 file (Office 97–2003 or an installer) without a .doc, .xls, .ppt or "
        ".msg name: the desk does not send it."
    )


def _is_text(data: bytes) -> bool:
    if b"\x00" in data[:8192]:
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        # Latin-1 and Windows-1252 text: printable bytes, tabs and line breaks.
        return all(byte >= 0x20 or byte in b"\t\r\n\f" for byte in data[:8192])
    return True


def _sniff(data: bytes, filename: str) -> FileType | None:
    """The allowed type ``data`` is, by its first bytes; None when no magic matches."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith((b"GIF87a", b"GIF89a")):
        return GIF
    if data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        return WEBP
    if data.startswith(b"RIFF") and data[8:12] == b"WAVE":
        return WAV
    if data.startswith((b"II*\x00", b"MM\x00*")):
        return TIFF
    if data.startswith(b"BM") and len(data) > 14 and data[6:10] == b"\x00\x00\x00\x00":
        return BMP
    if b"%PDF-" in data[:1024]:
        return PDF
    if data.startswith(b"{\\rtf"):
        return RTF
    if data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _zip_kind(data, filename)
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return _ole_kind(filename)
    if data.startswith(b"ID3") or data[:2] in (b"\xff\xfb", b"\xff\xf3", b"\xff\xf2"):
        return MP3
    return _iso_media(data)


def _text_kind(data: bytes, filename: str) -> FileType:
    kind = _BY_EXTENSION.get(extension_of(filename))
    if kind in _TEXT_KINDS:
        assert kind is not None
        return kind
    start = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:64].lower()
    if start.startswith((b"<!doctype html", b"<html", b"<svg", b"<script")):
        raise FileTypeRefused(
            f"{filename} is a web page or SVG (they run scripts): the desk does not send it."
        )
    return TEXT


def file_type(filename: str, data: bytes) -> FileType:
    """The type ``data`` is sent as; FileTypeRefused, in words, when the desk does not send it."""
    program = _program(data)
    if program:
        raise FileTypeRefused(f"{filename} is {program}: programs and scripts are not sent.")
    extension = extension_of(filename)
    if extension in REFUSED_EXTENSIONS:
        raise FileTypeRefused(f"{filename}: .{extension} files (programs, scripts, web pages) are not sent.")
    if not data:
        raise FileTypeRefused(f"{filename} is empty.")
    kind = _sniff(data, filename)
    if kind is None:
        if not _is_text(data):
            raise FileTypeRefused(
                f"{filename} is of a kind the desk does not send (images, PDF, office documents, text, "
                "audio, video and ZIP archives are)."
            )
        kind = _text_kind(data, filename)
    promised = _BY_EXTENSION.get(extension)
    if (
        promised is not None
        and promised is not kind
        and not (promised in _TEXT_KINDS and kind in _TEXT_KINDS)
    ):
        raise FileTypeRefused(
            f"{filename} is {kind.description}, not {promised.description} as its name says."
        )
    return kind
