"""NewsIndex on disk: SQLite is the truth; the FAISS file is derived from it and rebuilt when stale."""
from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from datetime import date
from pathlib import Path

import numpy as np

from qa.ingest import chunk
from qa.ingest.embed import Embedder
from qa.errors import BadInput, IndexBusy, IndexCorrupt, IndexMismatch, IndexNotFound, QAError
from qa.ingest.load import Problem, load
from qa.ingest.near_duplicates import NearDuplicates, signature
from qa.text.quotes import find_quotes, speaker_key, speaker_matches
from qa.types import Answer, Article, Quote

FORMAT_VERSION = 1
DEFAULT_INDEX = Path("index")
DATABASE = "news.sqlite"
LOCK = "write.lock"
BATCH_ARTICLES = 32  # articles committed per transaction: a kill loses at most one batch
LOCK_WAIT_SECONDS = 30.0
log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS manifest(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS articles(
    rowid INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    content_hash TEXT NOT NULL,
    title TEXT NOT NULL, source TEXT NOT NULL, url TEXT NOT NULL,
    published TEXT,
    text TEXT NOT NULL,
    metadata TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS articles_hash ON articles(content_hash);
CREATE INDEX IF NOT EXISTS articles_source ON articles(source);
CREATE INDEX IF NOT EXISTS articles_published ON articles(published);
CREATE TABLE IF NOT EXISTS chunks(
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    article INTEGER NOT NULL REFERENCES articles(rowid) ON DELETE CASCADE,
    start INTEGER NOT NULL, end INTEGER NOT NULL,
    vector BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS chunks_article ON chunks(article);
CREATE TABLE IF NOT EXISTS sentences(
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    article INTEGER NOT NULL REFERENCES articles(rowid) ON DELETE CASCADE,
    start INTEGER NOT NULL, end INTEGER NOT NULL,
    vector BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS sentences_article ON sentences(article, start);
CREATE TABLE IF NOT EXISTS quotes(
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    article INTEGER NOT NULL REFERENCES articles(rowid) ON DELETE CASCADE,
    start INTEGER NOT NULL, end INTEGER NOT NULL,
    speaker TEXT NOT NULL, speaker_key TEXT NOT NULL, cue TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS quotes_article ON quotes(article);
CREATE TABLE IF NOT EXISTS families(
    article INTEGER PRIMARY KEY REFERENCES articles(rowid) ON DELETE CASCADE,
    family INTEGER NOT NULL,
    minhash BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS families_family ON families(family);
CREATE VIRTUAL TABLE IF NOT EXISTS chunks_fts USING fts5(text, tokenize='porter unicode61 remove_diacritics 2');
CREATE VIRTUAL TABLE IF NOT EXISTS sentences_fts USING fts5(text, tokenize='porter unicode61 remove_diacritics 2');
CREATE TRIGGER IF NOT EXISTS chunks_gone AFTER DELETE ON chunks
    BEGIN DELETE FROM chunks_fts WHERE rowid = old.id; END;
CREATE TRIGGER IF NOT EXISTS sentences_gone AFTER DELETE ON sentences
    BEGIN DELETE FROM sentences_fts WHERE rowid = old.id; END;
"""


@dataclass
class IngestReport:
    """What one `add` did, item by item."""

    added: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    skipped: list[Problem] = field(default_factory=list)
    chunks: int = 0

    def to_dict(self) -> dict:
        return {"added": len(self.added), "replaced": len(self.replaced),
                "duplicates": len(self.duplicates), "chunks": self.chunks,
                "skipped": [{"path": p.path, "line": p.line, "reason": p.reason} for p in self.skipped]}

    def summary(self) -> str:
        return (f"added {len(self.added)}, replaced {len(self.replaced)}, "
                f"duplicates {len(self.duplicates)}, skipped {len(self.skipped)} ({self.chunks} chunks)")


def content_hash(article: Article) -> str:
    return hashlib.sha1(f"{article.title}\n{article.text}".encode()).hexdigest()


def _vector_blob(vector: np.ndarray) -> bytes:
    return np.asarray(vector, dtype=np.float32).tobytes()


class NewsIndex:
    """A persisted, incrementally updated index of news articles that answers questions.

    Open it with `NewsIndex.open(path)`; add articles with `add`, ask with `ask`.
    """

    def __init__(self, path: Path, connection: sqlite3.Connection, embedder: Embedder) -> None:
        self.path = path
        self.db = connection
        self.embedder = embedder
        self._lock = threading.RLock()  # Gradio serves requests from several threads
        from qa.storage.vectors import VectorIndex

        self.vectors = VectorIndex(path, embedder.dimension)
        self._sync_vectors()

    @classmethod
    def open(cls, path: str | Path = DEFAULT_INDEX, *, create: bool = False,
             embedder: Embedder | None = None) -> NewsIndex:
        """Open the index at `path`.

        Args:
            path: the index folder.
            create: make an empty index when none exists.
            embedder: the embedding model; the bundled MiniLM by default.

        Raises:
            IndexNotFound, IndexCorrupt, IndexMismatch: with the command that fixes it.
        """
        path = Path(path)
        database = path / DATABASE
        if not database.exists():
            if not create:
                raise IndexNotFound(f"no index at {path}/; build one with: python -m qa ingest "
                                    f"--index {path} seeds/")
            path.mkdir(parents=True, exist_ok=True)
        embedder = embedder or Embedder()
        connection = sqlite3.connect(database, check_same_thread=False, timeout=LOCK_WAIT_SECONDS)
        try:
            connection.execute("PRAGMA journal_mode=WAL")  # readers never wait for the writer
            connection.execute("PRAGMA foreign_keys=ON")
            connection.execute("PRAGMA synchronous=NORMAL")
            _check_or_write_manifest(connection, path, embedder)
        except (sqlite3.DatabaseError, UnicodeDecodeError) as exc:  # a damaged schema can garble the message
            connection.close()
            raise IndexCorrupt(f"{database} is not a readable news-qa index ({exc}); move it away and "
                               f"rebuild with: python -m qa ingest --index {path} PATH...") from None
        return cls(path, connection, embedder)

    # ---- reading -------------------------------------------------------------------------

    def __len__(self) -> int:
        return self.db.execute("SELECT count(*) FROM articles").fetchone()[0]

    def __contains__(self, article_id: object) -> bool:
        return self.db.execute("SELECT 1 FROM articles WHERE id = ?", (article_id,)).fetchone() is not None

    def get(self, article_id: str) -> Article:
        """The article with this id, with its canonical text.

        Raises:
            KeyError: no such article.
        """
        with self._lock:  # one connection serves every thread; the lock keeps its cursors apart
            row = self.db.execute("SELECT id, text, title, source, url, published, metadata FROM articles "
                                  "WHERE id = ?", (article_id,)).fetchone()
        if row is None:
            raise KeyError(f"no article with id {article_id!r}")
        return Article(row[0], row[1], row[2], row[3], row[4],
                       date.fromisoformat(row[5]) if row[5] else None, json.loads(row[6]))

    def articles(self) -> Iterator[Article]:
        for (article_id,) in self.db.execute("SELECT id FROM articles ORDER BY rowid").fetchall():
            yield self.get(article_id)

    def sources(self) -> list[str]:
        with self._lock:
            return [row[0] for row in self.db.execute(
                "SELECT DISTINCT source FROM articles WHERE source != '' ORDER BY source")]

    def info(self) -> dict:
        """Counts, settings and size on disk."""
        with self._lock:
            return self._info()

    def _info(self) -> dict:
        manifest = dict(self.db.execute("SELECT key, value FROM manifest"))
        count = lambda table: self.db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: E731
        first, last = self.db.execute("SELECT min(published), max(published) FROM articles").fetchone()
        size = sum(f.stat().st_size for f in self.path.iterdir() if f.is_file())
        return {"path": str(self.path), "articles": count("articles"), "chunks": count("chunks"),
                "sentences": count("sentences"), "sources": len(self.sources()),
                "published_from": first, "published_to": last,
                "model": manifest["model"], "dimension": int(manifest["dimension"]),
                "chunk_size": int(manifest["chunk_size"]), "chunk_overlap": int(manifest["chunk_overlap"]),
                "format_version": int(manifest["format_version"]),
                "vector_index": self.vectors.kind, "bytes_on_disk": size}

    def quotes(self, speaker: str | None = None, about: str | None = None, *,
               sources: Sequence[str] = (), since: date | None = None, until: date | None = None,
               limit: int = 50) -> list[Quote]:
        """Quotations found at ingest, optionally by one speaker, ranked by topic when given.

        Args:
            speaker: a name as people write it; "Netanyahu" matches "Benjamin Netanyahu".
            about: a topic; quotes are ranked by how close their sentence is to it.
            sources, since, until: the same filters as `ask`.
            limit: at most this many quotes.

        Returns:
            Quotes, most relevant first (newest first when no topic is given).
        """
        return [quote for quote, _ in self.ranked_quotes(speaker, about, sources=sources, since=since,
                                                         until=until, limit=limit)]

    def ranked_quotes(self, speaker: str | None = None, about: str | None = None, *,
                      sources: Sequence[str] = (), since: date | None = None, until: date | None = None,
                      undated: bool = False, limit: int = 50) -> list[tuple[Quote, float]]:
        """As `quotes`, each with its topic relevance (cosine of its best sentence; 0 without a topic)."""
        from qa.answer.retrieve import filter_sql

        where, params = filter_sql(sources, since, until, undated)
        if speaker:
            # Every word of a matching speaker key is in the name asked about, or the reverse;
            # the SQL prefilter on one word keeps this cheap, speaker_matches decides.
            words = speaker_key(speaker).split() or [""]
            where += " AND (" + " OR ".join("q.speaker_key LIKE ?" for _ in words) + ")"
            params += [f"%{word}%" for word in words]
        with self._lock:
            rows = self.db.execute(
                "SELECT a.id, a.text, q.start, q.end, q.speaker, q.speaker_key, q.cue, a.rowid FROM quotes q "
                f"JOIN articles a ON a.rowid = q.article WHERE {where} "
                "ORDER BY a.published DESC, a.rowid, q.start", params).fetchall()
            found = [(Quote(article_id, start, end, text[start:end], who, key, cue), rowid)
                     for article_id, text, start, end, who, key, cue, rowid in rows
                     if not speaker or speaker_matches(speaker, who)]
            if not about:
                return [(quote, 0.0) for quote, _ in found[:limit]]
            topic = self.embedder.embed([about])[0]
            ranked = [(quote, self._quote_relevance(rowid, quote, topic)) for quote, rowid in found]
        return sorted(ranked, key=lambda item: -item[1])[:limit]

    def _quote_relevance(self, article_rowid: int, quote: Quote, topic) -> float:
        """Best cosine between the topic and the sentences or chunks the quote overlaps.

        Chunks count because a quote often leaves its topic to the sentences around it
        ("I told him ... we will do it alone" is about Rafah only in context).
        """
        rows = self.db.execute(
            "SELECT vector FROM sentences WHERE article = ?1 AND start < ?2 AND end > ?3 UNION ALL "
            "SELECT vector FROM chunks WHERE article = ?1 AND start < ?2 AND end > ?3",
            (article_rowid, quote.end, quote.start)).fetchall()
        return max((float(np.frombuffer(r[0], dtype=np.float32) @ topic) for r in rows), default=0.0)

    def ask(self, question: str, *, k: int = 5, sources: Sequence[str] = (),
            since: date | None = None, until: date | None = None) -> Answer:
        """Answer `question` from the indexed articles, citing character spans.

        Args:
            question: the question in plain words.
            k: how many chunks to gather evidence from.
            sources: only articles from these sources (all when empty).
            since, until: only articles published in this date range (inclusive).

        Returns:
            An Answer; `abstained` is true when the articles do not answer the question.
        """
        from qa.answer.extract import answer

        if not isinstance(question, str):
            raise BadInput("the question must be text")
        if k < 1:
            raise BadInput(f"k must be at least 1, got {k}")
        with self._lock, _explained(self.path):
            self._sync_vectors()  # outside a transaction, so that a rebuilt FAISS file can be saved
            # One read transaction: what another process commits meanwhile cannot change this answer's articles.
            self.db.execute("BEGIN")
            try:
                self._sync_vectors()
                return answer(self, question, k=k, sources=sources, since=since, until=until)
            finally:
                self.db.execute("COMMIT")

    # ---- writing -------------------------------------------------------------------------

    def add(self, items: Iterable[str | Path | Article], *,
            progress: Callable[[int, int | None], None] | None = None) -> IngestReport:
        """Add articles and files; never re-embeds articles already in the index.

        Same id and same content is a duplicate (no-op); same id with new content replaces the
        old article; the same content under another id is a duplicate too. Articles are
        committed in batches, each whole, so a crash keeps every batch before it.

        Args:
            items: Article objects, files or folders (walked recursively).
            progress: called with (articles done, total if known) after each batch.

        Returns:
            An IngestReport listing added, replaced, duplicate and skipped items.
        """
        report = IngestReport()
        batch: list[Article] = []
        with self._writer(), _explained(self.path):
            with self._lock:
                self._sync_vectors()  # another process may have written since: start from SQLite's state
                self._group_ungrouped()
            for item in self._articles(items):
                if isinstance(item, Problem):
                    report.skipped.append(item)
                    continue
                batch.append(item)
                if len(batch) >= BATCH_ARTICLES:
                    self._commit_batch(batch, report)
                    batch = []
                    if progress:
                        progress(len(report.added) + len(report.replaced) + len(report.duplicates), None)
            if batch:
                self._commit_batch(batch, report)
            if progress:
                progress(len(report.added) + len(report.replaced) + len(report.duplicates), None)
            with self._lock:
                self.vectors.save(self._generation())
        return report

    def delete(self, article_ids: Iterable[str]) -> int:
        """Delete articles by id; returns how many existed."""
        ids = list(article_ids)
        with self._writer(), self._lock, _explained(self.path):
            self._sync_vectors()  # another process may have written since: start from SQLite's state
            with self.db:
                rows = [r[0] for r in self.db.execute(
                    f"SELECT rowid FROM articles WHERE id IN ({','.join('?' * len(ids))})", ids)]
                chunk_ids = self._chunk_ids(rows)
                self.db.executemany("DELETE FROM articles WHERE rowid = ?", [(r,) for r in rows])
                self._bump_generation()
            for row in rows:
                self._near_duplicates.remove(row)
            self.vectors.remove(chunk_ids)
            self.vectors.save(self._generation())
        return len(rows)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> NewsIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- internals -----------------------------------------------------------------------

    def _articles(self, items: Iterable[str | Path | Article]) -> Iterator[Article | Problem]:
        if isinstance(items, (str, Path, Article)):
            items = [items]
        paths: list[str | Path] = []
        for item in items:
            if not isinstance(item, Article):
                paths.append(item)
            elif item.text.strip():
                yield item
            else:
                yield Problem(item.id, None, "text is empty")
        yield from load(paths)

    def _generation(self) -> int:
        return int(self.db.execute("SELECT value FROM manifest WHERE key = 'generation'").fetchone()[0])

    def _bump_generation(self) -> None:
        self.db.execute("UPDATE manifest SET value = CAST(value AS INTEGER) + 1 WHERE key = 'generation'")

    def _chunk_ids(self, article_rows: Sequence[int]) -> list[int]:
        marks = ",".join("?" * len(article_rows))
        return [r[0] for r in self.db.execute(f"SELECT id FROM chunks WHERE article IN ({marks})",
                                              list(article_rows))]

    def _sync_vectors(self) -> None:
        """Make the in-memory FAISS index match SQLite, after another process wrote to it."""
        generation = self._generation()
        if self.vectors.generation == generation:
            return
        if not self.vectors.load(generation):
            rows = self.db.execute("SELECT id, vector FROM chunks ORDER BY id").fetchall()
            ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
            matrix = np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float32)
            self.vectors.rebuild(ids, matrix.reshape(len(rows), self.embedder.dimension), generation)
            if self.db.in_transaction:
                return  # a read snapshot's generation may be old: the next sync outside one saves
            # A reader that cannot write (busy, read-only, disk full) just keeps it in memory.
            with contextlib.suppress(IndexBusy, OSError, RuntimeError):
                with self._writer(wait=0):
                    if self._generation() != generation:
                        return  # a writer moved on meanwhile and saved its own file
                    if rows:  # with no writer at work, a missing or unreadable file is a fault
                        log.warning("news-qa: the vector file vectors-%d.faiss in %s/ was missing or "
                                    "unreadable; rebuilt it from %s (%d chunks)",
                                    generation, self.path, DATABASE, len(rows))
                    self.vectors.save(generation)

    def _classify(self, batch: list[Article], report: IngestReport) -> list[tuple[Article, str, int | None]]:
        """(article, hash, rowid of the article it replaces) for each article that needs indexing."""
        todo: dict[str, tuple[Article, str, int | None]] = {}
        hashes_in_batch: set[str] = set()
        for article in batch:
            digest = content_hash(article)
            row = self.db.execute("SELECT rowid, content_hash FROM articles WHERE id = ?",
                                  (article.id,)).fetchone()
            same_content = self.db.execute("SELECT 1 FROM articles WHERE content_hash = ? AND id != ?",
                                           (digest, article.id)).fetchone()
            if (row and row[1] == digest) or same_content or digest in hashes_in_batch:
                report.duplicates.append(article.id)
                continue
            if article.id in todo:  # the later version of an id within one batch wins
                report.replaced.append(article.id)
            todo[article.id] = (article, digest, row[0] if row else None)
            hashes_in_batch.add(digest)
        return list(todo.values())

    def _commit_batch(self, batch: list[Article], report: IngestReport) -> None:
        work = self._classify(batch, report)
        if not work:
            return
        prepared = [(article, digest, old, *self._embed_article(article), find_quotes(article.id, article.text),
                     signature(article.text)) for article, digest, old in work]
        with self._lock:
            removed: list[int] = []
            with self.db:
                for article, digest, old, chunk_rows, sentence_rows, quotes, hashes in prepared:
                    if old is not None:
                        removed += self._chunk_ids([old])
                        self.db.execute("DELETE FROM articles WHERE rowid = ?", (old,))
                        self._near_duplicates.remove(old)
                    rowid = self._insert_article(article, digest, chunk_rows, sentence_rows, quotes)
                    self._group(rowid, hashes)
                    (report.replaced if old is not None else report.added).append(article.id)
                    report.chunks += len(chunk_rows)
                self._bump_generation()
                new = self.db.execute("SELECT id, vector FROM chunks WHERE id > ? ORDER BY id",
                                      (self.vectors.max_id,)).fetchall()
            self.vectors.remove(removed)
            self.vectors.add(np.array([r[0] for r in new], dtype=np.int64),
                             np.frombuffer(b"".join(r[1] for r in new), dtype=np.float32)
                             .reshape(len(new), self.embedder.dimension), self._generation())

    @cached_property
    def _near_duplicates(self) -> NearDuplicates:
        found = NearDuplicates()
        for article, family, blob in self.db.execute("SELECT article, family, minhash FROM families"):
            found.add(article, family, np.frombuffer(blob, dtype=np.uint32))
        return found

    def _group(self, rowid: int, hashes: np.ndarray) -> None:
        """Put an article in the family of its nearest near-duplicate, or a family of its own.

        Called inside the article's transaction; should it roll back, the in-memory LSH keeps
        an entry for a rowid that no article has, which only ever matches nothing new.
        """
        family = self._near_duplicates.family_of(hashes) or rowid
        self.db.execute("INSERT INTO families(article, family, minhash) VALUES (?, ?, ?)",
                        (rowid, family, hashes.tobytes()))
        self._near_duplicates.add(rowid, family, hashes)

    def _group_ungrouped(self) -> None:
        """Group articles indexed before near-duplicate families existed (derived data, made once)."""
        rows = self.db.execute("SELECT rowid, text FROM articles WHERE rowid NOT IN (SELECT article FROM families) "
                               "ORDER BY rowid").fetchall()
        with self.db:
            for rowid, text in rows:
                self._group(rowid, signature(text))

    def family_sources(self, article_id: str) -> list[str]:
        """The other sources that carried a near-duplicate of this article, sorted."""
        with self._lock:
            return [row[0] for row in self.db.execute(
                "SELECT DISTINCT a.source FROM families f JOIN articles a ON a.rowid = f.article "
                "WHERE f.family = (SELECT f2.family FROM families f2 JOIN articles a2 ON a2.rowid = f2.article "
                "WHERE a2.id = ?1) AND a.id != ?1 AND a.source != '' "
                "AND a.source != (SELECT source FROM articles WHERE id = ?1) ORDER BY a.source", (article_id,))]

    def families(self, article_ids: Sequence[str]) -> dict[str, int]:
        """Each article's near-duplicate family id (articles indexed before grouping have none)."""
        with self._lock:
            return dict(self.db.execute(
                "SELECT a.id, f.family FROM articles a JOIN families f ON f.article = a.rowid "
                f"WHERE a.id IN ({','.join('?' * len(article_ids))})", list(article_ids)))

    def _embed_article(self, article: Article):
        chunk_spans = chunk.chunks(article.text, *self._chunk_settings())
        sentence_spans = chunk.sentences(article.text)
        # Each sentence is pooled from the chunk that holds most of it, in the same forward pass.
        owned: list[list[tuple[int, int]]] = [[] for _ in chunk_spans]
        owners: list[int] = []
        for sentence in sentence_spans:
            best = max(range(len(chunk_spans)), key=lambda i: min(sentence.end, chunk_spans[i].end)
                       - max(sentence.start, chunk_spans[i].start))
            c = chunk_spans[best]
            owned[best].append((max(sentence.start, c.start) - c.start, min(sentence.end, c.end) - c.start))
            owners.append(best)
        chunk_vectors, pooled = self.embedder.embed_with_spans([c.text for c in chunk_spans], owned)
        # `pooled` is ordered chunk by chunk; map it back to sentence order.
        by_chunk: list[list[np.ndarray | None]] = [[] for _ in chunk_spans]
        cursor = 0
        for i, spans in enumerate(owned):
            by_chunk[i] = pooled[cursor:cursor + len(spans)]
            cursor += len(spans)
        taken = [0] * len(chunk_spans)
        sentence_vectors: list[np.ndarray | None] = []
        for owner in owners:
            sentence_vectors.append(by_chunk[owner][taken[owner]])
            taken[owner] += 1
        missing = [i for i, v in enumerate(sentence_vectors) if v is None]
        if missing:  # past the model's token window: embed those sentences on their own
            for i, vector in zip(missing, self.embedder.embed([sentence_spans[i].text for i in missing])):
                sentence_vectors[i] = vector
        chunk_rows = [(c.start, c.end, c.text, _vector_blob(v)) for c, v in zip(chunk_spans, chunk_vectors)]
        sentence_rows = [(s.start, s.end, s.text, _vector_blob(v)) for s, v in zip(sentence_spans, sentence_vectors)]
        return chunk_rows, sentence_rows

    def _insert_article(self, article: Article, digest: str, chunk_rows, sentence_rows, quotes) -> int:
        cursor = self.db.execute(
            "INSERT INTO articles(id, content_hash, title, source, url, published, text, metadata) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (article.id, digest, article.title, article.source, article.url,
             article.published.isoformat() if article.published else None, article.text,
             json.dumps(article.metadata, ensure_ascii=False)))
        rowid = cursor.lastrowid
        for start, end, text, blob in chunk_rows:
            chunk_id = self.db.execute("INSERT INTO chunks(article, start, end, vector) VALUES (?, ?, ?, ?)",
                                       (rowid, start, end, blob)).lastrowid
            self.db.execute("INSERT INTO chunks_fts(rowid, text) VALUES (?, ?)", (chunk_id, text))
        for start, end, text, blob in sentence_rows:
            sentence_id = self.db.execute("INSERT INTO sentences(article, start, end, vector) VALUES (?, ?, ?, ?)",
                                          (rowid, start, end, blob)).lastrowid
            self.db.execute("INSERT INTO sentences_fts(rowid, text) VALUES (?, ?)", (sentence_id, text))
        self.db.executemany("INSERT INTO quotes(article, start, end, speaker, speaker_key, cue) "
                            "VALUES (?, ?, ?, ?, ?, ?)",
                            [(rowid, q.start, q.end, q.speaker, q.speaker_key, q.cue) for q in quotes])
        return rowid

    def _chunk_settings(self) -> tuple[int, int]:
        manifest = dict(self.db.execute("SELECT key, value FROM manifest WHERE key LIKE 'chunk_%'"))
        return int(manifest["chunk_size"]), int(manifest["chunk_overlap"])

    @contextlib.contextmanager
    def _writer(self, wait: float | None = None):
        """Hold the index's write lock: one writing process at a time, others wait or get IndexBusy."""
        wait = LOCK_WAIT_SECONDS if wait is None else wait
        with open(self.path / LOCK, "a+") as handle:
            deadline = time.monotonic() + wait
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise IndexBusy(f"the index at {self.path}/ is busy: another process is adding "
                                        "articles; wait for it to finish and try again") from None
                    time.sleep(0.1)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def _check_or_write_manifest(connection: sqlite3.Connection, path: Path, embedder: Embedder) -> None:
    """Stamp a new index with its settings; refuse one stamped by another format or model."""
    tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if "manifest" not in tables and tables:
        raise IndexCorrupt(f"{path / DATABASE} is an SQLite file but not a news-qa index; move it away "
                           f"and build one with: python -m qa ingest --index {path} PATH...")
    expected = {"format_version": str(FORMAT_VERSION), "model": embedder.name,
                "dimension": str(embedder.dimension)}
    if "manifest" in tables:
        manifest = dict(connection.execute("SELECT key, value FROM manifest"))
        for key, value in expected.items():
            found = str(manifest.get(key, ""))
            if key == "format_version" and found.isdigit() and int(found) > FORMAT_VERSION:
                raise IndexMismatch(
                    f"the index at {path}/ was written by a newer news-qa (format {manifest[key]}, this one "
                    f"reads format {FORMAT_VERSION}); upgrade news-qa, or move {path}/ away and rebuild it "
                    f"with: python -m qa ingest --index {path} PATH...")
            if manifest.get(key) != value:
                raise IndexMismatch(
                    f"the index at {path}/ was built with {key} {manifest.get(key)!r}, this news-qa "
                    f"uses {value!r}; rebuild it: move {path}/ away, then run "
                    f"python -m qa ingest --index {path} PATH...")
        # Tables added since the index was made (all derived data) are created empty.
        connection.executescript(SCHEMA)
        return
    settings = {**expected, "chunk_size": str(chunk.CHUNK_SIZE),
                "chunk_overlap": str(chunk.CHUNK_OVERLAP), "generation": "0"}
    stamps = "".join(f"INSERT INTO manifest VALUES ('{k}', '{v}');" for k, v in settings.items())
    # One transaction: a crash here leaves either no schema or a complete, stamped one.
    connection.executescript(f"BEGIN; {SCHEMA} {stamps} COMMIT;")


@contextlib.contextmanager
def _explained(path: Path) -> Iterator[None]:
    """A full disk or a damaged database file becomes a QAError that says what to do."""
    try:
        yield
    except (sqlite3.DatabaseError, UnicodeDecodeError, OSError, RuntimeError) as exc:  # FAISS: RuntimeError
        code = getattr(exc, "sqlite_errorcode", None)
        if (code == sqlite3.SQLITE_FULL or getattr(exc, "errno", None) in (errno.ENOSPC, errno.EDQUOT)
                or "No space left on device" in str(exc)):
            raise QAError(f"disk full while writing the index at {path}/; everything committed before this "
                          "point is kept: free space and re-run the same ingest") from None
        if code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
            raise IndexBusy(f"the index at {path}/ is busy ({exc}); wait for the other process to finish "
                            "and try again") from None
        if isinstance(exc, (sqlite3.DatabaseError, UnicodeDecodeError)):  # a damaged page can garble text
            raise IndexCorrupt(f"{path / DATABASE} could not be read ({exc}); it is damaged: move {path}/ "
                               f"away and rebuild with: python -m qa ingest --index {path} PATH...") from None
        raise
