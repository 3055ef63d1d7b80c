"""Broad questions ("what happened in Ukraine?") are answered with the matching stories' ledes,
with the real model over the seed articles; follow-ups ask what their last sentence asks."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from helpers import assert_cited
from qa.text.question import parse, parse_broad_question


@pytest.mark.parametrize(
    "question, topic",
    [
        ("what happened in Ukraine?", "Ukraine"),
        ("What's happening with the Millcreek Mall bankruptcy", "the Millcreek Mall bankruptcy"),
        ("tell me about the tsunami", "the tsunami"),
        ("latest news about Iraq", "Iraq"),
        ("Any updates on Rafah?", "Rafah"),
        ("catch me up on the Gaza ceasefire talks", "the Gaza ceasefire talks"),
        ("what do the articles say about Iraq?", "Iraq"),
        ("What does the archive tell me about the tsunami", "the tsunami"),
    ],
)
def test_story_questions_name_their_topic(question, topic):
    assert parse_broad_question(question) == topic


@pytest.mark.parametrize(
    "question",
    [
        "What happened to his lab?",  # "what happened to X" asks about one detail as often as a story
        "What happened in the third quarter of the game after the Broncos scored twice",  # too specific
        "what did Netanyahu say about Rafah",
        "how many people died in the tsunami",
        "news about it",  # a follow-up: the conversation supplies its subject
    ],
)
def test_fact_questions_are_not_story_questions(question):
    assert parse_broad_question(question) is None


def test_a_story_question_searches_for_the_story_within_its_dates():
    query = parse("what happened in Ukraine in December 2004?")
    assert query.broad and query.searched == "Ukraine" and query.terms == ("ukraine",)
    assert (query.filters.since, query.filters.until) == (date(2004, 12, 1), date(2004, 12, 31))
    assert not parse("what happened in Ukraine?", stories=False).broad
    assert query.as_words is None  # a story question's period is the stories'


def test_a_fact_questions_year_is_also_read_as_words():
    query = parse("how many pilgrims died in 1991?", sources=["Wikinews"])
    assert query.searched == "how many pilgrims died?" and query.filters.since == date(1991, 1, 1)
    as_words = query.as_words
    assert as_words is not None and as_words.searched == "how many pilgrims died in 1991?"
    assert (as_words.filters.since, as_words.filters.until, as_words.filters.sources) == (None, None, ("Wikinews",))
    assert as_words.answer_type == "number" and as_words.as_words is None
    assert parse("how many pilgrims died?").as_words is None
    assert parse("what did Netanyahu say about Rafah in 2005?").as_words is None  # said then: reported then


def test_last_week_counts_from_today_in_a_question_about_the_news_only():
    today = date(2026, 12, 3)  # a Thursday
    digest = parse("what happened last week?", today=today)
    assert digest.broad and digest.topic == "" and digest.filters.since == date(2026, 11, 23)
    story = parse("any news from the past month about Ukraine?", today=today)
    assert story.broad and story.topic == "Ukraine" and story.filters.since == date(2026, 11, 3)
    # A fact's "past year" is the story's own: counted from today it would hide the answer.
    fact = parse("How many people visited the museum in the past year?", today=today)
    assert fact.filters.since is None and "past year" in fact.searched
    assert parse("what did Blair say last week?", today=today).filters.since is None


def test_what_happened_this_week_cites_this_weeks_stories_and_says_when_there_are_none(tmp_path):
    from qa import NewsIndex
    from qa.types import Article

    recent = date.today() - timedelta(days=2)
    stories = [
        Article(
            id="bridge",
            title="Bridge reopens",
            published=recent,
            text="The Harrow bridge reopened on Tuesday after repairs that took two years.\n\nTraffic resumed at noon.",
        ),
        Article(
            id="fire",
            title="Warehouse fire",
            published=date(2019, 5, 2),
            text="A fire destroyed a warehouse in Port Harrow overnight.\n\nNo one was hurt, the fire service said.\n",
        ),
    ]
    with NewsIndex.open(tmp_path / "index", create=True) as index:
        index.add(stories)
        week = index.ask("what happened in the past week?")
        assert [c.article_id for c in (*week.citations, *week.related)] == ["bridge"]
        assert_cited(index, week.citations)
        old = index.ask("what happened last week?", until=date(2019, 5, 10))  # as of a day in 2019
        assert [c.article_id for c in old.citations] == ["fire"]
        none = index.ask("news about the fire since yesterday")
        assert none.abstained and none.reason.startswith("no articles match the filters: asked for ")


def test_a_follow_up_asks_what_its_last_sentence_asks():
    query = parse("What did Netanyahu say about Rafah? When was that?")
    assert query.speaker is None and query.answer_type == "time"
    assert query.terms == ("netanyahu", "rafah")
    assert parse("What did Netanyahu say about Rafah?").speaker == "Netanyahu"


def test_what_happened_in_ukraine_cites_the_lede_of_the_election_story(seeds):
    answer = seeds.ask("what happened in Ukraine in December 2004?")
    assert not answer.abstained, answer.reason
    first = answer.citations[0]
    assert "Ukrainian presidential elections" in first.text and first.published == date(2004, 12, 27)
    assert len({c.article_id for c in answer.citations}) == len(answer.citations)  # one story per citation
    assert_cited(seeds, [*answer.citations, *answer.related])


def test_latest_news_puts_the_newest_matching_story_first(seeds):
    answer = seeds.ask("latest news about the tsunami")
    assert not answer.abstained and len(answer.citations) >= 2
    dates = [c.published for c in answer.citations]
    assert dates == sorted(dates, reverse=True)
    everything = seeds.ask("news about the tsunami")
    assert {c.article_id for c in everything.citations} == {c.article_id for c in answer.citations}


@pytest.mark.parametrize(
    "question, topic", [("what happened in Antarctica", "Antarctica"), ("latest news about Iraq", "Iraq")]
)
def test_a_story_nobody_wrote_is_not_answered_with_stray_sentences(seeds, question, topic):
    answer = seeds.ask(question)  # the seeds mention Iraq in passing; no story is about it
    assert answer.abstained and answer.reason == f"no story in the articles is about {topic}"
    assert_cited(seeds, answer.related)


def test_when_was_that_after_a_quote_answer_cites_the_sentence_that_dates_it(seeds):
    answer = seeds.ask("What did Netanyahu say about Rafah? When was that?")
    assert not answer.abstained
    first = answer.citations[0]
    assert first.event_date == date(2024, 3, 22) and "Friday (Mar 22)" in first.text
    assert not first.speaker  # a sentence that dates the words, not the quotes again


@pytest.mark.parametrize(
    "question", ["what happened in December 2004?", "what's the latest news?", "headlines from January 2005", "news"]
)
def test_the_news_itself_is_a_story_question_with_no_topic(question):
    query = parse(question)
    assert query.broad and query.topic == "" and query.latest


def test_latest_news_without_a_topic_cites_the_newest_stories(seeds):
    answer = seeds.ask("what's the latest news?")
    cited = [*answer.citations, *answer.related]
    assert not answer.abstained and len(answer.citations) == 3
    newest = max(article.published or date.min for article in seeds.articles())
    assert answer.citations[0].published == newest
    dates = [c.published for c in cited]
    assert dates == sorted(dates, reverse=True)
    assert len({c.article_id for c in cited}) == len(cited)  # one story per citation
    assert all(c.start == seeds.get(c.article_id).text.index(c.text) for c in cited)  # each story's opening
    assert_cited(seeds, cited)


def test_what_happened_in_a_month_cites_that_months_stories_newest_first(seeds):
    answer = seeds.ask("what happened in December 2004?")
    cited = [*answer.citations, *answer.related]
    assert not answer.abstained and cited
    assert all(date(2004, 12, 1) <= c.published <= date(2004, 12, 31) for c in cited)
    dates = [c.published for c in cited]
    assert dates == sorted(dates, reverse=True)
    december = [a for a in seeds.articles() if a.published and a.published.strftime("%Y-%m") == "2004-12"]
    assert dates[0] == max(a.published for a in december)
    assert_cited(seeds, cited)
    nothing = seeds.ask("what happened in March 1999?")
    assert nothing.abstained and "the articles here were published 2004-" in nothing.reason


def test_a_headline_opening_the_text_is_not_the_lede(tmp_path):
    # A saved web page keeps its <h1> as the text's first line; the lede is the sentence after it.
    from qa import NewsIndex
    from qa.ingest.load import load

    page = tmp_path / "flood.html"
    page.write_text(
        "<html><head><title>Flood waters recede in Port Harrow</title>"
        '<meta property="article:published_time" content="2025-02-03"></head><body><article>'
        "<h1>Flood waters recede in Port Harrow</h1>"
        "<p>Flood waters began to recede in Port Harrow on Monday after three days of heavy rain, officials said.</p>"
        "<p>At least 1,200 homes were damaged, according to the regional council.</p></article></body></html>",
        encoding="utf-8",
    )
    (article,) = load([page])
    assert article.text.startswith("Flood waters recede in Port Harrow\n")  # what the lede must skip
    with NewsIndex.open(tmp_path / "index", create=True) as index:
        index.add([page])
        for question in ("what's the latest news?", "tell me about the flood in Port Harrow"):
            answer = index.ask(question)
            assert answer.citations[0].text.startswith("Flood waters began to recede"), question
            assert_cited(index, answer.citations)


def test_a_story_named_in_the_topic_must_name_it(seeds):
    # The seeds hold one prize story, the Nobel Peace Prize: near in meaning to any prize, but a
    # question naming another prize is about a story nobody wrote.
    nobel = seeds.ask("tell me about the Nobel prize")
    assert "Nobel" in nobel.citations[0].title
    assert_cited(seeds, nobel.citations)
    other = seeds.ask("tell me about the Pulitzer prize")
    assert other.abstained and other.reason == "no story in the articles is about the Pulitzer prize"


def test_latest_news_of_an_archive_without_dates_says_why_there_is_none(tmp_path):
    from qa import NewsIndex
    from qa.answer.respond import NO_DATES
    from qa.types import Article

    text = "The storm reached the coast on Monday, flooding 200 homes.\n\nOfficials said repairs would take weeks.\n"
    with NewsIndex.open(tmp_path / "index", create=True) as index:
        index.add([Article(id="storm", title="Storm hits coast", text=text)])  # no date, none in the text
        latest = index.ask("what's the latest news?")
        assert latest.abstained and latest.reason == NO_DATES
        assert not index.ask("how many homes were flooded?").abstained  # a fact question still answers
