"""Broad questions ("what happened in Ukraine?", "latest news about Iraq") -> the best-matching
stories' own summaries: each story's lede, one story per citation; with no topic ("what's the
latest news?"), the newest stories'."""

from __future__ import annotations

import re
from dataclasses import dataclass

from qa.answer.cite import cite_all
from qa.answer.extract import MAX_SPANS, RELATED, candidates_of
from qa.answer.retrieve import Vector, resolved, retrieve
from qa.storage.reads import Reader
from qa.text.question import terms as search_words
from qa.types import Answer, Article, Citation, Query

DEPTH = 20  # chunks searched: enough to see each of several stories more than once
# A story is about the topic when its best sentence is this close to it, counting the topic's
# words found in its headline and lede (the story's own statement of what it is about): a
# one-word topic ("Ukraine") is far from any sentence in meaning, but named where it matters.
STORY_THRESHOLD = 0.5
HEADLINE_WEIGHT = 0.5  # 0.3 cited 83% of 60 BBC stories first, 0.5 92% (95% of another 100)
LEDE_WEIGHT = 0.2
DIGEST_DEPTH = 4  # newest articles read for each story shown: copies of one wire story collapse
LEDE_MIN_WORDS = 6  # shorter opening lines are datelines and bylines, not the lede
LEDE_SHORT_CHARS = 80  # a lede this short reads better with the sentence after it
# A lede ends as a sentence does; a headline that opens the text (HTML pages, plain-text files
# with the title as their first line) does not, and citing it would repeat the title shown.
SENTENCE_END = re.compile(r"[.!?][\"'”’)\]]*$")
WORD = re.compile(r"\w+")
NAME = re.compile(r"\b[A-Z][\w'’-]*")


@dataclass(slots=True)
class Story:
    article: Article
    relevance: float
    lede: tuple[int, int] | None


def answer(reader: Reader, query: Query, vector: Vector) -> Answer | None:
    """Cite the ledes of the stories that match the query's topic, or None when no story does
    (see `no_story`)."""
    hits = retrieve(reader, query, vector, k=DEPTH)
    best: dict[str, float] = {}
    for candidate in candidates_of(reader, hits, resolved(vector)):
        best[candidate.article_id] = max(best.get(candidate.article_id, -1.0), candidate.dense)
    articles = reader.articles(list(best))
    # The names in the topic say which story: "the Turner prize" is not a story about another
    # prize, however near in meaning, unless it names Turner.
    names = tuple(search_words(" ".join(NAME.findall(query.topic))))
    if names:
        best = {
            article_id: cosine for article_id, cosine in best.items() if _share(names, articles[article_id].text) == 1
        }
    families = reader.families(list(best))
    sentences = reader.sentences_of([(article_id, 0, len(articles[article_id].text)) for article_id in best])
    stories: dict[int | str, Story] = {}
    for (article_id, cosine), spans in zip(best.items(), sentences, strict=True):
        article = articles[article_id]
        lede = _lede_span(article, [(start, end) for _, start, end, _ in spans])
        named = HEADLINE_WEIGHT * _share(query.terms, article.title)
        if lede:
            named += LEDE_WEIGHT * _share(query.terms, article.text[lede[0] : lede[1]])
        story = Story(article, cosine + named, lede)
        family = families.get(article_id, article_id)  # one copy of wire stories carried by many outlets
        if family not in stories or story.relevance > stories[family].relevance:
            stories[family] = story
    ranked = sorted(stories.values(), key=lambda s: -s.relevance)
    matching = [s for s in ranked if s.relevance >= STORY_THRESHOLD]
    if not matching:
        return None
    chosen = matching[:MAX_SPANS]
    if query.latest:  # the newest of the matching stories first; undated ones last
        chosen.sort(key=lambda s: s.article.published.toordinal() if s.article.published else 0, reverse=True)
    rest = [s for s in ranked if s not in chosen][:RELATED]
    return Answer(
        query.question,
        citations=_ledes(reader, chosen),
        related=_ledes(reader, rest),
        confidence=chosen[0].relevance,
        searched=query.searched,
    )


def digest(reader: Reader, query: Query) -> Answer | None:
    """The news itself ("what's the latest news?", "what happened in December 2004?"): the ledes
    of the newest dated stories that pass the filters, one story per citation (one copy of a wire
    story); None when no story does."""
    wanted = MAX_SPANS + RELATED
    # Undated articles are not news of any time: an archive with no dates has no digest.
    newest = [article_id for article_id, day in reader.newest_articles(query.filters, DIGEST_DEPTH * wanted) if day]
    families = reader.families(newest)
    chosen: list[str] = []
    for article_id in newest:
        if len(chosen) < wanted and all(families.get(article_id, article_id) != families.get(c, c) for c in chosen):
            chosen.append(article_id)
    articles = reader.articles(chosen)
    spans = reader.sentences_of([(article_id, 0, len(articles[article_id].text)) for article_id in chosen])
    stories = [
        Story(articles[article_id], 1.0, _lede_span(articles[article_id], [(s, e) for _, s, e, _ in sentences]))
        for article_id, sentences in zip(chosen, spans, strict=True)
    ]
    cited = _ledes(reader, stories)
    if not cited:
        return None
    return Answer(
        query.question, citations=cited[:MAX_SPANS], related=cited[MAX_SPANS:], confidence=1.0, searched=query.searched
    )


def no_story(query: Query, mentions: Answer) -> Answer:
    """The abstention for a story question no story answers, with the passages that mention it."""
    return Answer(
        query.question,
        related=(mentions.citations + mentions.related)[:RELATED],
        confidence=mentions.confidence,
        searched=query.searched,
        reason=f"no story in the articles is about {query.topic}",
    )


def _share(terms: tuple[str, ...], text: str) -> float:
    """Share of the topic's words that the text uses, word forms aside ("Ukraine", "Ukrainian")."""
    if not terms:
        return 0.0
    words = {_stem(w) for w in WORD.findall(text.lower())}
    return sum(1 for t in terms if _stem(t) in words) / len(terms)


def _stem(word: str) -> str:
    return word[:5] if len(word) > 5 else word.removesuffix("s")


def _lede_span(article: Article, sentences: list[tuple[int, int]]) -> tuple[int, int] | None:
    """The story's first real sentence (and the next when it is short): (start, end)."""
    for i, (start, end) in enumerate(sentences):
        text = article.text[start:end]
        if len(WORD.findall(text)) < LEDE_MIN_WORDS or not SENTENCE_END.search(text):
            continue
        if end - start < LEDE_SHORT_CHARS and i + 1 < len(sentences):
            end = sentences[i + 1][1]
        return start, end
    return None


def _ledes(reader: Reader, stories: list[Story]) -> tuple[Citation, ...]:
    return cite_all(reader, [(s.article.id, *s.lede, {"score": s.relevance}) for s in stories if s.lede is not None])
