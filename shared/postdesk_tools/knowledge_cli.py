"""`postdesk kb`: import the shipped articles (or a folder of them) into the desk's knowledge base,
and list what it holds."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TextIO

from postdesk.agents.model import AgentNotFound, Role
from postdesk.agents.store import AgentStore
from postdesk.errors import PostdeskError
from postdesk.knowledge.model import Article
from postdesk.rendering import available_languages
from postdesk.settings import Settings
from postdesk_tools.local_clock import local_clock


def add_knowledge_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``kb`` command, with ``import`` and ``list``, to a set of sub-commands."""
    kb = subparsers.add_parser("kb", help="the knowledge base: import the seed articles, list the articles")
    _add_actions(kb)


def _add_actions(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", required=True)
    seed = actions.add_parser(
        "import",
        help="import <DIR>/<lang>/<slug>.md as published articles (English the original); "
        "articles already in the desk are kept as they are",
    )
    seed.add_argument(
        "folder", nargs="?", type=Path, default=None, help="the folder (default: the shipped templates/kb)"
    )
    seed.add_argument("--from", dest="root", type=Path, default=None, help="the folder, named so")
    seed.add_argument(
        "--owner", default=None, help="the agent who owns the imported articles (default: the first admin)"
    )
    actions.add_parser("list", help="list the articles with the state of each desk language")


def first_admin(agents: AgentStore) -> str | None:
    """The address of the desk's first active admin (the one a new desk was made with)."""
    admins = [agent for agent in agents.list() if agent.role is Role.ADMIN and agent.active]
    return min(admins, key=lambda agent: (agent.created_at, agent.email)).email if admins else None


def run_knowledge(argv: Sequence[str], settings: Settings, out: TextIO, now: Callable[[], datetime]) -> int:
    """Run ``kb`` with the arguments that follow it; 0 on success, 1 with a message on ``out``."""
    from postdesk import runtime
    from postdesk.workflows.knowledge import import_seed

    parser = argparse.ArgumentParser(prog="postdesk kb")
    _add_actions(parser)
    arguments = parser.parse_args(argv)
    if not settings.tables.knowledge:
        print("error: this desk has no knowledge table (POSTDESK_KNOWLEDGE_TABLE is not set)", file=out)
        return 1
    # On the local stack, its clock (which `postdesk local advance` moves).
    ports = runtime.aws_ports(settings, _NoMetrics(), local_clock() or now)
    try:
        if arguments.action == "list":
            _print_table(ports.knowledge.list_articles(), out)
            return 0
        owner = arguments.owner or first_admin(ports.agents)
        if owner is None:
            print("error: the desk has no admin yet: name the articles' owner with --owner", file=out)
            return 1
        try:
            owner = ports.agents.get(owner).email
        except AgentNotFound:
            print(f"error: {owner!r} is not an agent of the desk (an article's owner must be one)", file=out)
            return 1
        if arguments.folder is not None and arguments.root is not None and arguments.folder != arguments.root:
            print("error: name the folder once (FOLDER or --from FOLDER)", file=out)
            return 1
        root = arguments.folder or arguments.root
        if root is not None and not root.is_dir():
            print(f"error: {root} is not a folder", file=out)
            return 1
        result = import_seed(settings, ports, root=root, owner=owner)
    except PostdeskError as error:
        print(f"error: {error}", file=out)
        return 1
    print(result.summary(), file=out)
    print(
        f"Owner of the imported articles: {owner}. Published snapshot: generation {result.generation}.",
        file=out,
    )
    return 0


def _print_table(articles: Sequence[Article], out: TextIO) -> None:
    if not articles:
        print("No articles yet: `postdesk kb import` brings in the shipped ones.", file=out)
        return
    languages = sorted(available_languages())
    header = ("slug", "category", "owner", "review by", *languages)
    rows = [header] + [
        (
            article.slug,
            article.category,
            article.owner,
            article.review_by.isoformat(),
            *(_state(article, language) for language in languages),
        )
        for article in articles
    ]
    widths = [max(len(row[column]) for row in rows) for column in range(len(header))]
    for row in rows:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip(), file=out
        )


def _state(article: Article, language: str) -> str:
    """``current v2``, ``outdated v1``, ``draft v3``, ``missing``."""
    state = article.state_of(language).value
    translation = article.translations.get(language)
    if translation is None:
        return state
    shown = translation.published_version or translation.draft_version
    return f"{state} v{shown}"


class _NoMetrics:
    def count(self, name: str, dimensions: dict[str, str] | None = None) -> None:
        return None

    def measure(self, name: str, seconds: float, dimensions: dict[str, str] | None = None) -> None:
        return None
