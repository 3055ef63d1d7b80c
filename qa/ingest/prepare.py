"""An Article -> everything stored for it: chunks and sentences with vectors, quotes, a MinHash."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qa.ingest import chunk
from qa.ingest.embed import Embedder
from qa.ingest.near_duplicates import signature
from qa.text.quotes import find_quotes
from qa.types import Article, Quote, Span


@dataclass(frozen=True, slots=True)
class Prepared:
    """An article ready to store; every span's offsets point into `article.text`."""

    article: Article
    chunks: list[tuple[Span, np.ndarray]]
    sentences: list[tuple[Span, np.ndarray]]
    quotes: list[Quote]
    signature: np.ndarray


def prepare(article: Article, embedder: Embedder, *, chunk_size: int, chunk_overlap: int) -> Prepared:
    """Chunk, split, embed and read the quotes of one article (no I/O)."""
    chunk_spans, sentence_spans = chunk.chunks(article.text, chunk_size, chunk_overlap), chunk.sentences(article.text)
    chunk_vectors, sentence_vectors = _embed(embedder, chunk_spans, sentence_spans)
    return Prepared(
        article,
        list(zip(chunk_spans, chunk_vectors, strict=True)),
        list(zip(sentence_spans, sentence_vectors, strict=True)),
        find_quotes(article.id, article.text),
        signature(article.text),
    )


def _embed(
    embedder: Embedder, chunk_spans: list[Span], sentence_spans: list[Span]
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Chunk vectors, and sentence vectors pooled from the chunk that holds most of each
    sentence, in the same forward pass."""
    owned: list[list[tuple[int, int]]] = [[] for _ in chunk_spans]
    owners: list[int] = []
    for sentence in sentence_spans:
        best = max(
            range(len(chunk_spans)),
            key=lambda i: min(sentence.end, chunk_spans[i].end) - max(sentence.start, chunk_spans[i].start),
        )
        c = chunk_spans[best]
        owned[best].append((max(sentence.start, c.start) - c.start, min(sentence.end, c.end) - c.start))
        owners.append(best)
    chunk_vectors, pooled = embedder.embed_with_spans([c.text for c in chunk_spans], owned)
    # `pooled` is ordered chunk by chunk; map it back to sentence order.
    by_chunk: list[list[np.ndarray | None]] = [[] for _ in chunk_spans]
    cursor = 0
    for i, spans in enumerate(owned):
        by_chunk[i] = pooled[cursor : cursor + len(spans)]
        cursor += len(spans)
    taken = [0] * len(chunk_spans)
    sentence_vectors: list[np.ndarray | None] = []
    for owner in owners:
        sentence_vectors.append(by_chunk[owner][taken[owner]])
        taken[owner] += 1
    missing = [i for i, v in enumerate(sentence_vectors) if v is None]
    if missing:  # past the model's token window: embed those sentences on their own
        for i, vector in zip(missing, embedder.embed([sentence_spans[i].text for i in missing]), strict=True):
            sentence_vectors[i] = vector
    return chunk_vectors, sentence_vectors  # type: ignore[return-value]  # no None is left
