"""A search that finds nothing offers the topics to browse instead: only those that have an article
in the page's language, never a topic whose page would say it has none."""

from __future__ import annotations

import re

from chalice.test import Client

from postdesk.workflows.knowledge import import_seed
from tests.integration.conftest import Desk


def test_a_search_that_finds_nothing_offers_only_topics_with_articles(
    desk: Desk, client: Client, token: str
) -> None:
    # Given the shipped articles, which cover four of the six topics
    import_seed(desk.settings, desk.ports, root=None, owner="sam@example.com")
    home = client.http.get("/help/de/").body.decode()
    on_home = set(re.findall(r'href="/help/de/categories/([a-z]+)"', home))

    # When a German reader searches for something no article has
    page = client.http.get("/help/de/search?q=zebrastreifen").body.decode()

    # Then the topics offered are those of the home page, each with articles to read
    offered = set(re.findall(r'href="/help/de/categories/([a-z]+)"', page))
    assert offered == on_home and offered
    for topic in offered:
        assert "noch keine Artikel" not in client.http.get(f"/help/de/categories/{topic}").body.decode()
    assert "categories/feedback" not in page and "categories/general" not in page
