"""BM25 over the chunks with the collection's statistics given from outside, scored as FTS5 does.

One index ranks its chunks with FTS5's own bm25(). An index that is one shard of several cannot:
bm25() weighs words by the shard's own counts, so the shards' scores do not compare, and merging
their lists would not give what one index over the same articles gives. Here a shard reports its
counts (`statistics`), the counts of all shards are summed, and each scores its matches with the
sum (`scored`): the same formula and constants as FTS5's bm25() (ext/fts5/fts5_aux.c), so the
merged list is the one index's (qa.scale.sharded; a test compares them).

The counts FTS5 keeps are read from its shadow tables, whose format SQLite keeps stable
(fts5_index.c, fts5_storage.c): `chunks_fts_data` row 1 holds the number of rows and of tokens,
`chunks_fts_docsize` each row's tokens; both as SQLite varints.
"""

from __future__ import annotations

import math
import sqlite3
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from qa.storage.candidates import Candidates
from qa.storage.schema import slices

K1, B = 1.2, 0.75  # FTS5's bm25() constants
IDF_FLOOR = 1e-6  # FTS5 gives a word in over half the rows this weight instead of a negative one


@dataclass(frozen=True)
class Statistics:
    """What BM25 weighs words by: rows (chunks), their tokens, and the rows each word is in."""

    rows: int = 0
    tokens: int = 0
    hits: dict[str, int] = field(default_factory=dict)

    def __add__(self, other: Statistics) -> Statistics:
        words = dict.fromkeys([*self.hits, *other.hits])
        return Statistics(
            self.rows + other.rows,
            self.tokens + other.tokens,
            {w: self.hits.get(w, 0) + other.hits.get(w, 0) for w in words},
        )


class Scorer:
    """BM25 with given statistics over one index's `chunks_fts`; words are split into tokens as
    the chunks' were, by the tokenizer of the `candidates` table."""

    def __init__(self, db: sqlite3.Connection, candidates: Candidates) -> None:
        self.db = db
        self.tokenizer = candidates
        db.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.chunk_terms USING fts5vocab(main, chunks_fts, instance)")
        # The counts `statistics` read, kept for the `scored` call that follows it for one question.
        self._counted: dict[str, dict[int, int]] = {}

    def statistics(self, words: Sequence[str]) -> Statistics:
        """This index's rows and tokens, and for each word how many rows hold it."""
        row = self.db.execute("SELECT block FROM chunks_fts_data WHERE id = 1").fetchone()
        rows, tokens = (_varints(row[0]) + [0, 0])[:2] if row else (0, 0)
        self._counted = {word: self._frequencies(word) for word in dict.fromkeys(words)}
        return Statistics(rows, tokens, {word: len(found) for word, found in self._counted.items()})

    def scored(self, words: Sequence[str], totals: Statistics) -> list[tuple[int, float]]:
        """(chunk id, BM25 with the `totals`) of every chunk holding any of the words, best first
        (ties by id), as FTS5's bm25() would score them in one index that had those totals."""
        if not totals.rows:
            return []
        average = totals.tokens / totals.rows
        counted, self._counted = self._counted, {}
        per_word = [
            (counted[word] if word in counted else self._frequencies(word), _idf(totals.rows, totals.hits.get(word, 0)))
            for word in words
        ]
        matched = sorted({chunk for frequencies, _ in per_word for chunk in frequencies})
        lengths = self._lengths(matched)
        scores = []
        for chunk in matched:
            norm = K1 * (1 - B + B * lengths[chunk] / average)
            score = 0.0
            for frequencies, idf in per_word:
                tf = frequencies.get(chunk, 0)
                score += idf * (tf * (K1 + 1)) / (tf + norm)
            scores.append((chunk, score))
        return sorted(scores, key=lambda pair: (-pair[1], pair[0]))

    def _frequencies(self, word: str) -> dict[int, int]:
        """Chunk id -> how often the word (a phrase when it splits into several tokens) occurs."""
        tokens = self.tokenizer.tokens(word)
        if len(tokens) < 2:  # a plain word: counted by SQLite, no offsets needed
            return dict(
                self.db.execute("SELECT doc, count(*) FROM temp.chunk_terms WHERE term = ? GROUP BY doc", tokens)
                if tokens
                else ()
            )
        places = [self._places(token) for token in dict.fromkeys(tokens)]
        by_token = dict(zip(dict.fromkeys(tokens), places, strict=True))
        counts: dict[int, int] = {}
        for chunk, starts in by_token[tokens[0]].items():
            found = sum(
                1
                for start in starts
                if all(start + i in by_token[token].get(chunk, ()) for i, token in enumerate(tokens) if i)
            )
            if found:
                counts[chunk] = found
        return counts

    def _places(self, token: str) -> dict[int, set[int]]:
        places: dict[int, set[int]] = defaultdict(set)
        for chunk, offset in self.db.execute("SELECT doc, offset FROM temp.chunk_terms WHERE term = ?", (token,)):
            places[chunk].add(offset)
        return places

    def _lengths(self, chunks: Sequence[int]) -> dict[int, int]:
        lengths: dict[int, int] = {}
        for part in slices(chunks):
            lengths.update(
                (chunk, _varints(size)[0])
                for chunk, size in self.db.execute(
                    f"SELECT id, sz FROM chunks_fts_docsize WHERE id IN ({','.join('?' * len(part))})", part
                )
            )
        return lengths


def _idf(rows: int, hits: int) -> float:
    idf = math.log((rows - hits + 0.5) / (hits + 0.5))
    return idf if idf > 0 else IDF_FLOOR


def _varints(blob: bytes) -> list[int]:
    """SQLite's variable-length integers: 7 bits a byte, high bit set on all but the last, and a
    ninth byte, when there is one, whole."""
    values: list[int] = []
    value = length = 0
    for byte in blob:
        if length == 8:
            values.append((value << 8) | byte)
            value = length = 0
            continue
        value = (value << 7) | (byte & 0x7F)
        length += 1
        if byte < 0x80:
            values.append(value)
            value = length = 0
    return values
