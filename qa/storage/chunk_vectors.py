"""The stored chunk vectors: the truth the FAISS index is derived from (rebuilt, rescored)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import numpy as np

from qa.storage import codec
from qa.storage.schema import slices


def chunk_vectors(db: sqlite3.Connection, dimension: int, *, after: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(ids, one row per vector) of the stored chunks with ids above `after`, in id order."""
    rows = db.execute("SELECT id, vector FROM chunks WHERE id > ? ORDER BY id", (after,)).fetchall()
    ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    return ids, codec.decode_many([r[1] for r in rows], dimension)


def chunk_vectors_of(db: sqlite3.Connection, dimension: int, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(ids, one row per vector) of those chunks that are stored, in the order given."""
    wanted = [int(i) for i in ids]
    rows: dict[int, bytes] = {}
    for part in slices(wanted):  # a narrow filter's brute force may ask for 50k
        rows.update(db.execute(f"SELECT id, vector FROM chunks WHERE id IN ({','.join('?' * len(part))})", part))
    present = [i for i in wanted if i in rows]
    return np.array(present, dtype=np.int64), codec.decode_many([rows[i] for i in present], dimension)


def chunk_vector_batches(db: sqlite3.Connection, dimension: int, size: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Every stored chunk's (ids, vectors), `size` rows at a time in id order: a million chunks'
    float32 vectors would take 1.5 GB at once."""
    last = 0
    while rows := db.execute("SELECT id, vector FROM chunks WHERE id > ? ORDER BY id LIMIT ?", (last, size)).fetchall():
        ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        yield ids, codec.decode_many([r[1] for r in rows], dimension)
        last = int(ids[-1])


def stored_chunk_count(db: sqlite3.Connection) -> int:
    return db.execute("SELECT count(*) FROM chunks").fetchone()[0]


def chunk_vector_sample(db: sqlite3.Connection, dimension: int, size: int) -> np.ndarray:
    """About `size` stored chunk vectors spread over the whole index (every n-th id), not only
    its oldest articles: what an IVF index learns its cells from."""
    if size < 1:
        return np.zeros((0, dimension), dtype=np.float32)
    every = max(1, stored_chunk_count(db) // size)
    rows = db.execute("SELECT vector FROM chunks WHERE id % ? = 0 LIMIT ?", (every, size)).fetchall()
    return codec.decode_many([r[0] for r in rows], dimension)
