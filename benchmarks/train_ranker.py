"""Train the answer-sentence ranker (qa/answer/rank.py) from the shared QA sets, on the CPU.

One command rebuilds the shipped weights, seeded; each step can also run on its own:

    .venv/bin/python benchmarks/train_ranker.py all --data ../shared/data --out build/ranker

    candidates  the hand-tuned pipeline's top candidate sentences for every SQuAD and SQuAD 2.0
                near-miss question (index built from squad_dev_a), and SelQA's candidate lists
    train       fine-tune MiniLM-L6 (the bundled weights) as a cross-encoder, stage by stage
                (STAGES); checkpoints every CHECKPOINT_STEPS steps and resumes from the last one
                when run again
    export      ONNX int8 without the word-embedding table -> qa/models/ranker.onnx
    validate    accuracy@1/@3 on the held-out articles (hand-tuned score, ranker, the two fused)
                and the near misses each abstains on where it answers 90% (--model, --reranked)

Validation is split by article (SQuAD paragraph, SelQA article), never by question: a question
is held out when its article's SHA-1 falls in the last fifth. Run it in the background with a log:

    nohup .venv/bin/python benchmarks/train_ranker.py all > build/ranker/train.log 2>&1 &
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import random
import sys
import time
from pathlib import Path
from typing import NamedTuple

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fine_tune import FineTuning
from minilm_export import export_int8
from qa.answer.extract import LOGIT_SCALE
from qa.answer.rank import RANKER_FILE, CrossEncoder, PairEncoder, passage
from qa.evaluate import held_out

SEED = 13
TOP = 16  # candidates kept per question: the reranker sees the hand-tuned score's top 16
GROUP = 6  # candidates per question in a training step: the answers and the hardest others
QUESTIONS_PER_STEP = 4
HEAD_LEARNING_RATE = 1e-3
CHECKPOINT_STEPS = 100
FROZEN_LAYERS = 2  # the lowest transformer layers stay as bundled: a third less backward work


class Stage(NamedTuple):
    """One pass of training, started from the previous stage's weights (the first from the wheel's).

    near_misses: how many SQuAD 2.0 questions whose candidates all are wrong (they teach the
    score to stay low where the paragraph does not answer)."""

    sets: frozenset[str]
    near_misses: int
    learning_rate: float


# The shipped weights are one stage: SQuAD alone. A second stage from its weights (SQuAD again
# with all 2,313 near misses, plus SelQA's answer-sentence lists, learning rate 2e-5; 8,449
# questions, 84 min) was measured on 2026-12-02 and not kept: fused accuracy@1 0.750 against
# 0.758 over the top 4, near misses abstained at 90% answered 0.231 against 0.192, and the news
# set lost citation@3 (docs/MODEL_CARD.md). Add a Stage here to train on from the last one.
STAGES = (Stage(frozenset({"squad"}), 1500, 4e-5),)


# ---- candidates ----------------------------------------------------------------------------------


def dump_candidates(data: Path, out: Path) -> None:
    """One JSON line per question: its split and its top candidates with labels and features."""
    from qa import NewsIndex
    from qa.answer.extract import _score, candidates_of
    from qa.answer.retrieve import retrieve
    from qa.evaluate import covers, read_gold
    from qa.text.question import parse

    index = NewsIndex.open(out / "squad-index", create=True)
    print(f"index: {index.add([data / 'squad_dev_a.documents.jsonl']).summary()}", flush=True)
    reader = index.reader
    sentences: dict[str, list[tuple[int, int]]] = {}

    def before(article_id: str, start: int) -> str:
        if article_id not in sentences:
            text = reader.article(article_id).text
            sentences[article_id] = [(s, e) for _, s, e, _ in reader.sentences_of([(article_id, 0, len(text))])[0]]
        earlier = [(s, e) for s, e in sentences[article_id] if e <= start]
        return reader.article(article_id).text[earlier[-1][0] : earlier[-1][1]] if earlier else ""

    started, written = time.time(), 0
    partial = out / "candidates.jsonl.tmp"  # renamed when complete: a killed run starts this step again
    with partial.open("w") as lines:
        for kind, name in (
            ("answerable", "squad_dev_a.questions.jsonl"),
            ("unanswerable", "squad2_dev_a.unanswerable.questions.jsonl"),
        ):
            for gold in read_gold(data / name, None):
                query = parse(gold.question)
                if not query.searched:
                    continue
                vector = index.embedder.embed([query.searched])[0]
                found = candidates_of(reader, retrieve(reader, query, vector, k=5), vector)
                _score(reader, query, found)
                found = sorted(found, key=lambda c: -c.score)[:TOP]
                rows = []
                for c in found:
                    article = reader.article(c.article_id)
                    rows.append(
                        {
                            "article": c.article_id,
                            "start": c.start,
                            "end": c.end,
                            "text": article.text[c.start : c.end],
                            "before": before(c.article_id, c.start),
                            "title": article.title,
                            "score": c.score,
                            "label": int(kind == "answerable" and covers(c.article_id, c.start, c.end, gold)),
                        }
                    )
                lines.write(
                    json.dumps(
                        {
                            "id": gold.id,
                            "question": gold.question,
                            "kind": kind,
                            "set": "squad",
                            "article": gold.article_id,
                            "held_out": held_out(gold.article_id),
                            "candidates": rows,
                        }
                    )
                    + "\n"
                )
                written += 1
                if written % 1000 == 0:
                    print(f"candidates: {written} questions, {time.time() - started:.0f} s", flush=True)
        for name in ("ass_selqa-ass-dev.json.gz", "ass_selqa-ass-test.json.gz"):
            with gzip.open(data / "selqa" / name, "rt") as handle:
                for number, item in enumerate(json.load(handle)):
                    answers = set(item["answers"])
                    sentences_of = item["candidates"]
                    rows = [
                        {
                            "article": item["article"],
                            "text": s,
                            "before": sentences_of[i - 1] if i else "",
                            "title": item.get("section", ""),
                            "score": 0.0,
                            "label": int(i in answers),
                        }
                        for i, s in enumerate(sentences_of)
                    ]
                    lines.write(
                        json.dumps(
                            {
                                "id": f"{name}:{number}",
                                "question": item["question"],
                                "kind": "answerable" if answers else "unanswerable",
                                "set": "selqa",
                                "article": item["article"],
                                "held_out": held_out(item["article"]),
                                "candidates": rows,
                            }
                        )
                        + "\n"
                    )
    partial.replace(out / "candidates.jsonl")
    print(f"candidates: done in {time.time() - started:.0f} s", flush=True)


def read_groups(out: Path) -> list[dict]:
    with (out / "candidates.jsonl").open() as lines:
        return [json.loads(line) for line in lines]


# ---- the model -----------------------------------------------------------------------------------


def build_model():
    import torch
    from transformers import AutoModel

    from qa.ingest.runtimes import model_path

    class Ranker(torch.nn.Module):
        """MiniLM over the pair, mean-pooled, one linear score."""

        def __init__(self) -> None:
            super().__init__()
            self.bert = AutoModel.from_pretrained(str(model_path()), local_files_only=True, attn_implementation="eager")
            self.head = torch.nn.Linear(self.bert.config.hidden_size, 1)

        def forward(self, inputs_embeds, token_type_ids, attention_mask):
            hidden = self.bert(
                inputs_embeds=inputs_embeds, token_type_ids=token_type_ids, attention_mask=attention_mask
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            return self.head((hidden * mask).sum(1) / mask.sum(1).clamp(min=1)).squeeze(-1)

        def score(self, batch: dict[str, np.ndarray]):
            ids = torch.from_numpy(batch["input_ids"])
            return self(
                self.bert.embeddings.word_embeddings(ids),
                torch.from_numpy(batch["token_type_ids"]),
                torch.from_numpy(batch["attention_mask"]),
            )

    model = Ranker()
    model.bert.embeddings.word_embeddings.weight.requires_grad_(False)  # looked up from the wheel at run time
    for layer in model.bert.encoder.layer[:FROZEN_LAYERS]:
        layer.requires_grad_(False)
    return model


def training_groups(groups: list[dict], stage: Stage, rng: random.Random) -> list[tuple[str, list[dict]]]:
    """Per training question: the answers first, then the hardest others (by hand-tuned score;
    SelQA has none, so random others), and one random candidate so that easy negatives are seen too."""
    chosen = []
    near_misses = 0
    for group in groups:
        if group["held_out"] or group["set"] not in stage.sets:
            continue
        if group["kind"] == "unanswerable":
            near_misses += 1
            if group["set"] != "squad" or near_misses > stage.near_misses:
                continue
        candidates = [c for c in group["candidates"] if not held_out(c["article"])]
        answers = [c for c in candidates if c["label"]]
        others = [c for c in candidates if not c["label"]]
        if group["kind"] == "answerable" and not answers:
            continue  # the pipeline missed it: nothing to rank
        if group["set"] != "squad":
            others = rng.sample(others, len(others))
        keep = answers[:2] + others[: GROUP - min(len(answers), 2) - 1]
        rest = [c for c in others if c not in keep]
        if rest:
            keep.append(rng.choice(rest))
        chosen.append((group["question"], keep))
    return chosen


def train(out: Path) -> None:
    """Every stage in turn; a finished stage's weights are kept, so a rerun resumes where it stopped."""
    for number, stage in enumerate(STAGES, 1):
        if not (out / f"ranker-{number}.pt").exists():
            train_stage(out, number, stage)


def train_stage(out: Path, number: int, stage: Stage) -> None:
    import torch

    torch.manual_seed(SEED + number - 1)  # stage 1 draws as the single stage did
    torch.set_num_threads(2)
    rng = random.Random(SEED + number - 1)
    items = training_groups(read_groups(out), stage, rng)
    rng.shuffle(items)
    steps = math.ceil(len(items) / QUESTIONS_PER_STEP)
    model, encoder = build_model(), PairEncoder()
    if number > 1:
        model.load_state_dict(torch.load(out / f"ranker-{number - 1}.pt"))
    tuning = FineTuning(model, steps, stage.learning_rate, HEAD_LEARNING_RATE, out / f"checkpoint-{number}.pt")
    print(f"train: stage {number}, {len(items)} questions, {steps} steps of {QUESTIONS_PER_STEP} questions", flush=True)
    model.train()
    started, losses = time.time(), []
    while tuning.step < steps:
        step = tuning.step
        batch_items = [items[(step * QUESTIONS_PER_STEP + i) % len(items)] for i in range(QUESTIONS_PER_STEP)]
        pairs = [(q, passage(c["text"], c["before"], c["title"])) for q, cands in batch_items for c in cands]
        labels = torch.tensor([float(c["label"]) for _, cands in batch_items for c in cands])
        scores = model.score(encoder.encode(pairs))
        # Pointwise: a calibrated "does this sentence answer it" for abstention, near misses included;
        # listwise: among one question's candidates, the answer first.
        loss = torch.nn.functional.binary_cross_entropy_with_logits(scores, labels)
        offset = 0
        for _, cands in batch_items:
            group_scores, group_labels = scores[offset : offset + len(cands)], labels[offset : offset + len(cands)]
            if group_labels.any():
                target = group_labels / group_labels.sum()
                loss = loss + (-(target * torch.log_softmax(group_scores, 0)).sum()) / len(batch_items)
            offset += len(cands)
        tuning.update(loss)
        losses.append(float(loss))
        if tuning.step % 20 == 0:
            rate = 20 * len(pairs) / (time.time() - started)
            print(f"train: step {tuning.step}/{steps} loss {np.mean(losses[-20:]):.3f} {rate:.1f} pairs/s", flush=True)
            started = time.time()
        tuning.save_if_due(CHECKPOINT_STEPS)
    torch.save(model.state_dict(), out / f"ranker-{number}.pt")
    print(f"train: stage {number} done", flush=True)


# ---- export --------------------------------------------------------------------------------------


def export(out: Path, target: Path = RANKER_FILE) -> None:
    """ONNX graph of the layers and head (inputs_embeds in), weights quantised to int8."""
    import torch

    model = build_model()
    model.load_state_dict(torch.load(out / f"ranker-{len(STAGES)}.pt"))
    export_int8(model, out / "ranker-fp32.onnx", target, "score", {0: "batch"})


# ---- validation ----------------------------------------------------------------------------------


def validate(out: Path, path: Path = RANKER_FILE, reranked: int = 8) -> dict:
    """On held-out SQuAD articles: accuracy@1/@3 of the hand-tuned order, of the ranker over its
    top `reranked`, and of the two fused as answering fuses them; and, for each of the three
    confidences, the threshold that answers 90% of answerable questions with the share of near
    misses it abstains on (the issue's target: 50%)."""
    ranker = CrossEncoder(path)
    groups = [g for g in read_groups(out) if g["held_out"] and g["set"] == "squad"]
    kinds = ("hand", "ranker", "fused")
    rows: dict[str, list[tuple[bool, bool]]] = {kind: [] for kind in kinds}
    best: dict[str, dict[str, list[float]]] = {kind: {"answerable": [], "unanswerable": []} for kind in kinds}
    started = time.time()
    for group in groups:
        cands = group["candidates"][:reranked]
        if not cands:
            for kind in kinds:
                best[kind][group["kind"]].append(-math.inf)
            continue
        labels = np.array([c["label"] for c in cands])
        pairs = [(group["question"], passage(c["text"], c["before"], c["title"])) for c in cands]
        logits = ranker.predict(pairs)
        hand = np.array([c["score"] for c in cands])
        scores = {"hand": hand, "ranker": logits, "fused": hand + logits / LOGIT_SCALE}
        for kind in kinds:
            best[kind][group["kind"]].append(float(scores[kind].max()))
            if group["kind"] == "answerable":
                order = np.argsort(-scores[kind], kind="stable")
                rows[kind].append((bool(labels[order[0]]), bool(labels[order[:3]].any())))
    seconds = time.time() - started
    summary: dict = {}
    for kind in kinds:
        threshold = float(np.quantile(best[kind]["answerable"], 0.10))  # answers 90%
        summary[kind] = {
            "at1": float(np.mean([first for first, _ in rows[kind]])),
            "at3": float(np.mean([top3 for _, top3 in rows[kind]])),
            "threshold_answering_90%": threshold,
            "near_misses_abstained_at_it": float(np.mean(np.array(best[kind]["unanswerable"]) < threshold)),
        }
    summary["questions"] = len(rows["hand"])
    summary["near_misses"] = len(best["hand"]["unanswerable"])
    summary["ms_per_question"] = 1000 * seconds / max(1, len(groups))
    print(f"validate ({path.name}, top {reranked}): {json.dumps(summary, indent=1)}", flush=True)
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("step", choices=["candidates", "train", "export", "validate", "all"])
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--out", type=Path, default=Path("build/ranker"))
    parser.add_argument("--model", type=Path, default=RANKER_FILE, help="the ONNX file to export to or validate")
    parser.add_argument("--reranked", type=int, default=8, help="validate: candidates the ranker reorders")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    random.seed(SEED)
    np.random.seed(SEED)
    if args.step in ("candidates", "all") and not (args.out / "candidates.jsonl").exists():
        dump_candidates(args.data, args.out)
    if args.step in ("train", "all"):
        train(args.out)
    if args.step in ("export", "all"):
        export(args.out, args.model)
    if args.step in ("validate", "all"):
        validate(args.out, args.model, args.reranked)
    return 0


if __name__ == "__main__":
    sys.exit(main())
