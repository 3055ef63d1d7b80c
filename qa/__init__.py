"""news-qa: answers to questions about news articles, made of the articles' own cited words."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path

from qa.errors import BadInput, IndexBusy, IndexCorrupt, IndexMismatch, IndexNotFound, ModelMissing, QAError
from qa.news_index import DEFAULT_INDEX, IngestReport, NewsIndex
from qa.types import Answer, Article, Citation, Quote

__all__ = [
    "Answer",
    "Article",
    "BadInput",
    "Citation",
    "IndexBusy",
    "IndexCorrupt",
    "IndexMismatch",
    "IndexNotFound",
    "IngestReport",
    "ModelMissing",
    "NewsIndex",
    "QAError",
    "Quote",
    "ask",
]

_open_indexes: dict[Path, NewsIndex] = {}


def ask(
    question: str,
    *,
    index: NewsIndex | str | Path | None = None,
    k: int = 5,
    sources: Sequence[str] = (),
    since: date | None = None,
    until: date | None = None,
    shown: Sequence[Citation] = (),
    articles: Sequence[str] = (),
) -> Answer:
    """Answer `question` from the indexed articles, citing character spans.

    Args:
        question: the question in plain words.
        index: a NewsIndex, or the folder of one; `index/` by default. Opened once per process.
        k: how many chunks to gather evidence from.
        sources: only articles from these sources.
        since, until: only articles published in this date range (inclusive).
        shown: citations already shown ("what else did he say?"): the answer cites others.
        articles: only these articles, by id.

    Returns:
        An Answer; `answer.abstained` is true when the articles do not answer the question.
    """
    if not isinstance(index, NewsIndex):
        path = Path(index or DEFAULT_INDEX).resolve()
        if path not in _open_indexes:
            _open_indexes[path] = NewsIndex.open(path)
        index = _open_indexes[path]
    return index.ask(question, k=k, sources=sources, since=since, until=until, shown=shown, articles=articles)
