"""The learned passage reader: MiniLM reads the question with each retrieved chunk once and scores
every sentence of the chunk from its own word pieces, so that a sentence is judged in its
paragraph; each chunk's first token also says how likely it is that the chunk does not answer.

It runs in ONNX Runtime, int8, without torch, and looks word pieces up in the bundled wheel's
table as the ranker does (qa/answer/rank.py). Training: benchmarks/train_reader.py; what it is
and how well it does: docs/MODEL_CARD.md.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Sequence
from functools import cache
from pathlib import Path

import numpy as np

from qa.answer.rank import clip_question
from qa.ingest.runtimes import cpu_session, model_path, word_embeddings

READER_FILE = Path(__file__).resolve().parent.parent / "models" / "reader.onnx"
MAX_TOKENS = 256  # question + chunk: an 800-character chunk is ~180 word pieces
log = logging.getLogger(__name__)


class PassageReader:
    """`read(question, passages)` -> per passage, one logit per sentence (NaN for a sentence cut
    off by truncation), each relative to the question's "no answer here" logit."""

    def __init__(self, path: Path = READER_FILE, *, threads: int = 2) -> None:
        self._session = cpu_session(path, threads)
        self._words = word_embeddings()
        self._tokenizer = tokenizer()
        self._lock = threading.Lock()  # one tokenizer's padding settings serve every thread

    def read(self, question: str, passages: Sequence[tuple[str, Sequence[tuple[int, int]]]]) -> list[np.ndarray]:
        """Args: the question; each passage's text with its sentences' (start, end) in that text."""
        if not passages:
            return []
        with self._lock:
            batch, pooling, owners = encode(self._tokenizer, clip_question(self._tokenizer, question), passages)
        feeds = {
            "inputs_embeds": self._words[batch["input_ids"]],
            "token_type_ids": batch["token_type_ids"],
            "attention_mask": batch["attention_mask"],
            "pooling": pooling,
        }
        sentence_logits, null_logits = self._session.run(None, feeds)
        # No answer in any of the passages: the mean of their "not here" probabilities, as trained.
        null = float(np.logaddexp.reduce(null_logits) - math.log(len(null_logits)))
        scores = [np.full(len(sentences), np.nan, dtype=np.float32) for _, sentences in passages]
        for (number, sentence), logit in zip(owners, sentence_logits, strict=True):
            scores[number][sentence] = logit - null
        return scores


def tokenizer():
    """MiniLM's tokenizer, cutting the passage (never the question) to MAX_TOKENS, padding to the longest."""
    from tokenizers import Tokenizer

    loaded = Tokenizer.from_file(str(model_path() / "tokenizer.json"))
    loaded.enable_truncation(MAX_TOKENS, strategy="only_second")
    loaded.enable_padding(pad_id=0, pad_token="[PAD]")
    return loaded


def encode(
    tokenizer, question: str, passages: Sequence[tuple[str, Sequence[tuple[int, int]]]]
) -> tuple[dict[str, np.ndarray], np.ndarray, list[tuple[int, int]]]:
    """Token ids, type ids and mask of each (question, passage) pair; a pooling matrix (one row a
    sentence read, the mean over its word pieces of all passages' tokens laid end to end); and
    (passage, sentence) of each row: a sentence that truncation cut off has none."""
    encodings = tokenizer.encode_batch([(question, text) for text, _ in passages])
    length = len(encodings[0].ids)  # padded to the longest
    rows, owners = [], []
    for number, ((_, sentences), encoding) in enumerate(zip(passages, encodings, strict=True)):
        offsets = np.array(encoding.offsets)
        in_passage = np.array([sequence == 1 for sequence in encoding.sequence_ids])
        for sentence, (start, end) in enumerate(sentences):
            tokens = in_passage & (offsets[:, 0] < end) & (offsets[:, 1] > start)
            if tokens.any():
                row = np.zeros(len(passages) * length, dtype=np.float32)
                row[number * length : (number + 1) * length] = tokens / tokens.sum()
                rows.append(row)
                owners.append((number, sentence))
    batch = {
        "input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
        "token_type_ids": np.array([e.type_ids for e in encodings], dtype=np.int64),
        "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
    }
    pooling = np.stack(rows) if rows else np.zeros((0, len(passages) * length), dtype=np.float32)
    return batch, pooling, owners


@cache
def load_reader(path: Path = READER_FILE) -> PassageReader | None:
    """The shipped reader, or None (said once in the log) when its file is missing or damaged."""
    try:
        return PassageReader(path)
    except Exception as exc:
        log.warning(
            "news-qa: the passage reader %s could not be loaded (%s); ranking sentences with the "
            "hand-tuned score instead. Reinstall news-qa, or rebuild it with: "
            "python benchmarks/train_reader.py all",
            path,
            exc,
        )
        return None
