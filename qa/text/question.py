"""A question in plain words -> a typed Query: its search words, the dates and sources it is
limited to, what kind of answer it wants, and whose words it asks about."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import date

from qa.text.when import time_scope
from qa.types import Filters, Query

MAX_QUESTION_CHARS = 2_000  # the model reads 256 tokens; longer questions are cut for search
MAX_TERMS = 64

STOPWORDS = frozenset(
    """
a about above after again against all am an and any are as at be because been before being below
between both but by can could did do does doing down during each few for from further had has have
having he her here hers herself him himself his how i if in into is it its itself just me more most
my myself no nor not now of off on once only or other our ours ourselves out over own same she
should so some such than that the their theirs them themselves then there these they this those
through to too under until up very was we were what when where which while who whom why will with
would you your yours yourself yourselves say said says tell told
""".split()
)

QUESTION_TYPES = [
    (  # before "number": "how much did Kmart pay" wants "$11.5bn", not "up 22 percent"
        "money",
        re.compile(
            r"\bhow much\b.*\b(?:costs?|pay|paid|spend|spent|worth|price|buy|bought|sell|sold|charged?"
            r"|earn(?:ed)?|raised?|money|dollars|budget|revenue|funding|invest(?:ed)?)\b"
            r"|\bwhat (?:was |is |were )?the (?:[a-z]+ )?(?:price|cost)\b"
            # "what is Kmart paying for Sears?", not "what did he need the money to pay for?"
            r"|^\s*what\s+(?:is|was|are|were|did|does|do|will|would)\s+(?:[\w'’.-]+\s+){1,4}?"
            r"(?:pay|paying|paid|spend|spending|spent)\s+(?:for|on)\s+\w"
        ),
    ),
    (
        "number",
        re.compile(r"\bhow (many|much|long|old|far|large|big|tall|often)\b|\bwhat (percentage|number|amount)\b"),
    ),
    ("time", re.compile(r"\bwhen\b|\bwhat (year|date|day|month|time|century|decade)\b|\bwhich (year|month|day)\b")),
    ("person", re.compile(r"^\s*who\b|\bwho (is|was|were|did|said)\b|\bwhose\b")),
    ("place", re.compile(r"^\s*where\b|\bin which (city|country|state)\b|\bwhat (city|country|state|place)\b")),
]

SPEAKER_QUESTIONS = [
    re.compile(p, re.IGNORECASE)
    for p in (
        r"^what\s+(?:else\s+)?(?:did|does|do|has|have|had)\s+(?P<x>.+?)\s+(?:say|said|tell|told|state|stated|"
        r"claim|claimed|announce|announced|comment|commented|write|written)\b"
        r"(?:\s+(?!about\b|on\b|regarding\b)[\w'’]+){0,2}?"
        r"(?:\s+(?:about|on|regarding|concerning|of|over|in)\s+(?P<y>.+?))?$",
        r"^what\s+(?:was|is)\s+said\s+by\s+(?P<x>.+?)(?:\s+(?:about|on|regarding)\s+(?P<y>.+?))?$",
        r"^(?P<x>.+?)['’]s?\s+(?:comments?|remarks?|statements?|quotes?|words|views)"
        r"(?:\s+(?:on|about|regarding|concerning)\s+(?P<y>.+?))?$",
        r"^(?:quotes?|statements?|comments?|remarks?)\s+(?:from|by)\s+(?P<x>.+?)"
        r"(?:\s+(?:on|about|regarding|concerning)\s+(?P<y>.+?))?$",
    )
]

# "Who is the chancellor?", "who was the home secretary in 2004?": whoever holds a role
# (qa.answer.quoted.role_holder says whether the words name one).
ROLE_QUESTION = re.compile(r"^\W*who\s+(?:is|was|['’]s)\s+(?P<role>the\s+[\w\s'’-]+?)\s*\??\s*$", re.IGNORECASE)
CONNECTIVE = re.compile(r"^(?:and|but|so|ok|okay|then|now)\b[\s,]*", re.IGNORECASE)

# What the archive's texts are called: "what do the articles say about X" asks the archive, not a speaker.
DOCUMENTS = r"articles?|news|stories|reports?|papers?|archive"

# Questions about a story rather than a fact: "what happened in Ukraine", "tell me about the
# tsunami", "latest news about Iraq". "What happened to X" is left out: it asks about one detail
# as often as about a story ("what happened to his lab?").
BROAD_QUESTIONS = [
    re.compile(p, re.IGNORECASE)
    for p in (
        r"^(?:so\s+|and\s+)?what(?:'s|’s|\s+is|\s+has|\s+was)?\s+(?:happened|happening|going\s+on|new|the\s+latest|"
        r"the\s+news|the\s+story)\s+(?:in|with|at|on|about|over|regarding|around)\s+(?P<topic>.+)$",
        r"^(?:please\s+)?(?:tell|give|show)\s+me\s+(?:more\s+)?(?:about|the\s+(?:latest\s+)?(?:news|story|stories)\s+"
        r"(?:about|on|from|in))\s+(?P<topic>.+)$",
        r"^(?:the\s+)?(?:latest\s+|recent\s+|any\s+|breaking\s+)?(?:news|updates?|developments|stories|coverage|"
        r"headlines|background)\s+(?:about|on|from|in|regarding|concerning|of)\s+(?P<topic>.+)$",
        rf"^what\s+(?:do|does|did)\s+(?:the\s+|these\s+|our\s+)?(?:{DOCUMENTS}|sources)\s+"
        r"(?:say|tell\s+(?:us|me))\s+(?:about|on|regarding|of)\s+(?P<topic>.+)$",
        r"^(?:what\s+do\s+(?:we|you)\s+know\s+about|summari[sz]e|(?:an?\s+)?overview\s+of|brief\s+me\s+on|"
        r"catch\s+me\s+up\s+on)\s+(?P<topic>.+)$",
    )
]
# The news itself, with no topic: "what happened in December 2004?", "what's the latest news?",
# "headlines from January 2005" (read once the time words are cut): the newest stories in range.
DIGEST_QUESTION = re.compile(
    r"^(?:so\s+|and\s+)?(?:what(?:'s|’s|\s+is|\s+has|\s+was|\s+were)?\s+(?:happened|happening|going\s+on|new|"
    r"(?:the\s+)?(?:top\s+|big\s+)?(?:news|headlines|stories))|(?:(?:the|any)\s+)?(?:latest\s+|recent\s+|top\s+|"
    r"breaking\s+)?(?:news|headlines|stories|updates)|(?:any|anything)\s+new)$",
    re.IGNORECASE,
)
BROAD_TOPIC_WORDS = 6  # a longer "topic" is a specific question in disguise
PRONOUNS = re.compile(r"(?i)\b(?:he|she|it|they|him|her|his|its|their|them|this|that|these|those)\b")


def parse_broad_question(question: str) -> str | None:
    """The topic of a question about a story ("what happened in Ukraine?" -> "Ukraine"), or None."""
    q = question.strip().rstrip("?.! ").strip()
    for pattern in BROAD_QUESTIONS:
        m = pattern.match(q)
        if m:
            topic = m.group("topic").strip(" ,")
            if terms(topic) and len(topic.split()) <= BROAD_TOPIC_WORDS and not PRONOUNS.search(topic):
                return topic
    return None


def _asks_for_stories(question: str) -> bool:
    """Whether the question, its time words cut, asks for the news or a story (not a fact or quote)."""
    intent = _last_sentence(question)
    if parse_speaker_question(intent):
        return False
    return bool(DIGEST_QUESTION.match(intent.rstrip("?.! ")) or parse_broad_question(intent))


def _last_sentence(question: str) -> str:
    """What a follow-up searched with the question before it asks: its last sentence."""
    return re.split(r"(?<=[?!.])\s+", question.strip())[-1]


def parse_role_question(question: str) -> str | None:
    """The role a "who is the chancellor?" question asks about ("the chancellor"), or None."""
    found = ROLE_QUESTION.match(question)
    return found["role"] if found else None


def parse_speaker_question(question: str) -> tuple[str, str] | None:
    """Recognise a question about what someone said.

    Args:
        question: e.g. "What did Netanyahu say about Rafah?".

    Returns:
        (speaker, topic), topic "" when none is asked about; None for any other question.
    """
    q = CONNECTIVE.sub("", question.strip().rstrip("?.! ").strip())  # "and what did Blinken say?"
    for pattern in SPEAKER_QUESTIONS:
        m = pattern.match(q)
        if not m:
            continue
        who = m.group("x").strip(" ,")
        topic = (m.group("y") or "").strip(" ,")
        # "what did it say", "who said ..." are not questions about a person's words, nor is "what
        # do the articles say about Iraq": a story question.
        if not who or len(who.split()) > 6 or re.match(r"(?i)(?:who|what|which|it|this|that)\b", who):
            return None
        if re.fullmatch(rf"(?i)(?:the\s+|these\s+|our\s+)?(?:{DOCUMENTS})", who):
            return None
        return who, topic
    return None


def clean_question(question: str) -> str:
    """The question as searched: whitespace collapsed, cut to what the model can read."""
    return " ".join(question.split())[:MAX_QUESTION_CHARS]


def has_words(text: str) -> bool:
    return any(ch.isalnum() for ch in text)


def terms(question: str) -> list[str]:
    """The question's content words, lowercased, in order, without repeats."""
    words = re.findall(r"\w+", question.lower())
    return list(dict.fromkeys(w for w in words if w not in STOPWORDS))[:MAX_TERMS]


def answer_type(question: str) -> str | None:
    """What kind of thing the question asks for, from its wh-phrase."""
    lowered = question.lower()
    for kind, pattern in QUESTION_TYPES:
        if pattern.search(lowered):
            return kind
    return None


def parse(
    question: str,
    *,
    sources: Sequence[str] = (),
    since: date | None = None,
    until: date | None = None,
    stories: bool = True,
    today: date | None = None,
    dates_as_words: bool = False,
) -> Query:
    """Read a question into a Query.

    "in March 2024" narrows the dates searched; the filter, not the words, does that work.
    Undated articles stay in unless the caller asked for a date range itself. A fact question
    whose words narrowed the dates carries itself read with those words as words (`as_words`):
    "how many pilgrims died in 1991?" asks about an event of 1991 as often as about articles
    published then ("what did Blair say in 2005?" asks about what was reported then).

    Args:
        question: the question as typed.
        sources, since, until: the caller's own filters; the question's dates narrow them further.
        stories: read "what happened in X" as a question about stories (`broad`); False reads
            every question as one about a fact.
        today: what "last week", "this month" and "yesterday" count from in a question about
            stories ("what happened last week?"); a fact question's "in the past year" is the
            story's own, and stays words.
        dates_as_words: read no dates from the question's words; search them as words.

    Returns:
        The Query; `searched` is empty when the question has no words.
    """
    cleaned = clean_question(question)
    if not has_words(cleaned):
        return Query(question, "", (), Filters(tuple(sources), since, until))
    scope = time_scope(cleaned)
    if dates_as_words:
        scope = replace(scope, since=None, until=None, question=cleaned)
    if today and stories and not dates_as_words:
        dated = time_scope(cleaned, today)
        if dated != scope and _asks_for_stories(dated.rest):
            scope = dated
    filters = Filters(
        tuple(sources),
        max(filter(None, [since, scope.since]), default=None),
        min(filter(None, [until, scope.until]), default=None),
        undated=since is None and until is None,
    )
    if has_words(scope.question):
        cleaned = scope.question
    # A follow-up searched with the question before it ("What did Netanyahu say about Rafah? When
    # was that?") asks what its last sentence asks: the words of both, the intent of the last.
    intent = _last_sentence(cleaned)
    spoken = parse_speaker_question(intent)
    speaker, topic = spoken if spoken else (None, "")
    if stories and not spoken and DIGEST_QUESTION.match(scope.rest.strip().rstrip("?.! ")):
        return Query(question, cleaned, (), filters, latest=True, broad=True)  # the newest dated stories
    story = parse_broad_question(intent) if stories and not spoken else None
    if story:  # search for the story itself: "what happened in" would only add noise
        return Query(question, story, tuple(terms(story)), filters, latest=scope.latest, topic=story, broad=True)
    return Query(
        question,
        cleaned,
        tuple(terms(cleaned)),
        filters,
        latest=scope.latest,
        answer_type=answer_type(intent),
        speaker=speaker,
        topic=topic,
        as_words=parse(question, sources=sources, since=since, until=until, stories=stories, dates_as_words=True)
        if (scope.since or scope.until) and not spoken  # when words were said is when they were reported
        else None,
    )
