"""The FAISS side of the index: derived from SQLite, saved per generation when large, searched with filters."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

# Exact search is fast enough below this many chunks; above it HNSW keeps queries in milliseconds.
HNSW_FROM = 50_000
HNSW_NEIGHBOURS = 32
HNSW_EF_SEARCH = 128
MAX_FILTER_WIDENING = 32  # efSearch grows with 1 / (share of chunks a filter allows), up to this factor
# Below this many chunks the index is not saved: rebuilding it from SQLite's int8 vectors when the
# index opens takes tens of milliseconds (10k chunks), and its file would add 1.5 KB a chunk on disk.
# An HNSW graph takes minutes to build, so it is saved.
SAVE_FROM = HNSW_FROM


class VectorIndex:
    """Chunk vectors in FAISS, keyed by chunk id, stamped with the SQLite generation they mirror.

    The file is named after the generation, so a file that does not match SQLite is never used:
    a crash between the SQLite commit and the FAISS write just means a rebuild.
    """

    def __init__(self, folder: Path, dimension: int) -> None:
        self.folder = folder
        self.dimension = dimension
        self.generation = -1
        self.max_id = 0
        self._index = self._new_index(0)

    @property
    def kind(self) -> str:
        import faiss

        inner = faiss.downcast_index(self._index.index)
        return "hnsw" if isinstance(inner, faiss.IndexHNSWFlat) else "flat"

    def __len__(self) -> int:
        return self._index.ntotal

    @property
    def saved(self) -> bool:
        """Whether this index is kept in a file (else it is rebuilt from SQLite at every open)."""
        return self.kind == "hnsw" or self._index.ntotal >= SAVE_FROM

    def _new_index(self, size: int):
        import faiss

        if size >= HNSW_FROM:
            inner = faiss.IndexHNSWFlat(self.dimension, HNSW_NEIGHBOURS, faiss.METRIC_INNER_PRODUCT)
            inner.hnsw.efConstruction = 80
        else:
            inner = faiss.IndexFlatIP(self.dimension)
        return faiss.IndexIDMap2(inner)

    def _file(self, generation: int) -> Path:
        return self.folder / f"vectors-{generation}.faiss"

    def load(self, generation: int) -> bool:
        """Read the saved index of this generation; False when it is missing or unreadable."""
        import faiss

        path = self._file(generation)
        if not path.exists():
            return False
        try:
            index = faiss.read_index(str(path))
        except RuntimeError:  # truncated or corrupt file: the caller rebuilds from SQLite
            return False
        if index.d != self.dimension or not hasattr(index, "id_map"):
            return False  # readable, but not this index's vectors
        self._index = index
        self.generation = generation
        self.max_id = int(faiss.vector_to_array(index.id_map).max()) if index.ntotal else 0
        return True

    def rebuild(self, ids: np.ndarray, vectors: np.ndarray, generation: int) -> None:
        self._index = self._new_index(len(ids))
        self.max_id = 0
        self.add(ids, vectors, generation)

    def add(self, ids: np.ndarray, vectors: np.ndarray, generation: int) -> None:
        if len(ids):
            if self.kind == "flat" and self._index.ntotal + len(ids) >= HNSW_FROM:
                # Crossing the size threshold: move every vector into an HNSW graph once.
                old_ids = _ids(self._index)
                old = self._index.index.reconstruct_n(0, self._index.ntotal) if len(old_ids) else vectors[:0]
                self._index = self._new_index(len(old_ids) + len(ids))
                ids, vectors = np.concatenate([old_ids, ids]), np.concatenate([old, vectors])
            self._index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), ids)
            self.max_id = max(self.max_id, int(ids.max()))
        self.generation = generation

    def remove(self, ids: list[int]) -> None:
        if not ids:
            return
        import faiss

        if self.kind == "hnsw":
            # HNSW graphs cannot drop nodes; rebuild from what stays.
            keep_ids = _ids(self._index)
            keep = ~np.isin(keep_ids, ids)
            vectors = np.stack([self._index.reconstruct(int(i)) for i in keep_ids[keep]])
            self._index = self._new_index(int(keep.sum()))
            self._index.add_with_ids(vectors, keep_ids[keep])
        else:
            self._index.remove_ids(faiss.IDSelectorBatch(np.asarray(ids, dtype=np.int64)))

    def save(self, generation: int) -> None:
        """Write atomically (temporary name, then rename) and drop files of older generations; an
        index too small to be `saved` only drops them."""
        import faiss

        if self.saved:
            target = self._file(generation)
            temporary = target.with_suffix(".tmp")
            try:
                faiss.write_index(self._index, str(temporary))
                os.replace(temporary, target)
            except (RuntimeError, OSError):  # e.g. a full disk: leave no half-written file behind
                temporary.unlink(missing_ok=True)
                raise
        else:
            generation += 1  # this generation's file too: it would be used instead of a rebuild
        # Only older generations: a reader saving a rebuilt copy must not delete a writer's newer file.
        # Their .tmp files are leftovers of a killed writer (every save holds the write lock).
        for old in self.folder.glob("vectors-*"):
            number = old.name.removeprefix("vectors-").split(".")[0]
            if old.suffix in (".faiss", ".tmp") and number.isdigit() and int(number) < generation:
                old.unlink(missing_ok=True)

    def search(self, query: np.ndarray, k: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        """(chunk id, cosine) of the k nearest chunks, only among `allowed` ids when given."""
        import faiss

        if self._index.ntotal == 0 or k < 1:
            return []
        params = None
        if allowed is not None:
            if len(allowed) == 0:
                return []
            if self.kind == "hnsw" and len(allowed) <= HNSW_FROM:
                return self._exact_among(np.asarray(query, dtype=np.float32), k, allowed)
            selector = faiss.IDSelectorBatch(np.asarray(allowed, dtype=np.int64))
            # HNSW stops after efSearch candidates, and with a filter only the allowed ones count:
            # widen the search as the filter narrows, or a 5% filter finds 3 of 4 true neighbours.
            widen = min(-(-self._index.ntotal // len(allowed)), MAX_FILTER_WIDENING)
            params = (
                faiss.SearchParametersHNSW(sel=selector, efSearch=max(HNSW_EF_SEARCH, k) * widen)
                if self.kind == "hnsw"
                else faiss.SearchParameters(sel=selector)
            )
        elif self.kind == "hnsw":
            params = faiss.SearchParametersHNSW(efSearch=max(HNSW_EF_SEARCH, k))
        # One query is too small to share out: waking (and then spinning) OpenMP threads costs
        # more than they save, and steals the core SQLite needs next (flat 10k: 6.4 -> 0.3 ms).
        threads = faiss.omp_get_max_threads()
        faiss.omp_set_num_threads(1)
        try:
            scores, ids = self._index.search(np.asarray(query, dtype=np.float32).reshape(1, -1), k, params=params)
        finally:
            faiss.omp_set_num_threads(threads)
        # FAISS pads missing results with id -1.
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]

    def _exact_among(self, query: np.ndarray, k: int, allowed: np.ndarray) -> list[tuple[int, float]]:
        """Brute force over a few allowed vectors: exact, and faster than a graph walk that must
        pass over every vector it may not return."""
        present = np.asarray(allowed, dtype=np.int64)
        present = present[np.isin(present, _ids(self._index))]  # a chunk deleted since the filter was read
        if len(present) == 0:
            return []
        scores = self._index.reconstruct_batch(present) @ query.reshape(-1)
        best = np.argsort(-scores, kind="stable")[:k]
        return [(int(present[i]), float(scores[i])) for i in best]


def _ids(index) -> np.ndarray:
    import faiss

    return faiss.vector_to_array(index.id_map).astype(np.int64)
