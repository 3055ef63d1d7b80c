"""A sharded archive (qa.scale) answers as one index over the same articles does.

The seeds go into four shards by `shard_of`, each an ordinary index; the same questions then get
the same citations, and the merged retrieval lists are the one index's. The Ray tests run the same
over a local Ray cluster the test starts: the Ray Data ingest, then shards served by Ray Serve.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from helpers import RAFAH, SEEDS, WIKINEWS
from qa import NewsIndex
from qa.answer.retrieve import selective_terms
from qa.cli import main
from qa.ingest.load import Problem, iter_files, load
from qa.scale.sharded import ShardedIndex, ShardedReader
from qa.scale.shards import MANIFEST, shard_folder, shard_of
from qa.storage.bm25 import Scorer
from qa.storage.candidates import Candidates, fts_query
from qa.text.question import parse
from qa.types import Answer

SHARDS = 4
QUESTIONS = [
    "what did Netanyahu say about Rafah",
    "what did Blinken say",
    "what happened in Ukraine in December 2004?",
    "latest news about Iraq",
    "tell me about the tsunami",
    "who won the Ukrainian election re-run",
    "who attended Arafat's funeral from Brazil",
    "how many people died in the tsunami",
    "what did Bush say about Iraq",
    "where is Rafah",
    "what is the price of oil",
    "which country sent troops to Iraq",
    "what's the latest news?",
    "what happened in December 2004?",
    "what did netanyhu say about rafah",  # a speaker respelled from the archive's quoted names
    "how many pilgrims died in 1991",  # asked again with the year as words
]
# Answers alike, though its BM25 list to depth 20 holds a tie that SQLite and the merge order apart.
WHO_SAID = "who said the two-party system is a sham"  # a cited sentence's speaker, read from its shard
FILTERS: list[dict[str, Any]] = [
    {"since": date(2004, 12, 1), "until": date(2004, 12, 31)},
    {"sources": ["Wikinews"]},
    {"sources": ["wikinews"]},  # as typed: the stored sources that contain it
    {"sources": ["No Such Outlet"]},  # answered with the sources there are
    {"since": date(1990, 1, 1), "until": date(1990, 12, 31)},  # answered with when the articles are from
]


def cited(answer: Answer) -> list[tuple[str, int, int, str | None]]:
    return [(c.article_id, c.start, c.end, c.speaker) for c in answer.citations + answer.related]


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory, embedder) -> Path:
    """The seeds in four shards, each built as one index is."""
    folder = tmp_path_factory.mktemp("archive")
    articles = [item for item in load([SEEDS]) if not isinstance(item, Problem)]
    for n in range(SHARDS):
        with NewsIndex.open(folder / shard_folder(n), create=True, embedder=embedder) as shard:
            shard.add([a for a in articles if shard_of(a.id, SHARDS) == n])
    (folder / MANIFEST).write_text(json.dumps({"shards": SHARDS}))
    return folder


@pytest.fixture(scope="module")
def embedder():
    from qa.ingest.embed import MiniLMEmbedder

    return MiniLMEmbedder()


@pytest.fixture(scope="module")
def one(seed_index_path: Path, embedder) -> Iterator[NewsIndex]:
    with NewsIndex.open(seed_index_path, embedder=embedder) as index:
        yield index


@pytest.fixture(scope="module")
def sharded(archive: Path, embedder) -> ShardedIndex:
    return ShardedIndex.open(archive, embedder)


def test_every_shard_holds_articles(archive: Path, one: NewsIndex) -> None:
    counts = [len(NewsIndex.open(archive / shard_folder(n))) for n in range(SHARDS)]
    assert all(counts) and sum(counts) == len(one)


@pytest.mark.parametrize("question", [*QUESTIONS, WHO_SAID])
def test_sharded_answers_equal_one_index(question: str, one: NewsIndex, sharded: ShardedIndex) -> None:
    expected, got = one.ask(question), sharded.ask(question)
    assert cited(got) == cited(expected)
    assert got.confidence == pytest.approx(expected.confidence, abs=1e-9)
    assert got.reason == expected.reason and not got.unsearched
    for citation in got.citations + got.related:  # spans read through the shards are the article's own
        assert one.get(citation.article_id).text[citation.start : citation.end] == citation.text


@pytest.mark.parametrize("filters", FILTERS, ids=["dates", "source", "source-as-typed", "no-source", "no-dates"])
def test_sharded_filtered_answers_equal_one_index(filters: dict, one: NewsIndex, sharded: ShardedIndex) -> None:
    for question in QUESTIONS[:6]:
        expected, got = one.ask(question, **filters), sharded.ask(question, **filters)
        assert cited(got) == cited(expected), question
        assert got.reason == expected.reason, question


def test_merged_retrieval_lists_are_one_index_lists(one: NewsIndex, sharded: ShardedIndex, embedder) -> None:
    """Not just the citations: the dense and BM25 lists, chunk by chunk, in order."""
    reader = ShardedReader(sharded.shards)

    def where(of, chunk_ids: list[int]) -> list[tuple[str, int]]:
        return [(hit.article_id, hit.start) for hit in of.hits([(chunk, 0.0) for chunk in chunk_ids])]

    for question in QUESTIONS:
        query = parse(question)
        vector = embedder.embed([query.searched])[0]
        words = selective_terms(one.reader, query.terms)
        assert words == selective_terms(reader, query.terms)  # chunk frequencies add up across shards
        for filters in (query.filters, parse(question, since=date(2004, 12, 1)).filters):
            for search, arguments in (("dense_chunks", vector), ("lexical_chunks", words)):
                expected = getattr(one.reader, search)(arguments, 20, filters)
                got = getattr(reader, search)(arguments, 20, filters)
                assert where(reader, got) == where(one.reader, expected), (question, search)
    assert reader.chunk_count() == one.reader.chunk_count() and not reader.missing


def test_bm25_with_the_index_own_counts_is_fts5_bm25(seed_index_path: Path) -> None:
    db = sqlite3.connect(seed_index_path / "news.sqlite")
    scorer = Scorer(db, Candidates())
    matched = 0
    for question in [*QUESTIONS, "U.S. troops in Fallujah", "Yushchenko's victory"]:
        words = list(parse(question).terms)
        if not words:  # "what's the latest news?" searches no words
            continue
        mine = scorer.scored(words, scorer.statistics(words))
        theirs = db.execute(
            "SELECT rowid, -bm25(chunks_fts) FROM chunks_fts WHERE chunks_fts MATCH ? ORDER BY bm25(chunks_fts)",
            [fts_query(words)],
        ).fetchall()
        assert len(mine) == len(theirs), question
        assert [score for _, score in mine] == pytest.approx([score for _, score in theirs], rel=1e-9)
        assert {chunk for chunk, _ in mine} == {chunk for chunk, _ in theirs}
        matched += bool(mine)
    assert matched >= 10


class Unreachable:
    """A shard whose transport fails, as a dead machine's would."""

    def __init__(self, name: str) -> None:
        self.name = name

    def submit(self, method: str, *args: Any) -> Any:
        raise ConnectionError(f"{self.name} is down")


def test_a_dead_shard_is_named_not_a_crash(archive: Path, embedder, one: NewsIndex) -> None:
    shards = list(ShardedIndex.open(archive, embedder).shards)
    rafah = one.ask(QUESTIONS[0]).citations[0].article_id
    home = shard_of(rafah, SHARDS)
    shards[home] = Unreachable(shards[home].name)
    answer = ShardedIndex(shards, embedder).ask(QUESTIONS[0])
    assert answer.unsearched == (shard_folder(home),)
    assert all(shard_of(c.article_id, SHARDS) != home for c in answer.citations + answer.related)
    assert answer.to_dict()["unsearched"] == [shard_folder(home)]


def test_cli_asks_a_sharded_archive(archive: Path, capsys: pytest.CaptureFixture[str], embedder) -> None:
    assert main(["ask", "--index", str(archive), "--json", QUESTIONS[4]], embedder=embedder) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["citations"] and printed["unsearched"] == []
    assert main(["info", "--index", str(archive)], embedder=embedder) == 1
    assert "sharded archive" in capsys.readouterr().err


# ---- on Ray ----------------------------------------------------------------------------------


def test_copies_of_a_story_in_different_shards_are_one_story(tmp_path: Path, embedder) -> None:
    """Wire copy carried by three outlets whose articles went to three shards: cited once, with
    the other outlets named, as one index over the same articles cites it."""
    from dataclasses import replace

    (rafah,) = load([RAFAH])
    others = [a for a in load([WIKINEWS]) if not isinstance(a, Problem)][:6]
    edits = {
        "AP": rafah.text.replace("on Friday (Mar 22)", "on Friday").replace("(With inputs from agencies)", ""),
        "Reuters": "JERUSALEM (Reuters) - " + rafah.text.split("\nDisclaimer:")[0],
    }
    shards_used = {shard_of(rafah.id, SHARDS)}
    copies = []
    for source, text in edits.items():  # ids that place each copy in a shard of its own
        copy_id = next(f"{source}-{n}" for n in range(100) if shard_of(f"{source}-{n}", SHARDS) not in shards_used)
        shards_used.add(shard_of(copy_id, SHARDS))
        copies.append(replace(rafah, id=copy_id, source=source, text=text))
    articles = [rafah, *copies, *others]
    folder = tmp_path / "archive"
    for n in range(SHARDS):
        with NewsIndex.open(folder / shard_folder(n), create=True, embedder=embedder) as shard:
            shard.add([a for a in articles if shard_of(a.id, SHARDS) == n])
    (folder / MANIFEST).write_text(json.dumps({"shards": SHARDS}))
    with NewsIndex.open(tmp_path / "one", create=True, embedder=embedder) as one:
        one.add(articles)
        sharded = ShardedIndex.open(folder, embedder)
        for question in ["what did Blinken say", "how many Palestinians are seeking refuge in Rafah"]:
            expected, answer = one.ask(question), sharded.ask(question)
            texts = [c.text for c in (*answer.citations, *answer.related)]
            assert texts == [c.text for c in (*expected.citations, *expected.related)]
            assert len(texts) == len(set(texts)), texts  # not once per shard
            lead = answer.citations[0]
            assert set(lead.also_reported_by) | {lead.source} == {"WION", "AP", "Reuters"}, lead.to_dict()
            assert list(lead.also_reported_by) == sorted(lead.also_reported_by)


@pytest.fixture(scope="module")
def ray_cluster() -> Iterator[None]:
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=4, include_dashboard=False, log_to_driver=False)  # a local cluster: 4 worker processes
    yield
    from ray import serve

    serve.shutdown()
    ray.shutdown()


@pytest.mark.slow
def test_ray_ingest_and_serve_answer_as_one_index(ray_cluster, tmp_path: Path, one: NewsIndex, embedder) -> None:
    import ray
    from ray import serve

    from qa.scale.ingest_job import ingest, writer_name
    from qa.scale.serving import app_name, serve_archive

    # The seeds' JSONL in two halves: the first ingest takes one, the second everything.
    lines = (SEEDS / "wikinews.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)
    halves = [tmp_path / "first.jsonl", tmp_path / "second.jsonl"]
    halves[0].write_text("".join(lines[: len(lines) // 2]), encoding="utf-8")
    # ... and the second repeats an article of the first under an id of another shard: a duplicate,
    # as one index finds it, though its shard does not hold the original.
    original = json.loads(lines[0])
    copy_id = next(f"copy-{n}" for n in range(100) if shard_of(f"copy-{n}", SHARDS) != shard_of(original["id"], SHARDS))
    copy = json.dumps({**original, "id": copy_id}) + "\n"
    halves[1].write_text("".join([*lines[len(lines) // 2 :], copy]), encoding="utf-8")
    files = [*halves, *(f for f in iter_files([SEEDS]) if isinstance(f, Path) and f.suffix != ".jsonl")]
    archive = tmp_path / "archive"
    first = ingest(halves[:1], archive, shards=SHARDS, workers=1)
    held = stored_articles(archive / shard_folder(0))

    # Run again over everything, as after a kill, and kill a shard's writer as soon as it is up:
    # what went in before is kept, Ray restarts the writer and the batches sent to it are written.
    killed, ended = threading.Event(), threading.Event()

    def kill_a_writer() -> None:
        while not ended.is_set() and not killed.is_set():
            with contextlib.suppress(ValueError):  # not started yet
                ray.kill(ray.get_actor(writer_name(archive, 0)), no_restart=False)
                killed.set()
            time.sleep(0.01)

    killer = threading.Thread(target=kill_a_writer, daemon=True)
    killer.start()
    try:
        again = ingest(files, archive, shards=SHARDS, workers=1)
    finally:
        ended.set()
        killer.join()
    assert first.added and set(first.added) | {copy_id} <= set(again.duplicates)
    assert len(set(first.added) | set(again.added) | set(again.duplicates) - {copy_id}) == len(one)
    assert sum(stored_articles(archive / shard_folder(n)) for n in range(SHARDS)) == len(one)
    assert killed.is_set() and stored_articles(archive / shard_folder(0)) > held

    served = serve_archive(archive, embedder=embedder)
    for question in QUESTIONS[:6]:
        assert cited(served.ask(question)) == cited(one.ask(question)), question

    assert cited(serve_archive(archive, embedder=embedder).ask(QUESTIONS[0])) == cited(one.ask(QUESTIONS[0]))
    serve.delete(app_name(archive, 1))  # a shard gone at query time
    answer = served.ask(QUESTIONS[3])
    assert answer.unsearched == (shard_folder(1),)
    assert all(shard_of(c.article_id, SHARDS) != 1 for c in answer.citations + answer.related)


def stored_articles(folder: Path) -> int:
    database = folder / "news.sqlite"
    if not database.exists():
        return 0
    with contextlib.closing(sqlite3.connect(f"{database.as_uri()}?mode=ro", uri=True)) as db:
        return db.execute("SELECT count(*) FROM articles").fetchone()[0]
