"""Saved replies: answers a team writes once and sends often, in the saved-replies table (partition
key ``reply_id``). Each has a title, a body (Markdown with variables, checked before it is stored)
and a language ("en", "de"..., or "" for any language)."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from pynamodb.attributes import UnicodeAttribute
from pynamodb.expressions.update import Action

from postdesk.aws.dynamodb import DeskModel, delete_if, read_item, save_if, update_if
from postdesk.clock import from_iso, to_iso
from postdesk.errors import Invalid, NotFound, PostdeskError
from postdesk.mail.compose import is_header_safe
from postdesk.replies.variables import validate_reply_template
from postdesk.tickets.dynamo import bind_model

TITLE_LIMIT = 120
BODY_LIMIT = 20_000
# 9 random bytes: 12 URL-safe characters, 72 bits; a clash is improbable, three in a row means a
# broken generator.
_ID_BYTES = 9
_ID_ATTEMPTS = 3
_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_LANGUAGE = re.compile(r"[a-z]{2}")


class InvalidSavedReply(Invalid):
    """The title, body or language given for a saved reply cannot be used."""


class SavedReplyNotFound(NotFound):
    """No saved reply has that id."""


@dataclass(frozen=True, slots=True)
class SavedReply:
    id: str
    title: str
    body: str
    # A language code such as "en", or "" when the reply suits any language.
    language: str
    created_at: datetime
    updated_at: datetime
    # The email address of the agent who last saved it.
    updated_by: str


class SavedReplyItem(DeskModel):
    class Meta:
        table_name = "unbound-saved-replies"

    reply_id = UnicodeAttribute(hash_key=True)
    title = UnicodeAttribute()
    body = UnicodeAttribute()
    language = UnicodeAttribute(default="")
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    updated_by = UnicodeAttribute()


def _validated(title: str, body: str, language: str) -> tuple[str, str, str]:
    """The title (without surrounding spaces), the body and the language (lower case) to store.
    Raises InvalidSavedReply, or InvalidReplyTemplate for a body whose variables or tags are wrong."""
    if not is_header_safe(title):
        raise InvalidSavedReply("the title must be one line, without control characters")
    clean_title = title.strip()
    if not clean_title:
        raise InvalidSavedReply("a saved reply needs a title")
    if len(clean_title) > TITLE_LIMIT:
        raise InvalidSavedReply(f"the title is over {TITLE_LIMIT} characters")
    if not body.strip():
        raise InvalidSavedReply("a saved reply needs a body")
    if len(body) > BODY_LIMIT:
        raise InvalidSavedReply(f"the body is over {BODY_LIMIT:,} characters")
    code = language.strip().lower()
    if code and not _LANGUAGE.fullmatch(code):
        raise InvalidSavedReply(
            "the language must be a two-letter code such as 'en', or empty for any language"
        )
    validate_reply_template(body)
    return clean_title, body, code


def _not_found(reply_id: str) -> SavedReplyNotFound:
    return SavedReplyNotFound(f"no saved reply has the id {reply_id[:64]!r}")


class SavedReplyStore:
    def __init__(self, table_name: str, region: str) -> None:
        bind_model(SavedReplyItem, table_name, region)

    def create(self, title: str, body: str, language: str, actor: str, now: datetime) -> SavedReply:
        """Store a new saved reply under a fresh id and return it. Raises InvalidSavedReply or
        InvalidReplyTemplate for values that cannot be used."""
        clean_title, clean_body, code = _validated(title, body, language)
        for _ in range(_ID_ATTEMPTS):
            item = SavedReplyItem(
                reply_id=secrets.token_urlsafe(_ID_BYTES),
                title=clean_title,
                body=clean_body,
                language=code,
                created_at=to_iso(now),
                updated_at=to_iso(now),
                updated_by=actor,
            )
            if save_if(item, SavedReplyItem.reply_id.does_not_exist()):
                return _saved_reply(item)
        raise PostdeskError("no unused saved-reply id after several draws; the random generator is broken")

    def list(self, language: str | None = None) -> list[SavedReply]:
        """Saved replies by title: all of them, or with ``language`` those in that language and those
        for any language."""
        # A team keeps tens to hundreds of saved replies and the table has no other key, so reading
        # the whole (small) table, page by page, is the simplest correct way to list them.
        items = SavedReplyItem.scan(consistent_read=True)
        replies = [_saved_reply(item) for item in items]
        if language is not None:
            code = language.strip().lower()
            replies = [reply for reply in replies if reply.language in (code, "")]
        return sorted(replies, key=lambda reply: (reply.title.casefold(), reply.title, reply.id))

    def get(self, reply_id: str) -> SavedReply:
        """The saved reply with that id; raises SavedReplyNotFound."""
        if not _ID.fullmatch(reply_id):
            raise _not_found(reply_id)
        item = read_item(SavedReplyItem, reply_id)
        if item is None:
            raise _not_found(reply_id)
        return _saved_reply(item)

    def update(
        self, reply_id: str, title: str, body: str, language: str, actor: str, now: datetime
    ) -> SavedReply:
        """Replace the title, body and language of a saved reply and return it. Raises
        SavedReplyNotFound, InvalidSavedReply or InvalidReplyTemplate."""
        if not _ID.fullmatch(reply_id):
            raise _not_found(reply_id)
        clean_title, clean_body, code = _validated(title, body, language)
        item = SavedReplyItem(reply_id=reply_id)
        actions: list[Action] = [
            SavedReplyItem.title.set(clean_title),
            SavedReplyItem.body.set(clean_body),
            SavedReplyItem.language.set(code),
            SavedReplyItem.updated_at.set(to_iso(now)),
            SavedReplyItem.updated_by.set(actor),
        ]
        if not update_if(item, actions, SavedReplyItem.reply_id.exists()):
            raise _not_found(reply_id)
        return _saved_reply(item)

    def delete(self, reply_id: str) -> None:
        """Delete a saved reply; raises SavedReplyNotFound when there is none with that id."""
        if not _ID.fullmatch(reply_id):
            raise _not_found(reply_id)
        if not delete_if(SavedReplyItem(reply_id=reply_id), SavedReplyItem.reply_id.exists()):
            raise _not_found(reply_id)


def _saved_reply(item: SavedReplyItem) -> SavedReply:
    return SavedReply(
        id=item.reply_id,
        title=item.title,
        body=item.body,
        language=item.language,
        created_at=from_iso(item.created_at),
        updated_at=from_iso(item.updated_at),
        updated_by=item.updated_by,
    )
