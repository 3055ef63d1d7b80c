"""Query -> Hits: dense (FAISS) and lexical (FTS5 BM25) chunk search, filtered first, then fused."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Future

import numpy as np

from qa.answer.fuse import reciprocal_rank_fusion
from qa.storage.reads import Reader
from qa.types import Hit, Query

DEPTH = 50  # candidates taken from each retriever before fusion
DF_CAP = 5_000  # chunk frequencies are counted up to here: past it a word is common at any size
# BM25 leaves out a word found in more than this share of the chunks (and in more than the floor):
# FTS5 scores every chunk a word is in (~1 us each), so at 10k chunks "u", "s" (of "U.S.") and
# "shares" took 3 of an answer's 11 ms, for a word that weighs a third of a rare one.
COMMON_SHARE = 0.1
COMMON_FLOOR = 1_000

# A question's vector, or its embedding under way (qa.ingest.embed.embed_soon).
Vector = np.ndarray | Future[np.ndarray]


def resolved(vector: Vector) -> np.ndarray:
    """The vector, once its embedding has finished."""
    return vector.result() if isinstance(vector, Future) else vector


def retrieve(reader: Reader, query: Query, question_vector: Vector, *, k: int) -> list[Hit]:
    """The k best chunks for the query, among articles that pass its filters.

    Filters restrict both retrievers before ranking, so a filter never empties a result that a
    fixed top-k would have cut off. The words are searched first: a question still being embedded
    finishes meanwhile.
    """
    depth = max(DEPTH, k)
    lexical = reader.lexical_chunks(selective_terms(reader, query.terms), depth, query.filters)
    dense = reader.dense_chunks(resolved(question_vector), depth, query.filters)
    return reader.hits(reciprocal_rank_fusion([dense, lexical], limit=k))


def selective_terms(reader: Reader, terms: Sequence[str]) -> list[str]:
    """The words worth a BM25 search: all but the very common ones, else the rarest, unless even
    that one is in DF_CAP chunks or more (then none: the dense search alone ranks)."""
    if not terms:
        return []
    frequencies = reader.chunk_frequencies(terms, DF_CAP)
    common = min(max(COMMON_SHARE * reader.chunk_count(), COMMON_FLOOR), DF_CAP)
    kept = [word for word in terms if frequencies[word] < common]
    if kept:
        return kept
    rarest = min(terms, key=lambda word: frequencies[word])
    # Scoring a word costs ~1 us for each chunk it is in, without end: at 1M chunks "tax" alone
    # took 47 ms of an answer (5x that at 5M), to rank by a word that weighs little.
    return [rarest] if frequencies[rarest] < DF_CAP else []
