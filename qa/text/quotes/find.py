"""find_quotes: who said what in an article, with exact character offsets."""

from __future__ import annotations

from collections.abc import Sequence

from qa.text.quotes.claims import Claim, without_overlaps
from qa.text.quotes.direct import direct_quotations
from qa.text.quotes.marks import mask, pair_marks, split_sentences
from qa.text.quotes.names import speaker_key
from qa.text.quotes.reported import according_to, reported_speech
from qa.text.quotes.resolve import Resolver
from qa.text.quotes.transcript import transcript_quotes
from qa.types import Quote


def find_quotes(article_id: str, text: str) -> list[Quote]:
    """Find who said what in an article, with exact character offsets.

    Args:
        article_id: id stored on every Quote.
        text: the canonical article text; every offset points into it.

    Returns:
        Quotes in text order, non-overlapping, each with `text[q.start:q.end] == q.text`.
        A quotation with no speaker next to it (a scare quote, a title) is left out.
    """
    masked = mask(text)
    marks = pair_marks(masked)
    sentences = split_sentences(masked, marks)
    reported = reported_speech(text, masked, marks, sentences)
    claims = direct_quotations(text, masked, marks, sentences, reported) + reported
    claims += according_to(text, masked, sentences)
    claims = without_overlaps(claims)
    resolve = Resolver(text, masked, marks, sentences, claims)
    # The words of a quotation, or of a clause before its cue, tell who is not speaking ("I had a
    # word with Olof", "Nichols died from natural causes, he said").
    speakers = [
        resolve(c.speaker, c.start, text[c.start : c.end] if c.rank == 0 or c.end <= c.speaker.start else "")
        for c in claims
    ]
    quotes = quotes_of(article_id, text, claims, speakers)
    turns = transcript_quotes(article_id, text, sentences, [(q.start, q.end) for q in quotes])
    return sorted(quotes + turns, key=lambda q: q.start) if turns else quotes


def quotes_of(article_id: str, text: str, claims: Sequence[Claim], speakers: Sequence[str | None]) -> list[Quote]:
    """A Quote for each claim whose speaker resolved to a name (others are left out), in order;
    `text[q.start:q.end] == q.text` for each."""
    return [
        Quote(
            article_id=article_id,
            start=claim.start,
            end=claim.end,
            text=text[claim.start : claim.end],
            speaker=speaker,
            speaker_key=speaker_key(speaker),
            cue=claim.cue,
        )
        for claim, speaker in zip(claims, speakers, strict=True)
        if speaker
    ]
