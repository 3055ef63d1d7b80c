"""benchmarks/bench_scale.py: the one-machine scale curve (`make bench-scale`), written to docs/SCALE.md.

For each size (default 10k, 100k and 1M chunks) it builds an index and measures, in fresh
processes as `make bench` does: warm `ask` p50/p95 and retrieval p50, FAISS recall@10 against
brute force, cold `python -m qa ask`, the time to build FAISS from SQLite, the serving process's
RSS, and bytes on disk per chunk. Once every point is measured, it ingests the same 400 BBC articles
(text none of them holds) into each, in a fresh process: the ingest rate at that size, near-duplicate
lookups, FTS5 and FAISS upkeep included. Up to --real-up-to chunks the index holds real Reuters-21578
articles; larger ones copy that index with synthetic vectors (`bench_data.synthesise`). It then works
out what 100M articles would take from the largest point's per-chunk figures.

It takes about 15 minutes for the default sizes on a 2-core machine, most of it copying rows
into SQLite; `--sizes 10000,100000,1000000,5000000` adds the 5M point (89 minutes on 2026-12-02,
most of it copying and vacuuming a 20 GB database; ~45 GB of scratch disk at the peak).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import bench_ray
import bench_stream
from bench import REAL_UP_TO, _points, _say, _worker_run
from bench_data import DEFAULT_DOCUMENTS, DEFAULT_SCALE, ROOT, SYNTHETIC_NOISE, machine, write_section
from bench_report import _f, _pct
from bench_tasks import NEAR_COSINE

SIZES = (10_000, 100_000, 1_000_000)
QUESTIONS = 60
REPEATS = 3
CHUNKS_PER_ARTICLE = 4.5  # news articles in the shared corpora: BBC 3.6, RealTimeQA 5.5 chunks each
INGEST_MORE = 400  # BBC articles added to each point, as `make bench-quick` ingests them
TARGETS = {"p50_ms": 30.0, "p95_ms": 100.0, "cold_s": 2.0, "rss_bytes": 4 * 2**30, "disk_bytes": 4_096, "recall": 0.95}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="benchmarks/bench_scale.py", description=__doc__.splitlines()[0])
    parser.add_argument("--scale-documents", type=Path, default=DEFAULT_SCALE)
    parser.add_argument("--documents", type=Path, default=DEFAULT_DOCUMENTS, help="articles ingested into each point")
    parser.add_argument("--sizes", type=lambda s: [int(x) for x in s.split(",") if x], default=list(SIZES))
    parser.add_argument("--real-up-to", type=int, default=REAL_UP_TO)
    parser.add_argument("--repeats", type=int, default=REPEATS)
    parser.add_argument("--questions", type=int, default=QUESTIONS)
    parser.add_argument("--scratch", type=Path, help="folder for the indexes (default: a temporary one)")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "SCALE.md")
    args = parser.parse_args(argv)
    for path in (args.scale_documents, args.documents):
        if not path.exists():
            print(f"bench-scale: no {path} (the shared data sets are not on this machine)")
            return 1
    added = args.documents
    args.documents = args.scale_documents  # every point, the smallest too, is Reuters text
    started = time.monotonic()
    results = {"machine": machine(), "args": {k: str(v) for k, v in vars(args).items()}}
    results["args"]["documents_added"] = added.name
    with tempfile.TemporaryDirectory(prefix="qa-bench-scale-", dir=args.scratch) as scratch:
        results["points"] = _points(args, Path(scratch))
        # After every point: the largest real index is the source the synthetic ones copy.
        for point in results["points"]:
            _say(f"ingesting {INGEST_MORE} articles of {added.name} into the {point['size']:,}-chunk point")
            more = {"documents": str(added), "n": INGEST_MORE, "folder": str(Path(scratch) / f"point-{point['size']}")}
            point["ingest"] = _worker_run("ingest", more, scratch)
    results["minutes"] = round((time.monotonic() - started) / 60, 1)
    kept = args.out.read_text(encoding="utf-8") if args.out.exists() else ""
    args.out.write_text(render(results), encoding="utf-8")
    for other in (bench_stream, bench_ray):  # their sections are theirs: keep them
        if other.START in kept and other.END in kept:
            write_section(args.out, other.START + kept.split(other.START, 1)[1].split(other.END, 1)[0] + other.END)
    _say(f"wrote {args.out}")
    return 0


def render(results: dict) -> str:
    m, points = results["machine"], results["points"]
    lines = [
        "# Scale: one machine",
        "",
        f"Measured {m['date']} on commit `{m['commit']}`: {m['cpu']}, {m['cores']} cores, "
        f"{m['memory_bytes'] / 2**30:.0f} GiB. Command: `python benchmarks/bench_scale.py --sizes "
        f"{results['args']['sizes'].strip('[]').replace(' ', '')}` ({results['minutes']} min). Every "
        "figure is from fresh processes; ask and retrieval are medians over "
        f"{results['args']['questions']} Reuters headlines asked {results['args']['repeats']} times.",
        "",
        "| chunks | articles | text | FAISS | recall@10 | recall@10, ties within "
        f"{NEAR_COSINE} | ask p50 | ask p95 | ask p50, newer half by date | retrieve p50 | cold start | FAISS build | "
        f"serving RSS | disk/chunk | ingest {INGEST_MORE} more articles |",
        "|---:|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for p in points:
        sv = p["serve"]
        text = "Reuters-21578" + (f" + {p['copies']} copies" if p["synthetic"] else "")
        lines.append(
            f"| {sv['chunks']:,} | {p['articles']:,} | {text} | {sv['kind']} | {_f(sv.get('recall_at_10'), 3)} | "
            f"{_f(sv.get('recall_at_10_near'), 3)} | {_f(_pct(sv['ask_ms'], 50), 1, ' ms')} | "
            f"{_f(_pct(sv['ask_ms'], 95), 1, ' ms')} | {_f(_pct(sv.get('filtered_ask_ms') or [], 50), 1, ' ms')} | "
            f"{_f(_pct(sv['retrieve_ms'], 50), 1, ' ms')} | "
            f"{_f(p['cold']['median_s'], 2, ' s')} | {_f(p['open']['seconds'], 0, ' s')} | "
            f"{sv['serving_rss_bytes'] / 2**20:,.0f} MB | {p['bytes_on_disk'] / sv['chunks']:,.0f} B | "
            f"{p['ingest']['articles_per_s']:.1f} articles/s |"
        )
    lines += [
        "",
        "Copies keep every article's text, sentences, FTS5 rows and quotes, so SQLite, BM25 and extraction "
        f"work over the full size; their vectors are the original's plus Gaussian noise ({SYNTHETIC_NOISE} "
        "of the norm), renormalised. At 1M chunks that puts ~100 near-identical vectors around each real "
        "one, which makes the exact top 10 a matter of cosine differences below the int8 storage's own "
        "precision: the second recall column counts a returned chunk as right when its exact cosine is "
        f"within {NEAR_COSINE} of the exact 10th.",
        "",
        f"The last column adds the first {INGEST_MORE} articles of `{results['args']['documents_added']}` to each "
        "finished point in a new process (model loading excluded; opening the index, chunking, embedding, "
        "quotes, near-duplicate lookups, FTS5 and the FAISS file's update included): how fast an archive of that "
        "size takes in a day's news. The points themselves are built as described above, not ingested.",
        "",
    ]
    largest = points[-1]
    sv = largest["serve"]
    checks = [
        ("ask p50", _pct(sv["ask_ms"], 50) <= TARGETS["p50_ms"], f"{_pct(sv['ask_ms'], 50):.1f} ms", "30 ms"),
        ("ask p95", _pct(sv["ask_ms"], 95) <= TARGETS["p95_ms"], f"{_pct(sv['ask_ms'], 95):.1f} ms", "100 ms"),
        ("cold start", largest["cold"]["median_s"] <= TARGETS["cold_s"], f"{largest['cold']['median_s']:.2f} s", "2 s"),
        (
            "serving RSS",
            sv["serving_rss_bytes"] <= TARGETS["rss_bytes"],
            f"{sv['serving_rss_bytes'] / 2**20:,.0f} MB",
            "4 GB",
        ),
        (
            "disk per chunk",
            largest["bytes_on_disk"] / sv["chunks"] <= TARGETS["disk_bytes"],
            f"{largest['bytes_on_disk'] / sv['chunks']:,.0f} B",
            "4,096 B",
        ),
        ("recall@10", (sv.get("recall_at_10") or 0) >= TARGETS["recall"], f"{sv.get('recall_at_10', 0):.3f}", "0.95"),
    ]
    lines += [
        f"## Issue 16's targets, at the largest point measured ({sv['chunks']:,} chunks; the issue asks them at 5M)",
        "",
        "| target | limit | measured | met |",
        "|---|---:|---:|---|",
    ]
    lines += [f"| {name} | {limit} | {value} | {'yes' if ok else 'no'} |" for name, ok, value, limit in checks]
    lines += ["", *estimate(largest), "", *DESIGN, ""]
    return "\n".join(lines)


DESIGN = [
    "## What makes it scale, and what does not yet",
    "",
    "- **Ingest streams.** JSONL is read a line at a time; articles are committed 32 to a transaction, "
    "so a kill loses at most one batch and running the same command again skips what is stored "
    "(same id and content). `python -m qa ingest` shows articles/s and an ETA, and counts what it did "
    "instead of listing every id, so memory stays flat (a 5 GB JSONL: the section below, `make bench-stream`). "
    "Near-duplicate "
    "families are found through LSH band keys stored in SQLite, one indexed lookup an article, instead "
    "of an in-memory LSH of every article (345 MB at 100k articles).",
    "- **Vectors.** Exact search below 50k chunks; past it an IVF index of product-quantised codes, "
    "48 bytes a chunk (`qa/storage/vectors.py`): cells learnt by k-means on a sample spread over the "
    "index, ~256 chunks a cell (at most 8,192 cells), 64 cells probed, and the best 400 it finds "
    "rescored with their stored int8 vectors, so the cosines and order it returns are exact. It is "
    "built from SQLite 50k vectors at a time, drops deleted or replaced chunks in place, is saved per "
    "generation and rebuilt when it outgrows its cells. SQLite keeps each vector once as int8, the "
    "truth the index is derived from.",
    "- **Filters.** Dense and BM25 search rank 4 x depth chunks unfiltered (then 32 x depth, then 192 x "
    "depth) and keep those the filter passes, which is exact once enough pass; only a narrow filter lists "
    "every chunk it allows (read from SQLite into Python) for an exact search among them. The check reads "
    "each ranked chunk's article, date and source from two covering indexes (`chunks_by_id`, "
    "`articles_by_row`, 24 B a chunk), not the chunk rows with their vectors and the article rows with "
    "their text.",
    "- **BM25 stays bounded.** FTS5 scores every chunk a searched word is in (~1 us each), so a word in "
    "more than a tenth of the chunks is left out (when at least 1,000 hold it), and when every word of a "
    "question is in 5,000 chunks or more BM25 is skipped and the dense search ranks alone.",
    "- **Beyond one machine** (the section below, `make bench-ray`): `python -m qa ingest --ray --shards N` "
    "writes a sharded archive, each shard an index as above; Ray Serve serves a deployment per shard and "
    "`qa/scale/sharded.py` merges their answers into one index's (BM25 weighed by the whole archive's "
    "counts). Exact copies are skipped at ingest across shards; near-duplicate copies in different shards "
    "are joined when an answer reads them (their MinHash signatures compared by the merge, "
    "`qa/scale/families.py`).",
    "- **Not yet: an archive larger than memory.** Warm, an answer reads little; cold (the page cache "
    "emptied), a dense search reads ~400 int8 rows, one page each, and BM25 the FTS5 doclists of the "
    "question's words: `benchmarks/profile_ask.py --cold` shows each read's milliseconds and bytes.",
]


def estimate(point: dict) -> list[str]:
    """What 100M articles would need, scaled from one measured point's per-chunk figures."""
    sv = point["serve"]
    chunks = 100_000_000 * CHUNKS_PER_ARTICLE
    disk = point["bytes_on_disk"] / sv["chunks"] * chunks
    ram = sv["ram_per_chunk_bytes"] * chunks if sv.get("ram_per_chunk_bytes") else None
    per_shard = 5_000_000  # chunks: the size issue 16 asks one machine to serve
    shards = chunks / per_shard
    return [
        "## A worked estimate: 100M articles",
        "",
        f"- Assumptions: {CHUNKS_PER_ARTICLE} chunks an article (the shared news corpora give 3.6-5.5), so "
        f"{chunks / 1e6:,.0f}M chunks; the per-chunk disk and RAM of the {sv['chunks']:,}-chunk point above hold "
        "at shard size; one shard per machine of this kind, each holding at most 5M chunks.",
        f"- Disk: {point['bytes_on_disk'] / sv['chunks']:,.0f} B a chunk -> {disk / 1e12:,.1f} TB in all, "
        f"{disk / shards / 1e9:,.0f} GB a shard.",
        (
            f"- RAM: {sv['ram_per_chunk_bytes']:,.0f} B a chunk serving -> {ram / 1e12:,.2f} TB in all, "
            f"{ram / shards / 2**30:,.1f} GiB a shard besides the ~300 MB the model and libraries take."
            if ram
            else "- RAM: not measured at this point."
        ),
        f"- Shards: {shards:,.0f} machines, each a Ray Serve deployment (`qa/scale/`). A question is embedded "
        "once; each read of the answer's stages goes to every shard at once (dense search, BM25 counts, "
        "BM25 scores, word counts: about six such rounds) or to the shards that hold the articles it needs, "
        "all at once (hits, sentences, articles, families, other sources): about 10 rounds in all on the seeds. "
        "Each fan-out waits for the slowest shard, whose own work at this size is below its whole answer's p95 "
        f"({_pct(sv['ask_ms'], 95):.0f} ms here at {sv['chunks']:,} chunks); with ~10 round trips of ~1 ms "
        "inside one data centre, the fan-out adds tens of milliseconds, not a multiple of the shard count.",
        "- Measured: the merge over 4 local shards (the Ray section below); not measured: a network "
        "between machines, and many shards answering one question together.",
    ]


if __name__ == "__main__":
    sys.exit(main())
