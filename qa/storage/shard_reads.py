"""The reads of an index that is one shard of several, beyond a Reader's: scores that merge.

A sharded archive (qa.scale) answers as one index over the same articles would. For that each
shard returns its best chunks with scores the others' compare with: cosines (`dense_scored`), and
BM25 weighed by the whole archive's counts (`bm25_statistics` from every shard, summed, then
`bm25_scored`); quotes come with their article's date so the lists merge newest first.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Collection, Iterator, Sequence
from pathlib import Path

from qa.storage.bm25 import Scorer, Statistics
from qa.storage.reads import Reader
from qa.storage.schema import DATABASE, slices
from qa.storage.writer import content_hash
from qa.types import Article, Filters, Quote


class ShardReader(Reader):
    """A Reader with the shard-side reads that qa.scale.sharded merges."""

    _scorer: Scorer | None = None

    def _bm25(self) -> Scorer:
        if self._scorer is None:
            self._scorer = Scorer(self.db, self.candidates)
        return self._scorer

    def bm25_statistics(self, words: Sequence[str]) -> Statistics:
        with self.lock:
            return self._bm25().statistics(words)

    def bm25_scored(
        self, words: Sequence[str], depth: int, filters: Filters, totals: Statistics
    ) -> list[tuple[int, float]]:
        """(chunk id, BM25 under the archive's `totals`) of this shard's `depth` best chunks that
        hold any of the words, among articles that pass the filters."""
        if not words:
            return []
        with self.lock:
            scored = self._bm25().scored(words, totals)
            if not filters.any:
                return scored[:depth]
            kept: list[tuple[int, float]] = []
            for part in slices(scored):
                passing = set(
                    self._first_passing([chunk_id for chunk_id, _ in part], depth, filters, everything=True) or ()
                )
                kept += [pair for pair in part if pair[0] in passing]
                if len(kept) >= depth:
                    break
            return kept[:depth]

    def word_counts(self, words: Sequence[str], cap: int) -> tuple[int, dict[str, int]]:
        """This shard's chunk count and `chunk_frequencies`: retrieval needs both, so one call."""
        with self.lock:
            return self.chunk_count(), self.chunk_frequencies(words, cap)

    def families_signed(self, article_ids: Sequence[str]) -> dict[str, tuple[int, bytes]]:
        """Each article's family and MinHash signature: copies of one story in other shards are
        in no family of this one, and the archive joins them by their signatures."""
        rows = self._rows(
            "SELECT a.id, f.family, f.minhash FROM articles a JOIN families f ON f.article = a.rowid "
            "WHERE a.id IN ({})",
            article_ids,
        )
        return {article_id: (family, bytes(blob)) for article_id, family, blob in rows}

    def sources_of_families(self, families: Sequence[int]) -> dict[int, list[str]]:
        """The sources that carried a member of each family (for copies of a story joined across
        shards: their other outlets)."""
        return self._grouped(
            "SELECT DISTINCT f.family, a.source FROM families f "
            "JOIN articles a INDEXED BY articles_by_row ON a.rowid = f.article "
            "WHERE f.family IN ({}) AND a.source != '' ORDER BY f.family, a.source",
            families,
        )

    def quotes_dated(self, speaker_words: Sequence[str], filters: Filters) -> list[tuple[Quote, int, str | None]]:
        """`quotes`, each with its article's publication date (ISO), the key the merge sorts by."""
        found = self.quotes(speaker_words, filters)
        ids = sorted({quote.article_id for quote, _ in found})
        published = dict(self._rows("SELECT id, published FROM articles WHERE id IN ({})", ids))
        return [(quote, rowid, published[quote.article_id]) for quote, rowid in found]


def stored(folder: Path, articles: Sequence[Article]) -> set[str]:
    """Ids of the articles the index at `folder` holds already with the same content: what a
    rerun of an ingest need not read into the model again. Read-only; none when there is no index."""
    digests = {article.id: content_hash(article) for article in articles}
    held: set[str] = set()
    with _read_only(folder) as db:
        if db is None:  # no index yet
            return held
        for part in slices(list(digests)):
            rows = db.execute(f"SELECT id, content_hash FROM articles WHERE id IN ({','.join('?' * len(part))})", part)
            held.update(article_id for article_id, digest in rows if digests[article_id] == digest)
    return held


def ids_by_content(folder: Path, digests: Collection[str]) -> dict[str, str]:
    """Content hash -> the id of an article the index at `folder` holds with that content: how an
    ingest into several shards finds a copy that another shard holds. Read-only."""
    found: dict[str, str] = {}
    with _read_only(folder) as db:
        if db is None:
            return found
        for part in slices(list(digests)):
            query = f"SELECT content_hash, id FROM articles WHERE content_hash IN ({','.join('?' * len(part))})"
            found.update(db.execute(query, part))
    return found


@contextlib.contextmanager
def _read_only(folder: Path) -> Iterator[sqlite3.Connection | None]:
    database = folder / DATABASE
    if not database.exists():
        yield None
        return
    with contextlib.closing(sqlite3.connect(f"{database.as_uri()}?mode=ro", uri=True)) as db:
        yield db
