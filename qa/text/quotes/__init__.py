"""Who said what: quotations, reported speech and "according to" attributions, found by rules."""

from __future__ import annotations

from qa.text.quotes.find import find_quotes
from qa.text.quotes.names import name_words, speaker_key, speaker_matches

__all__ = ["find_quotes", "name_words", "speaker_key", "speaker_matches"]
