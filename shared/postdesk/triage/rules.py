"""The operators' triage rules: one TOML file (``rules.toml`` beside this module by default) read with
``tomllib``, validated as a whole, and compiled once into matchers. Pure: no AWS, no clock.

The format is documented at the top of ``rules.toml`` and in ``docs/triage.md``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cache, partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from postdesk.errors import ConfigurationError
from postdesk.tickets.model import PRIORITIES
from postdesk.tomlfile import as_strings, as_table, only_keys, read_toml

if TYPE_CHECKING:
    from postdesk.triage.time_rules import TimeRule

CATEGORIES = ("billing", "account", "technical", "orders", "feedback", "general")
DEFAULT_RULES_PATH = Path(__file__).resolve().parent / "rules.toml"

_RULE_KEYS = frozenset(
    {"name", "category", "priority", "queue", "tags", "languages", "keywords", "regexes", "sender_domains"}
)
_ROUTE_KEYS = frozenset({"queue", "categories", "languages", "priorities"})
_URGENCY_KEYS = frozenset({"name", "level", "tag", "terms"})
_SETTINGS_KEYS = frozenset(
    {"default_queue", "triage_queue", "low_confidence", "model_languages", "unmodelled_language_factor"}
)
_LANGUAGE_CODE = re.compile(r"^[a-z]{2}$")
_QUEUE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,79}$")


class RulesError(ConfigurationError):
    """The rules file cannot be used; the message names the file, the entry and what is wrong."""


# The checks of the desk's TOML files, raising this file's error.
_table = partial(as_table, error=RulesError)
_strings = partial(as_strings, error=RulesError)
_only_keys = partial(only_keys, error=RulesError)


def fold(text: str) -> str:
    """The case- and accent-free form both sides of every match use ("Rückerstattung" → "ruckerstattung")."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def compile_terms(terms: Iterable[str]) -> re.Pattern[str] | None:
    """One pattern matching any of the terms as whole words in folded text; ``refund*`` matches any word
    starting with ``refund``; a term of several words matches them with any spacing between."""
    alternatives = []
    for term in sorted({fold(term).strip() for term in terms if term.strip()}, key=len, reverse=True):
        prefix = term.endswith("*")
        words = term.rstrip("*").split()
        body = r"\s+".join(re.escape(word) for word in words)
        alternatives.append(body + (r"\w*" if prefix else r"(?!\w)"))
    if not alternatives:
        return None
    return re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + ")")


def find_terms(pattern: re.Pattern[str] | None, folded_text: str) -> tuple[str, ...]:
    """The distinct matched terms, in order of appearance."""
    if pattern is None:
        return ()
    return tuple(dict.fromkeys(" ".join(match.group(0).split()) for match in pattern.finditer(folded_text)))


@dataclass(frozen=True, slots=True)
class Rule:
    """An operator rule: every condition given must hold (any keyword, any regex, any sender domain,
    one of the languages); the first matching rule in file order decides, over the model."""

    name: str
    category: str
    priority: str | None
    queue: str | None
    tags: tuple[str, ...]
    languages: frozenset[str]
    keywords: re.Pattern[str] | None
    regexes: tuple[re.Pattern[str], ...]
    sender_domains: frozenset[str]

    def match(self, folded_text: str, raw_text: str, language: str, sender_domain: str) -> str | None:
        """Why the rule matches (the evidence in words), or None."""
        if self.languages and language not in self.languages:
            return None
        evidence = []
        if self.sender_domains:
            if not _domain_matches(sender_domain, self.sender_domains):
                return None
            evidence.append(f"sender domain {sender_domain}")
        if self.keywords is not None:
            found = find_terms(self.keywords, folded_text)
            if not found:
                return None
            evidence.append("keyword " + ", ".join(f'"{term}"' for term in found[:3]))
        if self.regexes:
            hit = next((match for regex in self.regexes if (match := regex.search(raw_text))), None)
            if hit is None:
                return None
            evidence.append(f'regex "{hit.group(0)[:40]}"')
        return "; ".join(evidence)


@dataclass(frozen=True, slots=True)
class Route:
    """A line of the routing table: empty condition sets match anything."""

    queue: str
    categories: frozenset[str]
    languages: frozenset[str]
    priorities: frozenset[str]

    def applies(self, category: str, language: str, priority: str) -> bool:
        return (
            (not self.categories or category in self.categories)
            and (not self.languages or language in self.languages)
            and (not self.priorities or priority in self.priorities)
        )


@dataclass(frozen=True, slots=True)
class UrgencyCue:
    """Words that raise a mail's priority to ``level``, in any of the listed languages."""

    name: str
    level: str
    tag: str | None
    terms: re.Pattern[str]


@dataclass(frozen=True, slots=True)
class TriageRules:
    """The validated, compiled rules file."""

    source: str
    default_queue: str
    triage_queue: str
    low_confidence: float
    model_languages: frozenset[str]
    unmodelled_language_factor: float
    rules: tuple[Rule, ...]
    keywords: Mapping[str, re.Pattern[str]]
    urgency: tuple[UrgencyCue, ...]
    routes: tuple[Route, ...]
    acknowledgements: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    # What the desk does with tickets idle for a while (triage/time_rules.py), in file order.
    time_rules: tuple[TimeRule, ...] = ()

    def route(self, category: str, language: str, priority: str) -> str:
        """The queue of the first routing line that applies, else the default queue."""
        for route in self.routes:
            if route.applies(category, language, priority):
                return route.queue
        return self.default_queue

    @property
    def queues(self) -> tuple[str, ...]:
        """Every queue these rules can send a ticket to, the default first, then the rest in order."""
        named = (
            self.default_queue,
            self.triage_queue,
            *(route.queue for route in self.routes),
            *(rule.queue for rule in self.rules if rule.queue),
        )
        return (self.default_queue, *sorted(set(named) - {self.default_queue}))

    def acknowledgement_line(self, category: str, language: str) -> str | None:
        """The extra acknowledgement sentence for a category in the language of the acknowledgement,
        or None: a sentence in another language would read as a mistake in the middle of the mail."""
        return self.acknowledgements.get(category, {}).get(language)


def load_rules(path: str | Path | None = None) -> TriageRules:
    """The rules in ``path`` (default: the shipped ``rules.toml``), validated and compiled; cached per path.

    Raises RulesError naming the file and the bad entry when the file is unreadable or invalid.
    """
    return _load_rules_cached(Path(path).resolve() if path is not None else DEFAULT_RULES_PATH)


@cache
def _load_rules_cached(path: Path) -> TriageRules:
    document = read_toml(path, RulesError, "the rules file")
    return parse_rules(document, source=str(path))


def parse_rules(document: Mapping[str, Any], *, source: str = "<rules>") -> TriageRules:
    """Validate and compile an already parsed rules document; RulesError names the bad entry."""
    _only_keys(
        document, {"settings", "rule", "keywords", "urgency", "route", "acknowledgement", "time_rule"}, source
    )
    settings = _table(document.get("settings", {}), f"{source}: [settings]")
    _only_keys(settings, _SETTINGS_KEYS, f"{source}: [settings]")
    where = f"{source}: [settings]"
    default_queue = _queue(settings.get("default_queue", "support"), f"{where} default_queue")
    triage_queue = _queue(settings.get("triage_queue", "triage"), f"{where} triage_queue")
    low_confidence = _fraction(settings.get("low_confidence", 0.5), f"{where} low_confidence")
    factor = _fraction(settings.get("unmodelled_language_factor", 0.8), f"{where} unmodelled_language_factor")
    model_languages = _languages(settings.get("model_languages", ["en", "de"]), f"{where} model_languages")

    rules = tuple(
        _rule(entry, f"{source}: [[rule]] #{index + 1}")
        for index, entry in enumerate(_array(document.get("rule", []), f"{source}: [[rule]]"))
    )
    names = [rule.name for rule in rules]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise RulesError(f"{source}: [[rule]] names must be unique; repeated: {', '.join(duplicates)}")

    keywords_table = _table(document.get("keywords", {}), f"{source}: [keywords]")
    keywords: dict[str, re.Pattern[str]] = {}
    for category, by_language in keywords_table.items():
        where = f"{source}: [keywords.{category}]"
        _category(category, where)
        pattern = compile_terms(_terms_by_language(by_language, where))
        if pattern is not None:
            keywords[category] = pattern

    urgency = tuple(
        _urgency(entry, f"{source}: [[urgency]] #{index + 1}")
        for index, entry in enumerate(_array(document.get("urgency", []), f"{source}: [[urgency]]"))
    )
    routes = tuple(
        _route(entry, f"{source}: [[route]] #{index + 1}")
        for index, entry in enumerate(_array(document.get("route", []), f"{source}: [[route]]"))
    )
    acknowledgements: dict[str, dict[str, str]] = {}
    for category, by_language in _table(
        document.get("acknowledgement", {}), f"{source}: [acknowledgement]"
    ).items():
        where = f"{source}: [acknowledgement.{category}]"
        _category(category, where)
        lines = _table(by_language, where)
        for language, line in lines.items():
            _language(language, f"{where} key")
            if not isinstance(line, str) or not line.strip():
                raise RulesError(f"{where} {language}: must be a non-empty string")
        acknowledgements[category] = dict(lines)

    # Imported here: time rules build on this module's error (and name the queues parsed above).
    from postdesk.triage.time_rules import parse_time_rules

    routed = TriageRules(
        source=source,
        default_queue=default_queue,
        triage_queue=triage_queue,
        low_confidence=low_confidence,
        model_languages=model_languages,
        unmodelled_language_factor=factor,
        rules=rules,
        keywords=keywords,
        urgency=urgency,
        routes=routes,
        acknowledgements=acknowledgements,
    )
    time_rules = parse_time_rules(document.get("time_rule", []), routed.queues, source)
    return replace(routed, time_rules=time_rules)


def _named_entry(entry: object, allowed: Iterable[str], where: str) -> tuple[Mapping[str, Any], str, str]:
    """An entry that names itself (a rule, an urgency cue): its table, its name, and ``where`` with
    the name, as the messages about its keys say it. A key not in ``allowed`` is refused."""
    table = _table(entry, where)
    name = table.get("name")
    if not isinstance(name, str) or not name.strip():
        raise RulesError(f"{where}: needs a non-empty name")
    where = f'{where} "{name}"'
    _only_keys(table, allowed, where)
    return table, name, where


def _rule(entry: object, where: str) -> Rule:
    table, name, where = _named_entry(entry, _RULE_KEYS, where)
    category = _category(table.get("category"), f"{where} category")
    priority = table.get("priority")
    if priority is not None and priority not in PRIORITIES:
        raise RulesError(f"{where} priority: {priority!r} is not one of {', '.join(PRIORITIES)}")
    queue = _queue(table["queue"], f"{where} queue") if "queue" in table else None
    keywords = (
        compile_terms(_terms_by_language(table["keywords"], f"{where} keywords"))
        if "keywords" in table
        else None
    )
    regexes = []
    for expression in _strings(table.get("regexes", []), f"{where} regexes"):
        try:
            regexes.append(re.compile(expression, re.IGNORECASE))
        except re.error as error:
            raise RulesError(
                f"{where} regexes: {expression!r} is not a valid regular expression ({error})"
            ) from error
    sender_domains = frozenset(
        domain.lower().lstrip("@")
        for domain in _strings(table.get("sender_domains", []), f"{where} sender_domains")
    )
    if keywords is None and not regexes and not sender_domains:
        raise RulesError(f"{where}: needs at least one of keywords, regexes or sender_domains")
    return Rule(
        name=name,
        category=category,
        priority=priority,
        queue=queue,
        tags=tuple(_strings(table.get("tags", []), f"{where} tags")),
        languages=_languages(table.get("languages", []), f"{where} languages"),
        keywords=keywords,
        regexes=tuple(regexes),
        sender_domains=sender_domains,
    )


def _urgency(entry: object, where: str) -> UrgencyCue:
    table, name, where = _named_entry(entry, _URGENCY_KEYS, where)
    level = table.get("level")
    if level not in PRIORITIES:
        raise RulesError(f"{where} level: {level!r} is not one of {', '.join(PRIORITIES)}")
    tag = table.get("tag")
    if tag is not None and (not isinstance(tag, str) or not tag):
        raise RulesError(f"{where} tag: must be a non-empty string")
    terms = compile_terms(_terms_by_language(table.get("terms"), f"{where} terms"))
    if terms is None:
        raise RulesError(f"{where} terms: needs at least one term")
    return UrgencyCue(name=name, level=level, tag=tag, terms=terms)


def _route(entry: object, where: str) -> Route:
    table = _table(entry, where)
    _only_keys(table, _ROUTE_KEYS, where)
    if "queue" not in table:
        raise RulesError(f"{where}: needs a queue")
    categories = frozenset(_strings(table.get("categories", []), f"{where} categories"))
    for category in categories:
        _category(category, f"{where} categories")
    priorities = frozenset(_strings(table.get("priorities", []), f"{where} priorities"))
    unknown = sorted(priorities - set(PRIORITIES))
    if unknown:
        raise RulesError(f"{where} priorities: {', '.join(unknown)} not among {', '.join(PRIORITIES)}")
    return Route(
        queue=_queue(table["queue"], f"{where} queue"),
        categories=categories,
        languages=_languages(table.get("languages", []), f"{where} languages"),
        priorities=priorities,
    )


def _terms_by_language(value: object, where: str) -> list[str]:
    """A ``{language = [terms]}`` table (the language keys document which words are which)."""
    table = _table(value, where)
    if not table:
        raise RulesError(f'{where}: needs at least one language list, e.g. en = ["refund"]')
    terms: list[str] = []
    for language, words in table.items():
        if language != "any":
            _language(language, f"{where} key")
        terms.extend(_strings(words, f"{where}.{language}"))
    return terms


def _array(value: object, where: str) -> list[object]:
    if not isinstance(value, list):
        raise RulesError(f"{where}: must be an array of tables")
    return value


def _category(value: object, where: str) -> str:
    if value not in CATEGORIES:
        raise RulesError(f"{where}: {value!r} is not a category ({', '.join(CATEGORIES)})")
    return str(value)


def _language(value: object, where: str) -> str:
    if not isinstance(value, str) or not _LANGUAGE_CODE.match(value):
        raise RulesError(f"{where}: {value!r} is not an ISO 639-1 code such as en or de")
    return value


def _languages(value: object, where: str) -> frozenset[str]:
    return frozenset(_language(item, where) for item in _strings(value, where))


def _queue(value: object, where: str) -> str:
    if not isinstance(value, str) or not _QUEUE_NAME.match(value):
        raise RulesError(f"{where}: {value!r} is not a queue name (letters, digits, _ . : -)")
    return value


def _fraction(value: object, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise RulesError(f"{where}: {value!r} must be a number from 0 to 1")
    return float(value)


def _domain_matches(domain: str, domains: frozenset[str]) -> bool:
    """The domain or any parent domain is listed (``example.com`` covers ``mail.example.com``)."""
    labels = domain.lower().split(".")
    return any(".".join(labels[start:]) in domains for start in range(len(labels)))
