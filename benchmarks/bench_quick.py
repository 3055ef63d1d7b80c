"""benchmarks/bench_quick.py: the speed and size guard, in under three minutes (`make bench-quick`).

On the first 400 BBC articles it prints, from one run on this machine:
- ingest as a user runs it: `python -m qa ingest FILE` as a whole process, less a one-article
  ingest (start-up, model load), against sentence-transformers fp32 encoding the same chunks
  (the plain encoder's limit), as a ratio;
- warm `ask` p50/p95 over the articles' headlines, and the serving process's RSS;
- cold `python -m qa ask` (a new process to a printed answer), median of three;
- bytes on disk per chunk, every file of the index counted.
It reports and never fails on timing: the figures are noisy on shared machines, the ratio less so.
Without ../shared/data (a user's clone) it says so and exits 0.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import _cold, _env, _worker_run
from bench_data import DEFAULT_DOCUMENTS, ROOT, _questions, write_articles
from bench_report import _pct

ARTICLES = 400
QUESTIONS = 40
TARGETS = {
    "ingest_vs_limit": 2.0,
    "p50_ms": 5.0,
    "ranker_p50_ms": 40.0,
    "cold_s": 1.0,
    "bytes_per_chunk": 4_096,
    "rss_mb": 300,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="benchmarks/bench_quick.py", description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=Path, default=DEFAULT_DOCUMENTS)
    parser.add_argument("--n", type=int, default=ARTICLES)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    if not args.documents.exists():
        print(f"bench-quick: skipped, no {args.documents} (the shared data sets are not on this machine)")
        return 0
    with tempfile.TemporaryDirectory(prefix="qa-bench-quick-") as scratch:
        figures = measure(args.documents, args.n, Path(scratch))
    print(report(figures))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))
    return 0


def measure(documents: Path, n: int, scratch: Path) -> dict:
    """One run of every figure; the ingest processes and the fp32 limit run back to back."""
    articles = scratch / "articles.jsonl"
    one = scratch / "one.jsonl"
    write_articles(documents, n, articles)
    one.write_text(articles.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    _worker_run("prepare", {}, scratch)  # the cached ONNX export, outside every timing
    started = _ingest_seconds(one, scratch / "start-up")
    ingest = _ingest_seconds(articles, scratch / "index")
    limit = _worker_run("limit", {"documents": str(articles), "n": n}, scratch)
    questions = scratch / "questions.json"
    questions.write_text(json.dumps(_questions(articles, n, QUESTIONS)))
    serve = _worker_run("serve", {"folder": str(scratch / "index"), "questions": str(questions), "repeats": 3}, scratch)
    cold = _cold(scratch / "index", questions, 3)
    files = [f for f in (scratch / "index").iterdir() if f.is_file()]
    size = sum(f.stat().st_size for f in files)
    return {
        "articles": n,
        "chunks": serve["chunks"],
        "ingest_s": ingest - started,
        "limit_s": limit["seconds"],
        "ingest_vs_limit": limit["seconds"] / (ingest - started),
        "p50_ms": statistics.median(serve["hand_ask_ms"]),
        "p95_ms": _pct(serve["hand_ask_ms"], 95),
        "checked_p50_ms": statistics.median(serve["ask_ms"]),
        "checked_p95_ms": _pct(serve["ask_ms"], 95),
        "ranker_p50_ms": statistics.median(serve["ranker_ask_ms"]),
        "cold_s": cold["median_s"],
        "rss_mb": serve["serving_rss_bytes"] / 2**20,
        "bytes_per_chunk": size / serve["chunks"],
        "files": {f.name: f.stat().st_size for f in files},
    }


def _ingest_seconds(path: Path, folder: Path) -> float:
    began = time.perf_counter()
    command = [sys.executable, "-m", "qa", "ingest", "--index", str(folder), "--json", str(path)]
    subprocess.run(command, env=_env(), cwd=ROOT, check=True, capture_output=True, timeout=1_800)
    return time.perf_counter() - began


def report(f: dict) -> str:
    def mark(key: str, better_low: bool = True) -> str:
        met = f[key] <= TARGETS[key] if better_low else f[key] >= TARGETS[key]
        return f"(target {'<=' if better_low else '>='} {TARGETS[key]}: {'met' if met else 'NOT met'})"

    return "\n".join(
        [
            f"bench-quick: {f['articles']} BBC articles, {f['chunks']} chunks, one run",
            f"  ingest      {f['ingest_s']:.1f} s vs fp32 limit {f['limit_s']:.1f} s: "
            f"{f['ingest_vs_limit']:.2f}x {mark('ingest_vs_limit', False)}",
            f"  ask         p50 {f['p50_ms']:.1f} ms, p95 {f['p95_ms']:.1f} ms, hand-tuned score {mark('p50_ms')}",
            f"  ask checked p50 {f['checked_p50_ms']:.1f} ms, p95 {f['checked_p95_ms']:.1f} ms, the default: "
            "uncertain answers checked by the ranker",
            f"  ask ranker  p50 {f['ranker_p50_ms']:.1f} ms, with the learned ranker {mark('ranker_p50_ms')}",
            f"  cold ask    {f['cold_s']:.2f} s {mark('cold_s')}",
            f"  serving RSS {f['rss_mb']:.0f} MB {mark('rss_mb')}",
            f"  disk        {f['bytes_per_chunk']:,.0f} bytes per chunk {mark('bytes_per_chunk')}",
            "  files       " + ", ".join(f"{name} {size / 2**20:.1f} MB" for name, size in sorted(f["files"].items())),
        ]
    )


if __name__ == "__main__":
    sys.exit(main())
