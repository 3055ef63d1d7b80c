"""Train the attribution tagger (qa/ingest/attribution.py) on PolNeAR's train split, on the CPU.

One command rebuilds the shipped weights, seeded; each step can also run on its own:

    .venv/bin/python benchmarks/train_attribution.py all --polnear ../shared/data/polnear --out build/attribution

    data      PolNeAR train articles -> windows of word pieces with Source/Cue/Content BIO tags
    train     fine-tune the lower LAYERS layers of MiniLM-L6 (the bundled weights) with a tag head;
              checkpoints every CHECKPOINT_STEPS steps and resumes from the last one when run again
    export    ONNX int8 without the word-embedding table -> qa/models/attribution.onnx
    validate  on the held-out train articles: tag F1 per kind, and issue 14's quote rule
              (benchmarks/polnear.py) for the rules, the tagger, and the two combined

Validation is split by article: an article is held out when its name's SHA-1 falls in the last
tenth. polnear/dev is never read here; measure on it with benchmarks/quote_eval.py --polnear.
Run it in the background with a log:

    nohup nice -n 10 .venv/bin/python benchmarks/train_attribution.py all > build/attribution/train.log 2>&1 &
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import random
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fine_tune import FineTuning
from minilm_export import export_int8
from polnear import Score, read_polnear, score_article  # benchmarks/polnear.py, beside this script
from qa.ingest.attribution import (
    ATTRIBUTION_FILE,
    CLS,
    KINDS,
    SEP,
    TAGS,
    Tagger,
    attributed_quotes,
    model_quotes,
    paragraphs,
    windows,
)
from qa.ingest.runtimes import model_path
from qa.text.quotes import find_quotes

SEED = 14
LAYERS = 4  # of MiniLM's 6: a third less work at ingest, and the tags need no more (docs/MODEL_CARD.md)
WINDOWS_PER_STEP = 16
LEARNING_RATE = 8e-5
HEAD_LEARNING_RATE = 1e-3
EPOCHS = 4
CHECKPOINT_STEPS = 100
IGNORE = -100  # [CLS], [SEP] and padding: no tag to learn


def held_out(name: str) -> bool:
    """The tenth of PolNeAR train articles kept for validation."""
    return int(hashlib.sha1(name.encode()).hexdigest(), 16) % 10 == 9


# ---- data ----------------------------------------------------------------------------------------


def token_tags(text: str, offsets: list[tuple[int, int]], attributions) -> list[int]:
    """One BIO tag per word piece. Contents are written longest first and never over one another,
    so a nested statement stays inside the one that reports it; sources and cues are written over
    contents, since "X told him Y" inside a reported clause still has its own speaker and verb."""
    kind = np.zeros(len(text), dtype=np.int8)  # 0 none, 1 source, 2 cue, 3 content
    span = np.full(len(text), -1, dtype=np.int32)
    number = 0
    for a in sorted(attributions, key=lambda a: -sum(e - s for s, e in a.content)):
        for s, e in a.content:
            free = span[s:e] < 0
            kind[s:e][free], span[s:e][free] = 3, number
        number += 1
    for part, code in (("source", 1), ("cue", 2)):
        for a in attributions:
            for s, e in getattr(a, part):
                kind[s:e], span[s:e] = code, number
            number += 1
    tags, previous = [], -1
    for start, _ in offsets:
        code, current = int(kind[start]), int(span[start])
        tags.append(0 if not code else TAGS.index(f"{'I' if current == previous else 'B'}-{KINDS[code - 1]}"))
        previous = current if code else -1
    return tags


def build_data(polnear: Path, out: Path) -> None:
    """One JSON line per window: article, held_out, word-piece ids and tags."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(model_path() / "tokenizer.json"))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    partial, count = out / "windows.jsonl.tmp", 0
    with partial.open("w") as lines:
        for article in read_polnear(polnear / "train"):
            encoding = tokenizer.encode(article.text, add_special_tokens=False)
            offsets = [tuple(o) for o in encoding.offsets]
            tags = token_tags(article.text, offsets, article.attributions)
            for part in windows(offsets, article.text):
                row = {
                    "article": article.name,
                    "held_out": held_out(article.name),
                    "ids": [encoding.ids[i] for i in part],
                    "tags": [tags[i] for i in part],
                }
                lines.write(json.dumps(row) + "\n")
                count += 1
    partial.replace(out / "windows.jsonl")
    print(f"data: {count} windows", flush=True)


def read_windows(out: Path) -> list[dict]:
    with (out / "windows.jsonl").open() as lines:
        return [json.loads(line) for line in lines]


# ---- the model -----------------------------------------------------------------------------------


def build_model():
    import torch
    from transformers import AutoModel

    class TorchTagger(torch.nn.Module):
        """The lower LAYERS layers of MiniLM and one linear layer to the tags."""

        def __init__(self) -> None:
            super().__init__()
            self.bert = AutoModel.from_pretrained(str(model_path()), local_files_only=True, attn_implementation="eager")
            self.bert.encoder.layer = self.bert.encoder.layer[:LAYERS]
            self.bert.config.num_hidden_layers = LAYERS
            self.dropout = torch.nn.Dropout(0.1)
            self.head = torch.nn.Linear(self.bert.config.hidden_size, len(TAGS))

        def forward(self, inputs_embeds, token_type_ids, attention_mask):
            hidden = self.bert(
                inputs_embeds=inputs_embeds, token_type_ids=token_type_ids, attention_mask=attention_mask
            ).last_hidden_state
            return self.head(self.dropout(hidden))

    model = TorchTagger()
    model.bert.embeddings.requires_grad_(False)  # the word table is looked up from the wheel at run time
    return model


def batch_of(rows: list[dict]):
    import torch

    width = max(len(r["ids"]) for r in rows) + 2
    ids = torch.zeros((len(rows), width), dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    tags = torch.full((len(rows), width), IGNORE, dtype=torch.long)
    for i, r in enumerate(rows):
        n = len(r["ids"])
        ids[i, : n + 2] = torch.tensor([CLS, *r["ids"], SEP])
        mask[i, : n + 2] = 1
        tags[i, 1 : n + 1] = torch.tensor(r["tags"])
    return ids, mask, tags


def train(out: Path) -> None:
    import torch

    torch.manual_seed(SEED)
    torch.set_num_threads(2)
    rng = random.Random(SEED)
    rows = [r for r in read_windows(out) if not r["held_out"] and r["ids"]]
    order = []
    for _ in range(EPOCHS):
        epoch = rows[:]
        rng.shuffle(epoch)
        order += epoch
    steps = math.ceil(len(order) / WINDOWS_PER_STEP)
    model = build_model()
    tuning = FineTuning(model, steps, LEARNING_RATE, HEAD_LEARNING_RATE, out / "checkpoint.pt")
    print(f"train: {len(rows)} windows x {EPOCHS} epochs, {steps} steps of {WINDOWS_PER_STEP}", flush=True)
    model.train()
    words = model.bert.embeddings.word_embeddings
    started, losses = time.time(), []
    while tuning.step < steps:
        step = tuning.step
        ids, mask, tags = batch_of(order[step * WINDOWS_PER_STEP : (step + 1) * WINDOWS_PER_STEP])
        logits = model(words(ids), torch.zeros_like(ids), mask)
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, len(TAGS)), tags.reshape(-1), ignore_index=IGNORE)
        tuning.update(loss)
        losses.append(float(loss))
        if tuning.step % 20 == 0:
            print(
                f"train: step {tuning.step}/{steps} loss {np.mean(losses[-20:]):.3f} "
                f"{(time.time() - started) / 20:.2f} s/step",
                flush=True,
            )
            started = time.time()
        tuning.save_if_due(CHECKPOINT_STEPS)
    torch.save(model.state_dict(), out / "tagger.pt")
    print("train: done", flush=True)


# ---- export --------------------------------------------------------------------------------------


def export(out: Path, target: Path = ATTRIBUTION_FILE) -> None:
    """ONNX graph of the layers and head (inputs_embeds in, tag logits out), weights int8."""
    import torch

    model = build_model()
    model.load_state_dict(torch.load(out / "tagger.pt"))
    export_int8(model, out / "tagger-fp32.onnx", target, "logits", {0: "batch", 1: "tokens"})


# ---- validation ----------------------------------------------------------------------------------


def validate(polnear: Path, out: Path, path: Path = ATTRIBUTION_FILE) -> dict:
    """Tag F1 per kind on the held-out windows, and the quote rule on the held-out articles."""
    tagger = Tagger(path)
    counts = {kind: [0, 0, 0] for kind in KINDS}  # tagged right, tagged, labelled (word pieces)
    scores = {"rules": Score(), "model": Score(), "combined": Score()}
    started = time.time()
    articles = [a for a in read_polnear(polnear / "train") if held_out(a.name)]
    for article in articles:
        offsets, predicted, _ = tagger.tags(article.text, paragraphs(article.text))
        gold = token_tags(article.text, offsets, article.attributions)
        for p, g in zip(predicted.tolist(), gold, strict=True):
            for kind in KINDS:
                hit_p, hit_g = TAGS[p].endswith(kind), TAGS[g].endswith(kind)
                counts[kind][0] += hit_p and hit_g
                counts[kind][1] += hit_p
                counts[kind][2] += hit_g
        rules = find_quotes(article.name, article.text)
        model = model_quotes(article.name, article.text, tagger)
        combined = attributed_quotes(article.name, article.text, tagger=tagger)
        for name, quotes in (("rules", rules), ("model", model), ("combined", combined)):
            score_article(article, quotes, scores[name])
    summary: dict = {
        "articles": len(articles),
        "seconds": round(time.time() - started, 1),
        "tag_f1": {k: round(2 * c[0] / max(1, c[1] + c[2]), 3) for k, c in counts.items()},
    }
    for name, score in scores.items():
        summary[name] = {"precision": round(score.precision, 3), "recall": round(score.recall, 3), "line": score.line()}
    print(f"validate: {json.dumps(summary, indent=1)}", flush=True)
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("step", choices=["data", "train", "export", "validate", "all"])
    parser.add_argument("--polnear", type=Path, default=Path("../shared/data/polnear"))
    parser.add_argument("--out", type=Path, default=Path("build/attribution"))
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    random.seed(SEED)
    np.random.seed(SEED)
    if args.step in ("data", "all") and not (args.out / "windows.jsonl").exists():
        build_data(args.polnear, args.out)
    if args.step in ("train", "all"):
        train(args.out)
    if args.step in ("export", "all"):
        export(args.out)
    if args.step in ("validate", "all"):
        validate(args.polnear, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
