"""The data that flows through news-qa: articles, queries, spans, hits, citations and answers (no I/O)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

# The file that makes a folder a news-qa index (qa/storage/schema.py); ingest never reads one as articles.
INDEX_DATABASE = "news.sqlite"


@dataclass(frozen=True, slots=True)
class Article:
    """One news article. `text` is canonical: every offset in the system points into it."""

    id: str
    text: str
    title: str = ""
    source: str = ""
    url: str = ""
    published: date | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Filters:
    """Which articles a search may use. With `undated`, articles of unknown date pass the date
    range: a range read from the question's words should narrow dated articles, not silence
    every undated one."""

    sources: tuple[str, ...] = ()
    since: date | None = None
    until: date | None = None
    undated: bool = False
    articles: tuple[str, ...] = ()  # only these articles, by id ("when was that?" of one answer)

    @property
    def any(self) -> bool:
        return bool(self.sources or self.since or self.until or self.articles)


@dataclass(frozen=True, slots=True)
class Query:
    """A question as the answering stages read it (see qa.text.question.parse)."""

    question: str  # as typed
    searched: str  # what retrieval reads: whitespace collapsed, date phrases that became filters removed
    terms: tuple[str, ...]  # content words of `searched`, lowercased, in order
    filters: Filters = Filters()
    latest: bool = False  # "latest", "most recent": newer articles first
    answer_type: str | None = None  # "money", "number", "time", "person" or "place", from the wh-phrase
    speaker: str | None = None  # "what did X say (about Y)": X
    topic: str = ""  # ... and Y; or the story a broad question asks about
    broad: bool = False  # "what happened in X", "news about X": answered with the stories' ledes
    # (article id, start, end) the user has already read: "what else did he say?" cites others.
    shown: tuple[tuple[str, int, int], ...] = ()
    # The same question with the date words that narrowed `filters` searched as words instead
    # ("how many pilgrims died in 1991?"): asked when the dated reading finds no answer.
    as_words: Query | None = None

    @property
    def asks_when_of_one_article(self) -> bool:
        """ "When was that?" of the article an answer cited: its answer must be a sentence that dates it."""
        return self.answer_type == "time" and len(self.filters.articles) == 1

    def was_shown(self, article_id: str, start: int, end: int) -> bool:
        """Whether the span overlaps one the user has already read."""
        return any(shown == article_id and s < end and start < e for shown, s, e in self.shown)


@dataclass(frozen=True, slots=True)
class Span:
    """A piece of an article: `article.text[start:end] == text`."""

    start: int
    end: int
    text: str


@dataclass(frozen=True, slots=True)
class Hit:
    """A retrieved chunk with its fused retrieval score (higher is better)."""

    chunk_id: int
    article_id: str
    start: int
    end: int
    score: float
    rank: int


@dataclass(frozen=True, slots=True)
class Citation:
    """A verbatim span of an article: `article.text[start:end] == text`, always."""

    article_id: str
    start: int
    end: int
    text: str
    title: str = ""
    source: str = ""
    url: str = ""
    published: date | None = None
    score: float = 0.0
    speaker: str = ""
    also_reported_by: tuple[str, ...] = ()
    event_date: date | None = None  # the day the cited sentence speaks of ("on Friday"), when certain

    @classmethod
    def of(cls, article: Article, start: int, end: int, **details: Any) -> Citation:
        """The citation of `article.text[start:end]`: the text is sliced here, never passed in,
        so a citation cannot disagree with its article."""
        if not 0 <= start < end <= len(article.text):
            raise ValueError(f"span {start}-{end} is outside article {article.id!r} ({len(article.text)} chars)")
        return cls(
            article_id=article.id,
            start=start,
            end=end,
            text=article.text[start:end],
            title=article.title,
            source=article.source,
            url=article.url,
            published=article.published,
            **details,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "article_id": self.article_id,
            "title": self.title,
            "source": self.source,
            "url": self.url,
            "published": self.published.isoformat() if self.published else None,
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "score": round(self.score, 4),
            "speaker": self.speaker or None,
            "also_reported_by": list(self.also_reported_by),
            "event_date": self.event_date.isoformat() if self.event_date else None,
        }


@dataclass(frozen=True, slots=True)
class Quote:
    """A quotation or reported statement: `article.text[start:end] == text`."""

    article_id: str
    start: int
    end: int
    text: str
    speaker: str
    speaker_key: str
    cue: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "article_id": self.article_id,
            "speaker": self.speaker,
            "cue": self.cue,
            "start": self.start,
            "end": self.end,
            "text": self.text,
        }


@dataclass(frozen=True, slots=True)
class Answer:
    """The one shape every question gets back; abstention is an Answer with no citations."""

    question: str
    citations: tuple[Citation, ...] = ()
    related: tuple[Citation, ...] = ()
    confidence: float = 0.0
    reason: str = ""
    searched: str = ""
    quotes: tuple[Quote, ...] = ()
    unsearched: tuple[str, ...] = ()  # parts of a sharded archive (qa.scale) that did not answer

    @property
    def abstained(self) -> bool:
        return not self.citations

    @property
    def text(self) -> str | None:
        return " … ".join(c.text for c in self.citations) or None

    def to_dict(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "searched": self.searched or self.question,
            "answer": self.text,
            "confidence": round(self.confidence, 4),
            "abstained": self.abstained,
            "reason": self.reason or None,
            "citations": [c.to_dict() for c in self.citations],
            "related": [c.to_dict() for c in self.related],
            "quotes": [q.to_dict() for q in self.quotes],
            "unsearched": list(self.unsearched),
        }
