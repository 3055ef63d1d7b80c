"""Rules over plain strings, no I/O: who said what, dates in words, questions, follow-ups."""
