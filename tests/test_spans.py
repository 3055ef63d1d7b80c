"""The offset equation, text[start:end] == span text, for chunks and sentences of any text."""

from __future__ import annotations

import itertools

from hypothesis import example, given, settings
from hypothesis import strategies as st

from helpers import assert_slices, wikinews_records
from qa.ingest.chunk import chunks, paragraphs, sentences
from qa.ingest.records import canonical_text

words = st.sampled_from(
    [
        "Rafah",
        "said",
        "the",
        "Mr.",
        "U.S.",
        "“quote,”",
        "é",
        "日本語",
        "😀",
        "a",
        "Netanyahu",
        "\u200b",
        "\u05e9\u05dc\u05d5\u05dd",
        "!",
        "?",
        ".",
    ]
)
separators = st.sampled_from([" ", "  ", "\n", "\n\n", "\t", " \n ", ". ", "... "])
texts = st.lists(st.tuples(words, separators), max_size=400).map(lambda parts: "".join(w + s for w, s in parts))
repeated = st.builds(
    lambda piece, n, glue: glue.join([piece] * n), st.text(min_size=1, max_size=60), st.integers(1, 60), separators
)


@settings(max_examples=150, deadline=None)
@given(st.one_of(texts, repeated, st.text(max_size=3000)))
# Found by hypothesis: the splitter starts a chunk where the last one started.
@example("Rafah\n\nRafah the é é é é \n Netanyahu Netanyahu Netanyahu é é Rafah\n")
@example("0" * 40 + "\n" + "0" * 40 + "\n0\n0")
def test_chunk_and_sentence_offsets_slice_the_text(text):
    for size, overlap in [(800, 120), (60, 20)]:
        spans = chunks(text, size, overlap)
        assert_slices(text, spans)
        assert [s.start for s in spans] == sorted(s.start for s in spans)
    found = sentences(text)
    assert_slices(text, found)
    # Sentences never overlap, never cross a paragraph (a line, or a run of hard-wrapped lines:
    # hypothesis found four 40-character lines, which read as wrapped text), and leave out only
    # whitespace.
    assert all(a.end <= b.start for a, b in itertools.pairwise(found))
    within = paragraphs(text)
    assert all(any(first <= s.start and s.end <= last for first, last in within) for s in found)
    bounds = [0, *itertools.chain.from_iterable((s.start, s.end) for s in found), len(text)]
    assert not "".join(text[a:b] for a, b in zip(bounds[::2], bounds[1::2], strict=True)).strip()


def test_empty_and_blank_text_have_no_spans():
    for text in ["", "   ", "\n\n\t"]:
        assert sentences(text) == []
        assert all(not s.text.strip() for s in chunks(text))


def test_chunks_cover_every_seed_article_and_respect_the_size():
    for record in wikinews_records():
        text = canonical_text(record["text"])
        spans = chunks(text)
        assert_slices(text, spans)
        assert all(len(s.text) <= 800 for s in spans)
        covered = set()
        for s in spans:
            covered.update(range(s.start, s.end))
        # Only whitespace between chunks is left out.
        assert all(text[i].isspace() for i in range(len(text)) if i not in covered)


def test_sentences_keep_abbreviations_and_quotes_together():
    text = "Mr. Smith went to Washington D.C. today. “We will do it alone,” he said. The U.S. agreed."
    assert [s.text for s in sentences(text)] == [
        "Mr. Smith went to Washington D.C. today.",
        "“We will do it alone,” he said.",
        "The U.S. agreed.",
    ]


def test_a_very_long_line_keeps_exact_offsets():
    text = "The minister said the plan will work, and the opposition disagreed. " * 3000
    found = sentences(text)
    assert len(found) == 3000
    assert_slices(text, found)
