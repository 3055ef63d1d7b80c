"""Where an answer's time goes: each read of the index, its milliseconds and the bytes it read
from disk, per question, with the page cache warm or emptied before every question.

    .venv/bin/python benchmarks/profile_ask.py --index build/scale/point-1000000 \
        --questions ../shared/data/reuters21578.documents.jsonl.gz [--articles 6231] [--cold]

Questions are the headlines of the first --articles documents, as bench.py and bench_scale.py ask
them (their 10k point, and the copies past it, hold the first 6,231 Reuters articles). `--cold` empties the
operating system's page cache before each question (root only: it writes /proc/sys/vm/drop_caches),
which is what a large archive meets when its file outgrows the memory. Linux only (/proc).
"""

from __future__ import annotations

import argparse
import functools
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_data import _questions
from qa import NewsIndex
from qa.storage.reads import Reader

READS = (
    "lexical_chunks",
    "dense_chunks",
    "hits",
    "chunk_frequencies",
    "sentences_of",
    "sentences_with",
    "articles",
    "families",
    "family_sources",
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--questions", type=Path, required=True, help="JSONL(.gz) documents whose headlines are asked")
    parser.add_argument("--articles", type=int, default=6231, help="the first N documents hold the questions")
    parser.add_argument("--count", type=int, default=60, help="questions (default 60)")
    parser.add_argument("--cold", action="store_true", help="empty the page cache before each question")
    args = parser.parse_args()
    index = NewsIndex.open(args.index)
    spent: dict[str, list[float]] = defaultdict(list)
    read: dict[str, int] = defaultdict(int)
    for name in READS:
        setattr(Reader, name, _measured(getattr(Reader, name), name, spent, read))
    index.embedder.embed = _measured(index.embedder.embed, "embed", spent, read)  # type: ignore[method-assign]
    questions = _questions(args.questions, args.articles, args.count)
    for question in questions[:5]:  # the model and the statements warm
        index.ask(question)
    spent.clear(), read.clear()
    totals = []
    for question in questions if args.cold else questions * 3:
        if args.cold:
            subprocess.run(["sh", "-c", "sync; echo 3 > /proc/sys/vm/drop_caches"], check=True)
        began = time.perf_counter()
        index.ask(question)
        totals.append((time.perf_counter() - began) * 1000)
    asked = len(totals)
    print(
        f"{'cold' if args.cold else 'warm'}: {asked} asks, p50 {statistics.median(totals):.1f} ms, "
        f"p95 {sorted(totals)[int(0.95 * asked)]:.1f} ms, mean {statistics.mean(totals):.1f} ms"
    )
    print("| read | ms an ask | calls an ask | KB from disk an ask |\n|---|---:|---:|---:|")
    for name, times in sorted(spent.items(), key=lambda item: -sum(item[1])):
        print(f"| {name} | {sum(times) / asked:.2f} | {len(times) / asked:.1f} | {read[name] / asked / 1024:.1f} |")
    return 0


def _measured(call, name: str, spent: dict[str, list[float]], read: dict[str, int]):
    @functools.wraps(call)
    def measured(*args, **kwargs):
        before, began = _bytes_read(), time.perf_counter()
        result = call(*args, **kwargs)
        spent[name].append((time.perf_counter() - began) * 1000)
        read[name] += _bytes_read() - before
        return result

    return measured


def _bytes_read() -> int:
    """Bytes this process has read from storage (not from the page cache)."""
    for line in Path("/proc/self/io").read_text().splitlines():
        if line.startswith("read_bytes"):
            return int(line.split()[1])
    return 0


if __name__ == "__main__":
    sys.exit(main())
