""" "What did X say (about Y)?" -> X's own words, found at ingest, ranked by topic."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from difflib import get_close_matches
from itertools import zip_longest

import numpy as np

from qa.answer.cite import cite_all, distinct
from qa.answer.extract import MAX_SPANS, RELATED
from qa.ingest.embed import Embedder, embed_soon
from qa.storage.reads import Reader
from qa.text.question import terms
from qa.text.quotes import name_words, speaker_key, speaker_matches
from qa.text.quotes.lexicon import NAME_TITLES
from qa.text.quotes.names import clean_name, is_org
from qa.text.quotes.transcript import CUE as INTERVIEW
from qa.types import Answer, Citation, Filters, Query, Quote

QUOTE_TOPIC_MIN = 0.3  # a quote whose sentence or chunk is less similar to the topic is not "about" it
DIRECT_QUOTE_BONUS = 0.05  # the speaker's own words lead when relevance is close
# ... and those that name the topic lead those that are near it only in context: "what did Blair
# say about Iraq" opened with his remark on Afghanistan, from a passage on both, at 0.345 each.
TOPIC_NAMED_BONUS = 0.1
# A quote that uses most of the topic's words is about it whatever its cosine: one-word topics
# score low against a whole passage ("taxes" against "Implementing a Tax System that ..."). So
# is one in a story whose headline uses them all: "what did Bush say in Canada?" asks for his
# words in "US president Bush visits Canada", which name the Canadian people, not Canada.
TOPIC_NAMED_ON_TOPIC = 0.5
QUOTES_SHOWN = 10
SPEAKERS_JOINED = re.compile(r"\s+(?:and|&)\s+", re.IGNORECASE)  # "Blair and Brown"
EACH_SHOWN = 2  # quotes of each of two speakers asked about together
# A speaker's name that no article uses is read as the quoted name spelled most like it
# (difflib's ratio: "netanyhu" ~ "netanyahu" 0.94, "blair" ~ "blaine" 0.73), if its words are this long.
RESPELL_CUTOFF = 0.85
RESPELLED_MIN_LETTERS = 4
ROLE_CHUNKS = 20  # chunks read to find who holds a role asked about
# "Deputy Prime Minister John Prescott" is not the prime minister, nor is a former one.
NOT_THE_HOLDER = re.compile(r"\b(?:deputy|vice|shadow|former|ex|acting|assistant|junior|under|then)[\s-]+$", re.I)
NAME_RUN = r"[A-Z][\w'’-]*\.?(?:\s+[A-Z][\w'’-]*\.?){1,3}"  # "Tony Blair", "George W. Bush"


def ranked_quotes(
    reader: Reader, embedder: Embedder, speaker: str | None, about: str | None, filters: Filters, *, limit: int
) -> list[tuple[Quote, float]]:
    """Quotations found at ingest, optionally by one speaker, each with its topic relevance
    (cosine of its best sentence or chunk; 0 without a topic); newest first without a topic."""
    # Every word of a matching speaker key is in the name asked about, or the reverse;
    # the SQL prefilter on one word keeps this cheap, speaker_matches decides.
    words = (speaker_key(speaker).split() or [""]) if speaker else []
    topic = embed_soon(embedder, about) if about else None  # embedded while the quotes are read
    with reader.lock:
        found = [
            (quote, rowid)
            for quote, rowid in reader.quotes(words, filters)
            if not speaker or speaker_matches(speaker, quote.speaker)
        ]
        if topic is None:
            return [(quote, 0.0) for quote, _ in found[:limit]]
        vector = topic.result()
        ranked = [(quote, _relevance(reader, rowid, quote, vector)) for quote, rowid in found]
    return sorted(ranked, key=lambda item: -item[1])[:limit]


def _relevance(reader: Reader, article_rowid: int, quote: Quote, topic: np.ndarray) -> float:
    """Best cosine between the topic and the sentences or chunks the quote overlaps.

    Chunks count because a quote often leaves its topic to the sentences around it
    ("I told him ... we will do it alone" is about Rafah only in context).
    """
    return max((float(v @ topic) for v in reader.vectors_around(article_rowid, quote.start, quote.end)), default=0.0)


def answer(reader: Reader, embedder: Embedder, query: Query, *, resolving: bool = False) -> Answer | None:
    """Answer "what did X say (about Y)" from X's quotes; None when X is never quoted but named
    (the sentences that name X may still answer), an abstention when no article names X. A role
    ("the prime minister") is answered as the person the articles on the topic name in it."""
    assert query.speaker
    # "the prime minister" -> "Tony Blair", "netanyhu" -> "Benjamin Netanyahu": shown in the question searched
    meant = (role_holder(reader, query) or _respelled(reader, query.speaker)) if not resolving else None
    if meant:
        searched = re.sub(re.escape(query.speaker), meant, query.searched, count=1, flags=re.IGNORECASE)
        return answer(reader, embedder, replace(query, speaker=meant, searched=searched), resolving=True)
    topic = query.topic
    everything = distinct(
        reader,
        ranked_quotes(reader, embedder, query.speaker, topic or None, query.filters, limit=50),
        span=lambda item: item[0],
    )
    ranked = [item for item in everything if not query.was_shown(item[0].article_id, item[0].start, item[0].end)]
    if everything and not ranked:
        return Answer(
            query.question, searched=query.searched, reason=f"the articles quote {query.speaker} only in what was shown"
        )
    if not ranked:
        if _named_nowhere(reader, query.speaker):
            # Extraction would cite what others said about the topic, as if the speaker had said it.
            return Answer(query.question, searched=query.searched, reason=f"no article mentions {query.speaker}")
        return None

    naming = _topic_share(reader, topic, [(quote.article_id, quote.start, quote.text) for quote, _ in ranked])
    headlines = reader.articles(list({quote.article_id for quote, _ in ranked})) if topic else {}
    headline_naming = _topic_share(reader, topic, [(i, 0, article.title) for i, article in headlines.items()])

    def about_topic(item: tuple[Quote, float]) -> bool:
        quote, relevance = item
        named = naming.get((quote.article_id, quote.start), 0.0)
        in_story_on_it = headline_naming.get((quote.article_id, 0), 0.0) >= 1.0
        return not topic or relevance >= QUOTE_TOPIC_MIN or named >= TOPIC_NAMED_ON_TOPIC or in_story_on_it

    on_topic = [item for item in ranked if about_topic(item)]

    def priority(item: tuple[Quote, float]) -> float:
        quote, relevance = item
        article = reader.article(quote.article_id)
        # The speaker's own words: inside quotation marks, or an interview answer.
        direct = quote.cue == INTERVIEW or (quote.start > 0 and article.text[quote.start - 1] in "\"“”'‘")
        if not direct:
            return relevance
        return relevance + DIRECT_QUOTE_BONUS + TOPIC_NAMED_BONUS * naming.get((quote.article_id, quote.start), 0.0)

    quotes = tuple(quote for quote, _ in ranked[:QUOTES_SHOWN])
    if not on_topic:
        return Answer(
            query.question,
            related=_citations(reader, ranked[:RELATED]),
            quotes=quotes,
            searched=query.searched,
            confidence=ranked[0][1],
            reason=f"{ranked[0][0].speaker} is quoted in the articles, but not about {topic}",
        )
    chosen = sorted(on_topic, key=priority, reverse=True)[:MAX_SPANS]
    return Answer(
        query.question,
        citations=_citations(reader, chosen),
        quotes=quotes,
        searched=query.searched,
        confidence=chosen[0][1] if topic else 1.0,
    )


def answer_each(reader: Reader, embedder: Embedder, query: Query) -> Answer | None:
    """ "What did Blair and Brown say about the election?": each speaker's words, up to EACH_SHOWN
    of each, in turn (the reason says who was not quoted on it); a name quoted as it stands
    ("Marks and Spencer") is one speaker."""
    assert query.speaker
    names = SPEAKERS_JOINED.split(query.speaker)
    if len(names) != 2 or speaker_key(query.speaker) in reader.speaker_counts():
        return answer(reader, embedder, query)
    answers = [answer(reader, embedder, replace(query, speaker=name)) for name in names]
    if all(found is None for found in answers):
        return None  # both named, never quoted: the sentences that name them may answer
    said = [found for found in answers if found and found.citations]
    silent = "; ".join(
        found.reason if found else f"the articles name {name} but quote no words of theirs"
        for name, found in zip(names, answers, strict=True)
        if not (found and found.citations)
    )
    if not said:
        related = tuple(c for found in answers if found for c in found.related)[:RELATED]
        return Answer(query.question, related=related, searched=query.searched, reason=silent)
    turns = zip_longest(*(found.citations[:EACH_SHOWN] for found in said))
    return Answer(
        query.question,
        citations=tuple(citation for turn in turns for citation in turn if citation),
        quotes=tuple(quote for found in said for quote in found.quotes),
        searched=query.searched,
        confidence=min(found.confidence for found in said),
        reason=silent,
    )


def role_holder(reader: Reader, query: Query) -> str | None:
    """The person the articles name in the role asked about ("the prime minister": "Prime Minister
    Tony Blair"): of the articles best matching the role and the topic, the first that names a
    person quoted somewhere, most often named there (else the first named at all); None when the
    speaker asked about is not a role or no one is named in it.
    Extraction would otherwise cite what others said of the role holder as the holder's words."""
    assert query.speaker
    words = query.speaker.split()
    head = words[words.index("of") - 1] if "of" in words[2:] else words[-1]  # "the secretary of state"
    if len(words) < 2 or words[0].lower() != "the" or head.lower() not in NAME_TITLES:
        return None
    role = r"\s+".join(re.escape(word) for word in words[1:])
    named = re.compile(rf"(?i:{role})\s+(?P<name>{NAME_RUN})")
    chunks = reader.lexical_chunks(terms(f"{' '.join(words[1:])} {query.topic}"), ROLE_CHUNKS, query.filters)
    ranked_ids = list(dict.fromkeys(hit.article_id for hit in reader.hits([(c, 0.0) for c in chunks])))
    articles = reader.articles(ranked_ids)
    named_first: str | None = None
    for article_id in ranked_ids:  # the best-matching article that names a quoted person in the role
        text = articles[article_id].text
        holders = Counter(
            name
            for match in named.finditer(text)
            if not NOT_THE_HOLDER.search(text, max(0, match.start() - 20), match.start())
            and len((name := clean_name(match["name"])[0]).split()) > 1  # "Blair" alone may be anyone
            and not is_org(name)
        )
        for name, _ in holders.most_common():
            if _quoted(reader, name, query.filters):
                return name
            named_first = named_first or name
    return named_first


def _quoted(reader: Reader, name: str, filters: Filters) -> bool:
    words = speaker_key(name).split()
    return any(speaker_matches(name, quote.speaker) for quote, _ in reader.quotes(words[:1], filters))


def _topic_share(reader: Reader, topic: str, texts: Sequence[tuple[str, int, str]]) -> dict[tuple[str, int], float]:
    """For each (article, start, text), by (article, start), the share of the topic's words the
    text uses (as the search stems them: "referee" finds "referees")."""
    words = terms(topic) if topic else []
    if not words or not texts:
        return {}
    found = reader.sentences_with(words, [(i, text) for i, (_, _, text) in enumerate(texts)])
    shares: dict[tuple[str, int], float] = {}
    for indexes in found.values():
        for i in indexes:
            key = texts[i][:2]
            shares[key] = shares.get(key, 0.0) + 1 / len(words)
    return shares


def _respelled(reader: Reader, speaker: str) -> str:
    """The quoted speaker a name that no article uses was meant as, "" when none is close: each
    word of the name that some article uses must be in the speaker's, and each that none uses
    spelled within a letter or two of one of theirs ("netanyhu" -> "Benjamin Netanyahu", the most
    quoted of those that fit)."""
    typed = [word for word in speaker_key(speaker).split() if len(word) >= RESPELLED_MIN_LETTERS]
    frequencies = reader.chunk_frequencies(typed, 1)
    if not typed or all(frequencies.values()):  # spelled as the articles spell it
        return ""
    speakers = reader.speaker_counts()
    by_word: dict[str, set[str]] = {}
    for key in speakers:
        for word in key.split():
            by_word.setdefault(word, set()).add(key)
    fitting: set[str] | None = None
    for word in typed:
        spellings = [word] if frequencies[word] else get_close_matches(word, list(by_word), n=3, cutoff=RESPELL_CUTOFF)
        keys = {key for spelling in spellings for key in by_word.get(spelling, ())}
        fitting = keys if fitting is None else fitting & keys
    return speakers[max(fitting, key=lambda key: speakers[key][1])][0] if fitting else ""


def _named_nowhere(reader: Reader, speaker: str) -> bool:
    """Whether no chunk uses any word of the speaker's name (False when it has none to look for)."""
    words = sorted(name_words(speaker))
    return bool(words) and not any(reader.chunk_frequencies(words, 1).values())


def _citations(reader: Reader, ranked: Sequence[tuple[Quote, float]]) -> tuple[Citation, ...]:
    return cite_all(
        reader,
        [(q.article_id, q.start, q.end, {"score": relevance, "speaker": q.speaker}) for q, relevance in ranked],
    )
