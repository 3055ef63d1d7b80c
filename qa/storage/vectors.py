"""The FAISS side of the index: derived from SQLite, saved per generation when large, searched with filters."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np

# Exact search is fast enough below this many chunks. Above it an inverted file (IVF) of product-
# quantised codes: k-means cells over a sample, each chunk kept in its nearest cell as one byte per
# 8 dimensions (48 bytes for MiniLM's 384), a search scanning the cells nearest the question and
# then rescoring the best REFINED of what it found with the stored int8 vectors (SQLite's truth),
# so the cosines it returns and their order are exact. On Reuters chunks with synthetic copies
# (benchmarks/bench_scale.py) at 1M chunks, 64 of 4,096 cells probed: recall@10 0.990 with 400
# rescored (0.957 with 200, 0.998 with 800 at twice the time), where 8-bit codes of every
# dimension (384 bytes a chunk, no rescoring) found 0.962 and an HNSW graph of those codes 0.62 at
# efSearch 384: near-identical copies (wire stories, updates) trap a graph walk, not a cell scan.
# It takes ~56 bytes a chunk in memory and on disk, and drops chunks in place. Codes learnt from
# today's news fit tomorrow's less well; the rescoring keeps that a matter of recall, not of order.
IVF_FROM = 50_000
CELL_SIZE = 256  # chunks a cell holds on average when the index is (re)built: 1M -> 4,096 cells
PROBED_CELLS = 64
MIN_SCANNED = 8_192  # codes a search scans at least (~0.2 ms): all of a small index's cells
OUTGROWN = 4  # rebuilt when its size calls for this many times its cells (~16x the chunks)
MAX_CELLS = 8_192  # 5M chunks: ~600 a cell, 20k codes scanned a question
TRAIN_PER_CELL = 64  # k-means sample per cell (FAISS warns below 39)
MIN_TRAIN = 16_384  # the codes' 256 centroids per 8 dimensions want ~40 samples each
MAX_TRAIN = 262_144  # k-means over 4,096 cells and this many vectors took 61 s on 2 cores
DIMENSIONS_PER_BYTE = 8
REFINED = 400  # candidates rescored with their stored vectors
REBUILD_BATCH = 50_000  # vectors decoded at a time when an index is built anew
MAX_FILTER_WIDENING = 32  # cells probed grow with 1 / (share of chunks a filter allows), up to this factor
# Below this many chunks the index is not saved: rebuilding it from SQLite's int8 vectors when the
# index opens takes tens of milliseconds (10k chunks), and its file would add 1.5 KB a chunk on disk.
# An IVF index takes a k-means run to build, so it is saved.
SAVE_FROM = IVF_FROM

# ids -> (those still stored, their vectors): the stored truth an approximate search is rescored with.
Truth = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]


def cells_for(size: int) -> int:
    """Cells for an index of `size` chunks: a power of two near size / CELL_SIZE, at most MAX_CELLS."""
    return min(MAX_CELLS, 1 << max(0, round(np.log2(max(size, 1) / CELL_SIZE))))


def training_size(size: int) -> int:
    """How many vectors an index of `size` chunks learns its cells and codes from: none for an
    exact one."""
    return min(max(cells_for(size) * TRAIN_PER_CELL, MIN_TRAIN), MAX_TRAIN) if size >= IVF_FROM else 0


class VectorIndex:
    """Chunk vectors in FAISS, keyed by chunk id, stamped with the SQLite generation they mirror.

    The file is named after the generation, so a file that does not match SQLite is never used:
    a crash between the SQLite commit and the FAISS write just means a rebuild.
    """

    def __init__(self, folder: Path, dimension: int, truth: Truth) -> None:
        self.folder = folder
        self.dimension = dimension
        self.truth = truth
        self.generation = -1
        self.max_id = 0
        self._index = self._new_index(0, np.zeros((0, dimension), dtype=np.float32))

    @property
    def kind(self) -> str:
        import faiss

        return "ivf" if isinstance(self._index, faiss.IndexIVF) else "flat"

    def __len__(self) -> int:
        return self._index.ntotal

    @property
    def saved(self) -> bool:
        """Whether this index is kept in a file (else it is rebuilt from SQLite at every open)."""
        return self.kind == "ivf" or self._index.ntotal >= SAVE_FROM

    @property
    def needs_rebuild(self) -> bool:
        """Whether its owner should rebuild it from the stored vectors (`rebuild`): an IVF index
        that has outgrown its cells (scans slow down), or shrunk below the size that calls for one
        (exact search is as fast there)."""
        if self.kind != "ivf":
            return False
        size = self._index.ntotal
        return size < IVF_FROM or cells_for(size) >= OUTGROWN * self._index.nlist

    def _new_index(self, size: int, sample: np.ndarray):
        """An empty index for `size` vectors: exact, or IVF trained on `sample` (a spread of the
        vectors, up to TRAIN_PER_CELL a cell)."""
        import faiss

        if size < IVF_FROM:
            return faiss.IndexIDMap2(faiss.IndexFlatIP(self.dimension))
        index = faiss.IndexIVFPQ(
            faiss.IndexFlatIP(self.dimension),
            self.dimension,
            cells_for(size),
            self.dimension // DIMENSIONS_PER_BYTE,
            # k-means needs as many samples as centroids: fewer bits from a tiny sample (in tests)
            min(8, int(np.log2(max(len(sample), 2)))),
            faiss.METRIC_INNER_PRODUCT,
        )
        index.train(np.ascontiguousarray(sample, dtype=np.float32))
        index.set_direct_map_type(faiss.DirectMap.Hashtable)  # remove by chunk id without a scan
        return index

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
        if index.d != self.dimension or not (hasattr(index, "id_map") or isinstance(index, faiss.IndexIVF)):
            return False  # readable, but not this index's vectors
        self._index = index
        self.generation = generation
        self.max_id = int(_ids(index).max()) if index.ntotal else 0
        return True

    def rebuild(
        self, batches: Iterable[tuple[np.ndarray, np.ndarray]], count: int, sample: np.ndarray, generation: int
    ) -> None:
        """Build anew from (ids, vectors) batches, `count` vectors in all, never holding them all;
        `sample` trains an IVF index (ignored by an exact one)."""
        self._index = self._new_index(count, sample)
        self.max_id = 0
        for ids, vectors in batches:
            self._append(ids, vectors)
        self.generation = generation

    def add(self, ids: np.ndarray, vectors: np.ndarray, generation: int) -> None:
        if len(ids):
            if self.kind == "flat" and self._index.ntotal + len(ids) >= IVF_FROM:
                # Crossing the size threshold: move every vector into an IVF index once.
                old_ids = _ids(self._index)
                old = self._index.index.reconstruct_n(0, self._index.ntotal) if len(old_ids) else vectors[:0]
                ids, vectors = np.concatenate([old_ids, ids]), np.concatenate([old, vectors])
                self._index = self._new_index(len(ids), vectors)
                self.max_id = 0
            self._append(ids, vectors)
        self.generation = generation

    def _append(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        if len(ids):
            self._index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), ids)
            self.max_id = max(self.max_id, int(ids.max()))

    def remove(self, ids: list[int]) -> None:
        import faiss

        if ids:
            chosen = np.asarray(ids, dtype=np.int64)
            # An IVF index finds ids through its hash table, which takes them as an array.
            self._index.remove_ids(faiss.IDSelectorArray(len(chosen), faiss.swig_ptr(chosen)))

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
        """(chunk id, cosine) of the k nearest chunks, only among `allowed` ids when given.

        From an IVF index the cosines and order are exact for the best REFINED, estimates past them.
        """
        import faiss

        if self._index.ntotal == 0 or k < 1:
            return []
        query = np.asarray(query, dtype=np.float32).reshape(-1)
        params = None
        if allowed is not None:
            if len(allowed) == 0:
                return []
            if self.kind == "ivf" and len(allowed) <= IVF_FROM:
                # Brute force over a few allowed vectors: exact, and faster than probing cells
                # mostly full of chunks it may not return.
                return self._rescored(query, np.asarray(allowed, dtype=np.int64), k)
            selector = faiss.IDSelectorBatch(np.asarray(allowed, dtype=np.int64))
            # Only the allowed chunks of the probed cells count: probe more cells as the filter
            # narrows, or a 5% filter would find 3 of 4 true neighbours.
            widen = min(-(-self._index.ntotal // len(allowed)), MAX_FILTER_WIDENING)
            params = (
                faiss.SearchParametersIVF(sel=selector, nprobe=min(self._probed() * widen, self._index.nlist))
                if self.kind == "ivf"
                else faiss.SearchParameters(sel=selector)
            )
        elif self.kind == "ivf":
            params = faiss.SearchParametersIVF(nprobe=self._probed())
        wanted = max(REFINED, k) if self.kind == "ivf" else k
        # One query is too small to share out: waking (and then spinning) OpenMP threads costs
        # more than they save, and steals the core SQLite needs next (flat 10k: 6.4 -> 0.3 ms).
        threads = faiss.omp_get_max_threads()
        faiss.omp_set_num_threads(1)
        try:
            scores, ids = self._index.search(query.reshape(1, -1), wanted, params=params)
        finally:
            faiss.omp_set_num_threads(threads)
        if self.kind == "ivf":
            head = ids[0][:REFINED]
            best = self._rescored(query, head[head >= 0], k)  # FAISS pads missing results with -1
            # Past the best REFINED, the codes' own order and estimates: only a date or source
            # filter reads that far (4 or 32 x depth, for the first that pass). With all of them
            # rescored the filtered ask at 1M chunks took 65-80 ms, 39 ms before any rescoring.
            rest = [(int(i), float(s)) for i, s in zip(ids[0][REFINED:], scores[0][REFINED:], strict=True) if i >= 0]
            return best + rest[: k - len(best)]
        # FAISS pads missing results with id -1.
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]

    def _probed(self) -> int:
        """Cells a search scans: PROBED_CELLS, or enough to scan MIN_SCANNED codes."""
        cells, size = self._index.nlist, max(self._index.ntotal, 1)
        return min(cells, max(PROBED_CELLS, -(-MIN_SCANNED * cells // size)))

    def _rescored(self, query: np.ndarray, candidates: np.ndarray, k: int) -> list[tuple[int, float]]:
        """The k best candidates by their stored vectors' exact cosine (a chunk deleted since the
        candidates were found is left out)."""
        present, vectors = self.truth(candidates)
        scores = vectors @ query
        best = np.argsort(-scores, kind="stable")[:k]
        return [(int(present[i]), float(scores[i])) for i in best]


def _ids(index) -> np.ndarray:
    """Every chunk id the index holds."""
    import faiss

    if not isinstance(index, faiss.IndexIVF):
        return faiss.vector_to_array(index.id_map).astype(np.int64)
    lists = index.invlists
    parts = [
        faiss.rev_swig_ptr(lists.get_ids(cell), lists.list_size(cell)).copy()
        for cell in range(index.nlist)
        if lists.list_size(cell)
    ]
    return np.concatenate(parts).astype(np.int64) if parts else np.zeros(0, dtype=np.int64)
