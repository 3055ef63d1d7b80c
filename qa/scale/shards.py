"""Where a sharded archive's shards are (`shard_of`, `shard_folder`, its manifest) and how one is
reached: a `Shard` takes the name of a read and its arguments (`SHARD_METHODS`) and returns what
the shard's reader gives, from this process (`LocalShard`) or from a Ray Serve replica
(qa.scale.serving), both over `Served`."""

from __future__ import annotations

import json
import zlib
from pathlib import Path
from typing import Any, Protocol

from qa.errors import IndexNotFound
from qa.news_index import NewsIndex
from qa.storage.shard_reads import ShardReader

MANIFEST = "shards.json"  # in the archive's folder: {"shards": N}; shard i is the folder shard_folder(i)

# What a shard answers: the reads qa.answer calls, the shard-side ones the merge needs, and the
# count Serve's health check reads.
SHARD_METHODS = frozenset(
    {
        "article_count",
        "articles",
        "bm25_scored",
        "bm25_statistics",
        "chunk_count",
        "dense_scored",
        "families_signed",
        "family_sources",
        "hits",
        "nearest_chunks",
        "newest_articles",
        "published_range",
        "quotes_dated",
        "sentence_before",
        "sentences_of",
        "sources",
        "sources_named",
        "sources_of_families",
        "speaker_counts",
        "speakers_in",
        "vectors_around",
        "word_counts",
    }
)


def shard_folder(number: int) -> str:
    return f"shard-{number:03d}"


def shard_of(article_id: str, shards: int) -> int:
    """The shard an article lives in: a stable hash of its id, so any process finds it."""
    return zlib.crc32(article_id.encode("utf-8")) % shards


def shard_count(folder: Path) -> int:
    manifest = folder / MANIFEST
    if not manifest.exists():
        raise IndexNotFound(
            f"no sharded archive at {folder}/ (no {MANIFEST}); build one with: "
            f"python -m qa ingest --ray --shards N --index {folder} FILES"
        )
    return int(json.loads(manifest.read_text())["shards"])


class ShardFailed(Exception):
    """A shard did not answer a read that only it can (an article it holds)."""

    def __init__(self, shard: int) -> None:
        super().__init__(f"shard {shard} did not answer")
        self.shard = shard


class Pending(Protocol):
    def result(self) -> Any: ...


class Shard(Protocol):
    """One part of the archive, however it is reached."""

    name: str

    def submit(self, method: str, *args: Any) -> Pending: ...


class Served:
    """One shard's index, opened for reading: what a Shard calls, here or in a Ray replica."""

    def __init__(self, folder: Path) -> None:
        self.index = NewsIndex.open(folder)  # its embedder loads only when used, and a shard never uses it
        self.reader = ShardReader(self.index.db, self.index.reader.lock, self.index.vectors)

    def call(self, method: str, *args: Any) -> Any:
        if method not in SHARD_METHODS:
            raise ValueError(f"a shard has no read {method!r}")
        with self.reader.lock:
            self.index.writer.sync_vectors()  # what an ingest committed since
            return getattr(self.reader, method)(*args)


class _Done:
    def __init__(self, value: Any = None, error: BaseException | None = None) -> None:
        self.value, self.error = value, error

    def result(self) -> Any:
        if self.error:
            raise self.error
        return self.value


class LocalShard:
    """A shard read in this process."""

    def __init__(self, folder: Path) -> None:
        self.name = folder.name
        self.served = Served(folder)

    def submit(self, method: str, *args: Any) -> Pending:
        try:
            return _Done(self.served.call(method, *args))
        except Exception as error:  # handed to the caller, as a remote shard's would be
            return _Done(error=error)
