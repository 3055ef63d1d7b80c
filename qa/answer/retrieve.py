"""Query -> Hits: dense (FAISS) and lexical (FTS5 BM25) chunk search, filtered first, then fused."""

from __future__ import annotations

import numpy as np

from qa.answer.fuse import reciprocal_rank_fusion
from qa.storage.reads import Reader
from qa.types import Hit, Query

DEPTH = 50  # candidates taken from each retriever before fusion


def retrieve(reader: Reader, query: Query, question_vector: np.ndarray, *, k: int) -> list[Hit]:
    """The k best chunks for the query, among articles that pass its filters.

    Filters restrict both retrievers before ranking, so a filter never empties a result that a
    fixed top-k would have cut off.
    """
    depth = max(DEPTH, k)
    dense = reader.dense_chunks(question_vector, depth, query.filters)
    lexical = reader.lexical_chunks(query.terms, depth, query.filters)
    return reader.hits(reciprocal_rank_fusion([dense, lexical], limit=k))
