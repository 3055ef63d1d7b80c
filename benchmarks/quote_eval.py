"""Quote attribution precision and recall of qa.text.quotes.find_quotes against hand-labelled articles.

Usage:
    .venv/bin/python benchmarks/quote_eval.py --labels tests/data/quote_labels.jsonl \
        --documents ../shared/data/bbc_news.documents.jsonl ../shared/data/realtimeqa_news_a.documents.jsonl \
        ../shared/data/reuters21578.documents.jsonl.gz [--attribution rules|model|combined]
    .venv/bin/python benchmarks/quote_eval.py --polnear ../shared/data/polnear/dev [--attribution ...]
    .venv/bin/python benchmarks/quote_eval.py --time 400 --documents ../shared/data/bbc_news.documents.jsonl \
        --attribution combined

`--polnear` scores issue 14's rule on PolNeAR (benchmarks/polnear.py defines it); `--time` prints
seconds per article of the rules and of the chosen attribution.

Labels (one JSON object a line): doc_id, start, end, speaker, prefix, split. Every statement in
a labelled article is labelled: direct quotations (the words inside the marks, also when only
the context says whose they are), reported speech after a verb of saying (the clause; quoted
phrases inside it belong to it), quoted phrases someone is said to have called or described
something, and "according to" attributions (the clause). Opinions ("believes", "thinks"), titles
and scare quotes are not statements. `speaker` is the full name as the article gives it, with
aliases separated by "|" ("Jay-Z|Shawn Carter"); a spokesperson's words are their organisation's;
"" when the article names no one ("analysts said"): such a statement must not be attributed.
Offsets and a short prefix only: the article text stays in the data set.

A prediction is correct when its span overlaps a labelled span by at least half of the shorter
of the two and its speaker matches one of the label's names per `speaker_matches`. Precision is
over all predictions in the labelled articles; recall over labels that have a speaker.

`split` says when an article was labelled. The rules were written looking at batch1; each later
batch was drawn at random (BBC articles with quotation marks, short RealTimeQA articles, and from
batch6 on Reuters-21578 wire stories), labelled before the rules were run on it, measured once,
and then used to fix the rules. Batches 6-8 were labelled by reading sessions that never saw the
rules or their output. Only each batch's first measurement is a measurement on unseen text:

    batch   articles  named labels  first run: precision       recall
    batch2  10        67            0.909 (40/44)   0.597 (40/67)
    batch3   8        58            0.788 (41/52)   0.707 (41/58)
    batch4   6        44            0.595 (22/37)   0.500 (22/44)
    batch5   6        62            0.804 (37/46)   0.597 (37/62)
    batch6  20       115            0.959 (71/74)   0.609 (70/115)
    batch7  19       123            0.822 (74/90)   0.618 (76/123)
    batch8  24       169            0.887 (110/124) 0.669 (113/169)
    batch9  24       177            0.780 (85/109)  0.480 (85/177)
    batch10 23       115            0.852 (75/88)   0.643 (74/115)   rules as of batch9's run
                                    0.862 (75/87)   0.643 (74/115)   after fixes from batch9

Expect new text to score nearer those first runs than the scores this script prints now.
batch9 was measured once after the rule work on batches 6-8, and its errors were then used to
change the rules. batch10 was labelled before any of that work, measured with the rules as they
were (0.852/0.643) and again after the batch9 fixes (0.862/0.643) without its errors being read;
only then were its errors used (0.923/0.722 after).
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from qa.text.quotes import find_quotes, speaker_matches
from qa.types import Quote

Finder = Callable[[str, str], list[Quote]]


def finder(kind: str) -> Finder:
    """`rules`: find_quotes; `model`: the attribution tagger alone; `combined`: the rules' quotes
    plus the tagger's where they found none (qa/ingest/attribution.py)."""
    if kind == "rules":
        return find_quotes
    from qa.ingest.attribution import attributed_quotes, load_tagger, model_quotes

    tagger = load_tagger()
    if tagger is None:
        raise SystemExit("no attribution tagger: build it with benchmarks/train_attribution.py all")
    if kind == "model":
        return lambda article_id, text: model_quotes(article_id, text, tagger)
    return lambda article_id, text: attributed_quotes(article_id, text, tagger=tagger)


def overlaps(a_start: int, a_end: int, b_start: int, b_end: int) -> bool:
    """Whether two spans share at least half of the shorter one."""
    shared = min(a_end, b_end) - max(a_start, b_start)
    return shared > 0 and shared >= 0.5 * min(a_end - a_start, b_end - b_start)


def same_speaker(gold: str, predicted: str) -> bool:
    return any(speaker_matches(name, predicted) for name in gold.split("|") if name)


def score(
    labels: dict[str, list[dict]], texts: dict[str, str], errors: list[str], find: Finder = find_quotes
) -> tuple[int, int, int, int, int, int]:
    """(articles, labels, predicted, correct predictions, labels with a speaker, labels found)."""
    predicted = correct = gold_named = found = 0
    for doc_id, gold in labels.items():
        quotes = find(doc_id, texts[doc_id])
        predicted += len(quotes)
        for q in quotes:
            hits = [g for g in gold if overlaps(q.start, q.end, g["start"], g["end"])]
            if any(same_speaker(g["speaker"], q.speaker) for g in hits):
                correct += 1
            else:
                why = f"wrong speaker (gold {hits[0]['speaker'] or 'unnamed'})" if hits else "no such quote"
                errors.append(f"FP {doc_id} [{q.start}:{q.end}] {q.speaker!r}: {why}")
        for g in gold:
            if not g["speaker"]:
                continue
            gold_named += 1
            if any(
                overlaps(q.start, q.end, g["start"], g["end"]) and same_speaker(g["speaker"], q.speaker) for q in quotes
            ):
                found += 1
            else:
                errors.append(f"FN {doc_id} [{g['start']}:{g['end']}] {g['speaker']!r}: {g['prefix']}")
    return len(labels), sum(map(len, labels.values())), predicted, correct, gold_named, found


def score_polnear(folder: Path, verbose: bool, find: Finder) -> int:
    """Issue 14's rule on a PolNeAR split (benchmarks/polnear.py says what counts)."""
    from polnear import Score, read_polnear, score_article  # benchmarks/polnear.py, beside this script

    total, errors = Score(), []
    for article in read_polnear(folder):
        score_article(article, find(article.name, article.text), total, errors)
    print(f"polnear {folder.name}: {total.line()}")
    if verbose:
        print("\n".join(errors))
    return 0


def time_quotes(path: Path, count: int, find: Finder) -> int:
    """Seconds per article of find_quotes and of `find` over the first `count` articles of a
    documents file (the attribution step's share of ingest time, issue 14)."""
    with (gzip.open if path.suffix == ".gz" else open)(path, "rt", encoding="utf-8") as f:
        docs = [json.loads(line) for _, line in zip(range(count), f, strict=False)]
    find(docs[0]["doc_id"], docs[0]["text"])  # load the model and warm the session outside the clock
    timings = {}
    for name, step in (("rules", find_quotes), ("chosen", find)):
        started = time.perf_counter()
        for doc in docs:
            step(doc["doc_id"], doc["text"])
        timings[name] = time.perf_counter() - started
    print(
        f"{len(docs)} articles: rules {timings['rules']:.2f} s ({1000 * timings['rules'] / len(docs):.1f} ms/article), "
        f"chosen {timings['chosen']:.2f} s ({1000 * timings['chosen'] / len(docs):.1f} ms/article), "
        f"added {1000 * (timings['chosen'] - timings['rules']) / len(docs):.1f} ms/article"
    )
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels", type=Path)
    parser.add_argument("--documents", nargs="+", type=Path)
    parser.add_argument(
        "--polnear", type=Path, metavar="DIR", help="score on a PolNeAR split (e.g. ../shared/data/polnear/dev) instead"
    )
    parser.add_argument(
        "--attribution",
        choices=["rules", "model", "combined"],
        default="combined",
        help="what finds the quotes (default: what ingest stores)",
    )
    parser.add_argument("--time", type=int, metavar="N", help="time the first N articles of --documents instead")
    parser.add_argument("--verbose", action="store_true", help="list every error")
    args = parser.parse_args()
    find = finder(args.attribution)
    if args.polnear:
        return score_polnear(args.polnear, args.verbose, find)
    if args.time and args.documents:
        return time_quotes(args.documents[0], args.time, find)
    if not (args.labels and args.documents):
        parser.error("give --labels and --documents, or --polnear DIR")

    labels = defaultdict(list)
    for line in args.labels.read_text(encoding="utf-8").splitlines():
        if line.strip():
            label = json.loads(line)
            labels[label["doc_id"]].append(label)
    texts = {}
    for path in args.documents:
        with (gzip.open if path.suffix == ".gz" else open)(path, "rt", encoding="utf-8") as f:
            for line in f:
                doc = json.loads(line)
                if doc["doc_id"] in labels:
                    texts[doc["doc_id"]] = doc["text"]
    missing = sorted(set(labels) - set(texts))
    if missing:
        print(f"labelled articles not found in --documents: {', '.join(missing)}", file=sys.stderr)
        return 2

    errors: list[str] = []
    totals = {}
    splits = {g.get("split", "") for gold in labels.values() for g in gold}
    for split in sorted(splits, key=lambda name: (len(name), name)) + ["all"]:  # batch9 before batch10
        docs = {d: gold for d, gold in labels.items() if split in ("all", gold[0].get("split", ""))}
        totals[split] = score(docs, texts, errors if split == "all" else [], find)
    for split, (n_docs, n_labels, predicted, correct, gold_named, found) in totals.items():
        precision = correct / predicted if predicted else 0.0
        recall = found / gold_named if gold_named else 0.0
        print(
            f"{split:>6}: {n_docs} articles, {n_labels} labels ({gold_named} with a named speaker)  "
            f"precision {precision:.3f} ({correct}/{predicted})  "
            f"recall {recall:.3f} ({found}/{gold_named})"
        )
    if args.verbose:
        print("\n".join(errors))
    return 0


if __name__ == "__main__":
    sys.exit(main())
