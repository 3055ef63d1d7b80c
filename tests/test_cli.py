"""The command line as a user runs it: ingest, ask, delete, info, errors, and a kill mid-ingest."""

from __future__ import annotations

import json
import re
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from helpers import RAFAH, ROOT, SEEDS, assert_fts_matches, assert_slices, child_env


def qa(*args: str, check: bool = True, given: str | None = None) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, "-m", "qa", *args],
        input=given,
        capture_output=True,
        text=True,
        env=child_env(),
        cwd=ROOT,
        timeout=600,
    )
    if check and result.returncode != 0:
        raise AssertionError(result.stderr)
    return result


@pytest.mark.slow
def test_ingest_ask_questions_info_and_delete(tmp_path):
    index = str(tmp_path / "index")
    ingest = qa("ingest", "--index", index, str(SEEDS))
    assert "added 68" in ingest.stdout and "skipped 0" in ingest.stdout
    assert "duplicates 68" in qa("ingest", "--index", index, str(SEEDS)).stdout

    answer = json.loads(qa("ask", "--index", index, "--json", "what did Netanyahu say about Rafah").stdout)
    assert not answer["abstained"] and answer["citations"]
    text = RAFAH.read_text(encoding="utf-8").split("\n\n", 1)[1].strip()
    rafah = [c for c in answer["citations"] if c["source"] == "WION"]
    assert rafah
    assert_slices(text, rafah)
    assert any("we will do it alone" in c["text"] or "will enter into" in c["text"] for c in rafah)

    assert json.loads(qa("ask", "--index", index, "--format", "json", "Rafah").stdout)["question"] == "Rafah"
    plain = qa("ask", "--index", index, "what is the capital of Australia").stdout
    assert plain.startswith("The articles don't say")

    # Markdown to paste: the quoted spans, then one footnote per span saying where its words are.
    markdown = qa("ask", "--index", index, "--format", "markdown", "what did Netanyahu say about Rafah").stdout
    quoted = re.findall(r"^> .*“(.+)”\[\^(\d+)\]$", markdown, flags=re.MULTILINE)
    footnotes = re.findall(r"^\[\^(\d+)\]: \*(.+?)\*, (.+?), characters (\d+)–(\d+)$", markdown, flags=re.MULTILINE)
    numbers = [str(n) for n in range(1, len(quoted) + 1)]
    assert quoted and [n for _, n in quoted] == [n for n, *_ in footnotes] == numbers
    for (words, _), (_, _title, where, start, end) in zip(quoted, footnotes, strict=True):
        assert "WION, 22 Mar 2024" in where and text[int(start) : int(end)] == words

    questions = tmp_path / "questions.jsonl"
    questions.write_text(
        '{"id": "q1", "question": "what did Blinken say"}\n'
        '{"id": "q2", "question": "what is the capital of Australia"}\n'
    )
    lines = [
        json.loads(line) for line in qa("ask", "--index", index, "--questions", str(questions)).stdout.splitlines()
    ]
    assert [line["id"] for line in lines] == ["q1", "q2"] and lines[1]["abstained"]

    # Who said what, each quote with where it is; a name no one in the index has gets a sentence.
    listed = qa("quotes", "--index", index, "Netanyahu").stdout
    found = re.findall(
        r"^Benjamin Netanyahu \(\w+\): “(.+)”\n    — .+ \(WION, 2024-03-22\) \S+ chars (\d+)-(\d+)$", listed, re.M
    )
    assert found and all(text[int(start) : int(end)] == words for words, start, end in found)
    assert (
        qa("quotes", "--index", index, "--speaker", "Nobody Known").stdout == f"No quotes by Nobody Known in {index}.\n"
    )

    info = json.loads(qa("info", "--index", index, "--json").stdout)
    assert info["articles"] == 68 and info["model"].endswith("all-MiniLM-L6-v2") and info["bytes_on_disk"] > 0
    rafah_id = rafah[0]["article_id"]
    assert "deleted 1 of 1" in qa("delete", "--index", index, rafah_id).stdout
    assert json.loads(qa("info", "--index", index, "--json").stdout)["articles"] == 67


def test_ask_without_a_question_holds_a_conversation_on_stdin(seed_index_path):
    """A question a line; a follow-up is searched with the question before it, and says so."""
    given = "what did Netanyahu say about Rafah?\n\nwhen was that?\n"
    shown = qa("ask", "--index", str(seed_index_path), given=given).stdout
    first, second = shown.split("\n\n(searched: ", 1)
    assert first.startswith("[1] Benjamin Netanyahu: ")
    assert second.startswith("what did Netanyahu say about Rafah? When was that?)\n[1] ")
    # The follow-up cites the sentence that dates his words (said on Friday, Mar 22).
    assert "Friday (Mar 22)" in second.split("\n[2]", 1)[0]
    assert "(WION, 2024-03-22; the day it speaks of: Fri 22 Mar 2024)" in second
    both = qa("ask", "--index", str(seed_index_path), "--json", given=given).stdout
    answers = [json.loads(line) for line in both.splitlines()]
    assert [a["question"] for a in answers] == [
        "what did Netanyahu say about Rafah?",
        "what did Netanyahu say about Rafah? When was that?",
    ]
    # After "who ...?" a pronoun is the person the answer named, not a word of the question.
    who = qa("ask", "--index", str(seed_index_path), given="who won the Ukrainian election?\nwhat else did he say?\n")
    assert "(searched: what else did Viktor Yushchenko say?)" in who.stdout
    # A role asked as its holder says whom it searched for, as a follow-up does.
    role = qa("ask", "--index", str(seed_index_path), "who is the secretary of state?").stdout
    assert role.startswith("(searched: who is Antony Blinken, the secretary of state?)\n[1] ")
    # "What else?" asks past the quotes already shown: each turn cites other words of his.
    more = qa("ask", "--index", str(seed_index_path), "--json", given="what did Chomsky say about NATO?\nwhat else?\n")
    first, second = (json.loads(line) for line in more.stdout.splitlines())
    assert second["question"] == "what did Chomsky say about NATO?" and second["citations"]
    assert all(c["speaker"] == "Noam Chomsky" for c in second["citations"])
    seen = {(c["article_id"], c["start"]) for c in first["citations"]}
    assert seen and not seen & {(c["article_id"], c["start"]) for c in second["citations"]}


def test_user_errors_print_one_line_and_exit_1(tmp_path):
    missing = qa("ask", "--index", str(tmp_path / "none"), "anything", check=False)
    assert missing.returncode == 1 and "Traceback" not in missing.stderr
    assert missing.stderr.strip() == (
        f"error: no index at {tmp_path / 'none'}/; build one with: "
        f"python -m qa ingest --index {tmp_path / 'none'} seeds/"
    )
    bad_path = qa("ingest", "--index", str(tmp_path / "i"), str(tmp_path / "nope.txt"), check=False)
    assert bad_path.returncode == 1 and "no such file or folder" in bad_path.stderr


@pytest.mark.slow
def test_kill_during_ingest_keeps_whole_articles_and_a_rerun_finishes(tmp_path):
    index = tmp_path / "index"
    process = subprocess.Popen(
        [sys.executable, "-m", "qa", "ingest", "--index", str(index), str(SEEDS)],
        cwd=ROOT,
        env=child_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    committed = 0
    deadline = time.monotonic() + 300
    while committed == 0 and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.05)
        try:
            with sqlite3.connect(index / "news.sqlite", timeout=1) as database:
                committed = database.execute("SELECT count(*) FROM articles").fetchone()[0]
        except sqlite3.OperationalError:
            pass  # not created yet
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert 0 < committed < 68, "the ingest finished before it could be killed"

    from qa import NewsIndex

    with NewsIndex.open(index) as reopened:
        kept = len(reopened)
        assert kept % 32 == 0 or kept == committed  # whole batches of whole articles
        orphans = reopened.db.execute(
            "SELECT count(*) FROM chunks WHERE article NOT IN (SELECT rowid FROM articles)"
        ).fetchone()
        assert orphans == (0,)
        assert_fts_matches(reopened.db)
        for item in reopened.articles():
            assert (
                reopened.db.execute(
                    "SELECT count(*) FROM chunks c JOIN articles a ON a.rowid = c.article WHERE a.id = ?", (item.id,)
                ).fetchone()[0]
                > 0
            )
        assert len(reopened.vectors) == reopened.db.execute("SELECT count(*) FROM chunks").fetchone()[0]

    rerun = qa("ingest", "--index", str(index), str(SEEDS), "--json")
    report = json.loads(rerun.stdout)
    assert report["duplicates"] == kept and report["added"] == 68 - kept and report["skipped"] == []
