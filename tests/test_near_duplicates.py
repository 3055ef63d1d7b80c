"""MinHash near-duplicate detection on real article text: light edits match, other stories do not."""

from __future__ import annotations

from helpers import wikinews_records
from qa.ingest.near_duplicates import NearDuplicates, signature

TEXTS = [record["text"] for record in wikinews_records()]


def test_edited_copies_join_the_family_and_other_articles_do_not():
    groups = NearDuplicates()
    for key, text in enumerate(TEXTS[:40]):
        assert groups.family_of(signature(text)) is None  # the seed articles are all different stories
        groups.add(key, key, signature(text))
    longest = max(range(40), key=lambda i: len(TEXTS[i]))
    original = TEXTS[longest]
    paragraphs = original.split("\n\n")
    assert len(paragraphs) >= 8
    # A wire copy as another outlet runs it: new first line, last paragraph cut, credit added.
    edited = "UPDATED: " + "\n\n".join(paragraphs[:-1]) + "\n\n(Reporting by agencies.)"
    assert groups.family_of(signature(edited)) == longest
    assert groups.family_of(signature(original.upper())) == longest  # case is ignored
    assert groups.family_of(signature(paragraphs[0])) is None  # one paragraph of it is not the story
    groups.remove(longest)
    assert groups.family_of(signature(edited)) is None


def test_signature_is_stable_and_compact():
    first, again = signature(TEXTS[0]), signature(TEXTS[0])
    assert (first == again).all() and first.nbytes == 256
