"""The learned attribution step (qa/ingest/attribution.py): on at ingest by default, adding to the rules."""

from __future__ import annotations

import itertools
import logging

from helpers import SEEDS
from qa import NewsIndex
from qa.ingest.attribution import attributed_quotes, load_tagger, model_quotes
from qa.text.quotes import find_quotes


def test_the_tagger_adds_statements_the_rules_miss_and_keeps_every_rule_quote(seeds):
    """The seed index is built with the defaults, so with the tagger."""
    index = seeds
    found = index.quotes(limit=100_000)
    for quote in found:
        article = index.get(quote.article_id)
        assert article.text[quote.start : quote.end] == quote.text
        assert quote.speaker and quote.speaker_key
    by_article: dict[str, list] = {}
    for quote in found:
        by_article.setdefault(quote.article_id, []).append((quote.start, quote.end, quote.speaker))
    added = 0
    for article in index.articles():
        rules = {(q.start, q.end, q.speaker) for q in find_quotes(article.id, article.text)}
        stored = set(by_article.get(article.id, []))
        assert rules <= stored  # the rules' quotes stand; the tagger only adds
        spans = sorted(stored)
        assert all(a[1] <= b[0] for a, b in itertools.pairwise(spans))  # never overlapping
        added += len(stored - rules)
    assert added >= 10  # statements with no rule for them: "X noted ...", "Y says ...", no quotation marks
    # What users ask still comes from the rules' precise quotes.
    rafah = index.quotes("Netanyahu", "Rafah", limit=3)
    assert rafah and all(q.speaker == "Benjamin Netanyahu" for q in rafah)


def test_a_missing_or_damaged_tagger_leaves_the_rules_and_says_so(tmp_path, caplog):
    damaged = tmp_path / "attribution.onnx"
    damaged.write_bytes(b"not an onnx graph")
    with caplog.at_level(logging.WARNING, logger="qa"):
        assert load_tagger(damaged) is None
        assert load_tagger(tmp_path / "absent.onnx") is None
    assert caplog.text.count("could not be loaded") == 2 and "rules alone" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="qa"):
        assert load_tagger(damaged) is None  # said once per file, not at every batch
    assert not caplog.text


def test_capitalised_common_words_denials_and_topics_are_not_statements():
    """The tagger's own mistakes on BBC copy, which the decoding now refuses: a sentence's
    capitalised first word taken for a name ("Unions", "Local press"), a denied voice ("did not
    say"), a topic after a preposition ("spoke of"), and a description before the name."""
    text = "\n\n".join(
        [
            "Qantas plans to cut 1,000 jobs.",
            "Unions reacted angrily to the reported disclosure, arguing that Qantas was profitable and "
            "did not need to cut jobs.",
            "The two firms did not say if they were developing the technology for languages other than English.",
            "Mellberg spoke of his dislike of the rival club ahead of the derby on Sunday.",
            "Fellow Southern California sports icon, Earvin Johnson, said that the city had lost a legend.",
            "Local press had reported that ONGC was looking to buy 15% of the former key oil production unit.",
            "Corporate governance experts said that if the directors pay, it will set a precedent for other boards.",
            "A Pentagon spokesman said the records of 900,000 staff were among those missing.",
        ]
    )
    tagger = load_tagger()
    assert tagger is not None
    tagged = model_quotes("bbc", text, tagger)
    assert {q.speaker for q in tagged} == {"Earvin Johnson", "Pentagon"}
    for quote in tagged + attributed_quotes("bbc", text, tagger=tagger):
        assert text[quote.start : quote.end] == quote.text
        assert quote.speaker in ("Earvin Johnson", "Pentagon")


def test_without_attribution_the_index_holds_the_rules_quotes_alone(tmp_path):
    wikinews = SEEDS / "wikinews.jsonl"
    with NewsIndex.open(tmp_path / "index", create=True, attribution=False) as index:
        index.add([wikinews])
        stored = {(q.article_id, q.start, q.end, q.speaker) for q in index.quotes(limit=100_000)}
        rules = {
            (q.article_id, q.start, q.end, q.speaker)
            for article in index.articles()
            for q in find_quotes(article.id, article.text)
        }
    assert stored == rules and len(rules) > 50


def test_names_that_only_describe_the_source_are_not_the_speaker():
    """The tagger's sources on news copy where the name is not who spoke: an adjective or a team
    before a head noun ("The Italian firm", "The 22-cap Dragons man"), a name in what qualifies
    the head ("Most Democrats in the CBS/YouGov poll"), and a self-description that is no statement."""
    text = "\n\n".join(
        [
            "Agip Petroli Spa bought half of Steuart Petroleum. The Italian firm said Steuart Petroleum "
            "operates primarily on the East Coast of the U.S.",
            "Michael Owen praised the captain. The 22-cap Dragons man says that Thomas will be badly missed.",
            "Most Democrats in the CBS/YouGov poll report that the decision left them feeling upset, while "
            "a smaller majority of Republicans describe themselves as happy.",
            "The Arnhem Space Center describes itself as the only commercially owned launch site in the world.",
        ]
    )
    tagger = load_tagger()
    assert tagger is not None
    tagged = model_quotes("news", text, tagger)
    for quote in tagged:
        assert text[quote.start : quote.end] == quote.text
        assert quote.speaker in ("Agip Petroli Spa", "Michael Owen"), quote
    assert "Agip Petroli Spa" in {q.speaker for q in tagged}  # "the firm" resolves to the firm's name


def test_an_anonymous_source_is_not_the_person_named_before():
    """ "a senior administration official" brings in someone new: its words are not the president's,
    as the rules also leave them unattributed. "a spokesman" is the voice of whoever spoke last."""
    text = "\n\n".join(
        [
            "President Joe Biden spoke on Monday. The application will be available by early October, "
            "a senior administration official told CNN.",
            "The Vestey Group said it had owned the land since 1920. But a spokesman added that the "
            "company would co-operate fully with the authorities.",
        ]
    )
    tagger = load_tagger()
    assert tagger is not None
    tagged = model_quotes("news", text, tagger)
    assert "Joe Biden" not in {q.speaker for q in tagged}
    assert not any(q.speaker and "Biden" in q.speaker for q in find_quotes("news", text))
    assert [q.speaker for q in tagged if "co-operate" in q.text] == ["Vestey Group"]


def test_a_noun_phrase_object_is_not_what_was_said_but_a_clause_is():
    """ "denied multiple charges", "announced his plan to ...": the object names what was said, and
    quoting it ("Ebbers: multiple charges of conspiracy") would misquote; "say" and a clause stay."""
    text = "\n\n".join(
        [
            "Mr Ebbers has denied multiple charges of conspiracy and fraud in the accounting scandal.",
            "President Joe Biden on Wednesday announced his plan to address student loan debt, which "
            "includes debt forgiveness for certain borrowers.",
            "The health ministry reported the number of people with fever symptoms across the country.",
            "Mayor Ellen Park announced the plant will close by the end of the year.",
            "Senator Tom Reyes said the talks had failed because neither side would move.",
            "Coach Pierre Laval has acknowledged his side needs to show more attacking flair.",
            "Victor Conte, of Balco Laboratories, claims the American sprinter regularly took banned drugs.",
        ]
    )
    tagger = load_tagger()
    assert tagger is not None
    for quotes in (model_quotes("news", text, tagger), attributed_quotes("news", text, tagger=tagger)):
        assert all(text[q.start : q.end] == q.text for q in quotes)
        said = {q.speaker: q.text for q in quotes}
        assert not {"Bernie Ebbers", "Ebbers", "Joe Biden"} & said.keys()
        assert not any(q.text.startswith("the number of people") for q in quotes)
        assert said.get("Tom Reyes", "").startswith("the talks had failed")
    # Clauses without "that" stay, in the present tense or an irregular past.
    names_an_object_free = {q.speaker: q.text for q in model_quotes("news", text, tagger)}
    assert names_an_object_free.get("Pierre Laval", "").startswith("his side needs to show")
    assert names_an_object_free.get("Victor Conte", "").startswith("the American sprinter")
    assert any(
        q.speaker == "Ellen Park" and q.text.startswith("the plant will close")
        for q in model_quotes("news", text, tagger)
    )
