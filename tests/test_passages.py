"""The learned passage reader: it loads offline (test_rank.py: without torch), scores a sentence in its chunk,
answers with exact spans, and a missing or damaged file leaves the hand-tuned score in charge,
said once in the log."""

from __future__ import annotations

import math

from helpers import assert_cited, assert_damaged_model_falls_back
from qa import NewsIndex
from qa.answer.passages import MAX_TOKENS, READER_FILE, PassageReader, load_reader


def test_the_shipped_reader_is_small():
    assert READER_FILE.stat().st_size <= 15_000_000


def _sentences(text: str) -> list[tuple[int, int]]:
    spans, start = [], 0
    for line in text.split("\n"):
        if len(line.split()) > 6:
            spans.append((start, start + len(line)))
        start += len(line) + 1
    return spans


def test_the_reader_scores_the_answering_sentence_above_the_rest_of_its_story(seeds):
    article = next(a for a in seeds.articles() if a.title == "Yushchenko claims victory in re-run")
    spans = _sentences(article.text)
    text = article.text[spans[0][0] : spans[-1][1]]
    relative = [(start - spans[0][0], end - spans[0][0]) for start, end in spans]
    (scores,) = PassageReader().read("By how many votes did Yushchenko lead Yanukovich?", [(text, relative)])
    read = [i for i, score in enumerate(scores) if not math.isnan(score)]
    best = max(read, key=lambda i: scores[i])
    assert "2.2 million votes" in text[slice(*relative[best])], (relative[best], scores)


def test_a_sentence_cut_off_by_truncation_is_not_scored():
    sentence = "The council met on Monday to discuss the new budget for the city's schools."
    text = " ".join([sentence] * 40)  # ~600 word pieces, past MAX_TOKENS
    spans = [(i * (len(sentence) + 1), i * (len(sentence) + 1) + len(sentence)) for i in range(40)]
    (scores,) = PassageReader().read("When did the council meet?", [(text, spans)])
    assert not math.isnan(scores[0]) and math.isnan(scores[-1])
    assert MAX_TOKENS < 600


def test_answers_read_with_the_reader_cite_exact_spans(seeds):
    assert seeds.ranking.reader is None  # off by default (docs/MODEL_CARD.md says why)
    with NewsIndex.open(seeds.path, reader=True) as read:
        assert read.ranking.reader == READER_FILE
        for question in ("who won the Ukrainian election re-run", "how many people died in the tsunami"):
            answer = read.ask(question)
            assert answer.citations
            assert_cited(read, [*answer.citations, *answer.related])


def test_the_reader_answers_only_what_the_checked_score_would_and_may_still_turn_it_away(seeds):
    """Neither article set says who leads Apple or which NFL star retired. The reader alone gave
    the second a wrong answer (a space shuttle "retired") when measured; by default the first
    gets one (a Sears CEO's words)."""
    with NewsIndex.open(seeds.path, reader=True) as read:
        for question in ("What NFL star announced his retirement?", "Who is the CEO of Apple?"):
            assert read.ask(question).abstained, question
        assert seeds.ask("What NFL star announced his retirement?").abstained


def test_a_damaged_reader_file_falls_back_to_the_hand_tuned_score_and_says_so_once(seeds, tmp_path, caplog):
    damaged = tmp_path / "reader.onnx"
    assert_damaged_model_falls_back(seeds.path, damaged, "reader", {"reader": False}, caplog, "passage reader")
    assert load_reader(tmp_path / "missing.onnx") is None
