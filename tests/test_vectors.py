"""qa.storage.vectors against brute-force numpy search, on seeded random unit vectors.

Flat search must give the oracle's answer: the same ids in the same order, cosines within 1e-5.
IVF is approximate: it must find at least 95% of the oracle's ten nearest, and every cosine it
reports must be that vector's true cosine, since it rescores what its codes found with the stored
vectors (here the oracle's: `Oracle.truth` stands for SQLite).
IVF_FROM is lowered to a few hundred so the cells are learnt from small data.
"""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import faiss
import numpy as np
import pytest

from qa.storage import vectors
from qa.storage.vectors import VectorIndex

DIMENSION = 32
SMALL_IVF_FROM = 300
TOLERANCE = 1e-5
MIN_RECALL = 0.95
SEED = 20240322


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(SEED)


@pytest.fixture
def small_ivf(monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(vectors, "IVF_FROM", SMALL_IVF_FROM)
    return SMALL_IVF_FROM


def unit_vectors(rng: np.random.Generator, count: int) -> np.ndarray:
    """Random directions, normalised as the embedder's vectors are, so inner product is cosine."""
    drawn = rng.standard_normal((count, DIMENSION)).astype(np.float32)
    return drawn / np.linalg.norm(drawn, axis=1, keepdims=True)


def chunk_ids(rng: np.random.Generator, count: int) -> np.ndarray:
    """Distinct int64 ids, sparse and past 2**32, as chunk ids become after many deletes."""
    return rng.choice(10**12, size=count, replace=False).astype(np.int64) + 2**33


class Oracle:
    """The same vectors in a numpy array, searched by brute force: the answer FAISS must give."""

    def __init__(self) -> None:
        self.ids = np.empty(0, dtype=np.int64)
        self.vectors = np.empty((0, DIMENSION), dtype=np.float32)

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        self.ids = np.concatenate([self.ids, ids])
        self.vectors = np.concatenate([self.vectors, vectors])

    def remove(self, ids) -> None:
        keep = ~np.isin(self.ids, ids)
        self.ids, self.vectors = self.ids[keep], self.vectors[keep]

    def ranked(self, query: np.ndarray, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        """Every (id, cosine), best first, among `allowed` when given."""
        keep = np.ones(len(self.ids), dtype=bool) if allowed is None else np.isin(self.ids, allowed)
        scores = self.vectors[keep].astype(np.float64) @ query.astype(np.float64)
        order = np.argsort(-scores, kind="stable")
        return [(int(self.ids[keep][i]), float(scores[i])) for i in order]

    def truth(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(those ids still held, their vectors), as `qa.storage.chunk_vectors.chunk_vectors_of` reads them."""
        rows = {chunk_id: row for row, chunk_id in enumerate(self.ids.tolist())}
        present = [int(i) for i in ids if int(i) in rows]
        return np.array(present, dtype=np.int64), self.vectors[[rows[i] for i in present]]

    def by_id(self) -> dict[int, np.ndarray]:
        return dict(zip(self.ids.tolist(), self.vectors, strict=True))


def filled(folder: Path, rng: np.random.Generator, count: int, batches: int = 1) -> tuple[VectorIndex, Oracle]:
    """A VectorIndex and its oracle holding the same `count` vectors, added in `batches` calls."""
    oracle = Oracle()
    index = VectorIndex(folder, DIMENSION, oracle.truth)
    ids, matrix = chunk_ids(rng, count), unit_vectors(rng, count)
    for generation, part in enumerate(np.array_split(np.arange(count), batches), start=1):
        index.add(ids[part], matrix[part], generation)
        oracle.add(ids[part], matrix[part])
    return index, oracle


def queries(rng: np.random.Generator, oracle: Oracle, count: int = 20) -> np.ndarray:
    """Random directions, and a few stored vectors (whose nearest is themselves, at cosine 1)."""
    stored = oracle.vectors[rng.choice(len(oracle.ids), size=min(5, len(oracle.ids)), replace=False)]
    return np.concatenate([unit_vectors(rng, count), stored])


def assert_equals_oracle(found: list[tuple[int, float]], ranked: list[tuple[int, float]], k: int) -> None:
    """`found` is the oracle's top k: the same cosines in order, and the same ids in order.

    Where cosines are within TOLERANCE of each other (a near tie, which float32 and float64 sums
    may order either way), the ids of that run of ties need only match as a set.
    """
    top = ranked[:k]
    assert len(found) == len(top), (found, top)
    np.testing.assert_allclose([s for _, s in found], [s for _, s in top], atol=TOLERANCE)
    start = 0
    while start < len(top):
        end = start + 1
        while end < len(ranked) and ranked[end - 1][1] - ranked[end][1] <= TOLERANCE:
            end += 1
        got = [i for i, _ in found[start : min(end, len(top))]]
        if end - start == 1:
            assert got == [ranked[start][0]], (start, found, top)
        else:
            assert set(got) <= {i for i, _ in ranked[start:end]} and len(set(got)) == len(got), (start, found, top)
        start = end


def assert_approximate(found: list[tuple[int, float]], oracle: Oracle, query: np.ndarray, candidates: set[int]) -> None:
    """An approximate answer is still honest: distinct ids from the candidates, true cosines (to
    the codes' precision), best first."""
    ids = [i for i, _ in found]
    assert len(set(ids)) == len(ids) and set(ids) <= candidates
    stored = oracle.by_id()
    for chunk_id, score in found:
        assert abs(score - float(stored[chunk_id] @ query)) <= TOLERANCE
    assert all(a[1] >= b[1] - TOLERANCE for a, b in pairwise(found))


def recall_at_10(index: VectorIndex, oracle: Oracle, batch: np.ndarray, allowed: np.ndarray | None = None) -> float:
    """The share of the oracle's ten nearest that the index finds, over the queries in `batch`."""
    candidates = set(oracle.ids.tolist()) if allowed is None else set(allowed.tolist()) & set(oracle.ids.tolist())
    hits = total = 0
    for query in batch:
        found = index.search(query, 10, allowed)
        assert_approximate(found, oracle, query, candidates)
        expected = {i for i, _ in oracle.ranked(query, allowed)[:10]}
        assert len(found) == len(expected), "fewer results than there are allowed vectors"
        hits += len(expected & {i for i, _ in found})
        total += len(expected)
    return hits / total


# ---- flat: exact ----------------------------------------------------------------------------------


def test_flat_search_equals_the_oracle(tmp_path, rng):
    index, oracle = filled(tmp_path, rng, 1000, batches=3)
    assert index.kind == "flat" and len(index) == 1000 and index.generation == 3
    assert index.max_id == oracle.ids.max()
    for query in queries(rng, oracle):
        ranked = oracle.ranked(query)
        for k in (1, 10, 100):
            assert_equals_oracle(index.search(query, k), ranked, k)
    stored = oracle.vectors[7]
    assert index.search(stored, 1)[0][0] == oracle.ids[7]  # a stored vector's nearest is itself


def test_asking_for_more_than_there_is_and_the_empty_cases(tmp_path, rng):
    empty = VectorIndex(tmp_path, DIMENSION, Oracle().truth)
    assert empty.search(unit_vectors(rng, 1)[0], 5) == []
    index, oracle = filled(tmp_path, rng, 7)
    query = unit_vectors(rng, 1)[0]
    assert_equals_oracle(index.search(query, 20), oracle.ranked(query), 20)  # all 7, no -1 padding
    assert index.search(query, 0) == []
    assert index.search(query, 5, allowed=np.array([], dtype=np.int64)) == []


def test_flat_remove_drops_those_ids_and_keeps_the_rest_exact(tmp_path, rng):
    index, oracle = filled(tmp_path, rng, 500)
    removed = rng.choice(oracle.ids, size=100, replace=False)
    removed_vectors = oracle.vectors[np.isin(oracle.ids, removed)]
    index.remove([*removed.tolist(), 12345])  # an id that was never added is ignored
    oracle.remove(removed)
    index.remove([])
    assert index.kind == "flat" and len(index) == 400
    for query in np.concatenate([queries(rng, oracle), removed_vectors[:10]]):
        ranked = oracle.ranked(query)
        assert_equals_oracle(index.search(query, 10), ranked, 10)
        everything = index.search(query, 500)
        assert_equals_oracle(everything, ranked, 500)
        assert not {i for i, _ in everything} & set(removed.tolist())


@pytest.mark.parametrize("size", [1, 5, 50, 500])
def test_flat_filtered_search_equals_the_oracle_over_the_allowed_ids(tmp_path, rng, size):
    index, oracle = filled(tmp_path, rng, 1000)
    allowed = np.concatenate([rng.choice(oracle.ids, size=size, replace=False), [7, 8]])  # 7, 8: not indexed
    for query in queries(rng, oracle):
        ranked = oracle.ranked(query, allowed)
        for k in (1, 10):
            found = index.search(query, k, allowed)
            assert {i for i, _ in found} <= set(allowed.tolist())
            assert_equals_oracle(found, ranked, k)


# ---- from flat to IVF --------------------------------------------------------------------------


def test_adding_past_the_threshold_moves_every_vector_into_ivf(tmp_path, rng, small_ivf):
    oracle = Oracle()
    index = VectorIndex(tmp_path, DIMENSION, oracle.truth)
    ids, matrix = chunk_ids(rng, small_ivf + 200), unit_vectors(rng, small_ivf + 200)
    for end, kind in [(200, "flat"), (small_ivf - 1, "flat"), (small_ivf, "ivf"), (small_ivf + 200, "ivf")]:
        start = len(oracle.ids)
        index.add(ids[start:end], matrix[start:end], generation=end)
        oracle.add(ids[start:end], matrix[start:end])
        assert (index.kind, len(index), index.generation) == (kind, end, end)
        assert index.max_id == oracle.ids.max()
        if kind == "flat":
            query = unit_vectors(rng, 1)[0]
            assert_equals_oracle(index.search(query, 10), oracle.ranked(query), 10)
    # Every vector came across with its own id: each one, as a query, finds itself at cosine 1.
    for chunk_id, vector in zip(oracle.ids, oracle.vectors, strict=True):
        nearest, score = index.search(vector, 1)[0]
        assert nearest == chunk_id and score == pytest.approx(1.0, abs=TOLERANCE)
    assert recall_at_10(index, oracle, queries(rng, oracle, 50)) >= MIN_RECALL


@pytest.mark.parametrize("count, kind", [(SMALL_IVF_FROM - 1, "flat"), (SMALL_IVF_FROM, "ivf")])
def test_rebuild_chooses_flat_or_ivf_by_size(tmp_path, rng, small_ivf, count, kind):
    oracle = Oracle()
    oracle.add(chunk_ids(rng, count), unit_vectors(rng, count))
    index = VectorIndex(tmp_path, DIMENSION, oracle.truth)
    index.add(chunk_ids(rng, 50), unit_vectors(rng, 50), generation=1)  # what the rebuild replaces
    index.rebuild([(oracle.ids, oracle.vectors)], len(oracle.ids), oracle.vectors, generation=9)
    assert (index.kind, len(index), index.generation, index.max_id) == (kind, count, 9, oracle.ids.max())
    batch = queries(rng, oracle)
    if kind == "flat":
        for query in batch:
            assert_equals_oracle(index.search(query, 10), oracle.ranked(query), 10)
    else:
        assert recall_at_10(index, oracle, batch) >= MIN_RECALL


# ---- IVF: approximate -----------------------------------------------------------------------------


def test_ivf_search_finds_the_oracles_nearest(tmp_path, rng, small_ivf):
    index, oracle = filled(tmp_path, rng, 1000, batches=4)
    assert index.kind == "ivf"
    assert recall_at_10(index, oracle, queries(rng, oracle, 50)) >= MIN_RECALL


def test_ivf_remove_drops_those_ids_and_still_finds_the_rest(tmp_path, rng, small_ivf):
    index, oracle = filled(tmp_path, rng, 1000)
    removed = rng.choice(oracle.ids, size=200, replace=False)
    removed_vectors = oracle.vectors[np.isin(oracle.ids, removed)]
    index.remove(removed.tolist())
    oracle.remove(removed)
    assert index.kind == "ivf" and len(index) == 800 and not index.needs_rebuild
    # A removed vector as the query is where its id would come back first, if it were still there.
    for query in np.concatenate([removed_vectors, unit_vectors(rng, 20)]):
        assert not {i for i, _ in index.search(query, 50)} & set(removed.tolist())
    assert recall_at_10(index, oracle, queries(rng, oracle, 50)) >= MIN_RECALL
    index.remove(oracle.ids[: 800 - small_ivf + 1].tolist())
    assert index.needs_rebuild  # below the threshold its owner rebuilds it exact (tests/test_index.py)


def test_an_index_that_outgrew_its_cells_asks_to_be_rebuilt(tmp_path, rng, small_ivf):
    index, _ = filled(tmp_path, rng, small_ivf)
    cells = faiss.extract_index_ivf(index._index).nlist
    more = vectors.cells_for(small_ivf) * vectors.CELL_SIZE * vectors.OUTGROWN * 2
    while vectors.cells_for(len(index)) < vectors.OUTGROWN * cells:
        assert not index.needs_rebuild
        index.add(chunk_ids(rng, more), unit_vectors(rng, more), generation=2)
    assert index.needs_rebuild


@pytest.mark.parametrize(
    "share",
    [
        0.5,
        0.2,  # above IVF_FROM allowed ids: more cells probed as the filter narrows
        0.1,  # below: brute force over the allowed vectors
        0.01,
    ],
)
def test_ivf_filtered_search_returns_only_allowed_ids_and_finds_the_nearest(tmp_path, rng, small_ivf, share):
    index, oracle = filled(tmp_path, rng, 2000)
    assert index.kind == "ivf"
    allowed = oracle.ids[rng.random(len(oracle.ids)) < share]
    assert len(allowed) >= 10
    assert recall_at_10(index, oracle, queries(rng, oracle, 50), allowed) >= MIN_RECALL


# ---- on disk --------------------------------------------------------------------------------------


@pytest.fixture
def saved_at_any_size(monkeypatch):
    """Small indexes saved as large ones are, so the file handling is tested on quick data."""
    monkeypatch.setattr(vectors, "SAVE_FROM", 0)


def test_a_small_flat_index_is_not_saved_and_leaves_no_file_to_trust(tmp_path, rng):
    index, _ = filled(tmp_path, rng, 200)
    (tmp_path / "vectors-2.faiss").write_bytes(b"an older generation's file")
    (tmp_path / "vectors-3.faiss").write_bytes(b"this generation's, written before the index shrank")
    (tmp_path / "vectors-9.faiss").write_bytes(b"a newer generation another process wrote")
    assert not index.saved
    index.save(3)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["vectors-9.faiss"]
    assert not VectorIndex(tmp_path, DIMENSION, Oracle().truth).load(3)  # the caller rebuilds it from SQLite


@pytest.mark.parametrize("count, kind", [(200, "flat"), (1000, "ivf")])
def test_save_and_load_round_trip_by_generation(tmp_path, rng, small_ivf, saved_at_any_size, count, kind):
    index, oracle = filled(tmp_path, rng, count)
    assert index.kind == kind
    index.save(3)
    loaded = VectorIndex(tmp_path, DIMENSION, oracle.truth)
    assert not loaded.load(4)  # no file of that generation
    assert loaded.load(3)
    assert (loaded.generation, len(loaded), loaded.kind, loaded.max_id) == (3, count, kind, index.max_id)
    allowed = rng.choice(oracle.ids, size=100, replace=False)
    for query in queries(rng, oracle):
        assert loaded.search(query, 10) == index.search(query, 10)
        assert loaded.search(query, 10, allowed) == index.search(query, 10, allowed)


def test_save_deletes_older_generations_and_keeps_newer_ones(tmp_path, rng, saved_at_any_size):
    index, _ = filled(tmp_path, rng, 100)
    index.save(1)
    (tmp_path / "vectors-4.tmp").write_bytes(b"left by a killed writer")
    (tmp_path / "vectors-9.faiss").write_bytes(b"a newer generation another process wrote")
    (tmp_path / "news.sqlite").write_bytes(b"not ours to delete")
    more_ids, more = chunk_ids(rng, 10), unit_vectors(rng, 10)
    index.add(more_ids, more, 5)
    index.save(5)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["news.sqlite", "vectors-5.faiss", "vectors-9.faiss"]
    loaded = VectorIndex(tmp_path, DIMENSION, Oracle().truth)
    assert not loaded.load(1)
    assert loaded.load(5) and len(loaded) == 110


def _damage(path: Path, how: str) -> None:
    data = path.read_bytes()
    if how == "garbage":
        path.write_bytes(np.random.default_rng(SEED).bytes(len(data)))
    elif how == "other dimension":
        other = faiss.IndexIDMap2(faiss.IndexFlatIP(DIMENSION * 2))
        other.add_with_ids(np.ones((3, DIMENSION * 2), dtype=np.float32), np.arange(3, dtype=np.int64))
        faiss.write_index(other, str(path))
    elif how == "no id map":
        bare = faiss.IndexFlatIP(DIMENSION)
        bare.add(np.ones((3, DIMENSION), dtype=np.float32))
        faiss.write_index(bare, str(path))
    else:  # truncated: as far as a write got before a crash
        path.write_bytes(data[: {"empty": 0, "header": 40, "half": len(data) // 2, "last byte": len(data) - 1}[how]])


@pytest.mark.parametrize("how", ["empty", "header", "half", "last byte", "garbage", "other dimension", "no id map"])
def test_a_truncated_or_foreign_file_does_not_load(tmp_path, rng, how, saved_at_any_size):
    index, _ = filled(tmp_path, rng, 200)
    index.save(2)
    _damage(tmp_path / "vectors-2.faiss", how)
    fresh = VectorIndex(tmp_path, DIMENSION, Oracle().truth)
    assert fresh.load(2) is False
    assert (fresh.generation, len(fresh), fresh.kind) == (-1, 0, "flat")  # left as it was: the caller rebuilds
