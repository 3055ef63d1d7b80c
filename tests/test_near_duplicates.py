"""MinHash near-duplicate families on real article text, found through LSH band keys in SQLite:
light edits match, other stories do not, deleted articles leave no keys behind."""

from __future__ import annotations

import sqlite3

import pytest

from helpers import wikinews_records
from qa.ingest.near_duplicates import signature
from qa.storage.families import Families
from qa.storage.schema import SCHEMA

TEXTS = [record["text"] for record in wikinews_records()]


@pytest.fixture
def db() -> sqlite3.Connection:
    connection = sqlite3.connect(":memory:")
    connection.execute("PRAGMA foreign_keys=ON")
    connection.executescript(SCHEMA)
    return connection


def insert(db: sqlite3.Connection, families: Families, text: str) -> tuple[int, int]:
    """Store an article and group it; returns (its rowid, its family)."""
    rowid = db.execute(
        "INSERT INTO articles(id, content_hash, title, source, url, text, metadata) VALUES (?, ?, '', '', '', ?, '{}')",
        (f"a{db.execute('SELECT count(*) FROM articles').fetchone()[0]}", str(hash(text)), text),
    ).lastrowid
    assert rowid is not None
    families.group(rowid, signature(text))
    return rowid, db.execute("SELECT family FROM families WHERE article = ?", (rowid,)).fetchone()[0]


def longest_with_paragraphs() -> tuple[str, list[str]]:
    original = max(TEXTS[:40], key=len)
    paragraphs = original.split("\n\n")
    assert len(paragraphs) >= 8
    return original, paragraphs


def test_edited_copies_join_the_family_and_other_articles_do_not(db):
    families = Families(db)
    rows = {}
    for text in TEXTS[:40]:
        rowid, family = insert(db, families, text)
        assert family == rowid  # the seed articles are all different stories
        rows[text] = rowid
    original, paragraphs = longest_with_paragraphs()
    # A wire copy as another outlet runs it: new first line, last paragraph cut, credit added.
    edited = "UPDATED: " + "\n\n".join(paragraphs[:-1]) + "\n\n(Reporting by agencies.)"
    assert insert(db, families, edited)[1] == rows[original]
    assert insert(db, families, original.upper())[1] == rows[original]  # case is ignored
    rowid, family = insert(db, families, paragraphs[0])
    assert family == rowid  # one paragraph of it is not the story


def test_a_deleted_article_leaves_no_keys_to_match(db):
    families = Families(db)
    original, paragraphs = longest_with_paragraphs()
    rowid, _ = insert(db, families, original)
    assert db.execute("SELECT count(*) FROM family_bands WHERE article = ?", (rowid,)).fetchone()[0] > 0
    families.remove(rowid)  # as the writer does, before the article goes
    db.execute("DELETE FROM articles WHERE rowid = ?", (rowid,))
    assert db.execute("SELECT count(*) FROM family_bands").fetchone()[0] == 0
    copy, family = insert(db, families, "UPDATED: " + "\n\n".join(paragraphs[:-1]))
    assert family == copy


def test_an_index_from_before_the_band_keys_gets_them_once(db):
    """Families stored without keys (an index written by an older news-qa) are keyed at the next
    ingest start, so their near-duplicates are still found."""
    families = Families(db)
    original, paragraphs = longest_with_paragraphs()
    first, _ = insert(db, families, original)
    db.execute("DELETE FROM family_bands")
    families.group_ungrouped()
    assert db.execute("SELECT count(*) FROM family_bands WHERE article = ?", (first,)).fetchone()[0] > 0
    assert insert(db, families, "UPDATED: " + "\n\n".join(paragraphs[:-1]))[1] == first


def test_signature_is_stable_and_compact():
    first, again = signature(TEXTS[0]), signature(TEXTS[0])
    assert (first == again).all() and first.nbytes == 256
