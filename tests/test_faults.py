"""Faults: a killed ingest, damaged index files, a full disk and two processes on one index lose nothing.

Ingests run in child processes (tests/fakes.py: the CLI with a deterministic embedder and hooks
that pause the child at an exact point, where the test SIGKILLs it or lets it go on). After each
fault the index must hold exactly the committed articles, with every chunk, sentence, FTS row and
vector belonging to one of them, and the same ingest run again must finish the job.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import faiss
import numpy as np
import pytest

from fakes import HashEmbedder
from helpers import (
    FAKES,
    RAFAH,
    ROOT,
    WIKINEWS,
    assert_cited,
    assert_fts_matches,
    assert_slices,
    assert_stored_spans,
    child_env,
)
from qa import news_index
from qa.errors import IndexBusy, IndexCorrupt, IndexMismatch
from qa.ingest.load import load
from qa.news_index import NewsIndex
from qa.storage import schema, vectors
from qa.types import Article

PAUSE_SECONDS = 60  # how long a child may take to reach its pause point on a busy 2-core machine


def ids_in(path: Path) -> list[str]:
    return [item.id for item in load([path]) if isinstance(item, Article)]


RAFAH_ID = ids_in(RAFAH)[0]
WIKINEWS_IDS = ids_in(WIKINEWS)


@pytest.fixture(autouse=True)
def faiss_files_at_any_size(monkeypatch):
    """These tests damage, truncate and kill writes of the FAISS file, which only indexes of 50k
    chunks and more keep (storage/vectors.py SAVE_FROM); here every index keeps one, in this
    process and in the children (tests/fakes.py)."""
    monkeypatch.setattr(vectors, "SAVE_FROM", 0)
    monkeypatch.setenv("QA_TEST_SAVE_FROM", "0")


def open_index(path: Path, *, create: bool = False) -> NewsIndex:
    return NewsIndex.open(path, create=create, embedder=HashEmbedder())


def child(*args: str, **env: str) -> subprocess.Popen:
    """`python -m qa ARGS` with the test embedder, in its own process."""
    return subprocess.Popen(
        [sys.executable, str(FAKES), *args],
        cwd=ROOT,
        env=child_env(**env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finished(process: subprocess.Popen) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=120)
    return process.returncode, out, err


def wait_for(marker: Path, process: subprocess.Popen) -> str:
    deadline = time.monotonic() + PAUSE_SECONDS
    while not marker.exists():
        if process.poll() is not None:
            pytest.fail(f"the child exited with {process.returncode} before pausing:\n{process.stderr.read()}")
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"the child did not reach its pause point within {PAUSE_SECONDS} s")
        time.sleep(0.02)
    return marker.read_text()


def kill(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=30)
    assert process.returncode == -signal.SIGKILL


def assert_consistent(index: NewsIndex, expected_ids: set[str], *, writer_paused: bool = False) -> None:
    """Exactly these articles, nothing dangling, offsets exact, and FAISS mirroring SQLite (and the
    FTS5 indexes their text, unless a paused writer holds the lock their check needs)."""
    db = index.db
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert {row[0] for row in db.execute("SELECT id FROM articles")} == expected_ids
    assert db.execute("SELECT count(*) FROM articles").fetchone()[0] == len(expected_ids)  # no duplicate rows
    dangling = db.execute(
        "SELECT (SELECT count(*) FROM chunks WHERE article NOT IN (SELECT rowid FROM articles)),"
        " (SELECT count(*) FROM sentences WHERE article NOT IN (SELECT rowid FROM articles)),"
        " (SELECT count(*) FROM articles a WHERE NOT EXISTS (SELECT 1 FROM chunks c WHERE c.article = a.rowid))"
    ).fetchone()
    assert dangling == (0, 0, 0)
    if not writer_paused:
        assert_fts_matches(db)
    chunks = db.execute("SELECT count(*) FROM chunks").fetchone()[0]
    assert_stored_spans(index)
    assert len(index.vectors) == chunks
    stored = sorted(row[0] for row in db.execute("SELECT id FROM chunks"))
    assert sorted(faiss.vector_to_array(index.vectors._index.id_map).tolist()) == stored


def assert_answers(index: NewsIndex, question: str) -> None:
    """The index answers from its articles (cited or related passages), every span exact."""
    answer = index.ask(question)
    passages = (*answer.citations, *answer.related)
    assert passages, answer.to_dict()
    assert_cited(index, passages)


@pytest.fixture
def previous(tmp_path: Path) -> Path:
    """An index holding one article: the ingest before the one that fails."""
    path = tmp_path / "index"
    with open_index(path, create=True) as index:
        assert index.add([RAFAH]).added == [RAFAH_ID]
    return path


# ---- SIGKILL at three points -----------------------------------------------------------------

KILL_POINTS = [
    # (where the child pauses to be killed, how many of the 67 new articles were committed)
    ("embed:2", 32),  # embedding the second batch of articles: batch one is committed
    ("sqlite:40", 32),  # inside the second batch's transaction, 8 articles written, not committed
    ("faiss", 67),  # every batch committed, the FAISS file half written
]


@pytest.mark.slow
@pytest.mark.parametrize("pause_at, committed", KILL_POINTS, ids=[p for p, _ in KILL_POINTS])
def test_sigkill_mid_ingest_keeps_whole_batches_and_a_rerun_completes(previous, tmp_path, caplog, pause_at, committed):
    marker = tmp_path / "paused"
    process = child(
        "ingest", "--index", str(previous), str(WIKINEWS), QA_TEST_PAUSE_AT=pause_at, QA_TEST_PAUSED=str(marker)
    )
    wait_for(marker, process)
    kill(process)

    expected = {RAFAH_ID, *WIKINEWS_IDS[:committed]}
    with caplog.at_level(logging.WARNING, logger="qa"), open_index(previous) as index:
        assert_consistent(index, expected)
        assert_answers(index, "Netanyahu Rafah")
    if pause_at == "faiss":  # SQLite moved on without its FAISS file: rebuilt, and said so
        assert "rebuilt" in caplog.text and "vectors-" in caplog.text

    code, out, err = finished(child("ingest", "--index", str(previous), str(WIKINEWS), "--json"))
    assert code == 0, err
    report = json.loads(out)
    assert (report["added"], report["duplicates"], report["skipped"]) == (67 - committed, committed, [])
    with open_index(previous) as index:
        assert_consistent(index, {RAFAH_ID, *WIKINEWS_IDS})
    assert sorted(p.name for p in previous.glob("vectors-*")) == [f"vectors-{index_generation(previous)}.faiss"]


def index_generation(path: Path) -> int:
    with sqlite3.connect(path / "news.sqlite") as database:
        return int(database.execute("SELECT value FROM manifest WHERE key = 'generation'").fetchone()[0])


# ---- the FAISS file: derived, so rebuilt ------------------------------------------------------


def _damage_faiss(path: Path, how: str) -> None:
    (vectors,) = path.glob("vectors-*.faiss")
    if how == "deleted":
        vectors.unlink()
    elif how == "truncated":
        vectors.write_bytes(vectors.read_bytes()[:200])
    elif how == "garbage":
        vectors.write_bytes(os.urandom(4096))
    elif how == "other dimension":  # a readable FAISS file, but not of this index's vectors
        other = faiss.IndexIDMap2(faiss.IndexFlatIP(16))
        other.add_with_ids(np.ones((3, 16), dtype=np.float32), np.arange(3, dtype=np.int64))
        faiss.write_index(other, str(vectors))


@pytest.mark.parametrize("how", ["deleted", "truncated", "garbage", "other dimension"])
def test_damaged_faiss_file_is_rebuilt_from_sqlite_with_a_message(previous, caplog, how):
    _damage_faiss(previous, how)
    with caplog.at_level(logging.WARNING, logger="qa"), open_index(previous) as index:
        assert_consistent(index, {RAFAH_ID})
        assert_answers(index, "Netanyahu Rafah southern Gaza")
    assert "rebuilt" in caplog.text and str(previous) in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="qa"), open_index(previous) as index:
        assert len(index.vectors) > 0  # the rebuilt file was saved: the next open just loads it
    assert "rebuilt" not in caplog.text


def test_writers_in_two_long_lived_processes_keep_the_vectors_complete(tmp_path):
    """Each process's FAISS copy goes stale when the other writes; a write must start from SQLite."""
    path = tmp_path / "index"
    first, second = open_index(path, create=True), open_index(path, create=True)
    first.add([RAFAH])
    wiki = [item for item in load([WIKINEWS]) if isinstance(item, Article)]
    second.add(wiki[:3])  # second's copy never saw RAFAH
    first.add([Article(wiki[0].id, "Correction: " + wiki[0].text, wiki[0].title)])  # replaces second's article
    second.delete([wiki[1].id])
    first.add(wiki[3:4])
    for index in (first, second):
        index.close()
    with open_index(path) as index:
        assert_consistent(index, {RAFAH_ID, wiki[0].id, wiki[2].id, wiki[3].id})


def test_a_delete_between_retrieval_and_citation_does_not_break_an_answer(previous, monkeypatch):
    """A reader answers from one snapshot, whatever another process commits meanwhile."""
    from qa.answer import extract

    reader, writer = open_index(previous), open_index(previous)
    text = reader.get(RAFAH_ID).text
    candidates, deleted = extract.candidates_of, []

    def delete_meanwhile(*args):
        found = candidates(*args)
        deleted.append(writer.delete([RAFAH_ID]))
        return found

    monkeypatch.setattr(extract, "candidates_of", delete_meanwhile)
    answer = reader.ask("Rafah southern Gaza city")
    assert deleted == [1]  # the article went between retrieval and citation
    passages = (*answer.citations, *answer.related)
    assert passages and all(p.article_id == RAFAH_ID for p in passages)
    assert_slices(text, passages)
    monkeypatch.undo()
    after = reader.ask("Rafah southern Gaza city")
    assert after.abstained and not after.related and "no articles" in after.reason
    reader.close()
    writer.close()


# ---- the SQLite file: the truth, so refused with the fix ---------------------------------------


def test_truncated_sqlite_is_refused_with_the_rebuild_command(previous):
    database = previous / "news.sqlite"
    with sqlite3.connect(database) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    database.write_bytes(database.read_bytes()[: len(database.read_bytes()) // 2])
    with pytest.raises(IndexCorrupt, match=f"rebuild with: python -m qa ingest --index {previous}"):
        open_index(previous)


def test_damaged_sqlite_pages_give_a_clear_error_not_a_sqlite_traceback(previous, tmp_path):
    with open_index(previous) as index:
        index.add([WIKINEWS])
    with sqlite3.connect(previous / "news.sqlite") as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray((previous / "news.sqlite").read_bytes())
    for page in range(4, len(data) // 4096):  # pages 1-3 hold the schema and the manifest
        data[page * 4096 + 200 : page * 4096 + 264] = b"\xff" * 64
    (previous / "news.sqlite").write_bytes(bytes(data))
    refused = 0
    for question in ["what did Netanyahu say about Rafah", "Blinken Egypt", "World Cup", "Arafat funeral"]:
        try:
            with open_index(previous) as index:
                index.ask(question)
        except IndexCorrupt as exc:
            assert "rebuild with: python -m qa ingest" in str(exc)
            refused += 1
    assert refused
    code, _, err = finished(child("ask", "--index", str(previous), "Rafah"))
    assert code == 1 and "Traceback" not in err and err.startswith("error:") and "rebuild" in err


def test_index_from_a_newer_format_says_to_upgrade_or_rebuild(previous):
    with sqlite3.connect(previous / "news.sqlite") as connection:
        connection.execute(
            "UPDATE manifest SET value = ? WHERE key = 'format_version'", (str(schema.FORMAT_VERSION + 1),)
        )
    with pytest.raises(IndexMismatch, match=r"newer news-qa.*upgrade news-qa.*python -m qa ingest --index"):
        open_index(previous)
    code, _, err = finished(child("info", "--index", str(previous)))
    assert code == 1 and "Traceback" not in err and "upgrade news-qa" in err


def test_index_of_another_model_or_dimension_is_refused_with_the_rebuild_command(previous):
    class SameNameOtherSize(HashEmbedder):
        dimension = 32

    with pytest.raises(IndexMismatch, match=r"dimension '64'.*python -m qa ingest --index"):
        NewsIndex.open(previous, embedder=SameNameOtherSize())
    with pytest.raises(IndexMismatch, match=r"model 'test/hashed-words'.*all-MiniLM-L6-v2.*python -m qa ingest"):
        NewsIndex.open(previous)  # the bundled model's name, not the one this index was built with


# ---- a full disk -----------------------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path: Path):
    """A 768 KB tmpfs, which the 68 seed articles overflow (needs root, or CAP_SYS_ADMIN, where mounts are allowed)."""
    folder = tmp_path / "disk"
    folder.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=768k", "tmpfs", str(folder)], capture_output=True, text=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs to fill ({mounted.stderr.strip() or 'mount failed'})")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


@pytest.mark.slow
def test_disk_full_during_ingest_fails_clearly_and_keeps_the_previous_index(small_disk):
    path = small_disk / "index"
    with open_index(path, create=True) as index:
        index.add([RAFAH])
        before = index.get(RAFAH_ID)

    code, _, err = finished(child("ingest", "--index", str(path), str(WIKINEWS)))
    assert code == 1 and "Traceback" not in err, err
    assert err.strip().splitlines()[-1] == (
        f"error: disk full while writing the index at {path}/; everything "
        "committed before this point is kept: free space and re-run the "
        "same ingest"
    )
    with open_index(path) as index:  # still on the full disk
        committed = len(index) - 1
        assert committed % news_index.BATCH_ARTICLES == 0 and committed < 67
        assert_consistent(index, {RAFAH_ID, *WIKINEWS_IDS[:committed]})
        assert index.get(RAFAH_ID) == before
        assert_answers(index, "Netanyahu Rafah southern Gaza")

    subprocess.run(["mount", "-o", "remount,size=50m", str(small_disk)], check=True)
    code, out, err = finished(child("ingest", "--index", str(path), str(WIKINEWS), "--json"))
    assert code == 0, err
    assert json.loads(out)["added"] == 67 - committed
    with open_index(path) as index:
        assert_consistent(index, {RAFAH_ID, *WIKINEWS_IDS})


# ---- two processes on one index --------------------------------------------------------------


def snapshot(index: NewsIndex) -> int:
    """The article count of one committed state, checked whole: no article without its chunks."""
    index.db.execute("BEGIN")
    try:
        count, bare = index.db.execute(
            "SELECT (SELECT count(*) FROM articles),"
            " (SELECT count(*) FROM articles a WHERE NOT EXISTS (SELECT 1 FROM chunks c WHERE c.article = a.rowid))"
        ).fetchone()
    finally:
        index.db.execute("COMMIT")
    assert bare == 0
    return count


@pytest.mark.slow
def test_queries_run_during_an_ingest_and_a_second_writer_waits_or_is_told_busy(previous, tmp_path, monkeypatch):
    paused, resume = tmp_path / "paused", tmp_path / "resume"
    writer = child(
        "ingest",
        "--index",
        str(previous),
        str(WIKINEWS),
        "--json",
        QA_TEST_PAUSE_AT="sqlite:40",
        QA_TEST_PAUSED=str(paused),
        QA_TEST_RESUME=str(resume),
        QA_TEST_EMBED_DELAY="0.5",
    )
    wait_for(paused, writer)  # holding the write lock, inside an open transaction

    reader = open_index(previous)
    # Committed batch one, none of batch two.
    assert_consistent(reader, {RAFAH_ID, *WIKINEWS_IDS[:32]}, writer_paused=True)
    answer = reader.ask(load_title(WIKINEWS_IDS[5]))  # an article of the committed batch is found
    assert WIKINEWS_IDS[5] in {c.article_id for c in (*answer.citations, *answer.related)}
    assert_cited(reader, (*answer.citations, *answer.related))
    code, out, err = finished(child("ask", "--index", str(previous), "--json", "Netanyahu Rafah"))
    assert code == 0 and json.loads(out)["citations"], err

    extra = tmp_path / "extra.jsonl"
    extra.write_text(
        "".join(
            json.dumps(
                {
                    "id": f"extra-{n}",
                    "title": f"Extra story {n}",
                    "text": f"Extra story number {n} happened on day {n} of the test.",
                }
            )
            + "\n"
            for n in range(3)
        )
    )
    monkeypatch.setattr(schema, "LOCK_WAIT_SECONDS", 0.5)
    with pytest.raises(
        IndexBusy,
        match=f"the index at {previous}/ is busy: another process is adding articles; "
        "wait for it to finish and try again",
    ):
        reader.add([extra])
    code, _, err = finished(child("ingest", "--index", str(previous), str(extra), QA_TEST_LOCK_WAIT="0.5"))
    assert code == 1 and "Traceback" not in err and "is busy" in err
    patient = child("ingest", "--index", str(previous), str(extra), "--json", QA_TEST_LOCK_WAIT="120")

    resume.touch()
    seen = set()
    while writer.poll() is None or patient.poll() is None:
        seen.add(snapshot(reader))
        answer = reader.ask("what happened at the World Cup")
        assert_cited(reader, (*answer.citations, *answer.related))
    assert seen <= {33, 65, 68, 71}, seen  # whole batches only, never part of one
    assert finished(writer)[0] == 0 and finished(patient)[0] == 0
    assert_consistent(reader, {RAFAH_ID, *WIKINEWS_IDS, "extra-0", "extra-1", "extra-2"})
    reader.close()


def load_title(article_id: str) -> str:
    return next(item.title for item in load([WIKINEWS]) if isinstance(item, Article) and item.id == article_id)
