"""From a ticket's answers to an article draft: the agents' public replies with the customer's data
taken out, and a list of what was taken (its kind and how often, never the values).

What goes:

- the greeting line of each reply ("Hi Ana,", "Sehr geehrte Frau Müller,"), and the name it greets
  wherever else it appears;
- the sign-off and signature under each reply: from a closing the desk recognises (the sign-off
  file's closings: "Best regards", "Viele Grüße", "Cordialement"…) or a ``-- `` line on, or a last
  line that is only the agent's or the desk's name;
- the names of the ticket's people (the requester, anyone else who wrote) anywhere;
- email addresses (but the desk's own), phone numbers, ticket references, IBANs, card numbers,
  order, invoice and tracking numbers (a number next to such a word, any long number, any number
  the customer's own mail held);
- links carrying something personal: a query string (``?token=…``), a long number or a token in
  their path. A Markdown link keeps its words.

Each is replaced by ``[…]`` where it stood (a line that was only greeting or sign-off is dropped),
so the reviewer sees where something was. Pure: no AWS, standard library and layer-2 helpers only.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from postdesk.replies.sign_off import BETWEEN_CLOSING_AND_NAME, END_PUNCTUATION, folded_line
from postdesk.tickets.refs import ALPHABET, subject_of_matter
from postdesk.triage.knowledge import fold

PLACEHOLDER: Final = "[…]"
# A sign-off sits in the last lines of a reply: a closing further up is part of the answer.
SIGN_OFF_WINDOW: Final = 6
# A line under a closing longer than this is text, not a signature.
MAX_SIGNATURE_LINE: Final = 80
# A greeting is a short line; a long first line starting "Hi" is the answer itself.
MAX_GREETING_WORDS: Final = 8
# A number with this many digits is personal whatever stands next to it (an order, a tracking code).
MIN_LONG_NUMBER_DIGITS: Final = 5
# The numbers a customer's mail held that are taken out of the replies too, from this many digits.
MIN_SEEN_NUMBER_DIGITS: Final = 4
# A path segment this long, mixing letters and digits, is a token (a reset link, a signed download).
MIN_TOKEN_CHARS: Final = 16
# "Mit freundlichen Grüßen" is four words; a name after a closing on its line a few.
MAX_CLOSING_WORDS: Final = 5
MAX_NAME_WORDS: Final = 4


class RemovedKind(StrEnum):
    """What was taken out; the order here is the order of the list answered."""

    GREETING = "greeting"
    SIGN_OFF = "sign_off"
    NAME = "name"
    EMAIL = "email"
    PHONE = "phone"
    TICKET_REF = "ticket_ref"
    IBAN = "iban"
    CARD_NUMBER = "card_number"
    REFERENCE_NUMBER = "reference_number"
    LINK = "link"


@dataclass(frozen=True, slots=True)
class Removal:
    kind: RemovedKind
    count: int


@dataclass(frozen=True, slots=True)
class TicketPeople:
    """What the ticket says of the people whose data must not reach an article."""

    # Display names: the requester's, and those of anyone else who wrote to the ticket.
    names: tuple[str, ...] = ()
    # Their addresses (requester, Cc, Bcc, whoever wrote): a name may hide in the part before the @.
    addresses: tuple[str, ...] = ()
    # What the customers wrote (the subject, their mails): the numbers in it are theirs.
    customer_texts: tuple[str, ...] = ()
    # The ticket's own reference (and those it was merged with), in whatever form a reply writes it.
    refs: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SignOffWords:
    """What a sign-off is made of at this desk (replies/sign_off.py's file and the agents)."""

    # Closings, compared as :func:`folded_line` leaves them ("best regards", "viele grüße").
    closings: frozenset[str]
    # Names a reply may end on: the agents', the desk's.
    signers: tuple[str, ...] = ()
    # The desk's own addresses: an article may tell customers to write to them.
    own_addresses: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RedactedDraft:
    title: str
    body: str
    removed: tuple[Removal, ...]


# -- the patterns -------------------------------------------------------------------------------------


def _folded_words(words: str) -> tuple[str, ...]:
    return tuple(fold(word) for word in words.split())


def _without_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _shadow(text: str) -> str:
    """``text`` in lower case without accents, character for character (same length, so a position
    in it is a position in ``text``): what greetings are matched on."""
    plain = []
    for character in text.lower():
        base = _without_accents(character)
        plain.append(base if len(base) == 1 else character)
    return "".join(plain)


_GREETINGS: Final = tuple(
    _shadow(greeting)
    for greeting in (
        # en
        "hi", "hello", "hey", "dear", "good morning", "good afternoon", "good evening", "greetings",
        # de
        "hallo", "hi", "liebe", "lieber", "sehr geehrte", "sehr geehrter", "guten tag", "guten morgen",
        "guten abend", "moin", "servus", "grüß gott",
        # fr
        "bonjour", "bonsoir", "salut", "cher", "chère", "madame", "monsieur",
        # es
        "hola", "estimado", "estimada", "estimados", "buenos días", "buenas tardes", "buenas noches",
        "querido", "querida",
        # pt
        "olá", "ola", "oi", "prezado", "prezada", "prezados", "caro", "cara", "bom dia", "boa tarde",
        "boa noite",
    )
)  # fmt: skip
# Words of address between a greeting and a name: not names themselves.
_TITLES: Final = frozenset(
    _folded_words(
        """mr mrs ms miss mx dr prof sir madam team there all everyone customer customers client
        clients friend friends user
        herr frau fräulein damen herren kunde kundin kunden
        madame monsieur mademoiselle mme mlle m cliente
        señor señora señorita sr sra srta don doña clientes
        senhor senhora sr sra srª dona"""
    )
)
# A greeting, the words it greets, and what ends it: a comma, "!", ":", a full stop ending the line,
# or the end of the line.
_GREETING_LINE: Final = re.compile(
    r"^(?P<greeting>(?:"
    + "|".join(sorted((re.escape(g) for g in set(_GREETINGS)), key=len, reverse=True))
    + r"))\b(?P<rest>[^,!:\n]{0,60}?)\s*(?P<end>[,!:]|\.(?=\s*$)|$)",
)

_MARKDOWN_LINK: Final = re.compile(r"(?<!!)\[(?P<text>[^\]\n]*)\]\((?P<url>[^)\s]+)(?:\s+\"[^\"]*\")?\)")
_AUTOLINK: Final = re.compile(r"<(?P<url>https?://[^>\s]+)>")
_BARE_URL: Final = re.compile(r"https?://[^\s<>()\[\]]+[^\s<>()\[\].,;:!?'\"]")
_EMAIL: Final = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_REF_CHARS: Final = f"[{ALPHABET}]"
_TICKET_REF: Final = re.compile(
    rf"\[#{_REF_CHARS}{{4}}-?{_REF_CHARS}{{4}}\]|(?<![\w#])#{_REF_CHARS}{{4}}-?{_REF_CHARS}{{4}}\b"
    rf"|\b{_REF_CHARS}{{4}}-{_REF_CHARS}{{4}}\b",
    re.IGNORECASE,
)
_IBAN: Final = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b")
_CARD: Final = re.compile(r"(?<![\d+])(?:\d{4}[ -]?){3}\d{1,7}(?![\d])")
# Digits with the separators phone numbers are written with; told from dates and amounts below.
_PHONE: Final = re.compile(r"(?<![\w.,+])(?:\+|00)?\(?\d[\d ()./-]{5,}\d(?![\w])")
_DATE: Final = re.compile(r"\d{1,4}[./-]\d{1,2}[./-]\d{1,4}|\d{4}\s*[-/]\s*\d{4}")
_YEAR: Final = re.compile(r"(?:19|20)\d\d")
# Where a kept piece (a link, the desk's address) waits while the rest is searched: characters of
# Unicode's private use area, which no pattern here matches and no reply holds.
_KEPT_BASE: Final = 0xE000
_KEPT_LIMIT: Final = 0xF8FF
_KEPT: Final = re.compile("[\ue000-\uf8ff]")
_NUMBERED_TOKEN: Final = re.compile(r"(?<![\w-])#?[A-Za-z0-9](?:[A-Za-z0-9/-]*[A-Za-z0-9])?(?![\w-])")
# Words a reference follows ("order 4821", "Rechnungsnummer RE-2291", "n° de commande 77A1"),
# compared folded, as the beginnings of words.
_REFERENCE_WORDS: Final = _folded_words(
    """order invoice receipt booking tracking parcel shipment package case account customer
    transaction reference ref refund return rma
    bestell rechnung beleg auftrag kunden sendung paket vorgang buchung konto
    commande facture reçu colis suivi dossier client réservation compte
    pedido factura recibo envío seguimiento paquete reserva cuenta cliente
    encomenda fatura nota rastreio rastreamento pacote conta
    no nr n° nº núm número numero nummer"""
)
# Words the last digits of a payment card follow ("card ending 4242", "Karte mit Endung 4242",
# "carte se terminant par 4242"), compared folded, as the beginnings of words.
_CARD_WORDS: Final = _folded_words(
    """card karte kreditkarte carte tarjeta cartao cartão visa mastercard amex
    ending endet endung terminant terminada termina final"""
)
_REFERENCE_CONTEXT_CHARS: Final = 30
# Between two names greeted at once ("Hi Ana and Tom,").
_AND: Final = frozenset({"and", "und", "et", "y", "e", "&"})


def _digits(text: str) -> int:
    return sum(character.isdigit() for character in text)


def _name_parts(name: str) -> list[str]:
    return [
        part
        for part in re.findall(r"[^\W\d_]+(?:['’-][^\W\d_]+)*", name)
        if len(part) > 1 and fold(part) not in _TITLES
    ]


def _names_of_address(address: str) -> list[str]:
    """The names the part of an address before the @ spells ("ana.silva" → Ana, Silva)."""
    local = address.partition("@")[0]
    return [part.capitalize() for part in re.split(r"[._+-]+", local) if part.isalpha() and len(part) > 2]


def _private_url(url: str) -> bool:
    """Whether a link carries something of the customer's: a query, a long number or a token."""
    if "?" in url or "@" in url:
        return True
    path = url.split("://", 1)[-1].partition("/")[2].partition("#")[0]
    for segment in path.split("/"):
        if _digits(segment) >= MIN_LONG_NUMBER_DIGITS:
            return True
        if (
            len(segment) >= MIN_TOKEN_CHARS
            and any(c.isdigit() for c in segment)
            and any(c.isalpha() for c in segment)
        ):
            return True
    return False


class Redactor:
    """Takes the customer's data out of texts of one ticket, counting what it took."""

    def __init__(self, people: TicketPeople, words: SignOffWords) -> None:
        self._words = words
        self._removed: Counter[RemovedKind] = Counter()
        self._own_addresses = {address.casefold() for address in words.own_addresses}
        self._refs = {ref.upper().replace("-", "") for ref in people.refs}
        names = [*people.names]
        if not any(_name_parts(name) for name in people.names):
            # A requester who gave no name may still be greeted by the one their address spells.
            names.extend(" ".join(_names_of_address(a)) for a in people.addresses[:1])
        self._names: set[str] = set()
        for name in names:
            self._add_name(name)
        self._seen_numbers = {
            self._number_key(token)
            for text in people.customer_texts
            for token in _NUMBERED_TOKEN.findall(text)
            if _digits(token) >= MIN_SEEN_NUMBER_DIGITS
            and not _DATE.fullmatch(token.lstrip("#"))
            and not _YEAR.fullmatch(token)
        }
        self._seen_numbers.discard("")

    # -- what was taken out ---------------------------------------------------------------------------

    def removed(self) -> tuple[Removal, ...]:
        return tuple(Removal(kind, self._removed[kind]) for kind in RemovedKind if self._removed[kind])

    def _take(self, kind: RemovedKind) -> None:
        self._removed[kind] += 1

    # -- names ----------------------------------------------------------------------------------------

    def _add_name(self, name: str) -> None:
        parts = _name_parts(name)
        if len(parts) > 1:
            self._names.add(" ".join(parts))
        self._names.update(parts)

    def _name_pattern(self) -> re.Pattern[str] | None:
        variants = {
            variant
            for name in self._names
            for variant in (name, name.upper(), _without_accents(name), name.capitalize())
        }
        if not variants:
            return None
        alternatives = "|".join(re.escape(v) for v in sorted(variants, key=len, reverse=True))
        return re.compile(rf"(?<![\w@.])(?:{alternatives})(?![\w@])")

    # -- a reply --------------------------------------------------------------------------------------

    def reply(self, text: str) -> str:
        """One reply as an article's text: no greeting, no sign-off, none of the customer's data."""
        lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        signed = self._without_sign_off(lines)
        if len(signed) < len(lines):
            self._take(RemovedKind.SIGN_OFF)
        lines = self._without_greeting(signed)
        return self.text("\n".join(lines)).strip()

    def _without_greeting(self, lines: list[str]) -> list[str]:
        first = next((number for number, line in enumerate(lines) if line.strip()), None)
        if first is None:
            return lines
        line = lines[first].strip()
        match = _GREETING_LINE.match(_shadow(line))
        if match is None:
            return lines
        rest_of_line = line[match.end() :].strip()
        greeted = line[match.end("greeting") : match.start("end")]
        if len(line[: match.end()].split()) > MAX_GREETING_WORDS:
            return lines
        if rest_of_line and match.group("end") not in {",", "!", ":"}:
            return lines  # "Hi Ana. Thanks for…" goes on as text: left to the reviewer
        # Greeted are names and words of address ("Hi there", "Dear Mrs Silva"), not a sentence
        # that starts like a greeting ("Hello world is our starter plan").
        if not all(word[:1].isupper() or fold(word.strip(".")) in _TITLES | _AND for word in greeted.split()):
            return lines
        if _name_parts(greeted):
            self._add_name(greeted)
        self._take(RemovedKind.GREETING)
        following = [rest_of_line] if rest_of_line else []
        following += lines[first + 1 :]
        # What followed the greeting now opens the text: "vielen Dank…" under "Sehr geehrter Herr
        # Müller," starts with a capital once the greeting is gone.
        opening = next((number for number, line in enumerate(following) if line.strip()), None)
        if opening is not None:
            line = following[opening]
            start = len(line) - len(line.lstrip())
            following[opening] = line[:start] + line[start : start + 1].upper() + line[start + 1 :]
        return [*lines[:first], *following]

    def _is_closing(self, line: str) -> bool:
        if folded_line(line) in self._words.closings:
            return True
        # "Best, Sam", "Cheers - Sam": a closing and a name on one line (words in capitals, a few).
        words = " ".join(line.split()).strip(END_PUNCTUATION).split()
        for size in range(1, min(MAX_CLOSING_WORDS, len(words))):
            name = [word for word in words[size:] if word.strip(BETWEEN_CLOSING_AND_NAME)]
            if (
                folded_line(" ".join(words[:size])) in self._words.closings
                and len(name) <= MAX_NAME_WORDS
                and all(word[:1].isupper() for word in name)
            ):
                return True
        return False

    def _without_sign_off(self, lines: list[str]) -> list[str]:
        """``lines`` without the sign-off and signature at their end (shorter when there was one)."""
        for number, line in enumerate(lines):
            if line.rstrip() == "--":
                return self._without_sign_off(lines[:number])
        filled = [number for number, line in enumerate(lines) if line.strip()]
        window = filled[-SIGN_OFF_WINDOW:]
        for number in window:
            below = [lines[n] for n in filled if n > number]
            if self._is_closing(lines[number]) and all(len(b.strip()) <= MAX_SIGNATURE_LINE for b in below):
                return lines[:number]
        signers = {folded_line(s) for s in self._words.signers} - {""}
        cut = len(lines)
        for number in reversed(filled):
            if folded_line(lines[number]) not in signers:
                break
            cut = number
        return lines[:cut]

    # -- any text -------------------------------------------------------------------------------------

    def text(self, text: str) -> str:
        """``text`` without the customer's data, each piece replaced by the placeholder."""
        kept: list[str] = []

        def keep(value: str) -> str:
            if _KEPT_BASE + len(kept) > _KEPT_LIMIT:
                return value
            kept.append(value)
            return chr(_KEPT_BASE + len(kept) - 1)

        text = _KEPT.sub("", text)
        text = self._links(text, keep)
        text = self._emails(text, keep)
        text = self._replace(_TICKET_REF, text, RemovedKind.TICKET_REF, self._is_ticket_ref)
        text = self._replace(_IBAN, text, RemovedKind.IBAN, lambda value: _digits(value) >= 10)
        text = self._replace(_CARD, text, RemovedKind.CARD_NUMBER, lambda v: 13 <= _digits(v) <= 19)
        text = self._replace(_PHONE, text, RemovedKind.PHONE, self._is_phone)
        text = self._replace_references(text)
        pattern = self._name_pattern()
        if pattern is not None:
            text = self._replace(pattern, text, RemovedKind.NAME, lambda _: True)
        return _KEPT.sub(lambda match: kept[ord(match.group()) - _KEPT_BASE], text)

    def _replace(
        self, pattern: re.Pattern[str], text: str, kind: RemovedKind, accept: Callable[[str], bool]
    ) -> str:
        def replaced(match: re.Match[str]) -> str:
            if not accept(match.group()):
                return match.group()
            self._take(kind)
            return PLACEHOLDER

        return pattern.sub(replaced, text)

    def _links(self, text: str, keep: Callable[[str], str]) -> str:
        def markdown(match: re.Match[str]) -> str:
            url = match.group("url")
            if url.casefold().startswith("mailto:"):
                if url[len("mailto:") :].partition("?")[0].casefold() in self._own_addresses:
                    return keep(match.group())
                self._take(RemovedKind.EMAIL)
                return match.group("text")
            if _private_url(url):
                self._take(RemovedKind.LINK)
                return match.group("text")
            return keep(match.group())

        def bare(match: re.Match[str]) -> str:
            url = match.group("url") if "url" in match.groupdict() else match.group()
            if _private_url(url):
                self._take(RemovedKind.LINK)
                return PLACEHOLDER
            return keep(match.group())

        text = _MARKDOWN_LINK.sub(markdown, text)
        text = _AUTOLINK.sub(bare, text)
        return _BARE_URL.sub(bare, text)

    def _emails(self, text: str, keep: Callable[[str], str]) -> str:
        def replaced(match: re.Match[str]) -> str:
            if match.group().casefold() in self._own_addresses:
                return keep(match.group())
            self._take(RemovedKind.EMAIL)
            return PLACEHOLDER

        return _EMAIL.sub(replaced, text)

    def _is_ticket_ref(self, value: str) -> bool:
        bare = value.strip("[]#").upper()
        if value.startswith(("[#", "#")) or bare.replace("-", "") in self._refs:
            return True
        # A bare XXXX-XXXX is a reference when it mixes letters and digits, as random ones nearly
        # always do; two words in capitals joined by a hyphen are not.
        return any(c.isdigit() for c in bare) and any(c.isalpha() for c in bare)

    def _is_phone(self, value: str) -> bool:
        digits = _digits(value)
        if not 7 <= digits <= 15 or _DATE.fullmatch(value.strip("()")):
            return False
        # A run of digits with no separator is an order number, not a phone (but +4930…, 0049…).
        return value.startswith(("+", "00", "(")) or not value.isdigit()

    def _number_key(self, token: str) -> str:
        return token.lstrip("#").upper()

    def _replace_references(self, text: str) -> str:
        def replaced(match: re.Match[str]) -> str:
            token = match.group()
            digits = _digits(token)
            if not digits or _DATE.fullmatch(token.lstrip("#")):
                return token
            before = fold(text[max(0, match.start() - _REFERENCE_CONTEXT_CHARS) : match.start()])
            words_before = re.findall(r"[\w°º]+", before)[-3:]
            reference = (
                digits >= MIN_LONG_NUMBER_DIGITS
                or self._number_key(token) in self._seen_numbers
                or (token.startswith("#") and digits >= 3)
                or (
                    digits >= 3
                    and not _YEAR.fullmatch(token)
                    and any(word.startswith(_REFERENCE_WORDS) for word in words_before)
                )
            )
            # The last digits of a card the customer paid with are theirs too.
            card_digits = (
                token.isdigit()
                and len(token) == 4
                and any(word.startswith(_CARD_WORDS) for word in words_before)
            )
            if card_digits:
                self._take(RemovedKind.CARD_NUMBER)
                return PLACEHOLDER
            if not reference:
                return token
            self._take(RemovedKind.REFERENCE_NUMBER)
            return PLACEHOLDER

        return _NUMBERED_TOKEN.sub(replaced, text)


def draft_from_replies(
    subject: str, replies: Sequence[str], people: TicketPeople, words: SignOffWords
) -> RedactedDraft:
    """The article a ticket's answers make: its title from the subject (thread prefixes and ticket
    tokens dropped), its body the agents' ``replies`` in order, each without greeting and sign-off,
    all of it without the customer's data; with what was removed, counted per kind."""
    redactor = Redactor(people, words)
    # The replies first: a greeting teaches the redactor a name the subject may hold too.
    bodies = [body for body in (redactor.reply(reply) for reply in replies) if body]
    title = redactor.text(subject_of_matter(subject))
    title = " ".join(title.replace(PLACEHOLDER, " ").split()).strip(END_PUNCTUATION)
    return RedactedDraft(title=title, body="\n\n".join(bodies), removed=redactor.removed())


def signers_of(names: Iterable[str]) -> tuple[str, ...]:
    """The lines a reply may sign with: each name, and its first word (an agent signs "Sam")."""
    found: dict[str, None] = {}
    for name in names:
        cleaned = " ".join(name.split())
        if cleaned:
            found[cleaned] = None
            found[cleaned.split()[0]] = None
    return tuple(found)
