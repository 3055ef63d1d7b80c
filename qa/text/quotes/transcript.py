"""Interview transcripts: "Noam Chomsky: On the NATO conference, well ..." is Chomsky's answer.

A paragraph that opens with a name and a colon is that person's turn, when the article reads as
a dialogue: at least two such names, each opening two paragraphs or more of prose. One label
alone is a heading ("Update: ...", "Photo: ...") as often as a speaker, a sports report's
"Replacements:" and "Subs Not Used:" open lists of names, and "Q:"/"A:" name no one.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import Counter
from collections.abc import Sequence

from qa.text.quotes.names import speaker_key
from qa.types import Quote

# One to four capitalised words ("Richman", "William S Saturn", "Dr. Jane O'Neil") opening a
# line, then a colon and the words of the turn on the same line.
TURN_LABEL = re.compile(r"^(?P<name>[A-Z][\w'’.-]*(?: [A-Z][\w'’.-]*){0,3}):[ \t]+(?=\S)", re.MULTILINE)
LEAST_TURNS = 2  # paragraphs a name must open to count as a speaker
LEAST_SPEAKERS = 2  # named speakers that make a dialogue
LEAST_PROSE = 0.5  # share of a speaker's words that start in lower case: sentences, not lists of names
WORD = re.compile(r"\w+")
CUE = "interview"


def transcript_quotes(
    article_id: str, text: str, sentences: Sequence[tuple[int, int]], taken: Sequence[tuple[int, int]]
) -> list[Quote]:
    """Each sentence of a labelled turn, as a quote by its speaker, in text order.

    Args:
        article_id: id stored on every Quote.
        text: the canonical article text.
        sentences: its sentence spans, in order; a turn's first sentence starts at its label.
        taken: spans already attributed (a quotation inside an answer may be someone else's):
            sentences overlapping them are left out.
    """
    labels = [m for m in TURN_LABEL.finditer(text) if _names_someone(m.group("name"))]
    ends = [_paragraph_end(text, label.end()) for label in labels]  # each turn is its label's line
    turns = Counter(m.group("name") for m in labels)
    words: Counter[str] = Counter()
    lower: Counter[str] = Counter()
    for label, end in zip(labels, ends, strict=True):
        found = WORD.findall(text, label.end(), end)
        words[label.group("name")] += len(found)
        lower[label.group("name")] += sum(w[0].islower() for w in found)
    speakers = {
        name for name, count in turns.items() if count >= LEAST_TURNS and lower[name] >= LEAST_PROSE * words[name]
    }
    if len(speakers) < LEAST_SPEAKERS:
        return []
    quotes = []
    for label, paragraph_end in zip(labels, ends, strict=True):
        name = label.group("name")
        if name not in speakers:
            continue
        key = speaker_key(name)
        i = max(bisect_right(sentences, (label.start(), len(text))) - 1, 0)  # the sentence the label opens
        while i < len(sentences) and sentences[i][0] < paragraph_end:
            start, end = max(sentences[i][0], label.end()), sentences[i][1]
            i += 1
            if start < end and not any(start < e and s < end for s, e in taken):
                quotes.append(Quote(article_id, start, end, text[start:end], name, key, CUE))
    return quotes  # labels and their sentences come in text order


def _paragraph_end(text: str, start: int) -> int:
    end = text.find("\n", start)
    return len(text) if end < 0 else end


def _names_someone(label: str) -> bool:
    # "Q", "A", "WN" and "MD" are roles or initials, not names a reader could ask about.
    return any(ch.islower() for ch in label)
