"""Reading a message the way a good agent does: what the customer just wrote, in which language,
about what, how urgent and how they feel, and which articles could help them while they wait."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass

from postdesk.mail.model import ParsedMessage
from postdesk.mail.quotes import VisibleReply, visible_reply
from postdesk.triage.classify import Triage, triage
from postdesk.triage.knowledge import KnowledgeBase, Suggestion, load_articles
from postdesk.triage.language import LanguageGuess, choose_language
from postdesk.triage.rules import TriageRules, load_rules

MAX_SUGGESTIONS = 3


@dataclass(frozen=True, slots=True)
class Understanding:
    visible: VisibleReply
    language: LanguageGuess
    # The language the customer is answered in: the detected one when there are templates for it.
    reply_language: str
    triage: Triage
    suggestions: tuple[Suggestion, ...]

    @property
    def request_text(self) -> str:
        """What the customer asks: the new text, or for a bare forward the forwarded part."""
        return self.visible.text.strip() or (self.visible.forwarded or "")


def understand(
    message: ParsedMessage,
    *,
    history_languages: Sequence[str] | Callable[[], Sequence[str]],
    default_language: str,
    template_languages: Collection[str],
    rules: TriageRules | None = None,
    knowledge: KnowledgeBase | None = None,
) -> Understanding:
    """Visible reply, language, triage and knowledge-base suggestions for one message."""
    visible = visible_reply(message.text, message.html)
    request = visible.text.strip() or (visible.forwarded or "")
    guess = choose_language(
        visible_reply=request,
        subject=message.subject,
        text=message.text,
        content_language=message.header("content-language"),
        history=history_languages,
        default=default_language,
    )
    reply_language = guess.code if guess.code in template_languages else default_language
    decision = triage(
        subject=message.subject,
        text=request,
        language=guess.code,
        sender=message.sender.email if message.sender else "",
        rules=rules or load_rules(),
    )
    base = knowledge or load_articles()
    suggestions: tuple[Suggestion, ...] = ()
    if reply_language in base.languages():
        suggestions = tuple(
            base.search(
                f"{message.subject}\n{request}",
                reply_language,
                limit=MAX_SUGGESTIONS,
                category=decision.category,
            )
        )
    return Understanding(visible, guess, reply_language, decision, suggestions)
