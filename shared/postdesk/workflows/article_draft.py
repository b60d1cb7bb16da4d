"""From ticket to article: "Create an article from this ticket" drafts a help article from the
agents' public replies, with the customer's data taken out (knowledge/redaction.py), for an agent
to review, complete and publish in the editor. The ticket's history says it was done."""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass

from postdesk.aws.s3 import BlobNotFound
from postdesk.errors import TicketNotFound, Unprocessable
from postdesk.knowledge.redaction import (
    Removal,
    SignOffWords,
    TicketPeople,
    draft_from_replies,
    signers_of,
)
from postdesk.knowledge.store import ArticleExists
from postdesk.ports import Ports
from postdesk.rendering import available_languages
from postdesk.replies.sign_off import load_sign_off
from postdesk.settings import Settings
from postdesk.tickets.model import Direction, MessageKind, ThreadMessage, TicketEvent
from postdesk.triage.knowledge import CATEGORIES
from postdesk.workflows.knowledge import create_article, validate_language
from postdesk.workflows.thread_mail import desk_name

# What a title falls back to when the subject was only the customer's data (a name, an order
# number): the editor asks for a real one before publishing anyway.
FALLBACK_TITLE = "Draft from a ticket"
# Two agents drafting from tickets with the same subject at the same moment may both be handed the
# same free slug; the second tries the next one.
_CREATE_ATTEMPTS = 3


class NothingToDraft(Unprocessable):
    """The ticket has no reply of an agent to the customer: there is nothing to draft from."""


@dataclass(frozen=True, slots=True)
class ArticleDraft:
    slug: str
    language: str
    version: int
    title: str
    removed: tuple[Removal, ...]


def _full_text(message: ThreadMessage, ports: Ports) -> str:
    """The message's whole text: a long one is kept in the bucket (its preview when it is gone)."""
    text = message.text or ""
    if message.text_key:
        with suppress(BlobNotFound):
            text = ports.blobs.get(message.text_key).decode("utf-8", "replace")
    return text


def _public_replies(thread: list[ThreadMessage]) -> list[ThreadMessage]:
    """What the agents wrote to the customer: never their notes, forwards, the acknowledgement or
    the survey (the desk's own mails), nor anything the customer wrote."""
    return [m for m in thread if m.direction is Direction.OUTBOUND and m.kind is MessageKind.AGENT_REPLY]


def draft_article(
    settings: Settings,
    ports: Ports,
    *,
    ref: str,
    agent_email: str,
    language: str | None = None,
) -> ArticleDraft:
    """Draft an article (a new one, in ``language``, default the ticket's when the desk writes in
    it) from the ticket's public replies; the agent owns it. TicketNotFound, NothingToDraft,
    Invalid for a language the desk does not write."""
    ticket = ports.store.get_ticket(ref)
    if ticket is None:
        raise TicketNotFound(ref)
    chosen_language = validate_language(language) if language else _ticket_language(ticket.language, settings)
    thread = ports.store.thread(ref)
    replies = [_full_text(message, ports) for message in _public_replies(thread)]
    if not any(reply.strip() for reply in replies):
        raise NothingToDraft(
            f"The ticket {ref} has no reply of an agent to the customer yet: an article is drafted "
            "from the agents' answers."
        )
    customers = [m for m in thread if m.direction is Direction.INBOUND and m.kind is MessageKind.CUSTOMER]
    people = TicketPeople(
        names=tuple(dict.fromkeys([ticket.requester_name, *(m.from_name for m in customers)])),
        addresses=tuple(
            dict.fromkeys(
                [ticket.requester_email, *ticket.cc, *ticket.bcc, *(m.from_email for m in customers)]
            )
        ),
        customer_texts=(ticket.subject, *(_full_text(m, ports) for m in customers)),
        refs=(ticket.ref,),
    )
    words = SignOffWords(
        closings=load_sign_off(settings.sign_off_path).closings,
        signers=signers_of([*(agent.name for agent in ports.agents.list()), desk_name(ticket, settings)]),
        own_addresses=tuple(settings.own_addresses),
    )
    draft = draft_from_replies(ticket.subject, replies, people, words)
    category = ticket.category if ticket.category in CATEGORIES else "general"
    title = draft.title or FALLBACK_TITLE
    for attempt in range(_CREATE_ATTEMPTS):
        try:
            article = create_article(
                settings,
                ports,
                slug=None,
                category=category,
                language=chosen_language,
                title=title,
                tags=(),
                body=draft.body,
                actor=agent_email,
            )
            break
        except ArticleExists:
            if attempt == _CREATE_ATTEMPTS - 1:
                raise
    translation = article.translations[chosen_language]
    ports.store.record_event(
        TicketEvent(
            ref=ticket.ref,
            at=ports.clock(),
            kind="article_drafted",
            # One article is drafted once: its slug is the event's cause.
            event_id=f"article:{article.slug}",
            actor=agent_email,
            detail={
                "slug": article.slug,
                "language": chosen_language,
                "title": translation.title[:200],
                # What was taken out, by kind (never the values): "name:2, email:1".
                "removed": ", ".join(f"{r.kind.value}:{r.count}" for r in draft.removed),
            },
        ),
        expires_at=ticket.expires_at,
    )
    return ArticleDraft(
        slug=article.slug,
        language=chosen_language,
        version=translation.draft_version,
        title=translation.title,
        removed=draft.removed,
    )


def _ticket_language(language: str, settings: Settings) -> str:
    """The ticket's language when the desk writes in it, else the desk's own."""
    return language if language in available_languages() else settings.default_language
