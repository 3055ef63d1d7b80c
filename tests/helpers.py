"""What the tests share: the checkout's paths, the seed records, child processes, and the offset equation.

Test modules import it as `from helpers import ...`, as they import `fakes`: pytest puts tests/ on
sys.path because the folder has no __init__.py (its default "prepend" import mode).
"""

from __future__ import annotations

import importlib.util
import json
import os
import socket
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any, Protocol

ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "tests"
DATA = TESTS / "data"  # inputs kept for the tests: rafah.txt, the quote articles and their labels
SEEDS = ROOT / "seeds"  # the articles the app starts from: 67 Wikinews records and one WION story
WIKINEWS = SEEDS / "wikinews.jsonl"
RAFAH = SEEDS / "wion-2024-03-22-netanyahu-rafah.txt"
APP = ROOT / "app.py"
FAKES = TESTS / "fakes.py"  # run as a script: `python -m qa` with the test embedder and fault hooks


def wikinews_records() -> list[dict[str, Any]]:
    """The Wikinews seed records as stored (id, title, text, published, url, ...), in file order."""
    return [json.loads(line) for line in WIKINEWS.read_text(encoding="utf-8").splitlines()]


def child_env(**extra: str) -> dict[str, str]:
    """Environment for a child `python -m qa`, app.py or tests/fakes.py: offline, importing this checkout."""
    return {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT), **extra}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def import_app() -> ModuleType:
    """app.py imported afresh, as a test imports `demo`: nothing is launched and no index is opened."""
    spec = importlib.util.spec_from_file_location("app_under_test", APP)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ---- the offset equation: article.text[start:end] == text ---------------------------------------


class Articles(Protocol):
    """A NewsIndex, or a dict of article id -> Article: anything whose get(id) gives the article."""

    def get(self, article_id: str, /) -> Any: ...


def _span(item: Any) -> tuple[int, int, str]:
    if isinstance(item, Mapping):  # a passage as Answer.to_dict(), the CLI and the web API give it
        return item["start"], item["end"], item["text"]
    return item.start, item.end, item.text


def _article_id(item: Any) -> str:
    return item["article_id"] if isinstance(item, Mapping) else item.article_id


def assert_slices(text: str, items: Iterable[Any]) -> None:
    """Each item is the non-empty slice of `text` it claims: text[start:end] == item.text, 0 <= start < end.

    Args:
        text: the one text every item points into (an article's text, or any string given to the chunker).
        items: Spans, Citations, Quotes (anything with start, end and text), or their dicts.
    """
    for item in items:
        start, end, claimed = _span(item)
        assert 0 <= start < end <= len(text), f"[{start}:{end}] is not a span of a {len(text)}-character text: {item}"
        assert text[start:end] == claimed, f"text[{start}:{end}] is {text[start:end]!r}, not {claimed!r}"


def assert_cited(articles: Articles, items: Iterable[Any]) -> None:
    """Each item slices the article it names: articles.get(item.article_id).text[start:end] == item.text.

    Args:
        articles: a NewsIndex, or a dict of article id -> Article.
        items: Citations, related passages, Quotes (anything with article_id, start, end and text), or their dicts.
    """
    for item in items:
        article = articles.get(_article_id(item))
        assert article is not None, f"{_article_id(item)!r} is not among the articles: {item}"
        assert_slices(article.text, [item])


def assert_stored_spans(index: Any, article_ids: Sequence[str] | None = None) -> tuple[int, int]:
    """Every chunk and sentence row in SQLite is a trimmed, non-empty slice of its article's text.

    Args:
        index: an open NewsIndex (its `db` connection is read).
        article_ids: the articles to check; every article when None.

    Returns:
        How many chunks and sentences were checked.
    """
    counts = []
    for table in ("chunks", "sentences"):
        # The FTS5 index reads its text from the articles; assert_fts_matches checks it.
        query = f"SELECT a.id, a.text, s.start, s.end FROM {table} s JOIN articles a ON a.rowid = s.article"
        if article_ids is None:
            rows = index.db.execute(query).fetchall()
        else:
            marks = ",".join("?" * len(article_ids))
            rows = index.db.execute(f"{query} WHERE a.id IN ({marks})", list(article_ids)).fetchall()
        for article_id, text, start, end in rows:
            assert 0 <= start < end <= len(text), f"{table} row [{start}:{end}] of {article_id!r} is out of range"
            assert text[start:end].strip() == text[start:end], (
                f"{table} row [{start}:{end}] of {article_id!r} is untrimmed"
            )
        counts.append(len(rows))
    return counts[0], counts[1]


def assert_damaged_model_falls_back(
    index_path: Path, damaged: Path, option: str, plain: Mapping[str, Any], caplog: Any, says: str
) -> None:
    """A learned model's file that does not load: answers come from the hand-tuned score (as
    NewsIndex.open(**plain) gives them), and the log says so once, naming the model (`says`)."""
    import logging

    from qa import NewsIndex

    damaged.write_bytes(b"not an onnx graph")
    question = "who won the Ukrainian election re-run"
    with caplog.at_level(logging.WARNING, logger="qa"):
        with NewsIndex.open(index_path, **{option: damaged}) as index:
            first = index.ask(question)
            second = index.ask(question)
    warnings = [r for r in caplog.records if says in r.getMessage()]
    assert len(warnings) == 1 and "hand-tuned score" in warnings[0].getMessage()
    with NewsIndex.open(index_path, **plain) as unlearned:
        expected = unlearned.ask(question)
    assert first.to_dict() == second.to_dict() == expected.to_dict()


def readme_python(after_heading: str) -> str:
    """The first ```python block of README.md after the line `after_heading`, as a user would copy it."""
    text = (ROOT / "README.md").read_text(encoding="utf-8").split(f"\n{after_heading}\n", 1)[1]
    return text.split("```python\n", 1)[1].split("\n```", 1)[0]


def assert_fts_matches(db: Any) -> None:
    """The FTS5 index holds exactly the stored chunks' text, no more, no less.

    Its text is read from the articles (external content), so counting FTS rows would count the
    content view; FTS5's integrity check compares the index itself with it. It runs on its own
    connection, as an INSERT, so it waits for a writer's batch and leaves `db` out of a transaction.
    """
    path = db.execute("PRAGMA database_list").fetchone()[2]
    check = sqlite3.connect(path, timeout=120, isolation_level=None)
    try:
        check.execute("INSERT INTO chunks_fts(chunks_fts, rank) VALUES ('integrity-check', 1)")
    finally:
        check.close()
