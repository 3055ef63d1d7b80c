"""An attributed span before its speaker is resolved, and the rule between overlapping ones."""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass

from qa.text.quotes.marks import Mark
from qa.text.quotes.speakers import Speaker


@dataclass(slots=True)
class Claim:
    """An attributed span before its speaker is resolved."""

    start: int
    end: int
    cue: str
    speaker: Speaker
    rank: int  # 0 direct, 1 reported, 2 according to, 3 partial: wins overlaps in this order
    attr_end: int = -1  # where the attribution ends, for quotations that continue it
    mark: Mark | None = None
    across: bool = True  # whether a quotation opening the next paragraph may continue it


def without_overlaps(claims: list[Claim]) -> list[Claim]:
    """Keep one claim per stretch of text, by rank: direct, reported, according to, partial."""
    spans: list[tuple[int, int]] = []  # kept spans, sorted and disjoint
    kept: list[Claim] = []
    for claim in sorted(claims, key=lambda c: (c.rank, c.start)):
        i = bisect_left(spans, (claim.start, claim.end))
        if (i == 0 or spans[i - 1][1] <= claim.start) and (i == len(spans) or claim.end <= spans[i][0]):
            spans.insert(i, (claim.start, claim.end))
            kept.append(claim)
    return sorted(kept, key=lambda c: c.start)
