"""The benchmarks' data: articles and questions read from the shared corpora, synthetic copies
of an index for the larger sizes, and what machine and commit a run measured."""

from __future__ import annotations

import gzip
import json
import os
import platform
import sqlite3
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"  # ../shared/data beside the project: measurement data, never shipped
DEFAULT_DOCUMENTS = DATA / "bbc_news.documents.jsonl"
DEFAULT_SCALE = DATA / "reuters21578.documents.jsonl.gz"
SYNTHETIC_NOISE = 0.5  # a copy's vector is the original plus this much Gaussian noise, renormalised


def machine() -> dict:
    """The date, CPU, cores, memory and library versions of this run."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = None
    try:
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        pass
    from importlib.metadata import PackageNotFoundError, version

    versions = {}
    for package in (
        "onnxruntime",
        "openvino",
        "torch",
        "sentence-transformers",
        "faiss-cpu",
        "langchain-community",
        "langchain-huggingface",
    ):
        try:
            versions[package] = version(package)
        except PackageNotFoundError:
            versions[package] = None
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": _commit(),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_bytes": memory,
        "system": platform.platform(),
        "python": platform.python_version(),
        "versions": versions,
    }


def _commit() -> str | None:
    """The checked-out commit, with "+changes" when the tree differs from it."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
        dirty = subprocess.run(["git", "status", "--porcelain", "qa"], cwd=ROOT, capture_output=True, text=True)
    except OSError:
        return None
    if head.returncode != 0:
        return None
    return head.stdout.strip() + (" +changes" if dirty.stdout.strip() else "")


def _records(path: Path) -> Iterator[dict]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                yield json.loads(line)


def read_articles(path: Path, n: int) -> list:
    """The first `n` usable articles of a JSONL(.gz) file."""
    from qa.ingest.records import article_from_record

    articles = []
    for record in _records(path):
        try:
            article = article_from_record(record)
        except (ValueError, TypeError, KeyError):
            continue
        if article.text.strip():
            articles.append(article)
            if len(articles) >= n:
                break
    return articles


def write_articles(documents: Path, n: int, out: Path) -> None:
    """The first n articles of `documents` as JSONL that `python -m qa ingest` reads."""
    with out.open("w", encoding="utf-8") as lines:
        for article in read_articles(documents, n):
            lines.write(json.dumps(record_of(article)) + "\n")


def record_of(article) -> dict:
    """The article as a JSONL record that `python -m qa ingest` reads."""
    record = {"id": article.id, "title": article.title, "text": article.text, "source": article.source}
    if article.published:
        record["published"] = article.published.isoformat()
    return record


def write_section(path: Path, section: str) -> None:
    """Put a section that one benchmark owns (its first and last lines are its markers, e.g.
    `<!-- ray: ... -->` and `<!-- /ray -->`) in place of its last version, or at the end."""
    start, end = section.splitlines()[0], section.splitlines()[-1]
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if start in text and end in text:
        before, rest = text.split(start, 1)
        text = before + section + rest.split(end, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    path.write_text(text, encoding="utf-8")


def _chunk_count(path: Path, at_least: int) -> int:
    """Chunks in the file, counted until `at_least` is reached."""
    from qa.ingest import chunk

    total = 0
    for record in _records(path):
        total += len(chunk.chunks(record.get("text") or ""))
        if total >= at_least:
            break
    return total


def _articles_for(path: Path, chunks: int) -> int:
    """How many leading articles of the file make at least `chunks` chunks."""
    from qa.ingest import chunk

    total = count = 0
    for article in read_articles(path, 10**9):
        count += 1
        total += len(chunk.chunks(article.text))
        if total >= chunks:
            break
    return count


def _questions(path: Path, n: int, count: int) -> list[str]:
    """Questions a reader might type: the headlines of articles spread over the corpus."""
    articles = read_articles(path, n)
    step = max(1, len(articles) // count)
    titles = [" ".join(a.title.split()) for a in articles[::step] if a.title.strip()]
    # Wire headlines are upper case; a person would type them in sentence case.
    return [t.capitalize() if t.isupper() else t for t in titles][:count] or ["What happened?"]


def synthesise(folder: Path, size: int) -> int:
    """Copy every article of the index at `folder` until it holds at least `size` chunks.

    Copies keep the text (so SQLite, FTS5 and answer extraction do real work) and get synthetic
    vectors: the original plus Gaussian noise, renormalised. Returns how many copies were made.
    """
    from qa.storage import codec
    from qa.storage.schema import DATABASE

    db = sqlite3.connect(folder / DATABASE)
    rng = np.random.default_rng(0)

    def noisy(blob: bytes) -> bytes:
        vector = codec.decode(blob)
        vector = vector + rng.standard_normal(vector.shape[0]).astype(np.float32) * (
            SYNTHETIC_NOISE / np.sqrt(vector.shape[0])
        )
        return codec.encode(vector / np.linalg.norm(vector))

    db.create_function("bench_noisy", 1, noisy)
    tables = [name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    children = [
        t
        for t in tables
        if t not in ("articles", "manifest")
        and "_fts" not in t
        and not t.startswith("sqlite_")
        and "article" in _columns(db, t)
    ]
    base_articles = db.execute("SELECT max(rowid) FROM articles").fetchone()[0]
    base_chunks = db.execute("SELECT count(*) FROM chunks").fetchone()[0]
    copies = max(0, -(-size // base_chunks) - 1)
    article_columns = [c for c in _columns(db, "articles") if c not in ("rowid", "id", "content_hash")]
    # Base rows are the whole table, so shifting ids by multiples of the largest never collides.
    # Tables keyed by their own id get ids shifted past the originals'; the rest (keyed by article,
    # or by band key and article) are shifted by their article alone.
    own_ids = {t: key for t in children if (key := _primary_key(db, t)) not in ("article", "band_key")}
    steps = {t: db.execute(f"SELECT max({key}) FROM {t}").fetchone()[0] or 0 for t, key in own_ids.items()}
    listed = ", ".join(article_columns)
    # A transaction per copy: one for all of them grew a 5M-chunk copy's WAL past 14 GB and
    # slowed it to under half its starting rate; a larger page cache keeps the B-trees' upper
    # pages in memory between copies.
    db.execute("PRAGMA cache_size = -1000000")
    for copy in range(1, copies + 1):
        with db:
            db.execute(
                f"INSERT INTO articles(rowid, id, content_hash, {listed}) SELECT rowid + ?, "
                f"id || '~' || ?, content_hash || '~' || ?, {listed} FROM articles WHERE rowid <= ?",
                (copy * base_articles, copy, copy, base_articles),
            )
            for table in children:
                columns, values, shifts = _columns(db, table), [], []
                for column in columns:
                    if column == own_ids.get(table) or column == "article":
                        values.append(f"{column} + ?")
                        shifts.append(copy * (steps[table] if column == own_ids.get(table) else base_articles))
                    else:
                        values.append("bench_noisy(vector)" if column == "vector" else column)
                db.execute(
                    f"INSERT INTO {table}({', '.join(columns)}) SELECT {', '.join(values)} FROM {table} "
                    "WHERE article <= ?",
                    (*shifts, base_articles),
                )
                step = steps.get(table, 0)
                if f"{table}_fts" in tables:
                    text_columns = ", ".join(_columns(db, f"{table}_fts"))
                    db.execute(
                        f"INSERT INTO {table}_fts(rowid, {text_columns}) SELECT rowid + ?, "
                        f"{text_columns} FROM {table}_fts WHERE rowid <= ?",
                        (copy * step, step),
                    )
    # A new generation makes NewsIndex rebuild FAISS from SQLite, choosing the index type by size.
    with db:
        db.execute("UPDATE manifest SET value = CAST(value AS INTEGER) + 1 WHERE key = 'generation'")
    db.execute("VACUUM")
    db.close()
    for stale in folder.glob("vectors-*.faiss"):
        stale.unlink()
    return copies


def _columns(db: sqlite3.Connection, table: str) -> list[str]:
    return [row[1] for row in db.execute(f"PRAGMA table_info({table})")]


def _primary_key(db: sqlite3.Connection, table: str) -> str:
    return next(row[1] for row in db.execute(f"PRAGMA table_info({table})") if row[5])
