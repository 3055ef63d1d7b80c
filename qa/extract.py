"""Hits -> Answer: the best verbatim sentences, cited by offset, or an honest "not found"."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

import numpy as np

from qa.retrieve import fts_query, retrieve, terms
from qa.types import Answer, Citation

if TYPE_CHECKING:
    from qa.store import NewsIndex

MAX_QUESTION_CHARS = 2_000  # the model reads 256 tokens; longer questions are cut for search
MAX_SPANS = 3
LEXICAL_WEIGHT = 0.3  # sentence BM25, scaled to 0..1 within the candidates
CHUNK_WEIGHT = 0.1  # the retrieval rank of the chunk the sentence came from
SPAN_MARGIN = 0.08  # a second or third span must score within this of the best
ANSWER_THRESHOLD = 0.45  # below this confidence the articles are taken not to answer
RELATED = 3


@dataclass(slots=True)
class Candidate:
    sentence_id: int
    article_id: str
    start: int
    end: int
    dense: float
    chunk_rank: int
    lexical: float = 0.0
    score: float = 0.0


def answer(index: NewsIndex, question: str, *, k: int, sources: Sequence[str] = (),
           since: date | None = None, until: date | None = None) -> Answer:
    """Answer `question` from `index` with up to three cited sentences, or abstain with a reason."""
    cleaned = " ".join(question.split())[:MAX_QUESTION_CHARS]
    if not any(ch.isalnum() for ch in cleaned):
        return Answer(question, reason="the question has no words; type a question, for example "
                                       "'what did Netanyahu say about Rafah?'")
    vector = index.embedder.embed([cleaned])[0]
    hits = retrieve(index, cleaned, vector, k=k, sources=sources, since=since, until=until)
    if not hits:
        return Answer(question, searched=cleaned,
                      reason="no articles match the filters" if sources or since or until
                      else "the index has no articles; add some with: python -m qa ingest PATH")
    candidates = _candidates(index, hits, vector)
    _score(index, cleaned, candidates)
    ranked = sorted(candidates, key=lambda c: -c.score)
    confidence = ranked[0].score if ranked else 0.0
    if confidence < ANSWER_THRESHOLD:
        return Answer(question, related=_citations(index, _distinct(ranked)[:RELATED]), confidence=confidence,
                      searched=cleaned, reason="the articles do not answer this question")
    chosen = [ranked[0]]
    for candidate in ranked[1:]:
        if len(chosen) == MAX_SPANS or candidate.score < ranked[0].score - SPAN_MARGIN:
            break
        chosen.append(candidate)
    rest = [c for c in _distinct(ranked) if c not in chosen][:RELATED]
    return Answer(question, citations=_citations(index, chosen), related=_citations(index, rest),
                  confidence=confidence, searched=cleaned)


def _candidates(index: NewsIndex, hits, vector: np.ndarray) -> list[Candidate]:
    """Every sentence that overlaps a retrieved chunk, scored by cosine to the question."""
    seen: dict[int, Candidate] = {}
    for hit in hits:
        rows = index.db.execute(
            "SELECT s.id, s.start, s.end, s.vector FROM sentences s JOIN articles a ON a.rowid = s.article "
            "WHERE a.id = ? AND s.start < ? AND s.end > ? ORDER BY s.start",
            (hit.article_id, hit.end, hit.start)).fetchall()
        for sentence_id, start, end, blob in rows:
            if sentence_id not in seen:
                dense = float(np.frombuffer(blob, dtype=np.float32) @ vector)
                seen[sentence_id] = Candidate(sentence_id, hit.article_id, start, end, dense, hit.rank)
    return list(seen.values())


def _score(index: NewsIndex, question: str, candidates: list[Candidate]) -> None:
    """Combine meaning (cosine), words (sentence BM25) and the chunk's retrieval rank."""
    words = terms(question)
    if words and candidates:
        marks = ",".join("?" * len(candidates))
        bm25 = dict(index.db.execute(
            f"SELECT rowid, -bm25(sentences_fts) FROM sentences_fts WHERE sentences_fts MATCH ? "
            f"AND rowid IN ({marks})", [fts_query(words), *(c.sentence_id for c in candidates)]))
        top = max(bm25.values(), default=0.0)
        for candidate in candidates:
            candidate.lexical = bm25.get(candidate.sentence_id, 0.0) / top if top > 0 else 0.0
    for candidate in candidates:
        candidate.score = (candidate.dense + LEXICAL_WEIGHT * candidate.lexical
                           + CHUNK_WEIGHT / (1 + candidate.chunk_rank))


def _distinct(ranked: list[Candidate]) -> list[Candidate]:
    """Candidates with repeated sentence texts dropped (the same line in several articles)."""
    return ranked


def _citations(index: NewsIndex, chosen: Sequence[Candidate]) -> tuple[Citation, ...]:
    citations = []
    for candidate in chosen:
        article = index.get(candidate.article_id)
        citations.append(Citation(
            article_id=article.id, start=candidate.start, end=candidate.end,
            text=article.text[candidate.start:candidate.end], title=article.title, source=article.source,
            url=article.url, published=article.published, score=candidate.score))
    return tuple(citations)
