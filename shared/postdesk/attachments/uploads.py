"""Uploads: the browser sends a file straight to the mail bucket with a presigned POST, under a folder
of the agent's, and a mail names it by its id.

``POST /attachments`` checks what the browser says (the name, the size) and answers the id, the URL
and the form fields; S3 refuses a body over the per-file limit (a ``content-length-range``
condition), and the link lasts minutes. A small record beside the file keeps its cleaned name. What
the file *is* is read from its content only when a mail uses it (types.py): the browser's type is
never trusted. Uploads are never served and never deleted by the desk: a mail copies what it sends
into the ticket's folder (outgoing.py), so a retried request still finds its files, and a lifecycle
rule on the uploads prefix removes them a day later (infra/template.json).
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from postdesk.attachments.names import clean_filename, extension_of
from postdesk.attachments.types import REFUSED_EXTENSIONS, FileTypeRefused
from postdesk.aws.s3 import BlobNotFound
from postdesk.errors import Invalid, TooLarge

if TYPE_CHECKING:
    from datetime import datetime

    from postdesk.aws.s3 import S3BlobStore
    from postdesk.ports import BlobStore
    from postdesk.settings import AttachmentSettings

# up_<the agent's folder>_<random>: 64 bits name the folder, 128 random bits make an id nobody guesses.
_UPLOAD_ID = re.compile(r"^up_([0-9a-f]{16})_([0-9a-f]{32})$")
# Browsers send the type they guess from the extension: a program's is refused before it is uploaded.
_REFUSED_DECLARED_TYPES = frozenset(
    {
        "application/x-msdownload",
        "application/x-msdos-program",
        "application/x-ms-installer",
        "application/x-msi",
        "application/x-executable",
        "application/x-sharedlib",
        "application/x-mach-binary",
        "application/x-sh",
        "application/x-csh",
        "application/x-bat",
        "application/java-archive",
        "application/vnd.android.package-archive",
        "application/javascript",
        "text/javascript",
        "text/html",
        "application/xhtml+xml",
        "image/svg+xml",
        "application/hta",
    }
)
_FILE = "file"
_RECORD = "upload.json"


class UnknownAttachment(Invalid):
    """No upload and no file of the ticket's thread has that id."""


class UploadNotFinished(Invalid):
    """The upload was announced, but its file has not reached the bucket (yet)."""


class FileTooLarge(TooLarge):
    """A file is over the per-file limit."""


@dataclass(frozen=True, slots=True)
class UploadForm:
    """What the browser needs to upload one file: POST ``fields`` and then the file (as the form's
    last field, ``file``) to ``url``."""

    id: str
    filename: str
    url: str
    fields: dict[str, str]
    max_bytes: int
    expires_in: int


@dataclass(frozen=True, slots=True)
class Upload:
    """An upload as a mail uses it: its cleaned name and its bytes."""

    id: str
    filename: str
    data: bytes


def agent_folder(agent_email: str) -> str:
    """The folder of an agent's uploads: a digest of their address (keys are not personal data)."""
    return hashlib.sha256(agent_email.strip().lower().encode()).hexdigest()[:16]


def is_upload_id(value: str) -> bool:
    return _UPLOAD_ID.match(value) is not None


def _folder(settings: AttachmentSettings, upload_id: str) -> str:
    match = _UPLOAD_ID.match(upload_id)
    if match is None:
        raise UnknownAttachment(f"{upload_id!r} is not an attachment id.")
    return f"{settings.uploads_prefix}{match.group(1)}/{match.group(2)}/"


def check_announced(filename: str, size: int, content_type: str, settings: AttachmentSettings) -> str:
    """The cleaned name of a file the browser is about to upload, once what it says of the file is
    acceptable: not over the per-file limit, and not a program by its name or declared type (its
    content is checked when a mail uses it)."""
    name = clean_filename(filename)
    if size > settings.max_file_bytes:
        raise FileTooLarge(
            f"{name} is {size:,} bytes: files may be at most {settings.max_file_bytes:,} bytes."
        )
    extension = extension_of(name)
    if extension in REFUSED_EXTENSIONS:
        raise FileTypeRefused(f"{name}: .{extension} files (programs, scripts, web pages) are not sent.")
    if content_type.split(";")[0].strip().lower() in _REFUSED_DECLARED_TYPES:
        raise FileTypeRefused(f"{name} is a program, script or web page ({content_type}): it is not sent.")
    return name


def start_upload(
    agent_email: str,
    filename: str,
    size: int,
    content_type: str,
    settings: AttachmentSettings,
    blobs: S3BlobStore,
    now: datetime,
) -> UploadForm:
    """Check the announced file, keep its name and hand out a presigned POST for it."""
    name = check_announced(filename, size, content_type, settings)
    upload_id = f"up_{agent_folder(agent_email)}_{secrets.token_hex(16)}"
    folder = _folder(settings, upload_id)
    record = {"filename": name, "size": size, "declared_type": content_type, "at": now.isoformat()}
    blobs.put(folder + _RECORD, json.dumps(record).encode(), "application/json")
    post = blobs.presigned_post(
        folder + _FILE, max_bytes=settings.max_file_bytes, seconds=settings.upload_link_seconds
    )
    return UploadForm(
        id=upload_id,
        filename=name,
        url=post["url"],
        fields=post["fields"],
        max_bytes=settings.max_file_bytes,
        expires_in=settings.upload_link_seconds,
    )


def read_upload(upload_id: str, settings: AttachmentSettings, blobs: BlobStore) -> Upload:
    """The upload ``upload_id`` names, with its bytes; UnknownAttachment or UploadNotFinished."""
    folder = _folder(settings, upload_id)
    try:
        record: Any = json.loads(blobs.get(folder + _RECORD))
    except BlobNotFound as error:
        raise UnknownAttachment(
            f"No upload has the id {upload_id} (uploads are kept for a day: upload the file again)."
        ) from error
    filename = clean_filename(str(record.get("filename") or ""))
    try:
        data = blobs.get(folder + _FILE)
    except BlobNotFound as error:
        raise UploadNotFinished(
            f"{filename} has not finished uploading: wait for it, or upload it again."
        ) from error
    return Upload(upload_id, filename, data)
