"""Near-duplicate families: wire copy republished with small edits is grouped as one story."""

from __future__ import annotations

import sqlite3

import numpy as np

from qa.ingest.near_duplicates import THRESHOLD, band_keys, signature, similarity


class Families:
    """The `families` table, and the LSH band keys (`family_bands`) that find an article's family
    with one indexed lookup: nothing of the other articles is held in memory (at 100k articles an
    in-memory LSH took 345 MB)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def group(self, rowid: int, hashes: np.ndarray) -> None:
        """Put an article in the family of its nearest near-duplicate, or a family of its own
        (inside the caller's transaction, so a rollback takes its keys too)."""
        keys = band_keys(hashes)
        family = self._family_of(hashes, keys) or rowid
        self.db.execute(
            "INSERT INTO families(article, family, minhash) VALUES (?, ?, ?)", (rowid, family, hashes.tobytes())
        )
        self._insert_keys(rowid, keys)

    def remove(self, rowid: int) -> None:
        """Drop an article's band keys (inside the transaction that deletes the article)."""
        row = self.db.execute("SELECT minhash FROM families WHERE article = ?", (rowid,)).fetchone()
        if row:
            keys = band_keys(np.frombuffer(row[0], dtype=np.uint32))
            self.db.executemany(
                "DELETE FROM family_bands WHERE band_key = ? AND article = ?", [(k, rowid) for k in keys]
            )

    def _insert_keys(self, article: int, keys: list[int]) -> None:
        self.db.executemany(
            "INSERT OR IGNORE INTO family_bands(band_key, article) VALUES (?, ?)", [(k, article) for k in keys]
        )

    def _family_of(self, hashes: np.ndarray, keys: list[int]) -> int | None:
        """The family of the most similar article above the threshold among those sharing a key."""
        rows = self.db.execute(
            "SELECT DISTINCT f.family, f.minhash FROM family_bands b JOIN families f ON f.article = b.article "
            f"WHERE b.band_key IN ({','.join('?' * len(keys))})",
            keys,
        )
        best, best_similarity = None, THRESHOLD
        for family, blob in rows:
            found = similarity(np.frombuffer(blob, dtype=np.uint32), hashes)
            if found > best_similarity or (found == best_similarity and (best is None or family < best)):
                best, best_similarity = family, found
        return best

    def group_ungrouped(self) -> None:
        """Derived data an older index lacks, made once: families for articles indexed before they
        existed, and band keys for families stored before the keys were."""
        with self.db:
            if self.db.execute(
                "SELECT EXISTS(SELECT 1 FROM families) AND NOT EXISTS(SELECT 1 FROM family_bands)"
            ).fetchone()[0]:
                for article, blob in self.db.execute("SELECT article, minhash FROM families").fetchall():
                    self._insert_keys(article, band_keys(np.frombuffer(blob, dtype=np.uint32)))
            rows = self.db.execute(
                "SELECT rowid, text FROM articles WHERE rowid NOT IN (SELECT article FROM families) ORDER BY rowid"
            ).fetchall()
            for rowid, text in rows:
                self.group(rowid, signature(text))
