"""The files of one mail an agent sends: what the MIME carries and what the thread records.

A mail names its files by id: an upload's (uploads.py), or a file already on the ticket's thread
(:func:`attachment_id`; a customer's attachment is forwarded without being uploaded again). Each is
read, checked by its content (types.py) and its size, and kept under the ticket's folder of the mail
bucket (``attachments/{ref}/``) so that erasure and retention take it with the ticket. Copies are
named from the request (``unique``): a retried request writes the same objects again, never new ones.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from postdesk.attachments.names import clean_filename
from postdesk.attachments.types import file_type
from postdesk.attachments.uploads import (
    FileTooLarge,
    UnknownAttachment,
    is_upload_id,
    read_upload,
)
from postdesk.aws.s3 import BlobNotFound
from postdesk.errors import Invalid, TooLarge
from postdesk.mail.compose import OutgoingAttachment
from postdesk.tickets.model import AttachmentRef, ThreadMessage

if TYPE_CHECKING:
    from postdesk.ports import Ports
    from postdesk.settings import Settings

_THREAD_ID = re.compile(r"^at_[0-9a-f]{32}$")


class TooManyFiles(Invalid):
    """A mail names more files than the desk sends at once, or one file twice."""


class MailTooLarge(TooLarge):
    """A mail's files together are over the per-mail limit."""


@dataclass(frozen=True, slots=True)
class MailFiles:
    # For OutboundMail.attachments (mail/compose.py).
    files: tuple[OutgoingAttachment, ...]
    # For OnceMail.attachments: where the files are kept, under the ticket's prefix attachments/{ref}/.
    refs: tuple[AttachmentRef, ...]

    @property
    def total_bytes(self) -> int:
        return sum(len(file.data) for file in self.files)


NO_FILES = MailFiles((), ())


def attachment_id(attachment: AttachmentRef) -> str:
    """The stable id of a file already on a ticket's thread (the API shows it as ``id``): derived
    from where it is kept, which is unique."""
    return "at_" + hashlib.sha256(attachment.key.encode()).hexdigest()[:32]


def is_attachment_id(value: str) -> bool:
    """Whether ``value`` has the form of an upload's id or a thread file's."""
    return is_upload_id(value) or _THREAD_ID.match(value) is not None


def _thread_file(wanted: str, thread: Sequence[ThreadMessage]) -> AttachmentRef:
    for message in thread:
        for attachment in message.attachments:
            if attachment_id(attachment) == wanted:
                return attachment
    raise UnknownAttachment(f"The ticket's thread has no file with the id {wanted}.")


def _copy_key(settings: Settings, ref: str, unique: str, index: int, sha256: str) -> str:
    request = hashlib.sha256(unique.encode()).hexdigest()[:20]
    return f"{settings.attachments_prefix}{ref}/sent-{request}/{index:02d}-{sha256[:16]}"


@dataclass(frozen=True, slots=True)
class _Checked:
    filename: str
    content_type: str
    data: bytes
    # Where it is kept already (a file of the thread), else None (an upload, copied when kept).
    kept: AttachmentRef | None


def _read(wanted: str, thread: Sequence[ThreadMessage], settings: Settings, ports: Ports) -> _Checked:
    limits = settings.attachments
    if is_upload_id(wanted):
        upload = read_upload(wanted, limits, ports.blobs)
        if len(upload.data) > limits.max_file_bytes:
            raise FileTooLarge(
                f"{upload.filename} is {len(upload.data):,} bytes: files may be at most "
                f"{limits.max_file_bytes:,} bytes."
            )
        return _Checked(upload.filename, "", upload.data, None)
    if _THREAD_ID.match(wanted):
        # A file of the thread is not held to the per-file limit (the customer sent it; a mail of
        # ours only has to fit), only to the per-mail one.
        kept = _thread_file(wanted, thread)
        filename = clean_filename(kept.filename)
        try:
            data = ports.blobs.get(kept.key)
        except BlobNotFound as error:
            raise UnknownAttachment(f"{filename} is no longer kept (retention removed it).") from error
        return _Checked(filename, "", data, kept)
    raise UnknownAttachment(f"{wanted!r} is not an attachment id.")


def checked_files(
    attachment_ids: Sequence[str], thread: Sequence[ThreadMessage], settings: Settings, ports: Ports
) -> list[_Checked]:
    """Every file ``attachment_ids`` name, read and checked (see :func:`files_for_mail`)."""
    limits = settings.attachments
    if len(attachment_ids) > limits.max_files:
        raise TooManyFiles(
            f"A mail carries at most {limits.max_files} files; this one names {len(attachment_ids)}."
        )
    if len(set(attachment_ids)) != len(attachment_ids):
        raise TooManyFiles("The same file is named twice.")
    checked: list[_Checked] = []
    total = 0
    for wanted in attachment_ids:
        file = _read(wanted, thread, settings, ports)
        total += len(file.data)
        if total > limits.max_mail_bytes:
            raise MailTooLarge(
                f"The files come to more than {limits.max_mail_bytes:,} bytes, the most one mail "
                f"carries (at {file.filename})."
            )
        kind = file_type(file.filename, file.data)
        checked.append(_Checked(file.filename, kind.content_type, file.data, file.kept))
    return checked


def check_files(attachment_ids: Sequence[str], settings: Settings, ports: Ports) -> None:
    """Raise what :func:`files_for_mail` would for uploads ``attachment_ids`` before there is a
    ticket to keep them under (a new ticket: a refused file must leave no ticket behind)."""
    checked_files(attachment_ids, (), settings, ports)


def files_for_mail(
    ref: str,
    attachment_ids: Sequence[str],
    thread: Sequence[ThreadMessage],
    settings: Settings,
    ports: Ports,
    *,
    unique: str,
) -> MailFiles:
    """Read, check and keep the files ``attachment_ids`` name for a mail of ticket ``ref``.

    Raises (in words, naming the file): UnknownAttachment (no such upload or thread file),
    UploadNotFinished, FileTypeRefused (by content), FileTooLarge (an upload over the per-file
    limit), MailTooLarge (all of them over the per-mail limit), TooManyFiles (over the number, or
    one named twice)."""
    if not attachment_ids:
        return NO_FILES
    files: list[OutgoingAttachment] = []
    refs: list[AttachmentRef] = []
    folder = f"{settings.attachments_prefix}{ref}/"
    for index, file in enumerate(checked_files(attachment_ids, thread, settings, ports)):
        kept = file.kept
        if kept is None or not kept.key.startswith(folder):
            # An upload, or a file kept under another ticket (before a merge or a split).
            sha256 = hashlib.sha256(file.data).hexdigest()
            key = _copy_key(settings, ref, unique, index, sha256)
            ports.blobs.put(key, file.data, file.content_type)
            kept = AttachmentRef(file.filename, file.content_type, len(file.data), sha256, key)
        files.append(OutgoingAttachment(file.filename, file.content_type, file.data))
        refs.append(kept)
    return MailFiles(tuple(files), tuple(refs))
