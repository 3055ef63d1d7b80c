"""Every input format from a small real file, and bad input reported per item while good items load."""

from __future__ import annotations

import json
import os
import shutil
from datetime import date
from pathlib import Path

import pytest

from helpers import RAFAH, wikinews_records
from qa.ingest.load import Problem, estimate_articles, load

WIKINEWS = wikinews_records()
ARTICLE = WIKINEWS[10]


def loaded(*paths):
    items = list(load(paths))
    return [i for i in items if not isinstance(i, Problem)], [i for i in items if isinstance(i, Problem)]


def test_text_file_with_header_lines():
    (article,), problems = loaded(RAFAH)
    assert not problems
    assert article.source == "WION" and article.published == date(2024, 3, 22)
    assert article.text.startswith("Israeli Prime Minister Benjamin Netanyahu said on Friday (Mar 22)")
    assert article.title.startswith("Israeli Prime Minister Benjamin Netanyahu said on Friday")
    assert "Source:" not in article.text


def test_text_without_headers_takes_its_title_from_the_first_line(tmp_path):
    path = tmp_path / "note.md"
    path.write_text("Storm hits coast\n\nThe storm reached the coast on Monday.\n", encoding="utf-8")
    (article,), _ = loaded(path)
    assert article.title == "Storm hits coast"
    assert article.text.startswith("Storm hits coast")  # the first line stays part of the text


def test_a_markdown_headline_and_byline_give_the_title_and_date(tmp_path):
    path = tmp_path / "budget.md"
    path.write_text(
        "# Council approves new harbour budget\n\n*By Jane Roe, 4 March 2025*\n\n"
        "The Port Harrow council approved a £12m harbour budget on Tuesday.\n",
        encoding="utf-8",
    )
    (article,), _ = loaded(path)
    assert article.title == "Council approves new harbour budget"
    assert article.published == date(2025, 3, 4)
    assert article.text.startswith("# Council approves")  # the text is the file's, marks and all


def test_json_object_list_and_jsonl_keep_fields_and_unknown_metadata(tmp_path):
    record = {
        "guid": "a1",
        "headline": ARTICLE["title"],
        "body": ARTICLE["text"],
        "pubDate": "Tue, 13 Nov 2007 10:00:00 GMT",
        "publisher": "Wikinews",
        "link": ARTICLE["url"],
        "section": "world",
    }
    (tmp_path / "one.json").write_text(json.dumps(record))
    (tmp_path / "many.json").write_text(json.dumps([record, {**record, "guid": "a2"}]))
    (tmp_path / "lines.jsonl").write_text(json.dumps({**record, "guid": "a3"}) + "\n")
    articles, problems = loaded(tmp_path)
    assert not problems
    assert sorted(a.id for a in articles) == ["a1", "a1", "a2", "a3"]
    first = articles[0]
    assert first.title == ARTICLE["title"] and first.source == "Wikinews" and first.url == ARTICLE["url"]
    assert first.published == date(2007, 11, 13) and first.metadata == {"section": "world"}


def test_csv_with_header_row(tmp_path):
    import csv

    path = tmp_path / "news.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, ["id", "title", "content", "date", "site"])
        writer.writeheader()
        for item in WIKINEWS[:3]:
            writer.writerow(
                {
                    "id": item["id"],
                    "title": item["title"],
                    "content": item["text"],
                    "date": item["published"],
                    "site": "Wikinews",
                }
            )
    articles, problems = loaded(path)
    assert not problems and [a.id for a in articles] == [i["id"] for i in WIKINEWS[:3]]
    assert articles[0].text == ARTICLE["text"].strip() or articles[0].text.startswith(WIKINEWS[0]["text"][:50])


def test_html_page_main_text_title_and_date(tmp_path):
    paragraphs = "".join(f"<p>{p}</p>" for p in ARTICLE["text"].split("\n\n"))
    page = (
        f"<html><head><title>{ARTICLE['title']}</title>"
        f'<meta property="article:published_time" content="{ARTICLE["published"]}T09:00:00Z">'
        '<meta property="og:site_name" content="Wikinews"></head><body><nav>Home | World</nav>'
        f"<article><h1>{ARTICLE['title']}</h1>{paragraphs}</article>"
        "<script>alert('x')</script></body></html>"
    )
    (tmp_path / "page.html").write_text(page, encoding="utf-8")
    (article,), problems = loaded(tmp_path / "page.html")
    assert not problems
    assert article.title == ARTICLE["title"] and article.source == "Wikinews"
    assert article.published == date.fromisoformat(ARTICLE["published"])
    assert ARTICLE["text"].split("\n\n")[1][:60] in article.text and "alert" not in article.text


@pytest.mark.parametrize("kind", ["rss", "atom"])
def test_feed_entries_become_articles_and_empty_entries_are_reported(tmp_path, kind):
    items = WIKINEWS[:2]
    if kind == "rss":
        entries = "".join(
            f"<item><guid>{i['id']}</guid><title>{i['title']}</title><link>{i['url']}</link>"
            f"<pubDate>Mon, 13 Nov 2006 08:00:00 GMT</pubDate><description><![CDATA[<p>{i['text']}</p>]]>"
            "</description></item>"
            for i in items
        )
        feed = (
            f'<?xml version="1.0"?><rss version="2.0"><channel><title>Wikinews</title>{entries}'
            "<item><title>No body</title></item></channel></rss>"
        )
    else:
        entries = "".join(
            f"<entry><id>{i['id']}</id><title>{i['title']}</title><link href='{i['url']}'/>"
            f"<updated>2006-11-13T08:00:00Z</updated><content type='text'>{i['text']}</content></entry>"
            for i in items
        )
        feed = (
            f'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Wikinews</title>{entries}'
            "<entry><id>empty</id><title>No body</title></entry></feed>"
        )
    (tmp_path / f"feed.{kind}").write_text(feed, encoding="utf-8")
    articles, problems = loaded(tmp_path / f"feed.{kind}")
    assert [a.id for a in articles] == [i["id"] for i in items]
    assert articles[0].source == "Wikinews" and articles[0].published == date(2006, 11, 13)
    assert items[0]["text"][:80] in articles[0].text
    assert len(problems) == 1 and "entry 3" in problems[0].reason and "no text" in problems[0].reason


BAD_FILES = {
    "empty.txt": (b"", "empty file"),
    "blank.txt": (b"  \n\t\n", "empty file"),
    "image.png": (bytes(range(256)) * 4, "unsupported file type"),
    "binary.txt": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(300), "binary"),
    "broken.json": (b'{"title": "x", "text": ', "malformed JSON"),
    "notext.csv": (b"title,author\nA,B\n", "no text column"),
    "scripts.html": (
        b"<html><head><script>var a=1;</script><style>p{}</style></head><body></body></html>",
        "no article text",
    ),
}


def test_bad_files_are_reported_with_reasons_and_good_ones_still_load(tmp_path):
    for name, (data, _) in BAD_FILES.items():
        (tmp_path / name).write_bytes(data)
    (tmp_path / "lines.jsonl").write_text(
        '{"id": "ok", "text": "Fine text."}\n{not json}\n[1, 2]\n{"id": "notext"}\n', encoding="utf-8"
    )
    latin = (
        "O presidente Luiz Inácio Lula da Silva disse em São Paulo que a reunião foi produtiva. "
        "José Dirceu, ministro-chefe da Casa Civil, também participou."
    )
    (tmp_path / "latin1.txt").write_bytes(latin.encode("latin-1"))
    (tmp_path / "utf16.txt").write_bytes("Zürich news in UTF-16.".encode("utf-16"))
    articles, problems = loaded(tmp_path)
    reasons = {Path(p.path).name + (f":{p.line}" if p.line else ""): p.reason for p in problems}
    for name, (_, expected) in BAD_FILES.items():
        assert expected in reasons[name], (name, reasons.get(name))
    assert "malformed JSON line" in reasons["lines.jsonl:2"]
    assert "expected a JSON object" in reasons["lines.jsonl:3"]
    assert "no text field" in reasons["lines.jsonl:4"]
    texts = {a.id: a.text for a in articles}
    assert texts["ok"] == "Fine text."
    assert latin in texts.values()
    assert "Zürich news in UTF-16." in texts.values()


def test_missing_path_is_a_problem_not_a_crash(tmp_path):
    articles, problems = loaded(tmp_path / "nope.txt")
    assert not articles and problems[0].reason == "no such file or folder"


def test_an_index_kept_beside_the_articles_is_not_read_as_articles(tmp_path, seed_index_path):
    (tmp_path / "story.txt").write_text("Title: Bridge opens\n\nThe new bridge opened on Friday.", encoding="utf-8")
    shutil.copytree(seed_index_path, tmp_path / "index")
    articles, problems = loaded(tmp_path)
    assert [a.title for a in articles] == ["Bridge opens"] and not problems
    articles, problems = loaded(tmp_path / "index")
    assert not articles and "a news-qa index, not articles" in problems[0].reason


def test_the_estimate_that_sizes_the_progress_bar_counts_what_load_gives(tmp_path):
    """One record per JSONL line (blank lines skipped), CSV line, feed item and other file; a
    README is no article. Lines longer than the scan's megabyte blocks count once. (A CSV field
    with line breaks in it makes the estimate high: the bar's total is a guide.)"""
    records = WIKINEWS[:5]
    lines = [json.dumps(r) for r in records[:3]] + ["", "  "] + [json.dumps(r) for r in records[3:]]
    lines[1] = json.dumps({**records[1], "text": records[1]["text"] + " more" * 400_000})  # a 2 MB line
    (tmp_path / "batch.jsonl").write_text("\n".join(lines), encoding="utf-8")  # no final newline
    rows = "".join(f'"{r["title"]}","{" ".join(r["text"][:300].split())}"\n' for r in records[:3])
    (tmp_path / "rows.csv").write_text("title,text\n" + rows, encoding="utf-8")
    items = "".join(
        f"<item><title>{r['title']}</title><description>{r['text'][:200]}</description></item>" for r in WIKINEWS[5:9]
    )
    (tmp_path / "feed.rss").write_text(f'<?xml version="1.0"?><rss version="2.0"><channel>{items}</channel></rss>')
    (tmp_path / "more").mkdir()
    for n, record in enumerate(WIKINEWS[9:11]):
        (tmp_path / "more" / f"{n}.txt").write_text(record["text"], encoding="utf-8")
    (tmp_path / "more" / "README.md").write_text("Not an article.", encoding="utf-8")
    articles, problems = loaded(tmp_path)
    assert not problems and len(articles) == 5 + 3 + 4 + 2
    assert estimate_articles([tmp_path]) == len(articles)
    assert estimate_articles([tmp_path / "batch.jsonl", tmp_path / "missing.jsonl"]) == 5


def test_the_estimate_skips_what_load_cannot_read(tmp_path):
    """A pipe named like an article file would block a scan forever; it counts for nothing."""
    os.mkfifo(tmp_path / "pipe.jsonl")
    (tmp_path / "one.txt").write_text(ARTICLE["text"], encoding="utf-8")
    assert estimate_articles([tmp_path]) == 1
