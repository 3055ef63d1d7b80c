"""Writes: one process at a time (a file lock), whole articles per transaction, FAISS kept in step."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from qa.errors import IndexBusy
from qa.ingest.load import Problem
from qa.ingest.prepare import Prepared
from qa.storage import codec, schema
from qa.storage.chunk_vectors import chunk_vector_batches, chunk_vector_sample, chunk_vectors, stored_chunk_count
from qa.storage.families import Families
from qa.storage.vectors import REBUILD_BATCH, VectorIndex, training_size
from qa.types import Article

LOCK = "write.lock"
log = logging.getLogger(__name__)


OUTCOMES = ("added", "replaced", "duplicates")


@dataclass
class IngestReport:
    """What one `add` did: the articles added, replaced and already stored (their ids, unless
    `listed` is false: then counted only, so that memory stays flat however large the input; a
    5 GB JSONL's 4.3M duplicate ids held 385 MB), and the items skipped, with why."""

    added: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    skipped: list[Problem] = field(default_factory=list)
    chunks: int = 0
    listed: bool = True
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(OUTCOMES, 0))

    def record(self, outcome: str, article_id: str) -> None:
        """One article "added", "replaced" or one of the "duplicates"."""
        self.counts[outcome] += 1
        if self.listed:
            getattr(self, outcome).append(article_id)

    def merge(self, part: IngestReport) -> None:
        """Take in another report's articles (a shard's, in a sharded ingest)."""
        for outcome in OUTCOMES:
            self.counts[outcome] += part.counts[outcome]
            if self.listed:
                getattr(self, outcome).extend(getattr(part, outcome))
        self.skipped += part.skipped
        self.chunks += part.chunks

    @property
    def done(self) -> int:
        return sum(self.counts.values())

    def to_dict(self) -> dict:
        return {
            **self.counts,
            "chunks": self.chunks,
            "skipped": [{"path": p.path, "line": p.line, "reason": p.reason} for p in self.skipped],
        }

    def summary(self) -> str:
        added, replaced, duplicates = (self.counts[outcome] for outcome in OUTCOMES)
        return (
            f"added {added}, replaced {replaced}, "
            f"duplicates {duplicates}, skipped {len(self.skipped)} ({self.chunks} chunks)"
        )


@dataclass(frozen=True, slots=True)
class Work:
    """An article that needs indexing: its content hash, and the rowid of the article it replaces."""

    article: Article
    digest: str
    replaces: int | None


def content_hash(article: Article) -> str:
    return hashlib.sha1(f"{article.title}\n{article.text}".encode()).hexdigest()


class Writer:
    """Every write to one index, and the FAISS file's sync with SQLite."""

    def __init__(
        self, path: Path, db: sqlite3.Connection, lock: threading.RLock, vectors: VectorIndex, dimension: int
    ) -> None:
        self.path = path
        self.db = db
        self.lock = lock
        self.vectors = vectors
        self.dimension = dimension
        self.families = Families(db)

    @contextlib.contextmanager
    def exclusive(self, wait: float | None = None) -> Iterator[None]:
        """Hold the index's write lock: one writing process at a time, others wait or get IndexBusy."""
        wait = schema.LOCK_WAIT_SECONDS if wait is None else wait
        with open(self.path / LOCK, "a+") as handle:
            deadline = time.monotonic() + wait
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise IndexBusy(
                            f"the index at {self.path}/ is busy: another process is adding "
                            "articles; wait for it to finish and try again"
                        ) from None
                    time.sleep(0.1)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def chunk_settings(self) -> tuple[int, int]:
        manifest = dict(self.db.execute("SELECT key, value FROM manifest WHERE key LIKE 'chunk_%'"))
        return int(manifest["chunk_size"]), int(manifest["chunk_overlap"])

    def generation(self) -> int:
        return int(self.db.execute("SELECT value FROM manifest WHERE key = 'generation'").fetchone()[0])

    def _bump_generation(self) -> None:
        self.db.execute("UPDATE manifest SET value = CAST(value AS INTEGER) + 1 WHERE key = 'generation'")

    def _chunk_ids(self, article_rows: Sequence[int]) -> list[int]:
        marks = ",".join("?" * len(article_rows))
        return [r[0] for r in self.db.execute(f"SELECT id FROM chunks WHERE article IN ({marks})", list(article_rows))]

    def sync_vectors(self) -> None:
        """Make the in-memory FAISS index match SQLite, after another process wrote to it."""
        generation = self.generation()
        if self.vectors.generation == generation:
            return
        if not self.vectors.load(generation):
            count = self._rebuild_vectors(generation)
            if self.db.in_transaction:
                return  # a read snapshot's generation may be old: the next sync outside one saves
            # A reader that cannot write (busy, read-only, disk full) just keeps it in memory.
            with contextlib.suppress(IndexBusy, OSError, RuntimeError), self.exclusive(wait=0):
                if self.generation() != generation:
                    return  # a writer moved on meanwhile and saved its own file
                if count and self.vectors.saved:  # with no writer at work, a missing or unreadable file is a fault
                    log.warning(
                        "news-qa: the vector file vectors-%d.faiss in %s/ was missing or "
                        "unreadable; rebuilt it from %s (%d chunks)",
                        generation,
                        self.path,
                        schema.DATABASE,
                        count,
                    )
                self.vectors.save(generation)

    def _rebuild_vectors(self, generation: int) -> int:
        """FAISS built anew from SQLite's vectors, a batch at a time; returns the vector count."""
        count = stored_chunk_count(self.db)
        sample = chunk_vector_sample(self.db, self.dimension, training_size(count))
        batches = chunk_vector_batches(self.db, self.dimension, REBUILD_BATCH)
        self.vectors.rebuild(batches, count, sample, generation)
        return count

    def save_vectors(self) -> None:
        with self.lock:
            self.vectors.save(self.generation())

    def start(self) -> None:
        """Before a batch of writes: catch up with other processes and group older articles."""
        with self.lock:
            self.sync_vectors()  # another process may have written since: start from SQLite's state
            self.families.group_ungrouped()

    def classify(self, batch: list[Article], report: IngestReport) -> list[Work]:
        """The articles of a batch that need indexing; duplicates are reported and dropped."""
        todo: dict[str, Work] = {}
        hashes_in_batch: set[str] = set()
        for article in batch:
            digest = content_hash(article)
            row = self.db.execute("SELECT rowid, content_hash FROM articles WHERE id = ?", (article.id,)).fetchone()
            same_content = self.db.execute(
                "SELECT 1 FROM articles WHERE content_hash = ? AND id != ?", (digest, article.id)
            ).fetchone()
            if (row and row[1] == digest) or same_content or digest in hashes_in_batch:
                report.record("duplicates", article.id)
                continue
            if article.id in todo:  # the later version of an id within one batch wins
                report.record("replaced", article.id)
            todo[article.id] = Work(article, digest, row[0] if row else None)
            hashes_in_batch.add(digest)
        return list(todo.values())

    def commit(self, work: list[tuple[Work, Prepared]], report: IngestReport) -> None:
        """Store prepared articles in one transaction, then add their vectors to FAISS."""
        with self.lock:
            removed: list[int] = []
            with self.db:
                for item, prepared in work:
                    if item.replaces is not None:
                        removed += self._chunk_ids([item.replaces])
                        self.families.remove(item.replaces)
                        self.db.execute("DELETE FROM articles WHERE rowid = ?", (item.replaces,))
                    rowid = self.insert_article(prepared, item.digest)
                    self.families.group(rowid, prepared.signature)
                    report.record("replaced" if item.replaces is not None else "added", item.article.id)
                    report.chunks += len(prepared.chunks)
                self._bump_generation()
                new_ids, new_vectors = chunk_vectors(self.db, self.dimension, after=self.vectors.max_id)
            self.vectors.remove(removed)
            self.vectors.add(new_ids, new_vectors, self.generation())
            if self.vectors.needs_rebuild:
                self._rebuild_vectors(self.generation())

    def insert_article(self, prepared: Prepared, digest: str) -> int:
        """Insert one article's rows (inside the caller's transaction); returns its rowid."""
        article = prepared.article
        cursor = self.db.execute(
            "INSERT INTO articles(id, content_hash, title, source, url, published, text, metadata) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                article.id,
                digest,
                article.title,
                article.source,
                article.url,
                article.published.isoformat() if article.published else None,
                article.text,
                json.dumps(article.metadata, ensure_ascii=False),
            ),
        )
        rowid = cursor.lastrowid
        assert rowid is not None
        # Chunks and sentences are stored alike: offsets and int8 vector; chunks also get an FTS5 entry
        # for BM25 (the text itself stays in articles.text: FTS5 reads it through the chunk_texts view).
        for table, spans in (("chunks", prepared.chunks), ("sentences", prepared.sentences)):
            for span, vector in spans:
                span_id = self.db.execute(
                    f"INSERT INTO {table}(article, start, end, vector) VALUES (?, ?, ?, ?)",
                    (rowid, span.start, span.end, codec.encode(vector)),
                ).lastrowid
                if table == "chunks":
                    self.db.execute("INSERT INTO chunks_fts(rowid, text) VALUES (?, ?)", (span_id, span.text))
        self.db.executemany(
            "INSERT INTO quotes(article, start, end, speaker, speaker_key, cue) VALUES (?, ?, ?, ?, ?, ?)",
            [(rowid, q.start, q.end, q.speaker, q.speaker_key, q.cue) for q in prepared.quotes],
        )
        return rowid

    def delete(self, article_ids: Sequence[str]) -> int:
        """Delete articles by id; returns how many existed."""
        ids = list(article_ids)
        with self.lock:
            self.sync_vectors()  # another process may have written since: start from SQLite's state
            with self.db:
                rows = [
                    r[0]
                    for r in self.db.execute(
                        f"SELECT rowid FROM articles WHERE id IN ({','.join('?' * len(ids))})", ids
                    )
                ]
                chunk_ids = self._chunk_ids(rows)
                for row in rows:
                    self.families.remove(row)
                self.db.executemany("DELETE FROM articles WHERE rowid = ?", [(r,) for r in rows])
                self._bump_generation()
            self.vectors.remove(chunk_ids)
            if self.vectors.needs_rebuild:
                self._rebuild_vectors(self.generation())
            self.vectors.save(self.generation())
        return len(rows)
