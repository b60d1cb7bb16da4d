"""Search segments: SQLite files with an FTS5 table of ticket documents.

A segment is written once and never changed. It holds the latest document of each ticket it names
and, for a ticket that is gone (erased, expired, merged away), a tombstone. Newer segments win: a
ticket found in an older segment counts only if no newer segment names it. A search reads every
segment of the manifest (docs/search.md) and merges what they found; a merge writes one segment with
the latest document of every ticket and no tombstones.

Accents and case are folded by the tokenizer (``unicode61 remove_diacritics 2``: "muller" finds
"Müller"), and prefixes of 2 to 4 characters are indexed, so a word being typed is found quickly.
The ``spellings`` column holds the words typed another way ("mueller" for "Müller",
documents.spellings_of); like the reference it is found by, never shown as, a passage.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from contextlib import closing
from dataclasses import astuple, dataclass, fields
from enum import StrEnum
from pathlib import Path

from postdesk.search.documents import (
    MARK_END,
    MARK_START,
    SPELLING_SEPARATOR,
    SearchDocument,
    reference_words,
    spellings_of,
)
from postdesk.search.query import SHOWN_COLUMNS
from postdesk.tickets.listing import QUARANTINE, TicketFilter

SEARCHED_COLUMNS = ("reference", *SHOWN_COLUMNS, "spellings")
# bm25 weights, in the order above: a hit in the reference or subject says more than one in a thread;
# a word typed another way is most often a name (each is held once, wherever it was).
WEIGHTS = (10.0, 5.0, 3.0, 3.0, 1.0, 0.8, 3.0)
FILTER_COLUMNS = (
    "ref",
    "status",
    "queue",
    "assignee",
    "priority",
    "language",
    "requester_email",
    "follow_up",
    "created_at",
    "updated_at",
)
SNIPPET_WORDS = 14
_SNIPPET = f"snippet(docs, -1, '{MARK_START}', '{MARK_END}', '…', {SNIPPET_WORDS})"
_SCHEMA = f"""
CREATE VIRTUAL TABLE docs USING fts5(
    {", ".join(SEARCHED_COLUMNS)},
    {", ".join(f"{name} UNINDEXED" for name in FILTER_COLUMNS)},
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '2 3 4'
);
CREATE TABLE names (ref TEXT PRIMARY KEY, removed INTEGER NOT NULL) WITHOUT ROWID;
"""
_DOCUMENT_FIELDS = tuple(f.name for f in fields(SearchDocument))
# Every statement of this module is made of its own constants; values are always bound parameters.
_PLACEHOLDERS = ", ".join("?" * (len(SEARCHED_COLUMNS) + len(FILTER_COLUMNS)))
_INSERT = f"INSERT INTO docs VALUES ({_PLACEHOLDERS})"  # noqa: S608


class Order(StrEnum):
    RELEVANCE = "relevance"
    DATE = "date"


@dataclass(frozen=True, slots=True)
class Conditions:
    """The list's filters, as values of the filter columns. ``statuses`` empty: any status."""

    statuses: tuple[str, ...] = ()
    queue: str | None = None
    assignee: str | None = None
    priority: str | None = None
    language: str | None = None
    requester_email: str | None = None
    follow_up: bool = False
    # ISO times, compared as strings (they are fixed width, UTC).
    created_from: str | None = None
    created_before: str | None = None
    # The queues whose tickets the asker may see (TicketFilter.queues); None: every queue.
    queues: tuple[str, ...] | None = None

    def admits(self, document: SearchDocument) -> bool:
        """Whether ``document`` (made from the ticket as it is now) still meets these conditions: the
        index may be a second behind a change."""
        return (
            (not self.statuses or document.status in self.statuses)
            and all(
                getattr(self, name) is None or getattr(self, name) == getattr(document, name)
                for name in ("queue", "assignee", "priority", "language", "requester_email")
            )
            and (not self.follow_up or document.follow_up == "1")
            and (self.created_from is None or document.created_at >= self.created_from)
            and (self.created_before is None or document.created_at < self.created_before)
            and (self.queues is None or document.queue in self.queues)
        )


@dataclass(frozen=True, slots=True)
class Hit:
    ref: str
    # bm25: lower is better (negative); comparable across segments only roughly (docs/search.md).
    score: float
    updated_at: str
    # The best passage, highlighted parts between MARK_START and MARK_END.
    snippet: str


def write_segment(path: Path, documents: Iterable[SearchDocument], removed: Iterable[str] = ()) -> int:
    """Write a new segment at ``path`` with ``documents`` and tombstones for ``removed``; the number
    of documents written."""
    path.unlink(missing_ok=True)
    count = 0
    with closing(sqlite3.connect(path)) as connection:
        connection.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;" + _SCHEMA)
        with connection:
            for document in documents:
                connection.execute(_INSERT, _row(document))
                connection.execute("INSERT OR REPLACE INTO names VALUES (?, 0)", (document.ref,))
                count += 1
            connection.executemany(
                "INSERT OR REPLACE INTO names VALUES (?, 1)", ((ref,) for ref in set(removed))
            )
            connection.execute("INSERT INTO docs(docs) VALUES ('optimize')")
    return count


def _row(document: SearchDocument) -> tuple[str, ...]:
    values = dict(zip(_DOCUMENT_FIELDS, astuple(document), strict=True))
    searched = (
        document.reference_words,
        document.subject,
        document.requester,
        document.tags,
        document.messages,
        document.notes,
        document.spellings,
    )
    return (*searched, *(values[name] for name in FILTER_COLUMNS))


def merge_segments(newest_first: Sequence[Path], path: Path) -> int:
    """One segment at ``path`` with the latest document of every ticket of ``newest_first`` and no
    tombstones; the number of documents in it."""
    path.unlink(missing_ok=True)
    columns = ", ".join((*SEARCHED_COLUMNS, *FILTER_COLUMNS))
    # A segment written before the spellings column gets it here, from its own words.
    derived = ", ".join(
        ("reference", *SHOWN_COLUMNS, f"spellings_of({', '.join(SHOWN_COLUMNS)})", *FILTER_COLUMNS)
    )
    with closing(sqlite3.connect(path)) as connection:
        connection.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;" + _SCHEMA)
        connection.create_function("spellings_of", len(SHOWN_COLUMNS), spellings_of, deterministic=True)
        connection.execute("CREATE TEMP TABLE seen (ref TEXT PRIMARY KEY) WITHOUT ROWID")
        for source in newest_first:
            connection.execute("ATTACH DATABASE ? AS source", (f"file:{source}?mode=ro",))
            held = {name for (_, name, *_) in connection.execute("PRAGMA source.table_info(docs)")}
            with connection:
                connection.execute(
                    f"INSERT INTO main.docs ({columns}) "  # noqa: S608
                    f"SELECT {columns if 'spellings' in held else derived} FROM source.docs "
                    "WHERE ref NOT IN (SELECT ref FROM temp.seen)"
                )
                connection.execute("INSERT OR IGNORE INTO temp.seen SELECT ref FROM source.names")
            connection.execute("DETACH DATABASE source")
        with connection:
            connection.execute("INSERT INTO names SELECT ref, 0 FROM docs")
            connection.execute("INSERT INTO docs(docs) VALUES ('optimize')")
        (count,) = connection.execute("SELECT count(*) FROM docs").fetchone()
    return int(count)


class SegmentReader:
    """Searches a list of segments, newest first, read-only. Open readers are kept by the caller
    (``SearchIndex``) and reused while the segments stay in its manifest."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        self._connection.execute("CREATE TEMP TABLE newer (ref TEXT PRIMARY KEY) WITHOUT ROWID")

    def close(self) -> None:
        self._connection.close()

    def names(self) -> list[str]:
        return [ref for (ref,) in self._connection.execute("SELECT ref FROM names")]

    def removed(self) -> int:
        (count,) = self._connection.execute("SELECT count(*) FROM names WHERE removed = 1").fetchone()
        return int(count)

    def search(
        self,
        match: str | None,
        conditions: Conditions,
        order: Order,
        limit: int,
        newer: Iterable[str],
        shown: str | None = None,
    ) -> list[Hit]:
        """The best ``limit`` documents of this segment for ``match`` under ``conditions``, leaving
        out the tickets a newer segment names (``newer``), each with a passage (one ``shown`` meets,
        when the best one is in a column no person reads: ParsedQuery.shown). Without ``match``:
        every document under ``conditions``, newest first (a list by dates)."""
        where, parameters = _where(conditions)
        connection = self._connection
        with connection:
            connection.execute("DELETE FROM temp.newer")
            connection.executemany("INSERT OR IGNORE INTO temp.newer VALUES (?)", ((ref,) for ref in newer))
        if match is None:
            sql = (
                "SELECT ref, 0.0, updated_at, '', NULL FROM docs "  # noqa: S608
                f"WHERE ref NOT IN (SELECT ref FROM temp.newer){where} ORDER BY updated_at DESC LIMIT ?"
            )
            arguments: tuple[object, ...] = (*parameters, limit)
        else:
            order_by = "score" if order is Order.RELEVANCE else "updated_at DESC, score"
            sql = (
                f"SELECT ref, bm25(docs, {', '.join(str(w) for w in WEIGHTS)}) AS score, updated_at, "  # noqa: S608
                f"{_SNIPPET}, rowid "
                f"FROM docs WHERE docs MATCH ? AND ref NOT IN (SELECT ref FROM temp.newer){where} "
                f"ORDER BY {order_by} LIMIT ?"
            )
            arguments = (match, *parameters, limit)
        try:
            rows = connection.execute(sql, arguments).fetchall()
            return [
                Hit(ref, float(score), updated_at, self._shown(snippet, ref, rowid, shown))
                for ref, score, updated_at, snippet, rowid in rows
            ]
        except sqlite3.OperationalError as error:
            # parse_query quotes every token, so this is a defect, never the agent's input.
            raise RuntimeError(f"search segment {self.path.name} refused {match!r}: {error}") from error

    def _shown(self, snippet: str, ref: str, rowid: int | None, shown: str | None) -> str:
        """The passage shown of a hit. FTS5 takes it from the column with the most matched words,
        which may be one no person reads (the reference's indexed forms, the words typed another
        way): then the passage of a readable column where a word of the query (in any spelling)
        is, else the first words of the thread (the list shows the subject beside it), else the
        subject."""
        if rowid is None or not _hidden(snippet, ref):
            return snippet
        if shown:
            found = self._connection.execute(
                f"SELECT {_SNIPPET} FROM docs WHERE docs MATCH ? AND rowid = ?",  # noqa: S608
                (shown, rowid),
            ).fetchone()
            if found is not None and not _hidden(found[0], ref):
                return str(found[0])
        subject, messages = self._connection.execute(
            "SELECT subject, substr(messages, 1, 2000) FROM docs WHERE rowid = ?", (rowid,)
        ).fetchone()
        words = (str(messages).strip() or str(subject)).split()
        return " ".join(words[:SNIPPET_WORDS]) + ("…" if len(words) > SNIPPET_WORDS else "")


def _hidden(snippet: str, ref: str) -> bool:
    """Whether ``snippet`` came from a column no person reads."""
    unmarked = snippet.replace(MARK_START, "").replace(MARK_END, "")
    return SPELLING_SEPARATOR in snippet or unmarked == reference_words(ref)


def _where(conditions: Conditions) -> tuple[str, list[str]]:
    clauses: list[str] = []
    parameters: list[str] = []
    if conditions.statuses:
        clauses.append(f"status IN ({', '.join('?' * len(conditions.statuses))})")
        parameters.extend(conditions.statuses)
    for column in ("queue", "assignee", "priority", "language", "requester_email"):
        value = getattr(conditions, column)
        if value is not None:
            clauses.append(f"{column} = ?")
            parameters.append(value)
    if conditions.follow_up:
        clauses.append("follow_up = '1'")
    if conditions.created_from is not None:
        clauses.append("created_at >= ?")
        parameters.append(conditions.created_from)
    if conditions.created_before is not None:
        clauses.append("created_at < ?")
        parameters.append(conditions.created_before)
    if conditions.queues is not None:
        # No queue at all matches nothing ("IN ()" is no SQL).
        clauses.append(f"queue IN ({', '.join('?' * len(conditions.queues))})" if conditions.queues else "0")
        parameters.extend(conditions.queues)
    return "".join(f" AND {clause}" for clause in clauses), parameters


def search_conditions(wanted: TicketFilter) -> Conditions:
    """The index's conditions for the list filter ``wanted`` (the same values the list indexes hold)."""
    statuses = (QUARANTINE,) if wanted.quarantined else tuple(status.value for status in wanted.statuses)
    return Conditions(
        statuses=statuses,
        queue=wanted.queue,
        assignee=wanted.assignee,
        priority=wanted.priority,
        language=wanted.language,
        requester_email=wanted.requester.lower() if wanted.requester else None,
        follow_up=wanted.follow_up,
        created_from=wanted.created_from,
        created_before=wanted.created_before,
        queues=wanted.queues,
    )
