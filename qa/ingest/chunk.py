"""Article text -> chunk and sentence spans whose offsets slice the text exactly."""

from __future__ import annotations

import re
from functools import lru_cache

from qa.types import Span

CHUNK_SIZE = 800  # characters; keeps most chunks inside the model's 256-token window
CHUNK_OVERLAP = 120
LINE = re.compile(r"[^\n]+")


@lru_cache(maxsize=4)
def _splitter(size: int, overlap: int):
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    return RecursiveCharacterTextSplitter(chunk_size=size, chunk_overlap=overlap)


@lru_cache(maxsize=1)
def _segmenter():
    import pysbd

    return pysbd.Segmenter(language="en", clean=False)


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


SEGMENT_WINDOW = 5_000  # pysbd slows down faster than linearly on long lines: feed it windows


def _windows(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Cut text[start:end] into pieces of at most about SEGMENT_WINDOW characters, each ending
    after a sentence mark and a space where there is one, else at a space."""
    pieces = []
    while end - start > SEGMENT_WINDOW:
        limit = start + SEGMENT_WINDOW
        cut = max(text.rfind(". ", start, limit), text.rfind("? ", start, limit), text.rfind("! ", start, limit))
        cut = cut + 2 if cut > start else text.rfind(" ", start + 1, limit) + 1
        cut = cut if cut > start else limit
        pieces.append((start, cut))
        start = cut
    return pieces + [(start, end)]


def sentences(text: str) -> list[Span]:
    """Sentences of `text`, never crossing a line break, trimmed of surrounding whitespace."""
    spans: list[Span] = []
    for line in LINE.finditer(text):
        for window_start, window_end in _windows(text, line.start(), line.end()):
            cursor = window_start
            for piece in _segmenter().segment(text[window_start:window_end]):
                piece = piece.strip()
                if not piece:
                    continue
                # Segments come in order and never overlap, so the first match at the cursor is theirs.
                start = text.find(piece, cursor, window_end)
                if start < 0:
                    continue  # pysbd dropped or rewrote characters; the line's other sentences stand
                spans.append(Span(start, start + len(piece), piece))
                cursor = start + len(piece)
    return spans
