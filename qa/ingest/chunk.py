"""Article text -> chunk and sentence spans whose offsets slice the text exactly."""

from __future__ import annotations

import itertools
import logging
import re
from collections.abc import Callable
from functools import lru_cache

from qa.types import Span

CHUNK_SIZE = 800  # characters; keeps most chunks inside the model's 256-token window
CHUNK_OVERLAP = 120
LINE = re.compile(r"[^\n]+")
log = logging.getLogger(__name__)


@lru_cache(maxsize=4)
def _splitter(size: int, overlap: int):
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    return RecursiveCharacterTextSplitter(chunk_size=size, chunk_overlap=overlap)


@lru_cache(maxsize=1)
def _sentence_starts() -> Callable[[str], list[int]]:
    """Where sentences start in a line of text.

    blingfire: the fastest and, on news, the most accurate splitter measured here (benchmarks/
    sentence_splitters.py: 0.5 ms an article, 2 wrong boundaries in 100 BBC articles; pysbd 11 ms
    and 141). Its package carries x86-64 native libraries only, so on arm64 (Apple Silicon, arm
    Linux) nupunkt, pure Python and next best (19), splits instead. Loaded on first use: answering a
    question imports this module but never splits sentences.
    """
    try:
        import blingfire
    except (ImportError, OSError) as exc:  # OSError: the native library is not built for this CPU
        import nupunkt

        log.info("news-qa: blingfire does not load here (%s); sentences are split by nupunkt", exc)
        return lambda line: [start for start, _ in nupunkt.sent_spans(line)]
    return lambda line: [start for start, _ in blingfire.text_to_sentences_and_offsets(line)[1]]


def chunks(text: str, size: int = CHUNK_SIZE, overlap: int = CHUNK_OVERLAP) -> list[Span]:
    """Overlapping chunks of `text`, in order; `text[c.start:c.end] == c.text` for each.

    The splitter returns strings; each is located after the previous chunk's start (or at it),
    which is where chunks of an in-order, overlapping split begin, so repeats cannot mislead.
    """
    spans: list[Span] = []
    cursor = 0
    for piece in _splitter(size, overlap).split_text(text):
        start = text.find(piece, cursor)
        if start < 0 and spans:
            # The splitter may start a chunk where the last one started, when the last one was
            # a short paragraph it then extends ("Rafah" then "Rafah the ...").
            start = text.find(piece, spans[-1].start)
        if start < 0:  # the splitter never rewrites text, so this means a splitter change
            raise AssertionError(f"chunk not found in text at or after {cursor}: {piece[:40]!r}")
        spans.append(Span(start, start + len(piece), piece))
        cursor = start + 1
    return spans


def sentences(text: str) -> list[Span]:
    """Sentences of `text`, in order; `text[s.start:s.end] == s.text` for each.

    A sentence never crosses a line break (a paragraph or a headline is a line), is trimmed of
    surrounding whitespace, and only whitespace lies between the sentences of a line. A splitter says
    where each sentence starts (see `_sentence_starts`); the spans are cut from the line at those
    places, so no character is dropped and none is searched for.
    """
    find = _sentence_starts()
    spans: list[Span] = []
    for line in LINE.finditer(text):
        starts = {line.start() + start for start in find(line.group())}
        cuts = sorted(cut for cut in starts if line.start() < cut < line.end())
        for start, end in itertools.pairwise([line.start(), *cuts, line.end()]):
            piece = text[start:end]
            start += len(piece) - len(piece.lstrip())
            end -= len(piece) - len(piece.rstrip())
            if start < end:
                spans.append(Span(start, end, text[start:end]))
    return spans
