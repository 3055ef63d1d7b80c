"""What a confidence threshold trades: answers kept on questions an index holds, wrong answers
given to questions it cannot answer.

    D=../shared/data
    # questions another corpus answers, asked of BBC 2004-2005 alone
    .venv/bin/python benchmarks/abstention.py --index build/abstain-bbc --documents $D/bbc_news.documents.jsonl \
        --unanswerable $D/realtimeqa_news_a.questions.jsonl $D/squad_dev_a.questions.jsonl --sample 300
    # SQuAD and its near misses, of the SQuAD index; the news set, of RealTimeQA + BBC
    .venv/bin/python benchmarks/abstention.py --index build/abstain-squad --documents $D/squad_dev_a.documents.jsonl \
        --answerable $D/squad_dev_a.questions.jsonl --unanswerable $D/squad2_dev_a.unanswerable.questions.jsonl
    .venv/bin/python benchmarks/abstention.py --index build/abstain-news \
        --documents $D/realtimeqa_news_a.documents.jsonl $D/bbc_news.documents.jsonl \
        --answerable $D/realtimeqa_news_a.questions.jsonl

Every question is asked once at today's settings; a higher threshold only turns answers whose
confidence falls below it into abstentions (the first citation of an answer is the best sentence
either way), so one pass gives every row; story and quote answers score on their own scales, so a
threshold at or below today's keeps every answer given today. `--answerable` questions (their
gold article in the index) report the share answered and the share whose first citation holds
the gold span; `--unanswerable` ones (asked of an index that does not hold their answers: another corpus, or
SQuAD 2.0's near misses) the share answered, each answer a wrong one. `--sample N` takes N of
each file, drawn with a fixed seed. `--reader` answers with the passage reader, whose scores are
on their own scale (its threshold is 0.40: `--thresholds 0.4`).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from qa import NewsIndex
from qa.answer.extract import ANSWER_THRESHOLD
from qa.errors import QAError
from qa.evaluate import first_covering, read_gold

SEED = 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, required=True, help="index folder (built from --documents if absent)")
    parser.add_argument("--documents", type=Path, nargs="*", default=[], help="JSONL articles to build it from")
    parser.add_argument("--answerable", type=Path, nargs="*", default=[], help="questions with gold spans")
    parser.add_argument("--unanswerable", type=Path, nargs="*", default=[], help="questions it cannot answer")
    parser.add_argument("--sample", type=int, default=0, help="at most this many questions of each file")
    parser.add_argument("--thresholds", default="0.7,0.75,0.8,0.85")
    parser.add_argument("--no-check", dest="check", action="store_false", help="without the ranker's check")
    parser.add_argument(
        "--reader", nargs="?", const=True, default=False, type=Path, help="with the passage reader (or this ONNX file)"
    )
    args = parser.parse_args()
    thresholds = [float(t) for t in args.thresholds.split(",")]
    index = NewsIndex.open(args.index, create=bool(args.documents), check=args.check, reader=args.reader)
    if args.documents and not len(index):
        index.add(args.documents)
    rows = ["| answer when confidence >= | " + " | ".join(str(t) for t in thresholds) + " |"]
    rows.append("|---|" + "---:|" * len(thresholds))
    for path in args.answerable:
        golds = _sample(read_gold(path), args.sample)
        asked = [(index.ask(g.question), g) for g in golds]
        firsts = [
            (answer.confidence, first_covering([(c.article_id, c.start, c.end) for c in answer.citations[:1]], gold))
            for answer, gold in asked
            if not answer.abstained
        ]
        cells = [
            f"{sum(_kept(c, t) for c, _ in firsts) / len(golds):.3f} / "
            f"{sum(_kept(c, t) and rank == 1 for c, rank in firsts) / len(golds):.3f}"
            for t in thresholds
        ]
        rows.append(f"| {path.name} ({len(golds)}): answered / cited first | " + " | ".join(cells) + " |")
    for path in args.unanswerable:
        questions = _sample([json.loads(line)["question"] for line in path.open() if line.strip()], args.sample)
        answered = [a.confidence for a in (index.ask(q) for q in questions) if not a.abstained]
        cells = [f"{sum(_kept(c, t) for c in answered) / len(questions):.3f}" for t in thresholds]
        rows.append(f"| {path.name} ({len(questions)}), cannot be answered: answered | " + " | ".join(cells) + " |")
    print("\n".join(rows))
    return 0


def _kept(confidence: float, threshold: float) -> bool:
    return threshold <= ANSWER_THRESHOLD or confidence >= threshold


def _sample(items: list, size: int) -> list:
    if not size or size >= len(items):
        return items
    return random.Random(SEED).sample(items, size)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except QAError as error:  # no index, or a damaged one: the message says what to do
        sys.exit(f"benchmarks/abstention.py: {error}")
