"""Question -> Hits: dense (FAISS) and lexical (FTS5 BM25) chunk search, filtered first, then fused."""
from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING

import numpy as np

from qa.types import Hit

if TYPE_CHECKING:
    from qa.news_index import NewsIndex

RRF_K = 10  # reciprocal-rank-fusion constant: lower trusts each list's head more (60 is usual;
# 10 measured better on squad_dev_a and realtimeqa_news_a, see docs/QUALITY.md)
DEPTH = 50  # candidates taken from each retriever before fusion
MAX_TERMS = 64

STOPWORDS = frozenset("""
a about above after again against all am an and any are as at be because been before being below
between both but by can could did do does doing down during each few for from further had has have
having he her here hers herself him himself his how i if in into is it its itself just me more most
my myself no nor not now of off on once only or other our ours ourselves out over own same she
should so some such than that the their theirs them themselves then there these they this those
through to too under until up very was we were what when where which while who whom why will with
would you your yours yourself yourselves say said says tell told
""".split())


def terms(question: str) -> list[str]:
    """The question's content words, lowercased, in order, without repeats."""
    words = re.findall(r"\w+", question.lower())
    return list(dict.fromkeys(w for w in words if w not in STOPWORDS))[:MAX_TERMS]


def fts_query(words: Sequence[str]) -> str:
    """An FTS5 query matching any of the words; each is quoted so no word acts as an operator."""
    return " OR ".join('"' + w.replace('"', '""') + '"' for w in words)


def filter_sql(sources: Sequence[str], since: date | None, until: date | None,
               undated: bool = False) -> tuple[str, list]:
    """A WHERE clause on `articles a` for the filters, and its parameters.

    With `undated`, articles of unknown date pass the date range: a range read from the
    question's words should narrow dated articles, not silence every undated one.
    """
    clauses, params = [], []
    if sources:
        clauses.append(f"a.source IN ({','.join('?' * len(sources))})")
        params += list(sources)
    for bound, operator in ((since, ">="), (until, "<=")):
        if bound:
            test = f"a.published {operator} ?"
            clauses.append(f"(a.published IS NULL OR {test})" if undated else test)
            params.append(bound.isoformat())
    return (" AND ".join(clauses) or "1"), params


def retrieve(index: NewsIndex, question: str, question_vector: np.ndarray, *, k: int,
             sources: Sequence[str] = (), since: date | None = None, until: date | None = None,
             undated: bool = False) -> list[Hit]:
    """The k best chunks for the question, among articles that pass the filters.

    Filters restrict both retrievers before ranking (FAISS gets the allowed ids, FTS5 a join),
    so a filter never empties a result that a fixed top-k would have cut off.
    """
    where, params = filter_sql(sources, since, until, undated)
    allowed = None
    if params:
        allowed = np.array([r[0] for r in index.db.execute(
            f"SELECT c.id FROM chunks c JOIN articles a ON a.rowid = c.article WHERE {where}", params)],
            dtype=np.int64)
    depth = max(DEPTH, k)
    dense = [chunk_id for chunk_id, _ in index.vectors.search(question_vector, depth, allowed)]
    lexical: list[int] = []
    words = terms(question)
    if words and params:
        lexical = [r[0] for r in index.db.execute(
            "SELECT f.rowid FROM chunks_fts f JOIN chunks c ON c.id = f.rowid "
            f"JOIN articles a ON a.rowid = c.article WHERE chunks_fts MATCH ? AND {where} "
            "ORDER BY bm25(chunks_fts) LIMIT ?", [fts_query(words), *params, depth])]
    elif words:
        # Without filters the joins only slow FTS5 down (4x at 10k chunks): it must rank every
        # match, and each would be looked up twice before the LIMIT.
        lexical = [r[0] for r in index.db.execute(
            "SELECT rowid FROM chunks_fts WHERE chunks_fts MATCH ? ORDER BY bm25(chunks_fts) LIMIT ?",
            [fts_query(words), depth])]
    fused: dict[int, float] = {}
    for ranking in (dense, lexical):
        for rank, chunk_id in enumerate(ranking):
            fused[chunk_id] = fused.get(chunk_id, 0.0) + 1.0 / (RRF_K + rank + 1)
    best = sorted(fused.items(), key=lambda item: -item[1])[:k]
    if not best:
        return []
    rows = {r[0]: r[1:] for r in index.db.execute(
        f"SELECT c.id, a.id, c.start, c.end FROM chunks c JOIN articles a ON a.rowid = c.article "
        f"WHERE c.id IN ({','.join('?' * len(best))})", [chunk_id for chunk_id, _ in best])}
    return [Hit(chunk_id, *rows[chunk_id], score=score, rank=rank)
            for rank, (chunk_id, score) in enumerate(best) if chunk_id in rows]
