"""Text structure: masked abbreviations, paired quotation marks, sentences and clauses."""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True, slots=True)
class Mark:
    """A pair of quote marks. `close` is where the words end: the closing mark, or, for a
    quotation left open, the next opening mark or the end of the line."""

    open: int
    close: int
    closed: bool


# Markup around names, for `mask`: Reuters' "<Queensland Press Ltd>", a ticker after a name
# ("Plc <GLYN.L> said") and a short form after one ("Tyson (TSN) said").
ANGLE_BRACKETED = re.compile(r"<(?=[A-Z])([^<>\n]{1,60})>")
TICKER_AFTER_NAME = re.compile(r"(?<=[\w.]) <[A-Z0-9.]{1,10}>")
SHORT_FORM_AFTER_NAME = re.compile(r"(?<=[\w ]) \([A-Z][A-Z.&-]{0,9}\)(?=[\s,])")
ABBREVIATION_DOT = re.compile(
    r"\b(?:Mr|Mrs|Ms|Dr|Prof|Sen|Rep|Gov|Gen|Col|Lt|Sgt|Capt|Rev|St|Jr|Sr|Mt|No|"
    r"Asst|Det|Supt|Insp|vs|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\."
)
INITIALS = re.compile(r"\b(?:[A-Z]\.){2,}|\b[A-Z]\.(?=\s+[A-Z])")  # "U.S.", "George W. Bush"
COMPANY_DOT = re.compile(r"\b(?:Co|Corp|Inc|Ltd)\.(?=,|\s+[a-z(])")
# Wire copy is hard-wrapped at about 65 columns: a newline inside a paragraph (not after a
# sentence's end, not before an indent or a blank line) is a space.
WRAPPED_NEWLINE = re.compile(r"(?<![.!?:;][”\"’')\]])(?<![.!?:;\s])\n(?=\S)")
LINE = re.compile(r"[^\n]+")
QUOTE_MARK = re.compile(r"[\"“”]")
SENTENCE_END = re.compile(r"\n|[.!?]+[”\"’')\]]*(?=\s+[A-Z0-9“\"‘'(\[]|\s*$)")


@lru_cache(maxsize=4)  # the rules and the tagger each mask the article they are given
def mask(text: str) -> str:
    """Hide abbreviation dots ("Mr.", "U.S.", "George W. Bush") from sentence splitting."""

    def hide(m: re.Match) -> str:
        return m.group().replace(".", "_")

    # Same length as `text`, so every offset found in it is an offset into `text`.
    # Markup around names is not part of them ("The Queensland Press Ltd (QPL) board").
    masked = TICKER_AFTER_NAME.sub(lambda m: " " * len(m.group()), text)
    masked = ANGLE_BRACKETED.sub(lambda m: f" {m.group(1)} ", masked)
    masked = ABBREVIATION_DOT.sub(hide, masked)
    masked = INITIALS.sub(hide, masked)
    masked = COMPANY_DOT.sub(hide, masked)
    masked = WRAPPED_NEWLINE.sub(" ", masked)
    return SHORT_FORM_AFTER_NAME.sub(lambda m: " " * len(m.group()), masked)


def pair_marks(text: str) -> list[Mark]:
    """Pair quotation marks within each line.

    A straight mark opens when a space is before it and a word after it, and closes the other
    way round. An opening mark while a quotation is open starts a new one: news texts often
    join paragraphs and lose the closing mark of a quotation that runs on.
    """
    marks = []
    for line in LINE.finditer(text):
        s, opened = line.group(), None
        for q in QUOTE_MARK.finditer(s):
            i, pos = q.start(), line.start() + q.start()
            before = s[i - 1] if i else " "
            after = s[i + 1] if i + 1 < len(s) else " "
            if q.group() != '"':
                opens = q.group() == "“"
            elif opened is None:
                opens = True  # even a closing-looking mark opens when nothing is open: `said," A`
            else:
                opens = (before.isspace() or before in "([—–-") and not after.isspace()
            if opens:
                if opened is not None:
                    marks.append(Mark(opened, pos, False))
                opened = pos
            elif opened is not None:
                marks.append(Mark(opened, pos, True))
                opened = None
        if opened is not None:
            marks.append(Mark(opened, line.end(), False))
    return marks


def inside_marks(marks: list[Mark], size: int) -> bytearray:
    inside = bytearray(size)
    for mark in marks:
        inside[mark.open + 1 : mark.close] = b"\x01" * (mark.close - mark.open - 1)
    return inside


def split_sentences(masked: str, marks: list[Mark]) -> list[tuple[int, int]]:
    """Sentence spans that never split inside a quotation."""
    inside = inside_marks(marks, len(masked))
    spans, start = [], 0
    for m in SENTENCE_END.finditer(masked):
        if m.group() != "\n" and inside[m.end() - 1]:
            continue
        spans.append((start, m.end()))
        start = m.end()
    spans.append((start, len(masked)))
    trimmed = []
    for s, e in spans:
        while s < e and masked[s].isspace():
            s += 1
        while e > s and masked[e - 1].isspace():
            e -= 1
        if s < e:
            trimmed.append((s, e))
    return trimmed


def sentence_at(sentences: list[tuple[int, int]], pos: int) -> tuple[int, int]:
    i = bisect_left(sentences, (pos + 1,)) - 1  # the last sentence starting at or before pos
    if i >= 0 and sentences[i][0] <= pos < sentences[i][1]:
        return sentences[i]
    return pos, pos


def inner(text: str, mark: Mark) -> tuple[int, int]:
    """The words inside a pair of marks, without the comma that ends a quote before "he said"."""
    s, e = mark.open + 1, mark.close
    while s < e and text[s].isspace():
        s += 1
    while e > s and (text[e - 1].isspace() or text[e - 1] in ",;:"):
        e -= 1
    return s, e


def trim_clause(text: str, s: int, e: int) -> tuple[int, int]:
    """Trim a reported clause: no surrounding spaces, no final full stop."""
    while s < e and (text[s].isspace() or text[s] in ",:"):
        s += 1
    while e > s and (text[e - 1].isspace() or text[e - 1] in ".,;:!"):
        e -= 1
    return s, e
