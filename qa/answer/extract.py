"""Hits -> Answer: the best verbatim sentences, cited by offset, or an honest "not found"."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qa.answer.cite import cite_all, distinct
from qa.answer.passages import PassageReader
from qa.answer.rank import CrossEncoder, load_ranker, passage
from qa.answer.retrieve import DF_CAP, Vector, resolved, retrieve
from qa.storage.reads import Reader
from qa.text.event_dates import dates_its_news
from qa.text.quotes import name_words
from qa.text.quotes.lexicon import NAME_TITLES
from qa.types import Answer, Citation, Hit, Query

MAX_SPANS = 3
# Sentence score = cosine + these weights times features in 0..1; chosen with
# benchmarks/tune_extract.py on squad_dev_a and checked on realtimeqa_news_a (docs/QUALITY.md).
# Sentence BM25 and the chunk's retrieval rank were measured too and added nothing.
COVERAGE_WEIGHT = 0.4
CONTEXT_WEIGHT = 0.2
CUE_WEIGHT = 0.1
# A story's lede (its first sentence) states its main facts: 50 of the 83 RealTimeQA answers lie
# in their article's. It is lifted as much as the answer-type cue lifts a sentence: larger weights
# did better on that set (docs/QUALITY.md), which is for checking, not tuning. It orders, never
# decides whether to answer.
LEDE_WEIGHT = 0.1
SENTENCE_BEFORE = re.compile(r"\w\w[.!?][\"'”’)]*\s")
PARAGRAPH = re.compile(r"[^\n]*\S[^\n]*")
LEDE_PARAGRAPHS = 3  # non-empty lines that make a text a story told in paragraphs
LEDE_SCAN = 2000  # characters read to count them

MONTHS = "january|february|march|april|may|june|july|august|september|october|november|december"
ANSWER_TYPES = {
    # A currency by sign or name, or an amount in millions ("$11.5bn", "60,000 dollars", "£3m").
    "money": re.compile(
        r"[$£€¥]\s?\d|\d\s?(?:bn|m|million|billion|trillion)?\s*(?:dollars|pounds|euros|yen|yuan|rupees|francs)\b"
        r"|\b(?:US|A|C|HK)\$|\d(?:\.\d+)?\s?(?:bn|m)\b",
        re.I,
    ),
    "number": re.compile(
        r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|hundred|thousand|million|billion|dozen)s?\b", re.I
    ),
    "time": re.compile(
        rf"\b(1\d{{3}}|20\d{{2}})s?\b|\b({MONTHS})\b|\b(monday|tuesday|wednesday|thursday|friday|saturday|sunday|yesterday|today|century)\b",
        re.I,
    ),
    "person": re.compile(r"\b[A-Z][a-z]+(?:\s+[A-Z][a-z]+)+"),
    "place": re.compile(r"\b(in|at|from|near)\s+(the\s+)?[A-Z][a-z]+"),
}
# "Who is Blinken?" asks what the articles call him: its cue is a sentence that says so, and
# that is the answer, where naming him is not: it weighs as much as holding the question's words.
# (No SQuAD or RealTimeQA question has this form; chosen on the seeds' Rafah and Kmart stories.)
DESCRIPTION_WEIGHT = COVERAGE_WEIGHT
# "When was that?" of one article (qa.text.conversation.dated_article): a sentence that dates its
# news comes before any that does not, whatever words it shares ("during the 1991 Hajj" does not).
DATING_WEIGHT = 1.0
WHO_IS = re.compile(
    r"^\W*who\s+(?:is|was)\s+(?P<name>[A-Z][\w'’.-]*(?:\s+[A-Z][\w'’.-]*){0,3})(?:,\s+the\s+[\w\s'’-]+)?\s*\??\s*$"
)
HONORIFICS = {"mr", "mrs", "ms", "miss", "sir", "dame", "lord", "lady"}  # "Mr Brown" says no more than "Brown"
DESCRIBING_TITLES = "|".join(sorted(NAME_TITLES - HONORIFICS))
SPAN_MARGIN = 0.3  # a second or third span must score within this of the best (measured:
# 0.15 -> 1.8 spans, citation@3 0.81; 0.3 -> 2.4 spans, 0.84; wider adds spans, not hits)
ANSWER_THRESHOLD = 0.7  # calibrated: see docs/QUALITY.md (in-domain vs unrelated questions)
RELATED = 3
NO_MATCH = "no articles match the filters"
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
    lede: float = 0.0  # 1 for the first sentence of a story told in paragraphs
    score: float = 0.0


@dataclass(frozen=True, slots=True)
class Scoring:
    """When a score answers (threshold) and how far below the best a second span may be (margin)."""

    threshold: float
    margin: float


HAND_TUNED = Scoring(ANSWER_THRESHOLD, SPAN_MARGIN)
# With the ranker the score is the hand-tuned one plus the ranker's logit / LOGIT_SCALE (the
# fusion that ranked best on held-out SQuAD articles: accuracy@1 0.762 against 0.733 and 0.725
# for either alone). The threshold answers 95% of held-out answerable questions; the wider
# margin keeps citation@3 where the hand-tuned score has it (docs/MODEL_CARD.md).
LEARNED = Scoring(threshold=0.40, margin=0.6)
LOGIT_SCALE = 8.0
RERANKED = 4  # the hand-tuned score's best 4 go to the ranker: 8 gained 0.005 for twice the time
# Without reranking, the ranker still checks an answer of middling hand-tuned confidence (below
# SURE): when it gives the best sentence a logit under NOT_AN_ANSWER (a probability under 2%)
# the answer abstains. Chosen on held-out SQuAD and SQuAD questions asked of BBC 2004-2005 alone:
# wrong answers to those 0.167 -> 0.077 for citation@1 0.707 -> 0.703 (docs/QUALITY.md).
SURE = 0.85
NOT_AN_ANSWER = -4.0
# With the passage reader (opt-in, qa/answer/passages.py) an answer needs both: the hand-tuned
# score, checked as by default, and then the reader, which reads the best READ_HITS chunks and adds
# its logit against "no answer here" / READ_SCALE to every score. /16 ranked best of /4, /8, /16
# and 3 chunks kept accuracy@1 of 4 (benchmarks/train_reader.py validate). The threshold is the
# highest that answers within a point of the default on held-out SQuAD articles; the margin gives
# as many spans as the default (docs/MODEL_CARD.md). The reader alone, at any threshold that
# answered as often, gave more wrong answers to questions from another corpus than the default.
READ = Scoring(threshold=0.40, margin=0.8)
READ_SCALE = 16.0
READ_HITS = 3


def answer(
    reader: Reader,
    query: Query,
    vector: Vector,
    *,
    k: int,
    ranker: CrossEncoder | None = None,
    check_with: Path | None = None,
    passage_reader: PassageReader | None = None,
) -> Answer:
    """Answer the query with up to three cited sentences from the k best chunks, or abstain.

    With a ranker, the hand-tuned score's best candidates are reordered and judged by it. Without,
    the ranker in `check_with` (loaded on first need) judges an uncertain best sentence alone; an
    answer that passes is then read by the passage reader, if given, which reorders the sentences
    and may still abstain."""
    hits = retrieve(reader, query, vector, k=k)
    if not hits:
        return Answer(
            query.question,
            searched=query.searched,
            reason=NO_MATCH
            if query.filters.any
            else "the index has no articles; add some with: python -m qa ingest PATH",
        )
    candidates = [
        c for c in candidates_of(reader, hits, resolved(vector)) if not query.was_shown(c.article_id, c.start, c.end)
    ]
    _score(reader, query, candidates)
    scoring = HAND_TUNED
    if ranker is not None:
        candidates = rerank(reader, ranker, query, sorted(candidates, key=lambda c: -c.score))
        scoring = LEARNED
    if query.latest:
        _prefer_recent(reader, candidates)
    found, ranked = _ranked(reader, query, candidates)
    # Whether to answer is the best sentence's to say; the lede only orders (see _ranked).
    best = max(ranked, key=lambda c: c.score, default=None)
    confidence = best.score if best else 0.0
    answers = best is not None and confidence >= scoring.threshold
    if answers and best and ranker is None and check_with and confidence < SURE:
        answers = not _refuted(reader, check_with, query, best)
    if answers and passage_reader is not None:
        read_passages(reader, passage_reader, query, hits, candidates)
        found, ranked = _ranked(reader, query, candidates)
        confidence, scoring = max(c.score for c in ranked), READ
        answers = confidence >= scoring.threshold
    if not answers:
        return Answer(
            query.question,
            related=citations(reader, found[:RELATED]),
            confidence=confidence,
            searched=query.searched,
            reason="the articles do not answer this question"
            if ranked or not found
            else f"the passages found do not name {query.speaker}",
        )
    chosen = [ranked[0]]
    for candidate in ranked[1:]:
        if len(chosen) == MAX_SPANS or candidate.score < ranked[0].score - scoring.margin:
            break
        chosen.append(candidate)
    rest = [c for c in found if c not in chosen][:RELATED]
    return Answer(
        query.question,
        citations=citations(reader, chosen),
        related=citations(reader, rest),
        confidence=confidence,
        searched=query.searched,
    )


def _ranked(reader: Reader, query: Query, candidates: list[Candidate]) -> tuple[list[Candidate], list[Candidate]]:
    """The candidates best first less repeats, and those of them that may answer: asked what X
    said, a passage that does not name X (qa.answer.quoted found none of X's words at ingest)
    only shows as related."""
    # A story's lede states its main facts: between sentences that score alike it comes first.
    found = distinct(reader, sorted(candidates, key=lambda c: -(c.score + LEDE_WEIGHT * c.lede)))
    return found, _naming(reader, query.speaker, found) if query.speaker else found


def _naming(reader: Reader, speaker: str, candidates: list[Candidate]) -> list[Candidate]:
    """The candidates from articles that name the speaker: asked what X said, a sentence from an
    article that never names X is someone else's words."""
    words = sorted(name_words(speaker))
    if not words:
        return candidates
    ids = list(dict.fromkeys(c.article_id for c in candidates))
    articles = reader.articles(ids)
    # Matched as the index's tokenizer matches (accents and case aside), as quoted.py counts them.
    found = reader.sentences_with(words, [(n, articles[article_id].text) for n, article_id in enumerate(ids)])
    naming = {ids[n] for rows in found.values() for n in rows}
    return [c for c in candidates if c.article_id in naming]


def candidates_of(reader: Reader, hits: Sequence[Hit], vector: np.ndarray) -> list[Candidate]:
    """Every sentence that overlaps a retrieved chunk, scored by cosine to the question."""
    seen: dict[int, Candidate] = {}
    spans = reader.sentences_of([(hit.article_id, hit.start, hit.end) for hit in hits])
    for hit, sentences in zip(hits, spans, strict=True):
        for sentence_id, start, end, sentence_vector in sentences:
            if sentence_id not in seen:
                seen[sentence_id] = Candidate(sentence_id, hit.article_id, start, end, float(sentence_vector @ vector))
    return list(seen.values())


def rerank(reader: Reader, ranker: CrossEncoder, query: Query, ranked: list[Candidate]) -> list[Candidate]:
    """The best RERANKED candidates (by the hand-tuned score) rescored with the ranker; the rest
    take the lowest of its scores, so none of them passes a candidate it has read."""
    top, rest = ranked[:RERANKED], ranked[RERANKED:]
    if not top:
        return ranked
    logits = ranker.predict(_pairs(reader, query, top))
    for candidate, logit in zip(top, logits, strict=True):
        candidate.score += float(logit) / LOGIT_SCALE
    for candidate in rest:
        candidate.score += float(min(logits)) / LOGIT_SCALE
    return top + rest


def read_passages(
    reader: Reader, passage_reader: PassageReader, query: Query, hits: Sequence[Hit], candidates: list[Candidate]
) -> None:
    """Add the reader's logit / READ_SCALE to each candidate's score: its best over the chunks
    that hold it; a sentence outside the chunks read takes the lowest logit read."""
    read = hits[:READ_HITS]
    articles = reader.articles([hit.article_id for hit in read])
    passages, members = [], []
    for hit in read:
        inside = [c for c in candidates if c.article_id == hit.article_id and c.start < hit.end and c.end > hit.start]
        if not inside:
            continue
        start, end = min(hit.start, *(c.start for c in inside)), max(hit.end, *(c.end for c in inside))
        passages.append((articles[hit.article_id].text[start:end], [(c.start - start, c.end - start) for c in inside]))
        members.append(inside)
    best: dict[int, float] = {}
    for inside, logits in zip(members, passage_reader.read(query.searched, passages), strict=True):
        for candidate, logit in zip(inside, logits, strict=True):
            if not np.isnan(logit):
                best[candidate.sentence_id] = max(best.get(candidate.sentence_id, -math.inf), float(logit))
    floor = min(best.values(), default=0.0)
    for candidate in candidates:
        candidate.score += best.get(candidate.sentence_id, floor) / READ_SCALE


def _refuted(reader: Reader, ranker_file: Path, query: Query, best: Candidate) -> bool:
    """Whether the ranker finds that the best sentence does not answer the question (never, when
    its file does not load: the hand-tuned score answers, as load_ranker logs once)."""
    checker = load_ranker(ranker_file)
    return checker is not None and float(checker.predict(_pairs(reader, query, [best]))[0]) < NOT_AN_ANSWER


def _pairs(reader: Reader, query: Query, candidates: Sequence[Candidate]) -> list[tuple[str, str]]:
    """(question, sentence with its title and the sentence before it): what the ranker reads."""
    pairs = []
    for candidate in candidates:
        article = reader.article(candidate.article_id)
        before = reader.sentence_before(candidate.article_id, candidate.start)
        context = article.text[before[0] : before[1]] if before else ""
        pairs.append((query.searched, passage(article.text[candidate.start : candidate.end], context, article.title)))
    return pairs


def _term_weights(reader: Reader, words: Sequence[str]) -> dict[str, float]:
    """Inverse document frequency of each word over chunks; counting stops at a cap so that
    common words cost little (they weigh little anyway)."""
    total = max(reader.chunk_count(), 1)
    # A word no article holds weighs most: it is what the question is about, and missing.
    frequencies = reader.chunk_frequencies(words, DF_CAP)
    return {word: math.log(1 + total / max(frequencies[word], 1)) for word in words}


def _score(reader: Reader, query: Query, candidates: list[Candidate]) -> None:
    """Combine meaning (cosine), question words found (idf-weighted), context and answer type."""
    articles = reader.articles([c.article_id for c in candidates])
    if query.terms and candidates:
        weights = _term_weights(reader, query.terms)
        total = sum(weights.values()) or 1.0
        found: dict[int, float] = {}
        texts = [(c.sentence_id, articles[c.article_id].text[c.start : c.end]) for c in candidates]
        for word, sentence_ids in reader.sentences_with(list(weights), texts).items():
            for sentence_id in sentence_ids:
                found[sentence_id] = found.get(sentence_id, 0.0) + weights[word] / total
        previous: Candidate | None = None
        for candidate in sorted(candidates, key=lambda c: (c.article_id, c.start)):
            candidate.coverage = found.get(candidate.sentence_id, 0.0)
            before = previous.coverage if previous and previous.article_id == candidate.article_id else 0.0
            candidate.context = max(candidate.coverage, min(1.0, candidate.coverage + 0.5 * before))
            previous = candidate
    # Stories told in paragraphs have a lede; a one-paragraph text (a brief, an excerpt) has none.
    # Where each such story's first sentence ends: a sentence starting before that is its lede.
    lede_ends = {i: _first_sentence_end(a.text) for i, a in articles.items() if _told_in_paragraphs(a.text)}
    who = WHO_IS.match(query.searched)
    cue = _description_of(who["name"]) if who else ANSWER_TYPES.get(query.answer_type or "")
    dating = query.asks_when_of_one_article
    cue_weight = DATING_WEIGHT if dating else DESCRIPTION_WEIGHT if who else CUE_WEIGHT
    for candidate in candidates:
        article = articles[candidate.article_id]
        text = article.text[candidate.start : candidate.end]
        if dating:
            candidate.cue = 1.0 if dates_its_news(text, article.published) else 0.0
        elif cue:
            candidate.cue = 1.0 if cue.search(text) else 0.0
        candidate.lede = 1.0 if candidate.start < lede_ends.get(candidate.article_id, 0) else 0.0
        candidate.score = (
            candidate.dense
            + COVERAGE_WEIGHT * candidate.coverage
            + CONTEXT_WEIGHT * candidate.context
            + cue_weight * candidate.cue
        )


def _description_of(name: str) -> re.Pattern[str]:
    """What a sentence that says who someone is holds: a title or role shortly before the name
    ("US Secretary of State Antony Blinken"), an apposition after it ("Blinken, the ..."), or
    "Blinken is a ..."."""
    last = re.escape(name.split()[-1])
    return re.compile(
        rf"(?i:\b(?:{DESCRIBING_TITLES})\b)(?:\s+[\w'’.-]+){{0,3}}?\s+{last}\b"
        rf"|\b{last}(?:['’]s)?,\s+(?:a|an|the|who|current|former|now)\s|\b{last}\s+(?:is|was|has\s+been)\s+(?:a|an|the)\s"
    )


def _told_in_paragraphs(text: str) -> bool:
    return len(PARAGRAPH.findall(text, 0, LEDE_SCAN)) >= LEDE_PARAGRAPHS


def _first_sentence_end(text: str) -> int:
    """Where the text's first sentence ends (a headline, dateline or byline does not end one)."""
    found = SENTENCE_BEFORE.search(text)
    return found.end() if found else len(text)


def _prefer_recent(reader: Reader, candidates: list[Candidate]) -> None:
    """For "latest"/"most recent" questions: newer articles score up to LATEST_WEIGHT more."""
    dates = {c.article_id: reader.article(c.article_id).published for c in candidates}
    known = sorted({d for d in dates.values() if d})
    if len(known) < 2:
        return
    order = {d: i / (len(known) - 1) for i, d in enumerate(known)}  # oldest 0 .. newest 1
    for candidate in candidates:
        published = dates[candidate.article_id]
        candidate.score += LATEST_WEIGHT * order[published] if published else 0.0


def citations(reader: Reader, chosen: Sequence[Candidate]) -> tuple[Citation, ...]:
    return cite_all(reader, [(c.article_id, c.start, c.end, {"score": c.score}) for c in chosen])
