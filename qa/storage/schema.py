"""The SQLite schema, its manifest stamp (format, model, settings), and errors translated into fixes."""

from __future__ import annotations

import contextlib
import errno
import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TypeVar

from qa.errors import IndexBusy, IndexCorrupt, IndexMismatch, IndexNotFound, QAError
from qa.types import INDEX_DATABASE

FORMAT_VERSION = 2  # 2: int8 vectors (storage/codec.py), FTS5 over the article text
DATABASE = INDEX_DATABASE
LOCK_WAIT_SECONDS = 30.0
MAX_PARAMETERS = 10_000  # values bound to one statement (SQLite allows 32,766 by default)

Value = TypeVar("Value")

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
-- An article's source and date by its row, read without the row and its text: a citation names
-- the other outlets of its near-duplicate family, which a wire story carried by hundreds of
-- outlets makes hundreds of rows (Reader.family_sources), and a filter checks the articles of
-- up to 1,600 chunks (Reader._first_passing). With chunks_by_id, ~50 bytes a chunk.
DROP INDEX IF EXISTS articles_source_by_row;
CREATE INDEX IF NOT EXISTS articles_by_row ON articles(rowid, source, published);
CREATE TABLE IF NOT EXISTS chunks(
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    article INTEGER NOT NULL REFERENCES articles(rowid) ON DELETE CASCADE,
    start INTEGER NOT NULL, end INTEGER NOT NULL,
    vector BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS chunks_article ON chunks(article);
CREATE INDEX IF NOT EXISTS chunks_by_id ON chunks(id, article);  -- a chunk's article without its vector
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
-- MinHash LSH: an article's band keys (qa.ingest.near_duplicates.band_keys); articles sharing a
-- key are candidate near-duplicates. One B-tree on (key, article) and no foreign key, so ~12
-- bytes a key: qa.storage.families removes an article's keys before the article goes.
CREATE TABLE IF NOT EXISTS family_bands(
    band_key INTEGER NOT NULL,
    article INTEGER NOT NULL,
    PRIMARY KEY(band_key, article)) WITHOUT ROWID;
-- BM25 over chunks. Their text is the article's, so FTS5 keeps only its index (external content):
-- the text it shows and checks against is sliced from articles.text by the view (substr counts
-- characters as Python does). FTS5 must be told a row's old text to drop it, so rows are dropped
-- before their article goes. (Which sentences hold a question's words is found over the few
-- candidates in memory, reads.Reader.sentences_with: no sentence index is kept.)
CREATE VIEW IF NOT EXISTS chunk_texts AS
    SELECT c.id AS id, substr(a.text, c.start + 1, c.end - c.start) AS text
    FROM chunks c JOIN articles a ON a.rowid = c.article;
CREATE VIRTUAL TABLE IF NOT EXISTS chunks_fts USING fts5(
    text, content='chunk_texts', content_rowid='id', tokenize='porter unicode61 remove_diacritics 2');
CREATE TRIGGER IF NOT EXISTS article_leaving BEFORE DELETE ON articles BEGIN
    INSERT INTO chunks_fts(chunks_fts, rowid, text)
        SELECT 'delete', id, substr(old.text, start + 1, end - start) FROM chunks WHERE article = old.rowid;
END;
"""


def slices(values: Sequence[Value]) -> Iterator[Sequence[Value]]:
    """`values` in parts of at most MAX_PARAMETERS, each small enough to bind to one statement."""
    for start in range(0, len(values), MAX_PARAMETERS):
        yield values[start : start + MAX_PARAMETERS]


def connect(
    path: Path, *, create: bool, model: str, dimension: int, chunk_size: int, chunk_overlap: int
) -> sqlite3.Connection:
    """Open (or with `create`, make) the index database at `path`, checked against this news-qa.

    Raises:
        IndexNotFound, IndexCorrupt, IndexMismatch: with the command that fixes it.
    """
    database = path / DATABASE
    if not database.exists():
        if not create:
            raise IndexNotFound(f"no index at {path}/; build one with: python -m qa ingest --index {path} seeds/")
        path.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(database, check_same_thread=False, timeout=LOCK_WAIT_SECONDS)
    try:
        connection.execute("PRAGMA journal_mode=WAL")  # readers never wait for the writer
        connection.execute("PRAGMA foreign_keys=ON")
        connection.execute("PRAGMA synchronous=NORMAL")
        _check_or_write_manifest(
            connection,
            path,
            {"format_version": str(FORMAT_VERSION), "model": model, "dimension": str(dimension)},
            {"chunk_size": str(chunk_size), "chunk_overlap": str(chunk_overlap)},
        )
    except (sqlite3.DatabaseError, UnicodeDecodeError) as exc:  # a damaged schema can garble the message
        connection.close()
        raise IndexCorrupt(
            f"{database} is not a readable news-qa index ({exc}); move it away and "
            f"rebuild with: python -m qa ingest --index {path} PATH..."
        ) from None
    return connection


def _check_or_write_manifest(
    connection: sqlite3.Connection, path: Path, expected: dict[str, str], settings: dict[str, str]
) -> None:
    """Stamp a new index with its settings; refuse one stamped by another format or model."""
    tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if "manifest" not in tables and tables:
        raise IndexCorrupt(
            f"{path / DATABASE} is an SQLite file but not a news-qa index; move it away "
            f"and build one with: python -m qa ingest --index {path} PATH..."
        )
    if "manifest" in tables:
        manifest = dict(connection.execute("SELECT key, value FROM manifest"))
        for key, value in expected.items():
            found = str(manifest.get(key, ""))
            if key == "format_version" and found.isdigit() and int(found) > FORMAT_VERSION:
                raise IndexMismatch(
                    f"the index at {path}/ was written by a newer news-qa (format {manifest[key]}, this one "
                    f"reads format {FORMAT_VERSION}); upgrade news-qa, or move {path}/ away and rebuild it "
                    f"with: python -m qa ingest --index {path} PATH..."
                )
            if manifest.get(key) != value:
                raise IndexMismatch(
                    f"the index at {path}/ was built with {key} {manifest.get(key)!r}, this news-qa "
                    f"uses {value!r}; rebuild it: move {path}/ away, then run "
                    f"python -m qa ingest --index {path} PATH..."
                )
        # Tables added since the index was made (all derived data) are created empty.
        connection.executescript(SCHEMA)
        return
    stamps = "".join(
        f"INSERT INTO manifest VALUES ('{k}', '{v}');" for k, v in {**expected, **settings, "generation": "0"}.items()
    )
    # One transaction: a crash here leaves either no schema or a complete, stamped one.
    connection.executescript(f"BEGIN; {SCHEMA} {stamps} COMMIT;")


@contextlib.contextmanager
def explained(path: Path) -> Iterator[None]:
    """A full disk or a damaged database file becomes a QAError that says what to do."""
    try:
        yield
    except (sqlite3.DatabaseError, UnicodeDecodeError, OSError, RuntimeError) as exc:  # FAISS: RuntimeError
        code = getattr(exc, "sqlite_errorcode", None)
        if (
            code == sqlite3.SQLITE_FULL
            or getattr(exc, "errno", None) in (errno.ENOSPC, errno.EDQUOT)
            or "No space left on device" in str(exc)
        ):
            raise QAError(
                f"disk full while writing the index at {path}/; everything committed before this "
                "point is kept: free space and re-run the same ingest"
            ) from None
        if code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
            raise IndexBusy(
                f"the index at {path}/ is busy ({exc}); wait for the other process to finish and try again"
            ) from None
        if isinstance(exc, (sqlite3.DatabaseError, UnicodeDecodeError)):  # a damaged page can garble text
            raise IndexCorrupt(
                f"{path / DATABASE} could not be read ({exc}); it is damaged: move {path}/ "
                f"away and rebuild with: python -m qa ingest --index {path} PATH..."
            ) from None
        raise
