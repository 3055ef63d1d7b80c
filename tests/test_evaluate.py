"""The eval metrics on hand-made cases whose right answers can be checked by eye."""

from __future__ import annotations

import json

import pytest

from qa.evaluate import Gold, covers, first_covering, first_stating, percentile, read_gold, summarise

GOLD = Gold("q1", "Who?", "a", ((10, 20), (50, 55)))


@pytest.mark.parametrize(
    "article, start, end, expected",
    [
        ("a", 10, 20, True),  # exactly the answer
        ("a", 0, 100, True),  # a sentence around it
        ("a", 11, 20, False),  # cuts the answer's first character
        ("a", 10, 19, False),  # cuts its last
        ("a", 45, 56, True),  # the second answer
        ("b", 0, 100, False),  # another article
    ],
)
def test_covers_needs_the_same_article_and_the_whole_answer(article, start, end, expected):
    assert covers(article, start, end, GOLD) is expected


def test_first_covering_is_the_one_based_rank():
    assert first_covering([("b", 0, 99), ("a", 0, 15), ("a", 5, 25)], GOLD) == 3
    assert first_covering([("b", 0, 99)], GOLD) is None
    assert first_covering([], GOLD) is None


def test_first_stating_finds_the_answer_words_again_in_the_gold_article():
    citations = [
        ("b", "Sri Lanka is bankrupt, said a rival paper."),  # another article: not the gold one
        ("a", "The country is bankrupt."),  # the gold article, without the answer
        ("a", "SRI   lanka is “bankrupt,” the prime minister said."),  # case and spacing differ
    ]
    assert first_stating(citations, GOLD, ["Sri Lanka"]) == 3
    assert first_stating(citations, GOLD, ["Colombo"]) is None
    assert first_stating(citations, GOLD, [" "]) is None  # a blank answer matches nothing


def test_percentile_is_nearest_rank():
    values = [5, 1, 4, 2, 3]
    assert percentile(values, 0.5) == 3
    assert percentile(values, 0.95) == 5
    assert percentile(values, 0.0) == 1
    assert percentile(list(range(1, 101)), 0.95) == 95


def row(retrieval, citation, abstained=False, lengths=(100,), seconds=0.01, stated=None):
    return {
        "retrieval_rank": retrieval,
        "citation_rank": citation,
        "stated_rank": citation if stated is None else stated,  # a covering citation states the answer too
        "abstained": abstained,
        "citation_lengths": list(lengths),
        "seconds": seconds,
    }


def test_summarise_counts_by_hand():
    rows = [
        row(1, 1, lengths=(100, 200)),
        row(3, 2, lengths=(50,)),
        row(None, None, abstained=True, lengths=()),
        row(10, None, lengths=(150,), stated=3),
    ]
    summary = summarise(rows)
    assert summary["questions"] == 4
    assert summary["recall@1"] == 0.25 and summary["recall@5"] == 0.5 and summary["recall@20"] == 0.75
    assert summary["citation@1"] == 0.25 and summary["citation@3"] == 0.5
    assert summary["answer_stated@1"] == 0.25 and summary["answer_stated@3"] == 0.75
    assert summary["mean_citation_chars"] == 125.0  # (100 + 200 + 50 + 150) / 4 citations
    assert summary["abstention_rate"] == 0.25
    assert summary["accuracy_when_answered"] == pytest.approx(1 / 3)


def test_read_gold_turns_answers_into_spans(tmp_path):
    path = tmp_path / "q.jsonl"
    path.write_text(
        json.dumps(
            {
                "id": 7,
                "question": "Where?",
                "doc_id": "d",
                "answers": [{"text": "Paris", "start": 4}, {"text": "France", "start": 12}],
            }
        )
        + "\n\n"
        + json.dumps({"id": 8, "question": "When?", "doc_id": "d", "answers": []})
        + "\n"
    )
    golds = read_gold(path)
    assert golds[0] == Gold("7", "Where?", "d", ((4, 9), (12, 18)))
    assert read_gold(path, limit=1) == golds[:1]
