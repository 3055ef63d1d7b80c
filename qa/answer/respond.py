"""The answer's stages in order, over any reader (one index's, or a sharded archive's in
qa.scale): the question checked, the filters given beside it resolved to what is stored, then
the speaker's quoted words, else the stories a broad question is about, else extracted sentences."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from qa.answer import broad, extract, quoted
from qa.answer.passages import load_reader
from qa.answer.rank import RANKER_FILE, load_ranker
from qa.errors import BadInput
from qa.ingest.embed import Embedder, embed_soon
from qa.storage.reads import Reader
from qa.text.event_dates import dates_its_news
from qa.text.question import parse, parse_role_question, terms
from qa.types import Answer, Citation, Query

SOURCES_LISTED = 12  # a source name that matches nothing is answered with the first of those there are

NO_WORDS = "the question has no words; type a question, for example 'what did Netanyahu say about Rafah?'"
NO_DATES = (
    "no article here has a publication date, so none is the latest; ask about a topic, for example "
    "'what happened with the election?'"
)


def checked_query(
    question: object,
    k: int,
    sources: Sequence[str],
    since: date | None,
    until: date | None,
    shown: Sequence[Citation] = (),
    articles: Sequence[str] = (),
) -> Query:
    """The parsed question, or BadInput for a question that is not text or a k below 1. `shown`
    are citations the user has read: the answer cites others; `articles` limits it to those."""
    if not isinstance(question, str):
        raise BadInput("the question must be text")
    if k < 1:
        raise BadInput(f"k must be at least 1, got {k}")
    # "What happened last week?" counts from today, or from the end of the range asked for.
    today = min(filter(None, [until, date.today()]))
    query = parse(question, sources=sources, since=since, until=until, today=today)

    def limited(query: Query) -> Query:
        return replace(
            query,
            filters=replace(query.filters, articles=tuple(articles)),
            shown=tuple((c.article_id, c.start, c.end) for c in shown),
            as_words=limited(query.as_words) if query.as_words else None,
        )

    return limited(query)


@dataclass(frozen=True, slots=True)
class Ranking:
    """The learned ranker's file (None: the hand-tuned score alone), and whether it reranks the
    best sentences (`rerank`) or only checks an uncertain answer's best one."""

    file: Path | None
    rerank: bool = False
    reader: Path | None = None


CHECKED = Ranking(RANKER_FILE)  # the default: the hand-tuned score, its uncertain answers checked


def respond(
    reader: Reader,
    embedder: Embedder,
    query: Query,
    *,
    k: int,
    ranking: Ranking,
) -> Answer:
    """The answer's stages over any reader, one index's or a sharded archive's (qa.scale): the
    speaker's quoted words, else the stories a broad question is about, else extracted sentences."""
    if query.speaker:
        answer = quoted.answer_each(reader, embedder, query)
        if answer:
            return answer
    # The ranker loads here to rerank; to check, only when an answer needs it (most do not).
    ranker = load_ranker(ranking.file) if ranking.file and ranking.rerank else None
    check_with = None if ranking.rerank else ranking.file
    passage_reader = load_reader(ranking.reader) if ranking.reader else None
    if query.broad and not query.topic:
        digest = broad.digest(reader, query)
        if digest:
            return digest
        if not (query.filters.since or query.filters.until) and reader.published_range() == (None, None):
            return Answer(query.question, searched=query.searched, reason=NO_DATES)
        # No dated story in the period ("what happened in 1901?" of encyclopedia text): a fact question.
        query = _as_fact(query)
    elif query.broad:
        stories = broad.answer(reader, query, embed_soon(embedder, query.searched))
        if stories:
            return stories
        # No story is about it: what mentions it is shown, not offered as the answer.
        plain = _as_fact(query)
        mentions = extract.answer(
            reader,
            plain,
            embed_soon(embedder, plain.searched),
            k=k,
            ranker=ranker,
            check_with=check_with,
            passage_reader=passage_reader,
        )
        return mentions if mentions.reason == extract.NO_MATCH else broad.no_story(query, mentions)
    query = _as_role_holder(reader, query)
    vector = embed_soon(embedder, query.searched)
    found = extract.answer(
        reader, query, vector, k=k, ranker=ranker, check_with=check_with, passage_reader=passage_reader
    )
    return _undated(reader, query, found) if query.asks_when_of_one_article else found


def _undated(reader: Reader, query: Query, found: Answer) -> Answer:
    """ "When was that?" of an article whose passages found do not date it: say so, and when it
    was published, rather than cite a sentence that dates something else or nothing."""
    first = found.citations[0] if found.citations else None
    if (first and dates_its_news(first.text, first.published)) or found.reason == extract.NO_MATCH:
        return found
    published = reader.article(query.filters.articles[0]).published
    return Answer(
        query.question,
        related=(found.citations + found.related)[: extract.RELATED],
        confidence=found.confidence,
        searched=query.searched,
        reason="the article does not say when, in the passages about it; "
        + (f"it was published on {published:%A %d %B %Y}" if published else "it has no publication date"),
    )


def _as_fact(query: Query) -> Query:
    """A story question read again as a question about a fact, within the same filters ("last
    week" is only read from a story question) and past the same passages shown."""
    fact = parse(query.question, stories=False)
    return replace(fact, filters=query.filters, shown=query.shown)


def _as_role_holder(reader: Reader, query: Query) -> Query:
    """ "Who is the chancellor?" asked as "who is Gordon Brown, the chancellor?": the person the
    articles name in the role (the question searched shows whom), so that the sentences that call
    him so are found and cited; the query as it was when no one is named in it."""
    role = parse_role_question(query.searched)
    holder = quoted.role_holder(reader, replace(query, speaker=role, topic="")) if role else None
    if not role or not holder:
        return query
    searched = query.searched.replace(role, f"{holder}, {role}", 1)
    return replace(query, searched=searched, terms=tuple(terms(searched)))


def answer_filtered(reader: Reader, embedder: Embedder, query: Query, *, k: int, ranking: Ranking) -> Answer:
    """`respond`, once the sources asked for are the stored names they mean: a name as typed
    ("wion", "cnn") stands for the stored sources that contain it, and one that matches none is
    answered with the sources there are. A date range that leaves no article says when the
    articles here were published; a fact question whose date words found no answer as a date
    range is asked again with them as words."""
    if asked := query.filters.sources:
        named = reader.sources_named(asked)
        if unknown := [name for name in asked if not named[name]]:
            return Answer(query.question, searched=query.searched, reason=_no_such_source(reader, unknown))
        stored = tuple(dict.fromkeys(source for name in asked for source in named[name]))
        query = replace(query, filters=replace(query.filters, sources=stored))
    answer = respond(reader, embedder, query, k=k, ranking=ranking)
    if answer.abstained and query.as_words:  # "how many pilgrims died in 1991?" of a 2006 story
        as_words = answer_filtered(reader, embedder, query.as_words, k=k, ranking=ranking)
        if not as_words.abstained:
            return as_words
    if answer.reason == extract.NO_MATCH and (query.filters.since or query.filters.until):
        dates = " to ".join(day or "?" for day in reader.published_range())
        asked_for = _period(query.filters.since, query.filters.until)
        return replace(answer, reason=f"{answer.reason}: {asked_for}; the articles here were published {dates}")
    return answer


def _period(since: date | None, until: date | None) -> str:
    """A date filter in words: "asked for 2024-03-01 to 2024-03-31", "... 2026-11-23 or later"."""
    if since and until:
        return f"asked for {since} to {until}"
    return f"asked for {since} or later" if since else f"asked for up to {until}"


def _no_such_source(reader: Reader, unknown: Sequence[str]) -> str:
    """What to say when no stored source matches a name asked for: the names there are."""
    names = ", ".join(repr(name) for name in unknown)
    known = reader.sources()
    if not known:
        return f"no source matches {names}; no article here names its source"
    more = len(known) - SOURCES_LISTED
    listed = ", ".join(known[:SOURCES_LISTED]) + (f" and {more} more" if more > 0 else "")
    return f"no source matches {names}; the sources here are {listed}"
