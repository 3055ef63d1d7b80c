"""Every read the answering stages make, behind one small interface: they never see SQL or FAISS."""

from __future__ import annotations

import contextlib
import json
import re
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from datetime import date
from typing import Any

import numpy as np

from qa.storage import codec
from qa.storage.candidates import Candidates, fts_query
from qa.storage.chunk_vectors import chunk_vectors
from qa.storage.filtering import filter_sql, widths
from qa.storage.schema import slices
from qa.storage.vectors import VectorIndex
from qa.types import Article, Filters, Hit, Quote

SPANS_PER_STATEMENT = 200  # SQLite allows 500 SELECTs in one compound statement


def vector(blob: bytes) -> np.ndarray:
    return codec.decode(blob)


class Reader:
    """Reads of one index: articles, chunk search (dense and BM25), sentences, quotes, families.

    One connection serves every thread (Gradio answers from several); the lock keeps their
    cursors apart.
    """

    def __init__(self, db: sqlite3.Connection, lock: threading.RLock, vectors: VectorIndex) -> None:
        self.db = db
        self.lock = lock
        self.vectors = vectors
        self._articles: dict[str, Article] | None = None
        self._frequencies: dict[tuple[str, int], int] | None = None
        self.candidates = Candidates()

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[None]:
        """One read transaction: what another process commits meanwhile is not seen inside it."""
        self.db.execute("BEGIN")
        # Nothing changes inside one read transaction: read each article and count each word once.
        self._articles, self._frequencies = {}, {}
        try:
            yield
        finally:
            self._articles = self._frequencies = None
            self.db.execute("COMMIT")

    # ---- articles ------------------------------------------------------------------------

    def article_count(self) -> int:
        return self.db.execute("SELECT count(*) FROM articles").fetchone()[0]

    def has_article(self, article_id: object) -> bool:
        return self.db.execute("SELECT 1 FROM articles WHERE id = ?", (article_id,)).fetchone() is not None

    def article(self, article_id: str) -> Article:
        """The article with this id, with its canonical text.

        Raises:
            KeyError: no such article.
        """
        if self._articles is not None and article_id in self._articles:  # asked for again and again
            return self._articles[article_id]
        found = self.articles([article_id])
        if article_id not in found:
            raise KeyError(f"no article with id {article_id!r}")
        return found[article_id]

    def articles(self, article_ids: Sequence[str]) -> dict[str, Article]:
        """`article` for each id, read in one statement (a sharded archive: one call a shard); ids
        not stored are left out."""
        known = self._articles if self._articles is not None else {}
        found = {article_id: known[article_id] for article_id in article_ids if article_id in known}
        missing = [article_id for article_id in dict.fromkeys(article_ids) if article_id not in found]
        for part in slices(missing):
            with self.lock:
                rows = self.db.execute(
                    "SELECT id, text, title, source, url, published, metadata FROM articles "
                    f"WHERE id IN ({','.join('?' * len(part))})",
                    part,
                ).fetchall()
            for row in rows:
                published = date.fromisoformat(row[5]) if row[5] else None
                found[row[0]] = Article(row[0], row[1], row[2], row[3], row[4], published, json.loads(row[6]))
        if self._articles is not None:
            self._articles.update(found)
        return found

    def article_ids(self) -> list[str]:
        with self.lock:
            return [r[0] for r in self.db.execute("SELECT id FROM articles ORDER BY rowid")]

    def sources(self) -> list[str]:
        with self.lock:
            named = "SELECT DISTINCT source FROM articles WHERE source != '' ORDER BY source"
            return [row[0] for row in self.db.execute(named)]

    def newest_articles(self, filters: Filters, limit: int) -> list[tuple[str, str | None]]:
        """(id, publication date) of the `limit` newest articles that pass the filters, undated last."""
        where, params = filter_sql(filters)
        order = "ORDER BY a.published IS NULL, a.published DESC, a.id"
        newest = f"SELECT a.id, a.published FROM articles a WHERE {where} {order} LIMIT ?"
        with self.lock:
            return self.db.execute(newest, [*params, limit]).fetchall()

    def sources_named(self, names: Sequence[str]) -> dict[str, list[str]]:
        """The stored sources each name means: itself when stored, else those that contain it,
        case aside ("wion" -> WION, "cnn" -> www.cnn.com); [] for none."""
        named: dict[str, list[str]] = {}
        with self.lock:
            for name in names:
                if self.db.execute("SELECT 1 FROM articles WHERE source = ? LIMIT 1", (name,)).fetchone():
                    named[name] = [name]
                    continue
                pattern = "%" + re.sub(r"([\\%_])", r"\\\1", name) + "%"  # LIKE ignores case; % and _ are the name's
                like = "SELECT DISTINCT source FROM articles WHERE source LIKE ? ESCAPE '\\' ORDER BY source"
                named[name] = [row[0] for row in self.db.execute(like, (pattern,))]
        return named

    def manifest(self) -> dict[str, str]:
        with self.lock:
            return dict(self.db.execute("SELECT key, value FROM manifest"))

    def published_range(self) -> tuple[str | None, str | None]:
        """The first and last publication dates (ISO), by two index lookups (both in one aggregate scan)."""
        with self.lock:
            both = "SELECT (SELECT min(published) FROM articles), (SELECT max(published) FROM articles)"
            return self.db.execute(both).fetchone()

    def counts(self) -> dict[str, Any]:
        """Articles, chunks and sentences stored, and the range of publication dates."""
        with self.lock:
            count = lambda table: self.db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: E731
            counted = {table: count(table) for table in ("articles", "chunks", "sentences")}
            return {**counted, **dict(zip(("published_from", "published_to"), self.published_range(), strict=True))}

    # ---- chunk search ----------------------------------------------------------------------

    def chunk_count(self) -> int:
        return len(self.vectors)

    def dense_chunks(self, query: np.ndarray, depth: int, filters: Filters) -> list[int]:
        """Ids of the `depth` chunks nearest the query vector, among articles that pass the filters."""
        return [chunk_id for chunk_id, _ in self.dense_scored(query, depth, filters)]

    def dense_scored(self, query: np.ndarray, depth: int, filters: Filters) -> list[tuple[int, float]]:
        """(chunk id, cosine) of the `depth` chunks nearest the query vector, among articles that
        pass the filters, nearest first.

        A filter never empties a result that a fixed top-k would have cut off: past the nearest
        ones overall (`_first_passing`, twice), FAISS searches only the ids the filter allows.
        """
        for width in widths(filters, depth):
            nearest = self.vectors.search(query, depth * width)
            ranked = [chunk_id for chunk_id, _ in nearest]
            found = self._first_passing(ranked, depth, filters, everything=len(nearest) == len(self.vectors))
            if found is not None:
                cosines = dict(nearest)
                return [(chunk_id, cosines[chunk_id]) for chunk_id in found]
        where, params = filter_sql(filters)
        allowed = np.array(
            [
                r[0]
                for r in self.db.execute(
                    f"SELECT c.id FROM chunks c JOIN articles a ON a.rowid = c.article WHERE {where}", params
                )
            ],
            dtype=np.int64,
        )
        return self.vectors.search(query, depth, allowed)

    def _first_passing(self, ranked: list[int], depth: int, filters: Filters, *, everything: bool) -> list[int] | None:
        """The first `depth` of the ranked chunks that pass the filters, when that many do (or the
        ranking holds `everything` there is): then no chunk ranked further down can be among the
        best that pass. None when too few pass: the caller searches the allowed chunks alone.

        This spares a wide filter ("since 2020" over a 1M-chunk archive) the list of every chunk
        it allows, and BM25 a join for every chunk that holds a word.
        """
        if not filters.any:
            return ranked[:depth]
        if not ranked:
            return []
        where, params = filter_sql(filters)
        passing = {
            r[0]
            for r in self.db.execute(
                # From the two indexes: the chunk rows hold vectors and the article rows text, which
                # made this check 40% slower for 1,600 chunks of a 1M-chunk index.
                "SELECT c.id FROM chunks c INDEXED BY chunks_by_id JOIN articles a INDEXED BY articles_by_row "
                f"ON a.rowid = c.article WHERE c.id IN ({','.join('?' * len(ranked))}) AND {where}",
                [*ranked, *params],
            )
        }
        if len(passing) >= depth or everything:
            return [chunk_id for chunk_id in ranked if chunk_id in passing][:depth]
        return None

    def chunk_vectors(self) -> tuple[np.ndarray, np.ndarray]:
        """(ids, vectors) of every stored chunk: the truth the FAISS index is derived from."""
        with self.lock:
            return chunk_vectors(self.db, self.vectors.dimension)

    def nearest_chunks(self, query: np.ndarray, depth: int) -> list[tuple[int, float]]:
        """(chunk id, cosine) of the `depth` nearest chunks, unfiltered."""
        return self.vectors.search(query, depth)

    def lexical_chunks(self, words: Sequence[str], depth: int, filters: Filters) -> list[int]:
        """Ids of the `depth` best chunks by BM25 over any of the words, among filtered articles."""
        if not words:
            return []
        # Without filters the joins only slow FTS5 down (4x at 10k chunks): it must rank every
        # match, and each would be looked up twice before the LIMIT.
        for width in widths(filters, depth):
            best = [
                r[0]
                for r in self.db.execute(
                    "SELECT rowid FROM chunks_fts WHERE chunks_fts MATCH ? ORDER BY bm25(chunks_fts) LIMIT ?",
                    [fts_query(words), depth * width],
                )
            ]
            found = self._first_passing(best, depth, filters, everything=len(best) < depth * width)
            if found is not None:
                return found
        where, params = filter_sql(filters)
        return [
            r[0]
            for r in self.db.execute(
                "SELECT f.rowid FROM chunks_fts f JOIN chunks c INDEXED BY chunks_by_id ON c.id = f.rowid "
                "JOIN articles a INDEXED BY articles_by_row ON a.rowid = c.article "
                f"WHERE chunks_fts MATCH ? AND {where} "
                "ORDER BY bm25(chunks_fts) LIMIT ?",
                [fts_query(words), *params, depth],
            )
        ]

    def hits(self, scored: Sequence[tuple[int, float]]) -> list[Hit]:
        """Hits for (chunk id, score) pairs in rank order; chunks deleted meanwhile are left out."""
        if not scored:
            return []
        rows = {
            r[0]: r[1:]
            for r in self.db.execute(
                f"SELECT c.id, a.id, c.start, c.end FROM chunks c JOIN articles a ON a.rowid = c.article "
                f"WHERE c.id IN ({','.join('?' * len(scored))})",
                [chunk_id for chunk_id, _ in scored],
            )
        }
        return [
            Hit(
                chunk_id,
                article_id=rows[chunk_id][0],
                start=rows[chunk_id][1],
                end=rows[chunk_id][2],
                score=score,
                rank=rank,
            )
            for rank, (chunk_id, score) in enumerate(scored)
            if chunk_id in rows
        ]

    # ---- sentences -------------------------------------------------------------------------

    def sentences_of(self, spans: Sequence[tuple[str, int, int]]) -> list[list[tuple[int, int, int, np.ndarray]]]:
        """For each (article id, start, end): (sentence id, start, end, vector) of the article's
        sentences that overlap start..end. One statement for all: a sharded archive answers with
        one call a shard instead of one a span."""
        rows = []
        for first in range(0, len(spans), SPANS_PER_STATEMENT):
            part = spans[first : first + SPANS_PER_STATEMENT]
            branches = " UNION ALL ".join(
                f"SELECT {first + n}, s.id, s.start, s.end, s.vector FROM sentences s "
                "JOIN articles a ON a.rowid = s.article WHERE a.id = ? AND s.start < ? AND s.end > ?"
                for n in range(len(part))
            )
            params = [value for article_id, start, end in part for value in (article_id, end, start)]
            with self.lock:
                rows += self.db.execute(f"{branches} ORDER BY 1, 3", params).fetchall()
        vectors = codec.decode_many([row[4] for row in rows], self.vectors.dimension)  # one numpy pass
        found: list[list[tuple[int, int, int, np.ndarray]]] = [[] for _ in spans]
        for i, (n, sentence_id, s, e, _) in enumerate(rows):
            found[n].append((sentence_id, s, e, vectors[i]))
        return found

    def sentence_before(self, article_id: str, start: int) -> tuple[int, int] | None:
        """(start, end) of the article's last sentence that ends at or before `start`."""
        return self.db.execute(
            "SELECT s.start, s.end FROM sentences s JOIN articles a ON a.rowid = s.article "
            "WHERE a.id = ? AND s.end <= ? ORDER BY s.start DESC LIMIT 1",
            (article_id, start),
        ).fetchone()

    def chunk_frequencies(self, words: Sequence[str], cap: int) -> dict[str, int]:
        """In how many chunks each word occurs, counting no further than `cap`: one statement, and
        within a snapshot each word is counted once (retrieval and scoring both ask)."""
        known = self._frequencies if self._frequencies is not None else {}
        missing = [word for word in dict.fromkeys(words) if (word, cap) not in known]
        if missing:
            counts = " UNION ALL ".join(
                f"SELECT {n}, (SELECT count(*) FROM (SELECT 1 FROM chunks_fts WHERE chunks_fts MATCH ? LIMIT ?))"
                for n in range(len(missing))
            )
            params = [value for word in missing for value in (fts_query([word]), cap)]
            with self.lock:
                known.update({(missing[n], cap): count for n, count in self.db.execute(counts, params)})
        return {word: known[word, cap] for word in words}

    def sentences_with(self, words: Sequence[str], sentences: Sequence[tuple[int, str]]) -> dict[str, list[int]]:
        with self.lock:
            return self.candidates.sentences_with(words, sentences)

    # ---- quotes ----------------------------------------------------------------------------

    def quotes(self, speaker_words: Sequence[str], filters: Filters) -> list[tuple[Quote, int]]:
        """(quote, its article's rowid) for quotes whose speaker key holds any of the words (all
        quotes without words), among filtered articles, newest first (then by article id, so that
        shards merge into the same order)."""
        where, params = filter_sql(filters)
        if speaker_words:
            where += " AND (" + " OR ".join("q.speaker_key LIKE ?" for _ in speaker_words) + ")"
            params += [f"%{word}%" for word in speaker_words]
        with self.lock:
            rows = self.db.execute(
                "SELECT a.id, a.text, q.start, q.end, q.speaker, q.speaker_key, q.cue, a.rowid FROM quotes q "
                f"JOIN articles a ON a.rowid = q.article WHERE {where} "
                "ORDER BY a.published DESC, a.id, q.start",
                params,
            ).fetchall()
        return [
            (Quote(article_id, start, end, text[start:end], who, key, cue), rowid)
            for article_id, text, start, end, who, key, cue, rowid in rows
        ]

    def speaker_counts(self) -> dict[str, tuple[str, int]]:
        """Each speaker key's name as written once, and how many quotes it has
        ("benjamin netanyahu": ("Benjamin Netanyahu", 5))."""
        with self.lock:
            rows = self.db.execute("SELECT speaker_key, MAX(speaker), COUNT(*) FROM quotes GROUP BY speaker_key")
            return {key: (name, count) for key, name, count in rows}

    def speakers_in(self, article_ids: Sequence[str]) -> dict[str, list[tuple[int, int, str]]]:
        """(start, end, speaker) of each quote found at ingest in these articles, in text order."""
        found: dict[str, list[tuple[int, int, str]]] = {}
        statement = (
            "SELECT a.id, q.start, q.end, q.speaker FROM quotes q JOIN articles a ON a.rowid = q.article "
            "WHERE a.id IN ({}) ORDER BY a.id, q.start"
        )
        for article_id, start, end, speaker in self._rows(statement, article_ids):
            found.setdefault(article_id, []).append((start, end, speaker))
        return found

    def vectors_around(self, article_rowid: int, start: int, end: int) -> list[np.ndarray]:
        """Vectors of the article's sentences and chunks that overlap start..end."""
        with self.lock:
            return [
                vector(r[0])
                for r in self.db.execute(
                    "SELECT vector FROM sentences WHERE article = ?1 AND start < ?2 AND end > ?3 UNION ALL "
                    "SELECT vector FROM chunks WHERE article = ?1 AND start < ?2 AND end > ?3",
                    (article_rowid, end, start),
                )
            ]

    # ---- near-duplicate families -------------------------------------------------------------

    def family_sources(self, article_ids: Sequence[str]) -> dict[str, list[str]]:
        """For each article, the other sources that carried a near-duplicate of it, sorted (the
        articles with none are left out)."""
        # SQLite would look each member up in the articles table, a page of text each (101
        # members: 7.6 ms warm, 0.6 ms from the index).
        return self._grouped(
            "SELECT DISTINCT mine.id, other.source FROM articles mine "
            "JOIN families f ON f.article = mine.rowid JOIN families kin ON kin.family = f.family "
            "JOIN articles other INDEXED BY articles_by_row ON other.rowid = kin.article "
            "WHERE mine.id IN ({}) AND other.rowid != mine.rowid "
            "AND other.source != '' AND other.source != mine.source ORDER BY mine.id, other.source",
            article_ids,
        )

    def _rows(self, statement: str, keys: Sequence[Any]) -> Iterator[tuple[Any, ...]]:
        """The rows of `statement` for `keys`, bound where it says `IN ({})`, in slices SQLite accepts."""
        for part in slices(keys):
            with self.lock:
                rows = self.db.execute(statement.format(",".join("?" * len(part))), list(part)).fetchall()
            yield from rows

    def _grouped(self, statement: str, keys: Sequence[Any]) -> dict[Any, list[Any]]:
        """The (key, value) rows of `statement` for `keys` (see `_rows`), as key -> values in row order."""
        found: dict[Any, list[Any]] = {}
        for key, value in self._rows(statement, keys):
            found.setdefault(key, []).append(value)
        return found

    def families(self, article_ids: Sequence[str]) -> dict[str, int]:
        """Each article's near-duplicate family id (articles indexed before grouping have none)."""
        with self.lock:
            return dict(
                self.db.execute(
                    "SELECT a.id, f.family FROM articles a JOIN families f ON f.article = a.rowid "
                    f"WHERE a.id IN ({','.join('?' * len(article_ids))})",
                    list(article_ids),
                )
            )
