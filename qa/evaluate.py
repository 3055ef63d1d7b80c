"""python -m qa eval: retrieval recall, citation accuracy, span length, abstention and latency on a QA set."""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import statistics
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from qa.storage.schema import FORMAT_VERSION
from qa.types import Answer

RECALL_AT = (1, 5, 20)


@dataclass(frozen=True, slots=True)
class Gold:
    """A question and where its answers are: (start, end) spans in one article."""

    id: str
    question: str
    article_id: str
    spans: tuple[tuple[int, int], ...]


def held_out(article_id: str) -> bool:
    """The fifth of articles the learned ranker never trained on (benchmarks/train_ranker.py)."""
    return int(hashlib.sha1(article_id.encode()).hexdigest(), 16) % 5 == 4


def covers(article_id: str, start: int, end: int, gold: Gold) -> bool:
    """True when the span [start, end) of article_id contains one of the gold answer spans."""
    return article_id == gold.article_id and any(start <= s and e <= end for s, e in gold.spans)


def first_covering(spans: Sequence[tuple[str, int, int]], gold: Gold) -> int | None:
    """The 1-based rank of the first span that contains a gold answer, or None."""
    for rank, (article_id, start, end) in enumerate(spans, start=1):
        if covers(article_id, start, end, gold):
            return rank
    return None


def first_stating(citations: Sequence[tuple[str, str]], gold: Gold, answers: Sequence[str]) -> int | None:
    """The 1-based rank of the first (article_id, text) citation from the gold article that holds
    one of the answers' words anywhere in it, or None. Laxer than `first_covering`: where a set
    located its answer by string search (RealTimeQA: the first occurrence, often a dateline or
    headline), a sentence that states it again is an answer a reader accepts."""
    wanted = [" ".join(answer.casefold().split()) for answer in answers if answer.strip()]
    for rank, (article_id, text) in enumerate(citations, start=1):
        if article_id == gold.article_id and any(w in " ".join(text.casefold().split()) for w in wanted):
            return rank
    return None


def percentile(values: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile (fraction in 0..1) of the values."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, math.ceil(fraction * len(ordered)) - 1))]


def summarise(rows: Sequence[dict]) -> dict:
    """Aggregate per-question rows (retrieval_rank, citation_rank, abstained, lengths, seconds)."""
    n = len(rows)
    answered = [r for r in rows if not r["abstained"]]
    lengths = [length for r in rows for length in r["citation_lengths"]]
    hit_at = lambda key, k: sum(1 for r in rows if r[key] is not None and r[key] <= k) / n  # noqa: E731
    return {
        "questions": n,
        **{f"recall@{k}": hit_at("retrieval_rank", k) for k in RECALL_AT},
        "citation@1": hit_at("citation_rank", 1),
        "citation@3": hit_at("citation_rank", 3),
        "answer_stated@1": hit_at("stated_rank", 1),
        "answer_stated@3": hit_at("stated_rank", 3),
        "mean_citation_chars": statistics.fmean(lengths) if lengths else 0.0,
        "abstention_rate": 1 - len(answered) / n,
        "accuracy_when_answered": (
            sum(1 for r in answered if r["citation_rank"] == 1) / len(answered) if answered else 0.0
        ),
        "latency_p50_ms": 1000 * percentile([r["seconds"] for r in rows], 0.50),
        "latency_p95_ms": 1000 * percentile([r["seconds"] for r in rows], 0.95),
    }


def read_gold(path: Path, limit: int | None = None) -> list[Gold]:
    golds = []
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                item = json.loads(line)
                spans = tuple((a["start"], a["start"] + len(a["text"])) for a in item["answers"])
                golds.append(Gold(str(item["id"]), item["question"], str(item["doc_id"]), spans))
                if limit and len(golds) >= limit:
                    break
    return golds


def _default_index(documents: Sequence[Path]) -> Path:
    # Keyed by the documents' names and sizes, and the index format, so a rerun on the same files
    # reuses the index and a new format builds a new one.
    files = "|".join(f"{p.resolve()}:{p.stat().st_size}" for p in documents)
    key = hashlib.sha1(f"{files}|format {FORMAT_VERSION}".encode())
    return Path("build") / f"eval-{key.hexdigest()[:12]}"


def baseline_answer(index, question: str) -> tuple[Answer, list[tuple[str, int, int]]]:
    """The plain baseline: dense top-5 chunks, then the one sentence nearest the question."""
    from qa.answer.extract import candidates_of, citations

    vector = index.embedder.embed([question])[0]
    hits = index.reader.hits(index.reader.nearest_chunks(vector, max(RECALL_AT)))
    candidates = sorted(candidates_of(index.reader, hits[:5], vector), key=lambda c: -c.dense)
    return Answer(question, citations=citations(index.reader, candidates[:1])), [
        (h.article_id, h.start, h.end) for h in hits
    ]


def evaluate(index, golds: Iterable[Gold], *, baseline: bool = False) -> list[dict]:
    """Answer every question; one row of measurements per question."""
    from qa.answer.retrieve import retrieve
    from qa.ingest.embed import embed_soon
    from qa.text.question import clean_question, terms
    from qa.types import Query

    rows = []
    for gold in golds:
        started = time.perf_counter()
        if baseline:
            answer, retrieved = baseline_answer(index, gold.question)
            seconds = time.perf_counter() - started
        else:
            answer = index.ask(gold.question)
            seconds = time.perf_counter() - started
            # Retrieval recall is measured on the whole question, without the filters its dates give.
            cleaned = clean_question(gold.question)
            query = Query(gold.question, cleaned, tuple(terms(cleaned)))
            hits = retrieve(index.reader, query, embed_soon(index.embedder, query.searched), k=max(RECALL_AT))
            retrieved = [(h.article_id, h.start, h.end) for h in hits]
        cited = [(c.article_id, c.start, c.end) for c in answer.citations]
        gold_text = index.reader.article(gold.article_id).text if gold.spans else ""
        answers = [gold_text[s:e] for s, e in gold.spans]
        rows.append(
            {
                "id": gold.id,
                "retrieval_rank": first_covering(retrieved, gold),
                "citation_rank": first_covering(cited, gold),
                "stated_rank": first_stating([(c.article_id, c.text) for c in answer.citations], gold, answers),
                "abstained": answer.abstained,
                "citation_lengths": [c.end - c.start for c in answer.citations],
                "confidence": answer.confidence,
                "seconds": seconds,
            }
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m qa eval", description=__doc__)
    parser.add_argument(
        "--documents",
        type=Path,
        nargs="+",
        required=True,
        help="JSONL documents (doc_id, title, text, date, source); several files go in one index",
    )
    parser.add_argument(
        "--questions",
        type=Path,
        required=True,
        help='JSONL questions: {"id", "question", "answers": [{"text", "start"}], "doc_id"}',
    )
    parser.add_argument("--index", type=Path, help="index folder (default: build/eval-<hash of the documents>)")
    parser.add_argument("--limit", type=int, help="only the first N questions")
    parser.add_argument("--baseline", action="store_true", help="dense top-5 chunks, nearest sentence")
    parser.add_argument(
        "--unanswerable",
        type=Path,
        help="JSONL near-miss questions (answers: []) about the same documents: reports how many are abstained on",
    )
    parser.add_argument(
        "--held-out",
        action="store_true",
        help="only questions about the fifth of articles the learned ranker did not train on",
    )
    parser.add_argument("--ranker", action="store_true", help="rank sentences with the learned ranker as well")
    parser.add_argument(
        "--no-check", dest="check", action="store_false", help="answer without the ranker's check of uncertain answers"
    )
    parser.add_argument(
        "--reader",
        nargs="?",
        const=True,
        default=False,
        type=Path,
        help="rank sentences with the learned passage reader as well (or the one in this ONNX file)",
    )
    parser.add_argument("--out", type=Path, help="write the report as JSON here")
    args = parser.parse_args(argv)

    from qa.errors import BadInput
    from qa.news_index import NewsIndex

    for path in [*args.documents, args.questions, *filter(None, [args.unanswerable])]:
        if not path.exists():
            raise BadInput(f"no such file: {path}")
    index_path = args.index or _default_index(args.documents)
    index = NewsIndex.open(index_path, create=True, ranker=args.ranker, check=args.check, reader=args.reader)
    report = index.add(args.documents)
    print(f"index {index_path}: {report.summary()}")

    def questions(path: Path) -> list[Gold]:
        return [g for g in read_gold(path, args.limit) if not args.held_out or held_out(g.article_id)]

    rows = evaluate(index, questions(args.questions), baseline=args.baseline)
    summary = summarise(rows)
    if args.unanswerable:
        near_misses = evaluate(index, questions(args.unanswerable), baseline=args.baseline)
        summary["near_misses"] = len(near_misses)
        summary["near_miss_abstention"] = sum(r["abstained"] for r in near_misses) / max(1, len(near_misses))
        summary["answered_rate"] = 1 - summary["abstention_rate"]
    summary.update(
        mode="baseline"
        if args.baseline
        else "news-qa + ranker"
        if args.ranker
        else "news-qa + reader"
        if args.reader
        else "news-qa"
        if args.check
        else "news-qa, unchecked",
        documents=[str(p) for p in args.documents],
        questions_file=str(args.questions),
        date=time.strftime("%Y-%m-%d"),
    )
    width = max(len(key) for key in summary)
    for key, value in summary.items():
        print(f"{key:<{width}}  {value:.3f}" if isinstance(value, float) else f"{key:<{width}}  {value}")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps({"summary": summary, "questions": rows}, indent=1))
    return 0
