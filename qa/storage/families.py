"""Near-duplicate families: wire copy republished with small edits is grouped as one story."""

from __future__ import annotations

import sqlite3
from functools import cached_property

import numpy as np

from qa.ingest.near_duplicates import NearDuplicates, signature


class Families:
    """The `families` table and the in-memory LSH over it that finds an article's family."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    @cached_property
    def _near_duplicates(self) -> NearDuplicates:
        found = NearDuplicates()
        for article, family, blob in self.db.execute("SELECT article, family, minhash FROM families"):
            found.add(article, family, np.frombuffer(blob, dtype=np.uint32))
        return found

    def group(self, rowid: int, hashes: np.ndarray) -> None:
        """Put an article in the family of its nearest near-duplicate, or a family of its own.

        Called inside the article's transaction; should it roll back, the in-memory LSH keeps
        an entry for a rowid that no article has, which only ever matches nothing new.
        """
        family = self._near_duplicates.family_of(hashes) or rowid
        self.db.execute(
            "INSERT INTO families(article, family, minhash) VALUES (?, ?, ?)", (rowid, family, hashes.tobytes())
        )
        self._near_duplicates.add(rowid, family, hashes)

    def remove(self, rowid: int) -> None:
        self._near_duplicates.remove(rowid)

    def group_ungrouped(self) -> None:
        """Group articles indexed before near-duplicate families existed (derived data, made once)."""
        rows = self.db.execute(
            "SELECT rowid, text FROM articles WHERE rowid NOT IN (SELECT article FROM families) ORDER BY rowid"
        ).fetchall()
        with self.db:
            for rowid, text in rows:
                self.group(rowid, signature(text))
