"""The addresses of the public help center, built in one place so that acknowledgements, saved
replies, the console and the help center's own pages all link to the same pages."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from urllib.parse import quote


def help_home_url(public_url: str, language: str) -> str:
    """The help center's home page in ``language``; "" when the desk has no public address."""
    if not public_url:
        return ""
    return f"{public_url.rstrip('/')}/help/{quote(language, safe='')}/"


def help_url(public_url: str, language: str, slug: str) -> str:
    """The help center's page of the article ``slug`` in ``language``; "" when the desk has no
    public address (a mail cannot link to a page nobody can reach)."""
    if not public_url:
        return ""
    return f"{public_url.rstrip('/')}/help/{quote(language, safe='')}/articles/{quote(slug, safe='')}"


def help_image_url(public_url: str, name: str) -> str:
    """Where the help center serves the article image ``name`` (``public_url`` may be "" for an
    address relative to the desk's own host, as the help center's pages use)."""
    return f"{public_url.rstrip('/')}/help/images/{quote(name, safe='')}"


# An article page of the help center as help_url writes it: the language, then the slug, ending where
# a slug cannot go on (a query, a fragment, a closing bracket, the end of a word).
_ARTICLE_PATH = r"/help/(?P<language>[a-z]{2})/articles/(?P<slug>[a-z0-9]+(?:-[a-z0-9]+)*)(?![a-z0-9-])"


def _article_link(public_url: str) -> re.Pattern[str] | None:
    if not public_url:
        return None
    return re.compile(re.escape(public_url.rstrip("/")) + _ARTICLE_PATH)


def linked_articles(text: str, public_url: str) -> list[tuple[str, str]]:
    """The help-center articles ``text`` links to, as (language, slug), in order, once each. Only links
    to this desk's help center (``public_url``) count; none when the desk has no public address."""
    pattern = _article_link(public_url)
    if pattern is None:
        return []
    return list(dict.fromkeys((m.group("language"), m.group("slug")) for m in pattern.finditer(text)))


def linked_slugs(text: str, public_url: str) -> list[str]:
    """The slugs of the help-center articles ``text`` links to, in order, once each."""
    return list(dict.fromkeys(slug for _, slug in linked_articles(text, public_url)))


def links_in_language(
    text: str, public_url: str, language: str, published_in: Callable[[str], Collection[str]]
) -> str:
    """``text`` with each link to a help-center article in another language pointing at the article
    in ``language`` instead, when ``published_in(slug)`` (the languages it is published in) has it;
    other links are left as they are (a customer is better served by the article in another language
    than by a page that does not exist)."""
    pattern = _article_link(public_url)
    if pattern is None:
        return text
    known: dict[str, Collection[str]] = {}

    def relinked(match: re.Match[str]) -> str:
        slug = match.group("slug")
        if match.group("language") == language:
            return match.group(0)
        if slug not in known:
            known[slug] = published_in(slug)
        if language not in known[slug]:
            return match.group(0)
        return help_url(public_url, language, slug)

    return pattern.sub(relinked, text)
