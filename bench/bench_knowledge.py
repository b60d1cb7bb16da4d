"""What the knowledge base costs a container (docs/knowledge.md): building the article engine from
the published snapshot (the shipped 30 translations, and a large help center of 300 articles in five
languages made from them), a typed search in it (``KnowledgeBase.find``, the reply box and the help
center) and an acknowledgement's suggestion (``KnowledgeBase.search``), rendering an article page's
Markdown, and the size of the snapshot every container reads. Medians of repeated runs; the large
catalogue's figures also as a ratio to the shipped one's, which says how they grow."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime

from postdesk.knowledge.catalogue import SNAPSHOT_FORMAT, article_to_json
from postdesk.knowledge.model import PublishedArticle
from postdesk.knowledge.render import render_article
from postdesk.rendering import templates_dir
from postdesk.triage.knowledge import Article, KnowledgeBase, read_articles

RUNS = 7
LARGE_COPIES = 50  # 6 shipped articles × 50 = 300 articles per language
QUERIES = {
    "en": ["refund for a double charge", "passw", "my parcel never arrived", "app crashes on start"],
    "de": ["Rückerstattung doppelte Abbuchung", "Passwort vergessen", "Paket nicht angekommen"],
    "fr": ["remboursement double paiement", "mot de passe oublié", "colis pas arrivé"],
    "es": ["reembolso cobro doble", "olvidé mi contraseña", "paquete no llegó"],
    "pt": ["reembolso cobrança duplicada", "esqueci a senha", "encomenda não chegou"],
}
SUGGESTION_MAIL = (
    "Hello, I was charged twice for my last order and I would like a refund of the second payment. "
    "The invoice shows the same amount two times. Thanks, Sam"
)


def _median_seconds(action: Callable[[], object], runs: int = RUNS) -> float:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def _shipped() -> list[Article]:
    return read_articles(templates_dir() / "kb")


def _large(shipped: list[Article]) -> list[Article]:
    """Each shipped article 50 times under its own slug, with a line of its own so that no two
    are the same text: the index holds 50 times the postings, as a real large help center would."""
    return [
        replace(
            article,
            slug=f"{article.slug}-{copy}",
            title=f"{article.title} ({copy})",
            body=f"{article.body}\n\nReference note {copy}: product line {copy * 7}.",
        )
        for copy in range(LARGE_COPIES)
        for article in shipped
    ]


def _search_figures(articles: list[Article]) -> dict[str, float]:
    build = _median_seconds(lambda: KnowledgeBase(articles))
    engine = KnowledgeBase(articles)
    queries = [(query, language) for language, texts in QUERIES.items() for query in texts]

    def find_all() -> None:
        for query, language in queries:
            engine.find(query, language)

    def suggest() -> None:
        engine.search(SUGGESTION_MAIL, "en")

    return {
        "articles": len(articles),
        "engine_build_ms_median": round(build * 1000, 2),
        "find_ms_median": round(_median_seconds(find_all, RUNS * 3) * 1000 / len(queries), 3),
        "suggest_ms_median": round(_median_seconds(suggest, RUNS * 3) * 1000, 3),
    }


def _snapshot_bytes(articles: list[Article]) -> int:
    import json

    now = datetime(2026, 12, 6, tzinfo=UTC)
    published = [
        article_to_json(
            PublishedArticle(
                slug=a.slug,
                language=a.language,
                title=a.title,
                tags=a.tags,
                category=a.category,
                body=a.body,
                version=1,
                published_at=now,
                updated_at=now,
                original="en",
            )
        )
        for a in articles
    ]
    document = {"format": SNAPSHOT_FORMAT, "generation": 1, "articles": published}
    return len(json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


def run() -> dict[str, object]:
    shipped = _shipped()
    large = _large(shipped)
    small_figures = _search_figures(shipped)
    large_figures = _search_figures(large)
    longest = max(shipped, key=lambda article: len(article.body))
    render = _median_seconds(lambda: render_article(longest.body), RUNS * 3)
    return {
        "shipped": {**small_figures, "snapshot_bytes": _snapshot_bytes(shipped)},
        "large": {**large_figures, "snapshot_bytes": _snapshot_bytes(large)},
        "large_to_shipped_ratio": {
            name: round(large_figures[name] / small_figures[name], 1)
            for name in ("engine_build_ms_median", "find_ms_median", "suggest_ms_median")
            if small_figures[name]
        },
        "render_longest_article_ms_median": round(render * 1000, 3),
        "longest_article_chars": len(longest.body),
    }
