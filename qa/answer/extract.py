"""Hits -> Answer: the best verbatim sentences, cited by offset, or an honest "not found"."""
from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

import numpy as np

from qa.text.quotes import parse_speaker_question
from qa.answer.retrieve import fts_query, retrieve, terms
from qa.types import Answer, Citation, Quote
from qa.text.when import resolve_relative, time_scope

if TYPE_CHECKING:
    from qa.news_index import NewsIndex

MAX_QUESTION_CHARS = 2_000  # the model reads 256 tokens; longer questions are cut for search
MAX_SPANS = 3
# Sentence score = cosine + these weights times features in 0..1; chosen with
# benchmarks/tune_extract.py on squad_dev_a and checked on realtimeqa_news_a (docs/QUALITY.md).
# Sentence BM25 and the chunk's retrieval rank were measured too and added nothing.
COVERAGE_WEIGHT = 0.4
CONTEXT_WEIGHT = 0.2
CUE_WEIGHT = 0.1
DF_CAP = 5_000

MONTHS = "january|february|march|april|may|june|july|august|september|october|november|december"
QUESTION_TYPES = [
    ("number", re.compile(r"\bhow (many|much|long|old|far|large|big|tall|often)\b|\bwhat (percentage|number|amount)\b")),
    ("time", re.compile(r"\bwhen\b|\bwhat (year|date|day|month|time|century|decade)\b|\bwhich (year|month|day)\b")),
    ("person", re.compile(r"^\s*who\b|\bwho (is|was|were|did|said)\b|\bwhose\b")),
    ("place", re.compile(r"^\s*where\b|\bin which (city|country|state)\b|\bwhat (city|country|state|place)\b")),
]
ANSWER_TYPES = {
    "number": re.compile(r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|hundred|thousand|million|billion|dozen)s?\b", re.I),
    "time": re.compile(rf"\b(1\d{{3}}|20\d{{2}})s?\b|\b({MONTHS})\b|\b(monday|tuesday|wednesday|thursday|friday|saturday|sunday|yesterday|today|century)\b", re.I),
    "person": re.compile(r"\b[A-Z][a-z]+(?:\s+[A-Z][a-z]+)+"),
    "place": re.compile(r"\b(in|at|from|near)\s+(the\s+)?[A-Z][a-z]+"),
}
SPAN_MARGIN = 0.3  # a second or third span must score within this of the best (measured:
# 0.15 -> 1.8 spans, citation@3 0.81; 0.3 -> 2.4 spans, 0.84; wider adds spans, not hits)
ANSWER_THRESHOLD = 0.7  # calibrated: see docs/QUALITY.md (in-domain vs unrelated questions)
RELATED = 3
QUOTE_TOPIC_MIN = 0.3  # a quote whose sentence or chunk is less similar to the topic is not "about" it
DIRECT_QUOTE_BONUS = 0.05  # the speaker's own words lead when relevance is close
LATEST_WEIGHT = 0.15  # how much "latest" lifts the newest article's sentences over the oldest's


@dataclass(slots=True)
class Candidate:
    sentence_id: int
    article_id: str
    start: int
    end: int
    dense: float
    coverage: float = 0.0  # share of the question's term weight (idf) found in the sentence
    context: float = 0.0  # the same share over the sentence and the one before it
    cue: float = 0.0  # 1 when the sentence holds the kind of thing the question asks for
    score: float = 0.0


def clean_question(question: str) -> str:
    """The question as searched: whitespace collapsed, cut to what the model can read."""
    return " ".join(question.split())[:MAX_QUESTION_CHARS]


def answer(index: NewsIndex, question: str, *, k: int, sources: Sequence[str] = (),
           since: date | None = None, until: date | None = None) -> Answer:
    """Answer `question` from `index` with up to three cited sentences, or abstain with a reason."""
    cleaned = clean_question(question)
    if not any(ch.isalnum() for ch in cleaned):
        return Answer(question, reason="the question has no words; type a question, for example "
                                       "'what did Netanyahu say about Rafah?'")
    # "in March 2024" narrows the dates searched; the filter, not the words, does that work.
    # Undated articles stay in unless the caller asked for a date range itself.
    scope = time_scope(cleaned)
    undated = since is None and until is None
    since = max(filter(None, [since, scope.since]), default=None)
    until = min(filter(None, [until, scope.until]), default=None)
    if any(ch.isalnum() for ch in scope.question):
        cleaned = scope.question
    dates = dict(sources=sources, since=since, until=until, undated=undated)
    spoken = parse_speaker_question(cleaned)
    if spoken:
        quoted = _quote_answer(index, question, cleaned, *spoken, **dates)
        if quoted:
            return quoted
    vector = index.embedder.embed([cleaned])[0]
    hits = retrieve(index, cleaned, vector, k=k, **dates)
    if not hits:
        return Answer(question, searched=cleaned,
                      reason="no articles match the filters" if sources or since or until
                      else "the index has no articles; add some with: python -m qa ingest PATH")
    candidates = _candidates(index, hits, vector)
    _score(index, cleaned, candidates)
    if scope.latest:
        _prefer_recent(index, candidates)
    ranked = _distinct(index, sorted(candidates, key=lambda c: -c.score))
    confidence = ranked[0].score if ranked else 0.0
    if confidence < ANSWER_THRESHOLD:
        return Answer(question, related=_citations(index, ranked[:RELATED]), confidence=confidence,
                      searched=cleaned, reason="the articles do not answer this question")
    chosen = [ranked[0]]
    for candidate in ranked[1:]:
        if len(chosen) == MAX_SPANS or candidate.score < ranked[0].score - SPAN_MARGIN:
            break
        chosen.append(candidate)
    rest = [c for c in ranked if c not in chosen][:RELATED]
    return Answer(question, citations=_citations(index, chosen), related=_citations(index, rest),
                  confidence=confidence, searched=cleaned)


def _quote_answer(index: NewsIndex, question: str, searched: str, speaker: str, topic: str,
                  **dates) -> Answer | None:
    """Answer "what did X say (about Y)" from X's quotes; None when X is never quoted."""
    ranked = _distinct(index, index.ranked_quotes(speaker, topic or None, **dates), span=lambda item: item[0])
    if not ranked:
        return None

    def priority(item: tuple[Quote, float]) -> float:
        quote, relevance = item
        article = index.get(quote.article_id)
        direct = quote.start > 0 and article.text[quote.start - 1] in "\"“”'‘"
        return relevance + (DIRECT_QUOTE_BONUS if direct else 0.0)

    on_topic = [item for item in ranked if not topic or item[1] >= QUOTE_TOPIC_MIN]
    quotes = tuple(quote for quote, _ in ranked[:10])
    if not on_topic:
        return Answer(question, related=_quote_citations(index, ranked[:RELATED]), quotes=quotes,
                      searched=searched, confidence=ranked[0][1],
                      reason=f"{ranked[0][0].speaker} is quoted in the articles, but not about {topic}")
    chosen = sorted(on_topic, key=priority, reverse=True)[:MAX_SPANS]
    return Answer(question, citations=_quote_citations(index, chosen), quotes=quotes, searched=searched,
                  confidence=chosen[0][1] if topic else 1.0)


def _quote_citations(index: NewsIndex, ranked: Sequence[tuple[Quote, float]]) -> tuple[Citation, ...]:
    citations = []
    for quote, relevance in ranked:
        article = index.get(quote.article_id)
        citations.append(Citation(
            article_id=article.id, start=quote.start, end=quote.end, text=quote.text, title=article.title,
            source=article.source, url=article.url, published=article.published, score=relevance,
            speaker=quote.speaker, also_reported_by=tuple(index.family_sources(article.id)),
            event_date=resolve_relative(article.text, quote.start, article.published)
            if article.published else None))
    return tuple(citations)


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
                seen[sentence_id] = Candidate(sentence_id, hit.article_id, start, end, dense)
    return list(seen.values())


def _term_weights(index: NewsIndex, words: Sequence[str]) -> dict[str, float]:
    """Inverse document frequency of each word over chunks; counting stops at a cap so that
    common words cost little (they weigh little anyway)."""
    total = max(len(index.vectors), 1)
    weights = {}
    for word in words:
        found = index.db.execute("SELECT count(*) FROM (SELECT 1 FROM chunks_fts WHERE chunks_fts MATCH ? "
                                 "LIMIT ?)", (fts_query([word]), DF_CAP)).fetchone()[0]
        # A word no article holds weighs most: it is what the question is about, and missing.
        weights[word] = math.log(1 + total / max(found, 1))
    return weights


def _score(index: NewsIndex, question: str, candidates: list[Candidate]) -> None:
    """Combine meaning (cosine), question words found (idf-weighted), context and answer type."""
    words = terms(question)
    if words and candidates:
        marks = ",".join("?" * len(candidates))
        ids = [c.sentence_id for c in candidates]
        weights = _term_weights(index, words)
        total = sum(weights.values()) or 1.0
        found: dict[int, float] = {}
        for word, weight in weights.items():
            for (sentence_id,) in index.db.execute(
                    f"SELECT rowid FROM sentences_fts WHERE sentences_fts MATCH ? AND rowid IN ({marks})",
                    [fts_query([word]), *ids]):
                found[sentence_id] = found.get(sentence_id, 0.0) + weight / total
        previous: Candidate | None = None
        for candidate in sorted(candidates, key=lambda c: (c.article_id, c.start)):
            candidate.coverage = found.get(candidate.sentence_id, 0.0)
            before = previous.coverage if previous and previous.article_id == candidate.article_id else 0.0
            candidate.context = max(candidate.coverage, min(1.0, candidate.coverage + 0.5 * before))
            previous = candidate
    expected = answer_type(question)
    for candidate in candidates:
        if expected:
            text = index.db.execute("SELECT substr(text, ?, ?) FROM articles WHERE id = ?",
                                    (candidate.start + 1, candidate.end - candidate.start,
                                     candidate.article_id)).fetchone()[0]
            candidate.cue = 1.0 if ANSWER_TYPES[expected].search(text) else 0.0
        candidate.score = (candidate.dense + COVERAGE_WEIGHT * candidate.coverage
                           + CONTEXT_WEIGHT * candidate.context + CUE_WEIGHT * candidate.cue)


def answer_type(question: str) -> str | None:
    """What kind of thing the question asks for, from its wh-phrase."""
    lowered = question.lower()
    for kind, pattern in QUESTION_TYPES:
        if pattern.search(lowered):
            return kind
    return None


def _prefer_recent(index: NewsIndex, candidates: list[Candidate]) -> None:
    """For "latest"/"most recent" questions: newer articles score up to LATEST_WEIGHT more."""
    dates = {c.article_id: index.get(c.article_id).published for c in candidates}
    known = sorted({d for d in dates.values() if d})
    if len(known) < 2:
        return
    order = {d: i / (len(known) - 1) for i, d in enumerate(known)}  # oldest 0 .. newest 1
    for candidate in candidates:
        published = dates[candidate.article_id]
        candidate.score += LATEST_WEIGHT * order[published] if published else 0.0


def _distinct(index: NewsIndex, ranked: list, span=lambda item: item) -> list:
    """Ranked items less repeats: the same words in another copy of the same story (a
    near-duplicate family) are cited once; the copies' sources show as "also reported by".

    `span(item)` gives the item's object with article_id, start and end.
    """
    families = index.families(list({span(item).article_id for item in ranked}))
    seen: set[tuple[int | str, str]] = set()
    kept = []
    for item in ranked:
        where = span(item)
        text = index.get(where.article_id).text[where.start:where.end]
        key = (families.get(where.article_id, where.article_id), " ".join(text.casefold().split()))
        if key not in seen:
            seen.add(key)
            kept.append(item)
    return kept


def _citations(index: NewsIndex, chosen: Sequence[Candidate]) -> tuple[Citation, ...]:
    citations = []
    for candidate in chosen:
        article = index.get(candidate.article_id)
        citations.append(Citation(
            article_id=article.id, start=candidate.start, end=candidate.end,
            text=article.text[candidate.start:candidate.end], title=article.title, source=article.source,
            url=article.url, published=article.published, score=candidate.score,
            also_reported_by=tuple(index.family_sources(article.id)),
            event_date=resolve_relative(article.text, candidate.start, article.published)
            if article.published else None))
    return tuple(citations)
