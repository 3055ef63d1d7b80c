"""Bad input, table-driven: each file is added, or skipped with its reason; each question gets an answer.

Extends tests/test_load.py (which covers the basic empty, binary, malformed and legacy-encoding
files): here every case goes through `NewsIndex.add`, added articles are checked for exact
offsets, and memory is measured where a file is large. Indexing uses the deterministic test
embedder; the questions run against the real model's seed index.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from fakes import HashEmbedder
from helpers import FAKES, ROOT, SEEDS, WIKINEWS, assert_cited, assert_stored_spans, child_env
from qa import Answer, NewsIndex
from qa.errors import BadInput
from qa.ingest.records import MAX_ARTICLE_CHARS

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        # A fixed timestamp: the same bytes, so the same number of "lines", on every run.
        archive.writestr(
            zipfile.ZipInfo("story.txt", date_time=(2024, 3, 22, 12, 0, 0)),
            "A story inside a zip file. " * 50,
            compress_type=zipfile.ZIP_DEFLATED,
        )
    return buffer.getvalue()


def _sparse(size: int) -> Callable[[Path], None]:
    def make(path: Path) -> None:
        with path.open("wb") as handle:
            handle.truncate(size)  # no blocks written: instant, and no disk used

    return make


def _one_line(chars: int) -> Callable[[Path], None]:
    def make(path: Path) -> None:
        path.write_text("word " * (chars // 5))

    return make


def rss(*items: str) -> bytes:
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>Feed</title>{"".join(items)}</channel></rss>'
    ).encode()


# (file name, content or a function that writes it, substrings of the added texts in order,
#  substrings of the skip reasons in order)
CASES = [
    # empty and whitespace, in every loader
    ("empty.jsonl", b"", [], ["empty file"]),
    ("empty.csv", b"", [], ["empty file"]),
    ("empty.html", b"", [], ["empty file"]),
    ("empty.rss", b"", [], ["empty file"]),
    ("blank.jsonl", b"\n \n\t\r\n", [], ["empty file"]),
    ("blank.json", b"  \n ", [], ["empty file"]),
    ("headers-only.txt", b"Title: A headline\nSource: Wire\n\n   \n", [], ["whitespace only"]),
    ("blank-text.jsonl", b'{"id": "b1", "text": " \\n\\t "}\n', [], ["text is empty"]),
    # binary files under text names
    ("image.html", PNG, [], ["binary file"]),
    ("image.json", PNG, [], ["binary file"]),
    ("image.xml", PNG, [], ["not an RSS/Atom feed"]),
    ("image.csv", PNG, [], ["no text column"]),
    ("archive.zip", _zip(), [], ["unsupported file type '.zip'"]),
    ("archive.txt", _zip(), [], ["binary file"]),
    ("archive.jsonl", _zip(), [], ["malformed JSON line: binary file"]),
    # encodings
    (
        "bad-utf8.txt",
        "Café society: the mayor said the budget was balanced.".encode().replace(b"\xc3\xa9", b"\xe9"),
        ["Café society: the mayor said the budget was balanced."],
        [],
    ),
    (
        "bad-utf8.jsonl",
        b'{"id": "u8", "text": "Caf\xe9 owners protest the new rules in the city."}\n',
        ["Café owners protest the new rules in the city."],
        [],
    ),
    (
        "latin1.jsonl",
        '{"id": "l1", "text": "São Paulo mayor José said the café was closed."}\n'.encode("latin-1"),
        ["São Paulo mayor José said the café was closed."],
        [],
    ),
    (
        "latin1.csv",
        'id,text\nl2,"Brasília: Mr Gonçalves said the façade was restored."\n'.encode("latin-1"),
        ["Brasília: Mr Gonçalves said the façade was restored."],
        [],
    ),
    (
        "utf16.jsonl",
        "".join(
            json.dumps({"id": f"w{n}", "text": f"UTF-16 story {n} from Zürich."}, ensure_ascii=False) + "\n"
            for n in range(2)
        ).encode("utf-16"),
        ["UTF-16 story 0 from Zürich.", "UTF-16 story 1 from Zürich."],
        [],
    ),
    (
        "utf16-be.md",
        b"\xfe\xff" + "Big-endian UTF-16 story from Genève.".encode("utf-16-be"),
        ["Big-endian UTF-16 story from Genève."],
        [],
    ),
    # UTF-16 without a byte-order mark: ASCII-only text reads as UTF-8 with NULs, which are dropped;
    # with other characters it cannot be told from binary data and is skipped, with the reason
    (
        "utf16-no-bom.txt",
        "A story in UTF-16 without a byte-order mark.".encode("utf-16-le"),
        ["A story in UTF-16 without a byte-order mark."],
        [],
    ),
    (
        "utf16-no-bom-accents.txt",
        "Zürich: a story in UTF-16 without a byte-order mark.".encode("utf-16-le"),
        [],
        ["binary file"],
    ),
    # size limits: whole-file formats are capped before reading, records are capped after
    ("huge.txt", _sparse(200_000_000), [], ["file is 200 MB, over the 50 MB limit"]),
    ("huge.html", _sparse(60_000_000), [], ["over the 50 MB limit"]),
    ("one-line.txt", _one_line(10_000_000), [], [f"over the {MAX_ARTICLE_CHARS:,} limit; split it"]),
    ("one-line.jsonl", _sparse(40_000_000), [], ["line is over the 32 MB limit for one record"]),
    # JSON that is malformed or not an object
    (
        "truncated.jsonl",
        b'{"id": "t1", "text": "A complete first line."}\n{"id": "t2", "te',
        ["A complete first line."],
        ["malformed JSON line: Unterminated string"],
    ),
    (
        "not-objects.jsonl",
        b'"a string"\n42\nnull\n[{"text": "x"}]\n',
        [],
        ["expected a JSON object, got str", "got int", "got NoneType", "got list"],
    ),
    ("scalar.json", b'"just a string"', [], ["expected a JSON object, got str"]),
    (
        "mixed.json",
        b'[{"id": "m1", "text": "A listed story that is fine."}, 3, "x"]',
        ["A listed story that is fine."],
        ["item 2: expected a JSON object, got int", "item 3: expected a JSON object"],
    ),
    ("nan.json", b'{"text": NaN}', [], ["text field is a float, not a string"]),
    ("nested.json", b'{"text": {"body": "x"}}', [], ["text field is a dict, not a string"]),
    # CSV
    ("tabs.csv", b"title\ttext\nA\tB\n", [], ["no text column in the header row"]),
    ("header-only.csv", b"id,title,text\n", [], []),
    (
        "empty-cell.csv",
        b"id,text\nr1,\nr2,The second row has words.\n",
        ["The second row has words."],
        ["no text field"],
    ),
    ("ragged.csv", b"id,text\nr3,A ragged row with extra cells,extra,more\n", ["A ragged row with extra cells"], []),
    # HTML and feeds without article text
    (
        "script-body.html",
        b'<html><body><script>document.write("a long text here")</script><style>p{}</style>'
        b"<noscript></noscript></body></html>",
        [],
        ["no article text found"],
    ),
    ("comment.html", b"<!-- nothing but a comment -->", [], ["no article text found"]),
    (
        "no-content.rss",
        rss("<item><title>A</title></item>", "<item><title>B</title><description></description></item>"),
        [],
        ["entry 1: no text field", "entry 2: no text field"],
    ),
    (
        "script-entry.rss",
        rss(
            "<item><title>A</title><description><![CDATA[<script>alert(1)</script>]]></description></item>",
            "<item><title>B</title><description>Entry two has a body.</description></item>",
        ),
        ["Entry two has a body."],
        ["entry 1: no text"],
    ),
    ("no-entries.rss", rss(), [], ["the feed has no entries"]),
    ("not-a-feed.xml", b'<?xml version="1.0"?><note><to>you</to></note>', [], ["not an RSS/Atom feed"]),
    # control and invisible characters
    (
        "control.txt",
        b"Breaking\x00 news:\x07 the\x1b council\x7f voted\x0b today.",
        ["Breaking news: the council voted today."],
        [],
    ),
    ("zero-width-only.txt", "\u200b\u200c\u200d\ufeff\u2060".encode(), [], ["no letters or digits"]),
    ("punctuation-only.jsonl", b'{"id": "p1", "text": "... !!! ???"}\n', [], ["no letters or digits"]),
    (
        "zero-width-inside.txt",
        "Net\u200banyahu said the\u200d talks in Ra\u00adfah would resume.".encode(),
        ["Net\u200banyahu said the\u200d talks in Ra\u00adfah would resume."],
        [],
    ),
    # right-to-left and CJK
    (
        "hebrew.txt",
        "ראש הממשלה אמר ביום שישי כי ישראל תיכנס לרפיח. השיחות יימשכו בשבוע הבא.".encode(),
        ["ראש הממשלה אמר ביום שישי כי ישראל תיכנס לרפיח."],
        [],
    ),
    (
        "arabic.jsonl",
        json.dumps(
            {
                "id": "ar1",
                "text": "قال رئيس الوزراء يوم الجمعة إن المحادثات ستستمر. وأضاف أن الوفد سيعود الأسبوع المقبل.",
            }
        ).encode(),
        ["قال رئيس الوزراء يوم الجمعة"],
        [],
    ),
    ("chinese.md", "总理周五表示，谈判将在下周继续。代表团已经返回北京。".encode(), ["总理周五表示"], []),
    (
        "japanese.txt",
        "首相は金曜日、交渉は来週再開されると述べた。代表団は東京に戻った。".encode(),
        ["首相は金曜日"],
        [],
    ),
    (
        "mixed-direction.txt",
        "The spokesman said שלום and سلام on the same day, and 你好 too.".encode(),
        ["The spokesman said שלום and سلام"],
        [],
    ),
]


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> NewsIndex:
    with NewsIndex.open(tmp_path_factory.mktemp("bad-input") / "index", create=True, embedder=HashEmbedder()) as opened:
        yield opened


@pytest.mark.parametrize("name, content, added, skipped", CASES, ids=[case[0] for case in CASES])
def test_each_bad_file_is_added_or_skipped_with_its_reason(index, tmp_path, name, content, added, skipped):
    path = tmp_path / name
    content(path) if callable(content) else path.write_bytes(content)
    try:
        report = index.add([path])
    finally:
        path.unlink()  # the big ones are sparse, but do not keep them
    reasons = [problem.reason for problem in report.skipped]
    assert len(reasons) == len(skipped), reasons
    for reason, expected in zip(reasons, skipped, strict=True):
        assert expected in reason
    assert all(problem.path == str(path) for problem in report.skipped)
    assert len(report.added) == len(added) and not report.duplicates, report.to_dict()
    for article_id, expected in zip(report.added, added, strict=True):
        text = index.get(article_id).text
        assert expected in text
        assert not any(ord(ch) < 32 and ch not in "\n\t" for ch in text)  # control characters dropped
        chunks, _ = assert_stored_spans(index, [article_id])
        assert chunks


def test_duplicate_ids_within_one_batch_keep_the_last_version_once(index, tmp_path):
    path = tmp_path / "dups.jsonl"
    records = [
        {"id": "dup-1", "text": "First version of the duplicated story."},
        {"id": "dup-1", "text": "Second version of the duplicated story."},
        {"id": "dup-2", "text": "A story sent twice, identically."},
        {"id": "dup-2", "text": "A story sent twice, identically."},
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    report = index.add([path])
    assert report.duplicates == ["dup-2"] and sorted(set(report.added)) == ["dup-1", "dup-2"]
    assert index.get("dup-1").text == "Second version of the duplicated story."
    rows = index.db.execute("SELECT count(*) FROM articles WHERE id LIKE 'dup-%'").fetchone()[0]
    orphans = index.db.execute(
        "SELECT count(*) FROM chunks WHERE article NOT IN (SELECT rowid FROM articles)"
    ).fetchone()[0]
    assert (rows, orphans) == (2, 0)
    assert len(index.vectors) == index.db.execute("SELECT count(*) FROM chunks").fetchone()[0]


def test_citations_in_right_to_left_and_cjk_text_slice_their_articles(index, tmp_path):
    texts = {
        "he": "ראש הממשלה אמר כי המשלחת חזרה לירושלים. הדובר סירב להגיב על הדיווח.",
        "ar": "أعلن الوزير أن الوفد عاد إلى القاهرة. ورفض المتحدث التعليق على التقرير.",
        "zh": "外交部长宣布代表团已返回上海。发言人拒绝对报道发表评论。",
    }
    path = tmp_path / "scripts.jsonl"
    path.write_text(
        "".join(json.dumps({"id": f"script-{k}", "text": v}, ensure_ascii=False) + "\n" for k, v in texts.items()),
        encoding="utf-8",
    )
    assert len(index.add([path]).added) == 3
    for key, question in [
        ("he", "מה אמר ראש הממשלה על המשלחת"),
        ("ar", "ماذا أعلن الوزير عن الوفد"),
        ("zh", "外交部长宣布代表团已返回上海"),
    ]:
        answer = index.ask(question)
        cited = (*answer.citations, *answer.related)
        assert any(c.article_id == f"script-{key}" for c in cited), answer.to_dict()
        assert_cited(index, cited)


# ---- a folder with odd entries -----------------------------------------------------------------


def _symlink_loop(folder: Path) -> None:
    (folder / "loop-a.txt").symlink_to("loop-b.txt")
    (folder / "loop-b.txt").symlink_to("loop-a.txt")


def _folder_loop(folder: Path) -> None:
    (folder / "sub").mkdir()
    (folder / "sub" / "up").symlink_to("..", target_is_directory=True)


def _unreadable(folder: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip(
            "running as root, which can read a chmod 000 file; the FIFO and dangling-link cases "
            "stand in for unreadable files"
        )
    (folder / "secret.txt").write_text("You cannot read this.")
    (folder / "secret.txt").chmod(0)


ODD_ENTRIES = [
    # (what, how to make it, skip reasons expected for it)
    ("symlink loop", _symlink_loop, ["Too many levels of symbolic links"] * 2),
    ("folder loop", _folder_loop, []),  # not followed: os.walk does not descend into linked folders
    ("dangling symlink", lambda folder: (folder / "gone.txt").symlink_to("nowhere.txt"), ["No such file"]),
    ("fifo", lambda folder: os.mkfifo(folder / "pipe.jsonl"), ["not a regular file"]),
    ("unreadable file", _unreadable, ["permission denied; make the file readable"]),
]


@pytest.mark.parametrize("what, make, reasons", ODD_ENTRIES, ids=[entry[0] for entry in ODD_ENTRIES])
def test_odd_folder_entries_are_skipped_and_the_rest_loads(index, tmp_path, what, make, reasons):
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "good.txt").write_text(f"A good story stands beside the {what}.")
    make(folder)
    report = index.add([folder])  # a FIFO read would block here forever
    assert len(report.added) == 1 and index.get(report.added[0]).text.endswith(f"the {what}.")
    assert [p.reason for p in report.skipped if not any(r in p.reason for r in reasons)] == []
    assert len(report.skipped) == len(reasons)


# ---- large files: bounded memory -------------------------------------------------------------------

MEASURE = """
import json, resource, sys
from qa.ingest.load import Problem, load
list(load([sys.argv[2]]))  # imports and first-use costs before the baseline
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
articles, reasons = 0, []
for item in load([sys.argv[1]]):
    if isinstance(item, Problem):
        reasons.append(item.reason)
    else:
        articles += 1
print(json.dumps({"growth_mb": (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) / 1024,
                  "articles": articles, "reasons": reasons}))
"""


def peak_growth(path: Path) -> dict:
    """Load `path` in a fresh process; its peak memory growth (MB) and what it loaded."""
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, str(path), str(WIKINEWS)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=child_env(),
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.mark.slow
def test_a_200_mb_jsonl_dump_streams_in_bounded_memory(tmp_path):
    path = tmp_path / "dump.jsonl"
    line = json.dumps({"id": "big", "text": "x" * 10_000_000}) + "\n"
    with path.open("w") as handle:
        handle.write(json.dumps({"id": "first", "text": "A small first story."}) + "\n")
        for _ in range(20):
            handle.write(line)
        handle.write(json.dumps({"id": "last", "text": "A small last story."}) + "\n")
    assert path.stat().st_size > 200_000_000
    try:
        result = peak_growth(path)
    finally:
        path.unlink()
    assert result["articles"] == 2 and len(result["reasons"]) == 20
    assert all(f"over the {MAX_ARTICLE_CHARS:,} limit" in r for r in result["reasons"])
    assert result["growth_mb"] < 120, result  # a whole-file read would take well over 200 MB


@pytest.mark.slow
@pytest.mark.parametrize(
    "name, size, reason",
    [
        ("no-newlines.jsonl", 200_000_000, "line is over the 32 MB limit"),  # e.g. a JSON array saved as .jsonl
        ("huge.txt", 200_000_000, "over the 50 MB limit"),
        ("one-line.txt", 10_000_000, f"over the {MAX_ARTICLE_CHARS:,} limit"),
    ],
)
def test_huge_files_and_lines_are_refused_in_bounded_memory(tmp_path, name, size, reason):
    path = tmp_path / name
    with path.open("w") as handle:
        if name.endswith(".jsonl"):
            handle.truncate(size)
        else:
            handle.write("word " * (size // 5))
    try:
        result = peak_growth(path)
    finally:
        path.unlink()
    assert result["articles"] == 0 and len(result["reasons"]) == 1 and reason in result["reasons"][0], result
    assert result["growth_mb"] < 100, result


# ---- questions -----------------------------------------------------------------------------------

QUESTIONS = [
    # (question, "answer" when it must cite, "abstain: reason substring" when it must not, or "either")
    ("\t\n \u3000", "abstain: no words"),
    ("\u200b\u200b", "abstain: no words"),
    ("🤔🤔❓", "abstain: no words"),
    ("«»—–‘’“”¿¡!?", "abstain: no words"),
    ("what did Netanyahu say about Rafah " * 2900, "answer"),  # 100 KB
    ("Rafah" * 20_000, "either"),  # 100 KB, one word with no spaces
    ("Что сказал Нетаньяху о Рафахе?", "either"),
    ("ماذا قال نتنياهو عن رفح؟", "either"),
    ("ネタニヤフ首相はラファについて何と言いましたか", "either"),
    ("\x00Netanyahu\x07 Rafah\x1b", "answer"),
    ('NEAR("Netanyahu" "Rafah") AND OR NOT * title:Rafah "', "either"),  # FTS5 syntax is not run
    ("'; DROP TABLE articles; --", "either"),
]


@pytest.mark.parametrize("question, expected", QUESTIONS, ids=[f"q{n}" for n in range(len(QUESTIONS))])
def test_odd_questions_get_an_answer_or_a_clear_reason(seeds, question, expected):
    answer = seeds.ask(question)
    assert isinstance(answer, Answer) and answer.question == question
    assert len(answer.searched) <= 2_000
    if expected == "answer":
        assert answer.citations, answer.to_dict()
    elif expected.startswith("abstain"):
        assert answer.abstained and expected.split(": ")[1] in answer.reason
    else:
        assert answer.citations or answer.reason
    assert_cited(seeds, (*answer.citations, *answer.related))
    json.dumps(answer.to_dict(), ensure_ascii=False)
    assert len(seeds) == 68  # nothing in a question is executed


@pytest.mark.parametrize("question", [None, 42, b"Rafah", ["Rafah"]])
def test_a_question_that_is_not_text_is_refused(seeds, question):
    with pytest.raises(BadInput, match="the question must be text"):
        seeds.ask(question)


@pytest.mark.slow
def test_odd_questions_on_the_command_line_exit_cleanly(tmp_path):
    index = tmp_path / "index"
    env = child_env()
    driver = [sys.executable, str(FAKES)]
    subprocess.run(
        [*driver, "ingest", "--index", str(index), str(SEEDS)], env=env, cwd=ROOT, check=True, capture_output=True
    )
    for question, says in [
        ("", "the question has no words"),
        ("?!", "the question has no words"),
        ("x" * 100_000, "The articles don't say"),
    ]:
        done = subprocess.run(
            [*driver, "ask", "--index", str(index), question],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0 and says in done.stdout and not done.stderr.strip(), done.stderr
