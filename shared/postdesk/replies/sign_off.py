"""The sign-off under an agent's reply, composed in this one place: exactly one per mail.

It is, in this order: the desk's closing line in the reply's language ("Viele Grüße"), the agent's
signature in that language (Markdown the agent writes in the console; their name when they have
none), the desk's name, and, apart from them, the legal footer of the ticket's queue or of the
brand. The closing lines, the closings recognised and the footers are in the operator's sign-off
file (``replies/sign_off.toml`` by default, ``POSTDESK_SIGN_OFF`` for their own copy).

A body may already sign off: a saved reply ending ``Viele Grüße\\n{{ agent.name }}``, an agent who
typed "Cheers, Sam". What the end of the body holds decides what is added (:func:`body_sign_off`):

- the body **signs**: its last line is the agent's name, first name or the first line of their
  signature (alone, or after a closing on the same line: "Best, Sam"), or the desk's name → only
  the footer is added;
- the body **closes** without a name: its last line is a closing ("Thanks!") → the signature (or
  name) and the desk's name are added, not a second closing;
- otherwise the whole sign-off is added.

A language is a two-letter code; a reply's is its ticket's when the desk answers in it, else the
desk's default (:func:`sign_off_language`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any, Final

from postdesk.errors import ConfigurationError, Invalid
from postdesk.replies.markdown import escape_markdown, markdown_to_html, markdown_to_text
from postdesk.replies.variables import first_name, has_template_markers
from postdesk.tomlfile import read_toml

DEFAULT_SIGN_OFF_PATH: Final = Path(__file__).resolve().parent / "sign_off.toml"
# The key of an agent's signature (and of a footer) for the languages it does not name.
DEFAULT_KEY: Final = "default"
MAX_SIGNATURE_CHARS: Final = 1_000
MAX_SIGNATURE_LINES: Final = 10
# Footers are legal text (an imprint can be long), but still a footer.
MAX_FOOTER_CHARS: Final = 2_000
_LANGUAGE: Final = re.compile(r"[a-z]{2}")
# An HTML tag, not a Markdown autolink such as <https://example.com> (whose name holds a colon).
_HTML_TAG: Final = re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>")
# Control characters but the tab and the line feed, and the Unicode line and paragraph separators.
_CONTROL: Final = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\x85\u2028\u2029]")
# What may stand between a closing and a name on one line ("Best, Sam", "Cheers - Sam").
BETWEEN_CLOSING_AND_NAME: Final = " ,;:-–—"
# What may end a closing or a name line ("Best regards,", "Thanks!", "Sam.").
END_PUNCTUATION: Final = " ,.;:!-–—"


class SignOffError(ConfigurationError):
    """The sign-off file is unreadable or invalid; the message names the file and the entry."""


class InvalidSignature(Invalid):
    """An agent's signature cannot be used; the message says which language and why."""


class BodySignOff(StrEnum):
    """What the end of a reply's body already holds."""

    NONE = "none"
    CLOSING = "closing"
    SIGNED = "signed"


@dataclass(frozen=True, slots=True)
class SignOffPolicy:
    """The operator's sign-off file, validated."""

    # Language to the line the desk closes with.
    closing: Mapping[str, str]
    # Language to the closings that count as a sign-off already written.
    recognised: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # Language (or "default") to the brand's footer, Markdown.
    footer: Mapping[str, str] = field(default_factory=dict)
    # Queue to language (or "default") to that queue's footer, replacing the brand's.
    queue_footers: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    # A mailbox's address (mailboxes.py) to language (or "default") to the footer of its brand: the
    # legal entity that sends from that address, over the queue's and the desk's.
    mailbox_footers: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def closing_for(self, language: str, default_language: str) -> str:
        """The closing line in ``language``, else in ``default_language``, else none."""
        return self.closing.get(language) or self.closing.get(default_language) or ""

    def footer_for(self, queue: str, language: str, mailbox: str | None = None) -> str:
        """The footer of a ticket of ``queue`` in ``language``: that of the ``mailbox`` its mail goes
        from (in the language, else its default) when it has one, else the queue's own (likewise),
        else the desk's (likewise), else none."""
        for footers in (
            self.mailbox_footers.get(mailbox or "") or {},
            self.queue_footers.get(queue) or {},
            self.footer,
        ):
            text = footers.get(language) or footers.get(DEFAULT_KEY)
            if text:
                return text
        return ""

    @property
    def closings(self) -> frozenset[str]:
        """Every closing recognised in any language (a German agent may close an English reply
        with "Viele Grüße"), compared as :func:`folded_line` leaves them."""
        lines = [*self.closing.values(), *(c for group in self.recognised.values() for c in group)]
        return frozenset(folded_line(line) for line in lines if folded_line(line))


@dataclass(frozen=True, slots=True)
class SignOff:
    """The sign-off of one reply: its block (closing, signature, desk name) and its footer, both
    Markdown, and what the body already held."""

    language: str
    block: str
    footer: str
    found: BodySignOff

    @property
    def text(self) -> str:
        """The block as the text part shows it."""
        return markdown_to_text(self.block) if self.block else ""

    @property
    def html(self) -> str:
        return markdown_to_html(self.block) if self.block else ""

    @property
    def footer_text(self) -> str:
        return markdown_to_text(self.footer) if self.footer else ""

    @property
    def footer_html(self) -> str:
        return markdown_to_html(self.footer) if self.footer else ""


def folded_line(line: str) -> str:
    """A line as closings and names are compared: spaces collapsed, no case, no end punctuation."""
    return " ".join(line.split()).casefold().strip(END_PUNCTUATION)


def _last_lines(text: str) -> list[str]:
    return [line for line in (raw.strip() for raw in text.splitlines()) if line]


def body_sign_off(
    body_text: str, names: Iterable[str], support_name: str, closings: frozenset[str]
) -> BodySignOff:
    """What the end of ``body_text`` (the reply as its text part reads) holds: SIGNED when its last
    line is one of ``names`` (alone or after a closing: "Best, Sam") or ``support_name``; CLOSING
    when it is one of ``closings`` alone; NONE otherwise. Compared without case, extra spaces or
    end punctuation."""
    lines = _last_lines(body_text)
    if not lines:
        return BodySignOff.NONE
    last = folded_line(lines[-1])
    folded_names = {folded_line(name) for name in names} - {""}
    if last in folded_names or (support_name and last == folded_line(support_name)):
        return BodySignOff.SIGNED
    for name in folded_names:
        if last.endswith(name) and last[: -len(name)].rstrip(BETWEEN_CLOSING_AND_NAME) in closings:
            before = last[: -len(name)]
            # "Best, Sam" or "Best Sam", not "Bestsam".
            if before and before[-1] in BETWEEN_CLOSING_AND_NAME:
                return BodySignOff.SIGNED
    if last in closings:
        return BodySignOff.CLOSING
    return BodySignOff.NONE


def signature_in(signature: Mapping[str, str], language: str) -> str:
    """The agent's signature in ``language``, else their default one, else ""."""
    return signature.get(language) or signature.get(DEFAULT_KEY) or ""


def sign_off_language(ticket_language: str, default_language: str, languages: Iterable[str]) -> str:
    """The language a reply signs off in: the ticket's when the desk answers in it, else the desk's."""
    language = (ticket_language or "").strip().lower()
    return language if language in set(languages) else default_language


def compose_sign_off(
    body_text: str,
    *,
    language: str,
    default_language: str,
    agent_name: str,
    agent_signature: Mapping[str, str],
    support_name: str,
    queue: str,
    policy: SignOffPolicy,
    mailbox: str | None = None,
) -> SignOff:
    """The one sign-off of a reply whose text part reads ``body_text``, in ``language`` (see the
    module's docstring for what is added after a body that already signs or closes)."""
    signature = signature_in(agent_signature, language)
    signature_lines = _last_lines(markdown_to_text(signature)) if signature else []
    names = [agent_name, first_name(agent_name), *signature_lines[:1]]
    found = body_sign_off(body_text, names, support_name, policy.closings)
    footer = policy.footer_for(queue, language, mailbox)
    if found is BodySignOff.SIGNED:
        return SignOff(language, "", footer, found)
    lines: list[str] = []
    closing = policy.closing_for(language, default_language)
    if closing and found is BodySignOff.NONE:
        lines.append(escape_markdown(closing))
    if signature:
        lines.append(signature)
    elif agent_name.strip():
        lines.append(escape_markdown(" ".join(agent_name.split())))
    # The desk's name, unless the signature already ends with it.
    desk = " ".join(support_name.split())
    if desk and not (signature_lines and folded_line(signature_lines[-1]) == folded_line(desk)):
        lines.append(escape_markdown(desk))
    return SignOff(language, "\n".join(lines), footer, found)


def _checked_markdown(text: str, where: str, limit: int, error: type[Invalid] | type[SignOffError]) -> str:
    """``text`` with its line ends made ``\\n`` and its surrounding blank space removed, if it is
    Markdown a sign-off can hold: not blank, at most ``limit`` characters, no control characters,
    no HTML, no variables. Raises ``error`` naming ``where`` otherwise."""
    cleaned = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    if not cleaned:
        raise error(f"{where} is empty; leave it out instead")
    if len(cleaned) > limit:
        raise error(f"{where} is over {limit:,} characters")
    if _CONTROL.search(cleaned):
        raise error(f"{where} holds a control character")
    if has_template_markers(cleaned):
        raise error(f"{where} holds {{{{ or {{%: it is Markdown without variables, written as it should read")
    tag = _HTML_TAG.search(cleaned)
    if tag:
        raise error(
            f"{where} holds HTML ({tag.group(0)[:40]}); write Markdown instead: **bold**, "
            "[words](https://example.com)"
        )
    return cleaned


def validated_signature(value: object, languages: Iterable[str]) -> dict[str, str]:
    """An agent's signature to store, from ``value``: an object of Markdown texts by language code
    (``{"default": "...", "de": "..."}``), each a language of ``languages`` or "default"; an empty
    object is no signature. Raises InvalidSignature naming what is wrong."""
    known = sorted(set(languages))
    if not isinstance(value, dict):
        raise InvalidSignature(
            'signature must be an object of texts by language, such as {"default": "Sam Lee"}'
        )
    unknown = sorted(str(key) for key in value if key != DEFAULT_KEY and key not in known)
    if unknown:
        raise InvalidSignature(
            f"signature has unknown language(s) {', '.join(repr(key)[:20] for key in unknown[:5])}; "
            f"use {DEFAULT_KEY} or the desk's languages: {', '.join(known)}"
        )
    signature: dict[str, str] = {}
    for key in [DEFAULT_KEY, *known]:
        if key not in value:
            continue
        text = value[key]
        if not isinstance(text, str):
            raise InvalidSignature(f"signature.{key} must be a string")
        cleaned = _checked_markdown(text, f"signature.{key}", MAX_SIGNATURE_CHARS, InvalidSignature)
        if cleaned.count("\n") >= MAX_SIGNATURE_LINES:
            raise InvalidSignature(f"signature.{key} has more than {MAX_SIGNATURE_LINES} lines")
        signature[key] = cleaned
    return signature


def load_sign_off(path: str | Path | None = None) -> SignOffPolicy:
    """The sign-off file in ``path`` (default: the shipped ``sign_off.toml``), validated; cached per path."""
    return _load_cached(Path(path).resolve() if path is not None else DEFAULT_SIGN_OFF_PATH)


@cache
def _load_cached(path: Path) -> SignOffPolicy:
    return parse_sign_off(read_toml(path, SignOffError, "the sign-off file"), source=str(path))


def _language_key(key: object, where: str, allow_default: bool) -> str:
    if isinstance(key, str) and (_LANGUAGE.fullmatch(key) or (allow_default and key == DEFAULT_KEY)):
        return key
    other = f' or "{DEFAULT_KEY}"' if allow_default else ""
    raise SignOffError(f"{where}: {key!r} is not a two-letter language code{other}")


def _texts_by_language(table: object, where: str, allow_default: bool) -> dict[str, str]:
    if not isinstance(table, dict):
        raise SignOffError(f'{where}: a table of texts by language, such as en = "..."')
    texts: dict[str, str] = {}
    for key, text in table.items():
        language = _language_key(key, where, allow_default)
        if not isinstance(text, str):
            raise SignOffError(f"{where}.{language}: a text, not {type(text).__name__}")
        texts[language] = text
    return texts


def _footers(table: object, where: str) -> dict[str, str]:
    return {
        language: _checked_markdown(text, f"{where}.{language}", MAX_FOOTER_CHARS, SignOffError)
        for language, text in _texts_by_language(table, where, allow_default=True).items()
    }


def parse_sign_off(document: Mapping[str, Any], source: str = "sign_off.toml") -> SignOffPolicy:
    """The policy a sign-off document describes; SignOffError naming ``source`` and the entry."""
    unknown = sorted(set(document) - {"closing", "recognised", "footer", "queues", "mailboxes"})
    if unknown:
        raise SignOffError(
            f"{source}: unknown table(s) {', '.join(unknown)}; known: closing, recognised, footer, queues, "
            "mailboxes"
        )
    closing: dict[str, str] = {}
    for language, line in _texts_by_language(
        document.get("closing", {}), f"{source} [closing]", False
    ).items():
        if "\n" in line or not line.strip() or _CONTROL.search(line) or len(line) > 80:
            raise SignOffError(f"{source} [closing].{language}: one line of at most 80 characters")
        closing[language] = line.strip()
    if not closing:
        raise SignOffError(f'{source} [closing]: at least one language, such as en = "Best regards,"')
    recognised_table = document.get("recognised", {})
    if not isinstance(recognised_table, dict):
        raise SignOffError(f"{source} [recognised]: a table of lists by language")
    recognised: dict[str, tuple[str, ...]] = {}
    for key, closings in recognised_table.items():
        language = _language_key(key, f"{source} [recognised]", allow_default=False)
        if not isinstance(closings, list) or not all(isinstance(c, str) and c.strip() for c in closings):
            raise SignOffError(f'{source} [recognised].{language}: a list of closings, such as ["Thanks"]')
        recognised[language] = tuple(c.strip() for c in closings)
    queues_table = document.get("queues", {})
    if not isinstance(queues_table, dict):
        raise SignOffError(f"{source} [queues]: a table of queues, such as [queues.billing.footer]")
    queue_footers: dict[str, dict[str, str]] = {}
    for queue, settings in queues_table.items():
        where = f"{source} [queues.{queue}]"
        if not isinstance(settings, dict) or set(settings) - {"footer"}:
            raise SignOffError(f"{where}: holds only a footer table, [queues.{queue}.footer]")
        queue_footers[queue] = _footers(settings.get("footer", {}), f"{where}.footer")
    return SignOffPolicy(
        closing=closing,
        recognised=recognised,
        footer=_footers(document.get("footer", {}), f"{source} [footer]"),
        queue_footers=queue_footers,
        mailbox_footers=_mailbox_footers(document.get("mailboxes", {}), source),
    )


def _mailbox_footers(table: object, source: str) -> dict[str, dict[str, str]]:
    """``[mailboxes."billing@example.com".footer]``: the footers of the brands by their address."""
    if not isinstance(table, dict):
        raise SignOffError(
            f'{source} [mailboxes]: a table of addresses, such as [mailboxes."billing@example.com".footer]'
        )
    footers: dict[str, dict[str, str]] = {}
    for address, settings in table.items():
        where = f'{source} [mailboxes."{address}"]'
        if "@" not in address:
            raise SignOffError(f"{where}: {address!r} is not an address of the desk (POSTDESK_MAILBOXES)")
        if not isinstance(settings, dict) or set(settings) - {"footer"}:
            raise SignOffError(f'{where}: holds only a footer table, [mailboxes."{address}".footer]')
        footers[address.strip().lower()] = _footers(settings.get("footer", {}), f"{where}.footer")
    return footers
