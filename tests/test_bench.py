"""The benchmark runs end to end on a tiny corpus it writes itself, so it cannot rot (no timing asserted)."""

from __future__ import annotations

import json
import sqlite3
import sys
from pathlib import Path

import pytest

# benchmarks/ is a folder of scripts, not a package: import bench.py the way `python benchmarks/bench.py` runs it.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
import bench
import bench_data
from helpers import assert_fts_matches
from qa.storage import codec

pytestmark = pytest.mark.slow

STORIES = [
    (
        "Council approves new bridge",
        "The city council approved a new bridge over the river on Monday. "
        "The mayor said construction would start in spring. Residents had asked for a crossing for years.",
    ),
    (
        "Storm closes schools",
        "A winter storm closed schools across the region. Forecasters expect "
        "more snow on Wednesday. The transport minister said trains would run a reduced timetable.",
    ),
    (
        "Chip maker raises forecast",
        "The chip maker raised its annual forecast after strong demand for "
        "data centre processors. Its shares rose eight percent in early trading.",
    ),
    (
        "Museum returns artefacts",
        "The national museum returned twelve bronze artefacts to their country "
        "of origin. The director called it a debt of history being paid.",
    ),
    (
        "Farmers protest fuel prices",
        "Hundreds of farmers drove tractors into the capital to protest "
        "fuel prices. Police said the march was peaceful.",
    ),
    (
        "Team wins cup final",
        "The home team won the cup final two goals to one. The captain said the "
        "victory belonged to the fans who had waited thirty years.",
    ),
]


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.documents.jsonl"
    path.write_text(
        "".join(
            json.dumps(
                {
                    "doc_id": f"tiny:{i}",
                    "title": title,
                    "text": text,
                    "date": f"2024-01-{i + 1:02d}",
                    "source": "Tiny Times",
                }
            )
            + "\n"
            for i, (title, text) in enumerate(STORIES)
        ),
        encoding="utf-8",
    )
    return path


def test_bench_writes_the_report_on_a_tiny_corpus(corpus, tmp_path):
    out = tmp_path / "docs" / "BENCHMARKS.md"
    code = bench.main(
        [
            "--documents",
            str(corpus),
            "--scale-documents",
            str(corpus),
            "--n",
            "4",
            "--repeats",
            "1",
            "--sizes",
            "3,14",
            "--real-up-to",
            "3",
            "--questions",
            "2",
            "--no-peer",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    report = out.read_text(encoding="utf-8")
    for heading in (
        "# Benchmarks",
        "## Ingest",
        "## Query, on the ingest corpus",
        "## Latency against corpus size",
        "## Targets (issues 7, 13 and 15)",
    ):
        assert heading in report
    assert "fp32 limit" in report and "news-qa" in report and "cold start" in report
    assert "synthetic vectors" in report  # the 14-chunk point copies the 3-chunk one
    assert "| flat |" in report
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return
    assert (out.parent / "bench-latency.png").stat().st_size > 0


def test_synthetic_copies_keep_offsets_text_and_unit_vectors(corpus, tmp_path):
    from qa.news_index import NewsIndex

    folder = tmp_path / "index"
    with NewsIndex.open(folder, create=True) as index:
        index.add(bench_data.read_articles(corpus, 3))
        before = index.db.execute("SELECT count(*) FROM chunks").fetchone()[0]
    copies = bench_data.synthesise(folder, 4 * before)
    assert copies == 3
    with NewsIndex.open(folder) as index:
        assert len(index.vectors) == 4 * before and len(index) == 12
        for article in index.articles():
            for start, end in index.db.execute(
                "SELECT s.start, s.end FROM sentences s JOIN articles a ON a.rowid = s.article WHERE a.id = ?",
                (article.id,),
            ):
                assert 0 <= start < end <= len(article.text)
        answer = index.ask("when will the bridge construction start")
        assert answer.citations or answer.related
    db = sqlite3.connect(folder / "news.sqlite")
    # Each copy's vectors are the original's moved by the noise: near it, never equal to it.
    originals = {}
    for article, start, blob in db.execute("SELECT article, start, vector FROM sentences ORDER BY article"):
        key = (article - 1) % 3, start
        if key not in originals:
            originals[key] = codec.decode(blob)
        elif article > 3:
            assert 0.3 < float(codec.decode(blob) @ originals[key]) < 0.999
    assert db.execute("SELECT count(*) FROM chunks_fts WHERE chunks_fts MATCH 'bridge'").fetchone()[0] == 4
    assert_fts_matches(db)


def test_a_benchmark_section_replaces_its_own_version_and_keeps_the_rest(tmp_path):
    doc = tmp_path / "SCALE.md"
    doc.write_text("# Scale\n\nthe curve\n", encoding="utf-8")
    ray = "<!-- ray: benchmarks/bench_ray.py -->\nray run 1\n<!-- /ray -->"
    stream = "<!-- stream: benchmarks/bench_stream.py -->\nstream run 1\n<!-- /stream -->"
    bench_data.write_section(doc, ray)
    bench_data.write_section(doc, stream)
    bench_data.write_section(doc, ray.replace("run 1", "run 2"))
    text = doc.read_text(encoding="utf-8")
    assert text.startswith("# Scale\n\nthe curve\n")
    assert "ray run 1" not in text and text.count("<!-- /ray -->") == 1
    assert text.index("ray run 2") < text.index("stream run 1")  # replaced where it stood
