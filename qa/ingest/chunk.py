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
WRAP_WIDTHS = (40, 100)  # the line widths of hard-wrapped text: typewriters, wire services, email
WRAPPED_MIN_LINES = 4
LIST_MARKERS = "*•>|"  # a line starting with one is an item or a quoted line, not a wrapped one
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

    A sentence never crosses a paragraph break (see `paragraphs`), is trimmed of surrounding
    whitespace, and only whitespace lies between the sentences of a paragraph. A splitter says
    where each sentence starts (see `_sentence_starts`); the spans are cut from the paragraph at
    those places, so no character is dropped and none is searched for.
    """
    find = _sentence_starts()
    spans: list[Span] = []
    for first, last in paragraphs(text):
        # The splitter sees a wrapped paragraph's line breaks as spaces (same length, same offsets).
        starts = {first + start for start in find(text[first:last].replace("\n", " "))}
        cuts = sorted(cut for cut in starts if first < cut < last)
        for start, end in itertools.pairwise([first, *cuts, last]):
            piece = text[start:end]
            start += len(piece) - len(piece.lstrip())
            end -= len(piece) - len(piece.rstrip())
            if start < end:
                spans.append(Span(start, end, text[start:end]))
    return spans


def paragraphs(text: str) -> list[tuple[int, int]]:
    """(start, end) of each paragraph: a line, or in hard-wrapped text a run of wrapped lines.

    Wire copy and plain-text archives break lines at a fixed width (Reuters at ~65 characters),
    so a line there is a piece of a sentence, and citing it would cut the sentence. A line break
    is a wrap when the text's lines keep within a typewriter width, the next line is not
    indented (indentation starts a paragraph in such text), and either it starts in lower case or
    the line before it is full: its next word would not have fitted (how wrapping tools decide).
    Elsewhere a line break ends a paragraph, as a headline or a JSON article's paragraph does.
    """
    lines = [(m.start(), m.start() + len(m.group().rstrip())) for m in LINE.finditer(text) if m.group().strip()]
    width = _wrap_width([end - start for start, end in lines])
    found: list[list[int]] = []
    for start, end in lines:
        if found and width and _wrapped(text, found[-1][1], start, end, width):
            found[-1][1] = end
        else:
            found.append([start, end])
    return [(start, end) for start, end in found]


def _wrap_width(lengths: list[int]) -> int | None:
    """The width a hard-wrapped text was wrapped at (its 90th-percentile line length), else None."""
    if len(lengths) < WRAPPED_MIN_LINES:
        return None
    width = sorted(lengths)[int(len(lengths) * 0.9) - 1]
    return width if WRAP_WIDTHS[0] <= width <= WRAP_WIDTHS[1] else None


def _wrapped(text: str, previous_end: int, start: int, end: int, width: int) -> bool:
    """Whether the line at start..end continues the paragraph whose last line ends at previous_end."""
    if text.count("\n", previous_end, start) != 1 or text[start].isspace():  # blank line or indented
        return False
    line = text[start:end]
    if line[0].islower():
        return True
    previous_line_start = text.rfind("\n", 0, previous_end) + 1
    next_word = len(line.split(maxsplit=1)[0])
    return line[0] not in LIST_MARKERS and previous_end - previous_line_start + 1 + next_word > width
