"""Spans -> Citations: each with what the index knows about it (the other outlets that carried
the story, the day its sentence speaks of), and ranked spans less repeats."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from qa.storage.reads import Reader
from qa.text.event_dates import resolve_relative
from qa.text.quotes import name_words
from qa.types import Article, Citation

Item = TypeVar("Item")
SPEAKERS_SHARE = 0.8  # of a cited sentence inside one quote, for the sentence to be that speaker's words


def distinct(reader: Reader, ranked: list[Item], span: Callable[[Item], Any] = lambda item: item) -> list[Item]:
    """Ranked items less repeats: the same words are cited once, whichever article holds them;
    the other copies of a story (a near-duplicate family) show as "also reported by", and an
    article that repeats another's sentence (an updated version the family rule did not catch)
    adds nothing a reader could use.

    `span(item)` gives the item's object with article_id, start and end.
    """
    # Read for every item, dropped ones too: a sharded archive joins copies of a story across its
    # shards from this read, and names their outlets when the kept copy is cited.
    reader.families(list({span(item).article_id for item in ranked}))
    seen: set[str] = set()
    kept = []
    for item in ranked:
        where = span(item)
        text = reader.article(where.article_id).text[where.start : where.end]
        key = " ".join(text.casefold().split())
        if key not in seen:
            seen.add(key)
            kept.append(item)
    return kept


def cite_all(reader: Reader, spans: Sequence[tuple[str, int, int, dict[str, Any]]]) -> tuple[Citation, ...]:
    """The citation of each (article id, start, end, details) with the index's knowledge about
    it: the other outlets that carried the story, the day a "said on Friday" speaks of, and
    whose words it quotes when ingest found them quoted ("who said the referee controlled the
    game?" is answered by the speaker). Read for all of them at once (a sharded archive answers
    with one call a shard)."""
    ids = list(dict.fromkeys(article_id for article_id, _, _, _ in spans))
    articles, others = reader.articles(ids), reader.family_sources(ids)
    # A quote answer names its speakers itself: their quotes are read only for the other spans.
    unnamed = list(dict.fromkeys(article_id for article_id, _, _, details in spans if "speaker" not in details))
    quoted = reader.speakers_in(unnamed) if unnamed else {}
    cited = []
    for article_id, start, end, details in spans:
        article = articles[article_id]
        if "speaker" not in details:
            speaker, start = _own_words(article.text, quoted.get(article_id, ()), start, end)
            details = {**details, "speaker": speaker}
        cited.append(_cited(article, start, end, tuple(others.get(article_id, ())), details))
    return tuple(cited)


def _own_words(text: str, quotes: Sequence[tuple[int, int, str]], start: int, end: int) -> tuple[str, int]:
    """Whose words start..end is, and where they begin; ("", start) when it is the writer's.

    A sentence that lies (all but a little) inside one quote is its speaker's; one that reports
    the words ("Speaking to the committee he urged Congress to ...") is not. An interview's
    "Robert Sarvis: Voters see ..." is his from where the label ends, as a quote answer cites it;
    "Tony Blair has predicted the government will give ..." names him, so it is the writer's."""
    for first, last, speaker in quotes:
        labelled = start < first < end and text[start:first].rstrip().endswith(":")
        begin = first if labelled else start
        if min(end, last) - max(begin, first) < SPEAKERS_SHARE * (end - begin):
            continue
        outside = f"{text[begin:first]} {text[last:end]}".casefold()
        if not any(re.search(rf"\b{re.escape(word)}\b", outside) for word in name_words(speaker)):
            return speaker, begin
    return "", start


def _cited(article: Article, start: int, end: int, others: tuple[str, ...], details: dict[str, Any]) -> Citation:
    when = resolve_relative(article.text, start, article.published) if article.published else None
    return Citation.of(article, start, end, also_reported_by=others, event_date=when, **details)
