"""Sentence boundaries in news text: the cases benchmarks/sentence_splitters.py found splitters disagree on."""

from __future__ import annotations

import sys
import textwrap

import pytest

from helpers import assert_slices, wikinews_records
from qa.ingest import chunk
from qa.ingest.chunk import sentences
from qa.ingest.records import canonical_text

CASES = [
    # Headlines and paragraphs are lines; a headline has no full stop.
    (
        "Ad sales boost Time Warner profit\n\nQuarterly profits jumped 76% to $1.13bn. The firm gained.",
        ["Ad sales boost Time Warner profit", "Quarterly profits jumped 76% to $1.13bn.", "The firm gained."],
    ),
    # Straight quotes: the closing mark stays with its sentence (pysbd began the next one with it).
    ('"We will win," he said. "We are ready."', ['"We will win," he said.', '"We are ready."']),
    ('It was "a success." Then it ended.', ['It was "a success."', "Then it ended."]),
    # BBC copy runs quoted paragraphs together, each opening with a mark that is never closed.
    (
        'He said: "This is damaging. Brown knows it. "I think it is poor." He added more.',
        ['He said: "This is damaging.', "Brown knows it.", '"I think it is poor."', "He added more."],
    ),
    # Numbers, initials and abbreviations.
    ("She won in 2:04.45. Kelly Sotherton was second.", ["She won in 2:04.45.", "Kelly Sotherton was second."]),
    ("It rose 6.4% to $42.09bn. Its shares fell.", ["It rose 6.4% to $42.09bn.", "Its shares fell."]),
    ("A book by J. K. Rowling sold well. Sales rose.", ["A book by J. K. Rowling sold well.", "Sales rose."]),
    ("Mrs. Jones met Dr. Brown at No. 10. They talked.", ["Mrs. Jones met Dr. Brown at No. 10.", "They talked."]),
    ("Sen. McCain met at 10 a.m. on Monday. They agreed.", ["Sen. McCain met at 10 a.m. on Monday.", "They agreed."]),
    ("He works for the U.S. Army. It is large.", ["He works for the U.S. Army.", "It is large."]),
    ("Acme Inc., fell 3%. Foo Corp. rose.", ["Acme Inc., fell 3%.", "Foo Corp. rose."]),
    # A semicolon does not end a sentence (syntok split team lists at each one).
    ("Scotland: C Paterson; S Webster, A Craig; D Parks.", ["Scotland: C Paterson; S Webster, A Craig; D Parks."]),
]


@pytest.fixture(params=["blingfire", "nupunkt"])
def splitter(request, monkeypatch):
    """The splitter in use: blingfire, or nupunkt as on CPUs blingfire's library is not built for."""
    if request.param == "nupunkt":
        monkeypatch.setitem(sys.modules, "blingfire", None)  # its import fails, as it does on arm64
    chunk._sentence_starts.cache_clear()
    yield request.param
    chunk._sentence_starts.cache_clear()


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_news_sentence_boundaries(splitter, text, expected):
    found = sentences(text)
    assert_slices(text, found)
    assert [s.text for s in found] == expected


def test_sentences_cover_every_seed_article_but_whitespace(splitter):
    for record in wikinews_records():
        text = canonical_text(record["text"])
        found = sentences(text)
        assert_slices(text, found)
        covered = set()
        for s in found:
            covered.update(range(s.start, s.end))
        assert all(text[i].isspace() for i in range(len(text)) if i not in covered)


@pytest.mark.parametrize("paragraph_break", ["indent", "blank line"])
def test_hard_wrapped_text_splits_as_the_unwrapped_text(paragraph_break):
    """Wire copy is wrapped at ~65 characters: its sentences are the paragraphs' sentences, not
    the lines, whether paragraphs are indented (as Reuters does) or separated by blank lines."""
    for record in wikinews_records():
        text = canonical_text(record["text"])
        lines = text.split("\n")
        if paragraph_break == "indent":
            wrapped = "\n".join(
                textwrap.fill(line, 65, initial_indent="    ", break_on_hyphens=False) for line in lines if line.strip()
            )
        else:
            wrapped = "\n\n".join(textwrap.fill(line, 65, break_on_hyphens=False) for line in lines if line.strip())
        found = sentences(wrapped)
        assert_slices(wrapped, found)
        assert [" ".join(s.text.split()) for s in found] == [s.text for s in sentences(text)]


def test_short_lines_stay_apart():
    """A list of headlines is not wrapped text: each line stays a sentence of its own."""
    headlines = [
        "Ad sales boost Time Warner profit",
        "Dollar gains on Greenspan speech",
        "Yukos unit buyer faces loan claim",
        "High fuel prices hit BA's profits",
        "Pernod takeover talk lifts Domecq",
        "Japan narrowly escapes recession",
    ]
    text = "\n".join(headlines)
    assert [s.text for s in sentences(text)] == headlines
