"""Dump per-candidate features for a QA set, then grid-search the sentence-scoring weights offline.

Used to choose the defaults in qa/answer/extract.py; run on squad_dev_a and realtimeqa_news_a.
"""

from __future__ import annotations

import argparse
import pickle  # local scratch file of this script only; the index never uses pickle
from pathlib import Path

import numpy as np

from qa.answer import extract
from qa.answer.extract import _score, candidates_of
from qa.answer.retrieve import retrieve
from qa.evaluate import covers, read_gold
from qa.news_index import NewsIndex
from qa.text.question import clean_question, parse


def dump(index_path: Path, questions: Path, limit: int, out: Path) -> None:
    index = NewsIndex.open(index_path)
    records = []
    for gold in read_gold(questions, limit):
        query = parse(clean_question(gold.question))
        vector = index.embedder.embed([query.searched])[0]
        hits = retrieve(index.reader, query, vector, k=5)
        cands = candidates_of(index.reader, hits, vector)
        _score(index.reader, query, cands)
        feats = [(c.dense, c.coverage, c.context, c.cue, covers(c.article_id, c.start, c.end, gold)) for c in cands]
        records.append(feats)
    out.write_bytes(pickle.dumps(records))


FEATURES = ["dense", "coverage", "context", "cue"]


def accuracy(records, weights) -> tuple[float, float]:
    at1 = at3 = 0
    for feats in records:
        if feats:
            f = np.array(feats, dtype=float)
            order = np.argsort(-(f[:, :-1] @ weights))
            at1 += f[order[0], -1] > 0
            at3 += f[order[:3], -1].max() > 0
    return at1 / len(records), at3 / len(records)


def grid(path: Path) -> None:
    """Fit a logistic regression on candidate labels, scale so dense has weight 1, compare."""
    from sklearn.linear_model import LogisticRegression

    records = pickle.loads(path.read_bytes())
    half = len(records) // 2
    x = np.array([f[:-1] for r in records[:half] for f in r], dtype=float)
    y = np.array([f[-1] for r in records[:half] for f in r], dtype=int)
    model = LogisticRegression(C=1.0, max_iter=1000).fit(x, y)
    weights = model.coef_[0] / model.coef_[0][0]
    print("fitted", dict(zip(FEATURES, np.round(weights, 3), strict=True)))
    print("fitted: tune half", accuracy(records[:half], weights), "held-out half", accuracy(records[half:], weights))
    print(
        "shipped",
        accuracy(records[half:], np.array([1, extract.COVERAGE_WEIGHT, extract.CONTEXT_WEIGHT, extract.CUE_WEIGHT])),
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--index", type=Path)
    parser.add_argument("--questions", type=Path)
    parser.add_argument("--limit", type=int, default=1000)
    parser.add_argument("--features", type=Path, required=True)
    args = parser.parse_args()
    if args.index:
        dump(args.index, args.questions, args.limit, args.features)
    grid(args.features)
