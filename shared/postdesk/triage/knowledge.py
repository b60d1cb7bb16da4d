"""Knowledge-base suggestions: the help articles in templates/kb/<language>/, ranked for a customer's
mail with BM25F over title, tags and body, and offered only when they clearly fit.

An article is Markdown with a small front matter block::

    ---
    title: Reset your password and get back into your account
    url: https://help.example.com/en/articles/account-recovery
    tags: password, forgot password, locked out
    category: account
    ---

The index of every language is built once per process, on the first call to ``load_articles``.
Pure: no AWS, no network, standard library only.
"""

from __future__ import annotations

import math
import re
import unicodedata
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

from postdesk.errors import ConfigurationError
from postdesk.rendering import templates_dir

CATEGORIES = frozenset({"billing", "account", "technical", "orders", "feedback", "general"})
FRONT_MATTER_FIELDS = ("title", "url", "tags", "category")
FRONT_MATTER_FENCE = "---"

# BM25F: a word in the title or the tags says what an article is about; the body only mentions it.
FIELD_WEIGHTS = {"title": 3.0, "tags": 3.0, "body": 1.0}
FIELD_LENGTH_NORMALISATION = {"title": 0.3, "tags": 0.3, "body": 0.75}
TERM_SATURATION = 1.2
# Acceptance, calibrated on the starter articles against realistic questions and off-topic mail
# (tests/unit/knowledge): an article is offered only with this much evidence in all, this much of it
# from words of its title or tags (what it is about, not what it mentions), and, unless the query is a
# few words only, from at least two of the query's words. A runner-up must also come close to the best.
MIN_SCORE = 2.0
MIN_HEADLINE_SCORE = 1.8
SHORT_QUERY_TERMS = 3
RELATIVE_TO_BEST = 0.6
# A mail of more than this many content words names its topic with more than one word: an article
# needs this many different words of its title or tags in it (one shared word is a coincidence there).
LONG_QUERY_TERMS = 5
LONG_QUERY_HEADLINE_TERMS = 2
# The opening of a mail says what it is about; the rest (quotes, signatures, logs) only costs time.
MAX_QUERY_CHARS = 4000
# Multiplies the score of articles in the caller's category: it reorders, it never admits.
CATEGORY_BOOST = 1.5
# The typed search (``KnowledgeBase.find``) reads the word being typed as the beginning of a word
# from this many letters on: one letter would match half the vocabulary.
MIN_PREFIX_CHARS = 2

_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_HOST_OR_URL = re.compile(
    r"(?:https?://\S+)|(?:\b[\w-]+(?:\.[\w-]+)*\.(?:com|org|net|io|de|fr|es|pt|br)\b\S*)"
)
_WORD = re.compile(r"\w+")
# The word a query ends in, when nothing follows it: the one still being typed.
_TYPED_WORD = re.compile(r"\w+$")
# The accents of Latin scripts, once NFKD has split them from their letters.
_COMBINING_MARK = re.compile("[\u0300-\u036f]")
# German writes nouns together; parts shorter than this are too often accidental.
_MIN_COMPOUND_PART = 4
_MIN_COMPOUND = 8


class KnowledgeBaseError(ConfigurationError):
    """An article file is malformed; the message names the file and what is wrong."""


@dataclass(frozen=True, slots=True)
class Article:
    slug: str
    language: str
    title: str
    url: str
    tags: tuple[str, ...]
    category: str
    body: str


@dataclass(frozen=True, slots=True)
class Suggestion:
    article: Article
    score: float


def fold(text: str) -> str:
    """Lower-case ``text`` and drop its accents (``Rückerstattung`` → ``ruckerstattung``), so a
    customer who types without accents still matches."""
    lowered = text.casefold()
    if lowered.isascii():
        return lowered
    return _COMBINING_MARK.sub("", unicodedata.normalize("NFKD", lowered))


def _stop_words(words: str) -> frozenset[str]:
    return frozenset(fold(word) for word in words.split())


# Function words and the greetings and thanks every mail carries: they say nothing about the topic.
_STOP_WORDS = {
    "en": _stop_words(
        """a about after again all also am an and any anyone anything are as at be been before being but
        aren by can cannot cant could couldn d dear did didn do does doesn doing don dont for from get got
        had has hasn have haven having he hello help her here hey hi him his how i if im in into is isn it
        its ive just ll m me my myself no not of off ok on once only or our out please re regards s so some
        something sorry still t than thank thanks that the their them then there these they this to too up
        us ve very was wasn we were what when where which while who why will with won would wouldn yes you
        your"""
    ),
    "de": _stop_words(
        """aber alle als also am an auch auf aus bei bin bis bitte da damit danke dank dann das dass dem
        den der des die dies diese dieser doch du ein eine einem einen einer eines er es etwas für geehrte
        geehrter grüße gruß guten habe haben hallo hat hatte herren hier ich ihnen ihr ihre im in ist ja
        jetzt kann kein keine können leider liebe lieber mein meine meinem meinen meiner mich mir mit nach
        nicht noch nur ob oder schon sehr sein seit sich sie sind so tag über um und uns unser unsere vom von
        vor war was wenn wer wie wieder wir wird wo zu zum zur freundlichen damen"""
    ),
    "fr": _stop_words(
        """a ai au aux avec avez avons bien bonjour c ça ce cela ceci ces cette cordialement d de des du
        elle en est et été être il ils j je l la le les leur lui m ma madame mais me merci mes moi mon
        monsieur n ne nos notre nous on ont ou par pas plaît plus pour qu que qui s sa se ses si son suis
        sur svp ta te tes toi ton tu un une veuillez vos votre vous y"""
    ),
    "es": _stop_words(
        """a al algo buenas buenos como con de del días donde dónde el ella en es esta este esto estoy
        estimado estimados favor gracias ha han he hola la las le les lo los me mi mis muy no nos o para
        pero por puede puedo que qué saludos se si sin su sus tardes te tengo tiene un una uno usted
        ustedes y ya"""
    ),
    "pt": _stop_words(
        """a ao aos as atenciosamente boa bom com como consegui consigo da das de dia do dos e é ela ele
        cadê em essa esse esta este eu favor isso já mas me meu minha muito na nas não no nos o obrigada
        obrigado olá onde os ou para pela pelo por que se sem seu sua também tarde te tem tenho um uma você
        vocês"""
    ),
}


# The words every support mail uses whatever it is about (the trouble, the device, the app): they
# count towards an article's score but are never evidence of what the mail is about. "A problem with
# the app on my phone" is no sign-in question because a sign-in article's title says "problems".
_GENERIC_WORDS = {
    "en": _stop_words(
        """problem problems issue issues trouble question questions app apps application phone phones
        smartphone mobile device devices laptop computer tablet"""
    ),
    "de": _stop_words(
        """problem probleme frage fragen app apps anwendung handy smartphone telefon gerät geräte laptop
        computer tablet"""
    ),
    "fr": _stop_words(
        """problème problèmes souci soucis question questions application applications appli téléphone
        smartphone mobile portable appareil ordinateur tablette"""
    ),
    "es": _stop_words(
        """problema problemas pregunta preguntas aplicación aplicaciones app móvil celular teléfono
        dispositivo portátil ordenador computadora tableta"""
    ),
    "pt": _stop_words(
        """problema problemas pergunta perguntas aplicativo aplicativos app aplicação celular telemóvel
        telefone dispositivo aparelho notebook computador tablet"""
    ),
}


def is_stop_word(word: str, language: str) -> bool:
    """Whether a word is a function word or greeting of ``language``: no reason to show a person."""
    return fold(word) in _STOP_WORDS.get(language, frozenset())


# Light suffix stripping, longest suffix first, one per pass: enough to meet "refunds", "refunded"
# and "refund" in one stem without a dictionary.
_SUFFIXES = {
    language: tuple(suffixes.split())
    for language, suffixes in {
        "en": "ations ation ments ment ness ings ing ied ies ers er ed ly es s e y",
        "de": "ungen heiten keiten ungs ung heit keit lich isch ern end ten te en er es em et st e n s t",
        "fr": "issements issement ements ement ations ation ateurs ateur ances ance ments ment euses euse "
        "ables able ees ee es er ez ir e s x",
        "es": "amientos imientos amiento imiento aciones acion mente ando iendo adas ados idas idos ada ado "
        "ida ido ar er ir es os as a o e s",
        "pt": "amentos imentos amento imento acoes acao mente ando endo indo adas ados idas idos ada ado ida "
        "ido ar er ir es os as a o e s",
    }.items()
}
_MIN_STEM = 3
# English needs two passes ("ordered" → "order" → "ord", like "orders"); the others one.
_PASSES = {"en": 2}
_DOUBLED_ENDING = re.compile(r"([bdgmnprt])\1$")


def _strip_suffix(word: str, suffixes: tuple[str, ...]) -> str:
    for suffix in suffixes:
        if word.endswith(suffix) and len(word) - len(suffix) >= _MIN_STEM:
            return word[: -len(suffix)]
    return word


# Mail repeats its words; a bounded memo makes indexing and long queries several times faster.
@lru_cache(maxsize=65536)
def stem(word: str, language: str) -> str:
    """The stem of a folded word, by light suffix stripping for ``language`` (unknown: unchanged)."""
    suffixes = _SUFFIXES.get(language)
    if suffixes is None:
        return word
    if language == "en" and word.endswith(("ss", "us", "is")):
        return word
    for _ in range(_PASSES.get(language, 1)):
        word = _strip_suffix(word, suffixes)
    if language == "en":
        word = _DOUBLED_ENDING.sub(r"\1", word)  # "shipping" → "shipp" → "ship"
    return word


def _words(text: str, language: str) -> list[str]:
    """The folded content words of ``text``: no links, host names, numbers, identifiers or stop words."""
    text = _HOST_OR_URL.sub(" ", _LINK.sub(r"\1", text))
    stop = _STOP_WORDS.get(language, frozenset())
    return [
        word
        for word in _WORD.findall(fold(text))
        if len(word) > 1 and not word.isdigit() and "_" not in word and word not in stop
    ]


def _compound_parts(word: str, language: str, known_stems: frozenset[str]) -> list[str]:
    """Stems of the known words a German compound is made of (``zahlungsmethode`` → ``zahl``,
    ``method``), or nothing when it does not split into known words."""
    if language != "de" or len(word) < _MIN_COMPOUND:
        return []
    for cut in range(len(word) - _MIN_COMPOUND_PART, _MIN_COMPOUND_PART - 1, -1):
        head, tail = word[:cut], word[cut:]
        head_stems = [stem(head, language)]
        if head.endswith("s") and len(head) > _MIN_COMPOUND_PART:  # the linking s: Zahlung-s-methode
            head_stems.append(stem(head[:-1], language))
        head_stem = next((candidate for candidate in head_stems if candidate in known_stems), None)
        if head_stem is None:
            continue
        tail_stem = stem(tail, language)
        if tail_stem in known_stems:
            return [head_stem, tail_stem]
        rest = _compound_parts(tail, language, known_stems)
        if rest:
            return [head_stem, *rest]
    return []


def _word_terms(word: str, language: str, known_stems: frozenset[str]) -> list[str]:
    return [stem(word, language), *_compound_parts(word, language, known_stems)]


def analyse(text: str, language: str, known_stems: frozenset[str] = frozenset()) -> list[str]:
    """The index terms of ``text``: stems of its content words, plus, for a German compound, the
    stems of the ``known_stems`` it is made of."""
    return [term for word in _words(text, language) for term in _word_terms(word, language, known_stems)]


def _strip_quotes(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def parse_article(path: Path, language: str) -> Article:
    """Read one article file; raise ``KnowledgeBaseError`` naming the file when it is malformed."""
    lines = path.read_text(encoding="utf-8").splitlines()
    if not lines or lines[0].strip() != FRONT_MATTER_FENCE:
        raise KnowledgeBaseError(f"{path}: an article starts with a '---' line opening its front matter")
    closing = next(
        (number for number, line in enumerate(lines[1:], start=1) if line.strip() == FRONT_MATTER_FENCE),
        None,
    )
    if closing is None:
        raise KnowledgeBaseError(f"{path}: the front matter has no closing '---' line")
    fields: dict[str, str] = {}
    for number, line in enumerate(lines[1:closing], start=2):
        if not line.strip():
            continue
        key, colon, value = line.partition(":")
        key = key.strip().lower()
        if not colon:
            raise KnowledgeBaseError(f"{path}:{number}: expected 'key: value', found {line.strip()!r}")
        if key not in FRONT_MATTER_FIELDS:
            raise KnowledgeBaseError(
                f"{path}:{number}: unknown field {key!r} (known: {', '.join(FRONT_MATTER_FIELDS)})"
            )
        if key in fields:
            raise KnowledgeBaseError(f"{path}:{number}: field {key!r} is given twice")
        fields[key] = _strip_quotes(value.strip())
    missing = [key for key in FRONT_MATTER_FIELDS if not fields.get(key)]
    if missing:
        raise KnowledgeBaseError(f"{path}: the front matter lacks {', '.join(missing)}")
    if fields["category"] not in CATEGORIES:
        raise KnowledgeBaseError(
            f"{path}: category {fields['category']!r} is not one of {', '.join(sorted(CATEGORIES))}"
        )
    if not fields["url"].startswith(("https://", "http://")):
        raise KnowledgeBaseError(f"{path}: url {fields['url']!r} is not an http(s) address")
    body = "\n".join(lines[closing + 1 :]).strip()
    if not body:
        raise KnowledgeBaseError(f"{path}: the article has no text after its front matter")
    return Article(
        slug=path.stem,
        language=language,
        title=fields["title"],
        url=fields["url"],
        tags=tuple(tag.strip() for tag in fields["tags"].split(",") if tag.strip()),
        category=fields["category"],
        body=body,
    )


@dataclass(frozen=True, slots=True)
class _Posting:
    article: int
    score: float
    in_title_or_tags: bool
    # A word known only from tags of several words ("new phone"), and found in other articles too,
    # is evidence only beside the rest of one of them: the stems each of those tags also needs.
    with_rest_of: tuple[frozenset[str], ...] = ()

    def is_headline(self, terms: set[str]) -> bool:
        return self.in_title_or_tags and (
            not self.with_rest_of or any(rest <= terms for rest in self.with_rest_of)
        )


@dataclass(frozen=True, slots=True)
class _TagPhrases:
    single: frozenset[str]
    multi: tuple[frozenset[str], ...]


def _tag_phrases(tags: Iterable[str], language: str, known_stems: frozenset[str]) -> _TagPhrases:
    """The terms of an article's one-word tags, and the stems of each tag of several words."""
    single: set[str] = set()
    multi: list[frozenset[str]] = []
    for tag in tags:
        words = _words(tag, language)
        if len(words) == 1:
            single.update(_word_terms(words[0], language, known_stems))
        elif words:
            multi.append(frozenset(stem(word, language) for word in words))
    return _TagPhrases(frozenset(single), tuple(multi))


class _LanguageIndex:
    """BM25F over the articles of one language, with every term's score per article computed once."""

    def __init__(self, language: str, articles: tuple[Article, ...]) -> None:
        self.language = language
        self.articles = articles
        fields_of = [{"title": a.title, "tags": " , ".join(a.tags), "body": a.body} for a in articles]
        self.known_stems = frozenset(
            stem(word, language)
            for fields in fields_of
            for text in fields.values()
            for word in _words(text, language)
        )
        counts = [
            {name: Counter(analyse(text, language, self.known_stems)) for name, text in fields.items()}
            for fields in fields_of
        ]
        lengths = [{name: sum(doc[name].values()) for name in FIELD_WEIGHTS} for doc in counts]
        average_length = {
            name: max(1.0, sum(length[name] for length in lengths) / len(lengths)) for name in FIELD_WEIGHTS
        }
        document_frequency = Counter(term for doc in counts for term in set().union(*doc.values()))
        postings: dict[str, list[_Posting]] = {}
        for position, (doc, length, article) in enumerate(zip(counts, lengths, articles, strict=True)):
            phrases = _tag_phrases(article.tags, language, self.known_stems)
            # BM25F: each field's count, normalised by that field's length, weighted, then summed
            # before the one saturation; a long body cannot drown a short title.
            normaliser = {
                name: 1
                - FIELD_LENGTH_NORMALISATION[name]
                + FIELD_LENGTH_NORMALISATION[name] * length[name] / average_length[name]
                for name in FIELD_WEIGHTS
            }
            for term in set().union(*doc.values()):
                weighted = sum(
                    FIELD_WEIGHTS[name] * doc[name][term] / normaliser[name] for name in FIELD_WEIGHTS
                )
                frequency = document_frequency[term]
                rarity = math.log(1 + (len(articles) - frequency + 0.5) / (frequency + 0.5))
                score = rarity * weighted * (TERM_SATURATION + 1) / (weighted + TERM_SATURATION)
                headline = bool(doc["title"][term] or doc["tags"][term])
                with_rest_of: tuple[frozenset[str], ...] = ()
                # A word no other article holds is specific enough on its own.
                if frequency > 1 and not doc["title"][term] and term not in phrases.single:
                    with_rest_of = tuple(phrase - {term} for phrase in phrases.multi if term in phrase)
                postings.setdefault(term, []).append(_Posting(position, score, headline, with_rest_of))
        self.postings = {term: tuple(entries) for term, entries in postings.items()}
        self.generic_terms = frozenset(
            stem(word, language) for word in _GENERIC_WORDS.get(language, frozenset())
        )
        # Every folded word of the articles, sorted, with its terms: what a word being typed may become.
        self.vocabulary = {
            word: tuple(_word_terms(word, language, self.known_stems))
            for fields in fields_of
            for text in fields.values()
            for word in _words(text, language)
        }
        self.sorted_words = sorted(self.vocabulary)

    def completions(self, prefix: str) -> set[str]:
        """The terms of every word of the articles that begins with the folded ``prefix``."""
        terms: set[str] = set()
        if len(prefix) < MIN_PREFIX_CHARS:
            return terms
        for word in self.sorted_words[bisect_left(self.sorted_words, prefix) :]:
            if not word.startswith(prefix):
                break
            terms.update(self.vocabulary[word])
        return terms

    def found(self, query: str) -> list[tuple[Article, float]]:
        """Every article holding a term of ``query``, with its BM25F score, no threshold. A last word
        with nothing after it is being typed: it also counts as the beginning of any word of the
        articles, and it scores once, by the best of what it may become."""
        text = query[:MAX_QUERY_CHARS]
        typed = _TYPED_WORD.search(text)
        complete = set(analyse(text[: typed.start()] if typed else text, self.language, self.known_stems))
        scores: dict[int, float] = {}
        for term in complete:
            for posting in self.postings.get(term, ()):
                scores[posting.article] = scores.get(posting.article, 0.0) + posting.score
        if typed:
            word = typed.group()
            candidates = set(analyse(word, self.language, self.known_stems)) | self.completions(fold(word))
            best: dict[int, float] = {}
            for term in candidates - complete:
                for posting in self.postings.get(term, ()):
                    best[posting.article] = max(best.get(posting.article, 0.0), posting.score)
            for position, score in best.items():
                scores[position] = scores.get(position, 0.0) + score
        return [(self.articles[position], score) for position, score in scores.items()]

    def matches(self, query: str) -> list[tuple[Article, float]]:
        """The articles that clear the threshold for ``query``, with their scores, best first."""
        terms = set(analyse(query[:MAX_QUERY_CHARS], self.language, self.known_stems))
        scores: dict[int, float] = {}
        headline_scores: dict[int, float] = {}
        headline_terms: Counter[int] = Counter()
        matched: Counter[int] = Counter()
        for term in terms:
            for posting in self.postings.get(term, ()):
                scores[posting.article] = scores.get(posting.article, 0.0) + posting.score
                matched[posting.article] += 1
                if term not in self.generic_terms and posting.is_headline(terms):
                    headline_scores[posting.article] = (
                        headline_scores.get(posting.article, 0.0) + posting.score
                    )
                    headline_terms[posting.article] += 1
        short_query = len(terms) <= SHORT_QUERY_TERMS
        long_query = len(terms) > LONG_QUERY_TERMS
        accepted = [
            (self.articles[position], score)
            for position, score in scores.items()
            if score >= MIN_SCORE
            and headline_scores.get(position, 0.0) >= MIN_HEADLINE_SCORE
            and (matched[position] >= 2 or short_query)
            and (headline_terms[position] >= LONG_QUERY_HEADLINE_TERMS or not long_query)
        ]
        if not accepted:
            return []
        best = max(score for _, score in accepted)
        return sorted(
            ((article, score) for article, score in accepted if score >= best * RELATIVE_TO_BEST),
            key=lambda pair: (-pair[1], pair[0].slug),
        )


class KnowledgeBase:
    """The help articles of every language, searchable per language."""

    def __init__(self, articles: Iterable[Article]) -> None:
        by_language: dict[str, list[Article]] = {}
        for article in articles:
            by_language.setdefault(article.language, []).append(article)
        self._indexes = {
            language: _LanguageIndex(language, tuple(sorted(items, key=lambda a: a.slug)))
            for language, items in by_language.items()
        }

    def languages(self) -> frozenset[str]:
        return frozenset(self._indexes)

    def search(
        self, query: str, language: str, *, limit: int = 3, category: str | None = None
    ) -> list[Suggestion]:
        """At most ``limit`` articles in ``language`` (``pt-BR`` counts as ``pt``) that answer
        ``query``, best first; nothing when none clearly fits or the language has no articles.
        Articles of ``category`` rank higher among those that fit, but a category never makes an
        article fit."""
        index = self._indexes.get(language.strip().lower().split("-")[0])
        if index is None or limit < 1:
            return []
        ranked = sorted(
            (
                Suggestion(article, score * (CATEGORY_BOOST if article.category == category else 1.0))
                for article, score in index.matches(query)
            ),
            key=lambda suggestion: (-suggestion.score, suggestion.article.slug),
        )
        return ranked[:limit]

    def find(self, query: str, language: str, limit: int = 10) -> list[Suggestion]:
        """What a person searching by hand is shown (an agent's reply box, the help center): at most
        ``limit`` articles in ``language`` that hold a word of ``query``, best first by the same
        BM25F as :meth:`search` but with no threshold, the last word also read as the beginning of a
        word while it is being typed ("passw" finds "password"). An empty query finds nothing."""
        index = self._indexes.get(language.strip().lower().split("-")[0])
        if index is None or limit < 1 or not query.strip():
            return []
        ranked = sorted(
            (Suggestion(article, score) for article, score in index.found(query)),
            key=lambda suggestion: (-suggestion.score, suggestion.article.slug),
        )
        return ranked[:limit]


def read_articles(root: Path) -> list[Article]:
    """Every ``<root>/<language>/<slug>.md``, parsed; raises ``KnowledgeBaseError`` on a bad file."""
    if not root.is_dir():
        raise KnowledgeBaseError(f"the knowledge base folder {root} does not exist")
    return [
        parse_article(path, folder.name)
        for folder in sorted(root.iterdir())
        if folder.is_dir()
        for path in sorted(folder.glob("*.md"))
    ]


def load_articles(root: Path | None = None) -> KnowledgeBase:
    """The knowledge base under ``root`` (default: ``templates/kb``), read and indexed once per
    process and root."""
    return _load((root or templates_dir() / "kb").resolve())


@cache
def _load(root: Path) -> KnowledgeBase:
    return KnowledgeBase(read_articles(root))
