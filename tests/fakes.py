"""Test doubles: a deterministic word-hashing embedder, and the CLI run with it in a child process.

Fault tests need many ingests in subprocesses and do not need answer quality, so they pass
`HashEmbedder` (the `Embedder` protocol, its own name, so its own indexes) instead of the bundled model. Run as a
script, this module is `python -m qa` with that embedder and optional fault hooks:

    python tests/fakes.py ingest --index DIR PATH...

Environment (all optional):
    QA_TEST_PAUSE_AT   embed:N (before embedding the Nth batch of articles), sqlite:N (after inserting the
                       Nth article, inside the open transaction) or faiss (halfway through
                       writing the FAISS file)
    QA_TEST_PAUSED     file written when the pause point is reached
    QA_TEST_RESUME     file whose appearance ends the pause; without it the child waits to be killed
    QA_TEST_LOCK_WAIT  seconds a writer waits for the index lock
    QA_TEST_EMBED_DELAY  seconds of sleep per embedded batch, to make an ingest last
"""

from __future__ import annotations

import hashlib
import os
import re
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

WORD = re.compile(r"\w+")


class HashEmbedder:
    """Bag of hashed lowercase words, normalised: texts sharing words have a high cosine."""

    name = "test/hashed-words"
    dimension = 64

    def embed(self, texts: Sequence[str], *, threads: int | None = None) -> np.ndarray:
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in WORD.findall(text.lower()):
                vectors[row, int(hashlib.md5(word.encode()).hexdigest()[:8], 16) % self.dimension] += 1.0
            vectors[row, 0] += 1e-3  # no zero vectors: a text without words still has a direction
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)

    def embed_with_spans(
        self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]]
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        pieces = [text[start:end] for text, owned in zip(texts, spans, strict=True) for start, end in owned]
        return self.embed(texts), list(self.embed(pieces))


def _pause(where: str) -> None:
    paused, resume = os.environ.get("QA_TEST_PAUSED"), os.environ.get("QA_TEST_RESUME")
    if paused:
        Path(paused).write_text(where)
    while not (resume and Path(resume).exists()):
        time.sleep(0.02)


class FaultyEmbedder(HashEmbedder):
    """HashEmbedder that can be slow, or stop before the Nth batch of articles (one embed_with_spans
    call each: a commit's articles are embedded together)."""

    def __init__(self, delay: float, pause_before: int | None) -> None:
        self.delay, self.pause_before, self.batches = delay, pause_before, 0

    def embed_with_spans(self, texts, spans):
        self.batches += 1
        if self.batches == self.pause_before:
            _pause(f"embedding batch {self.batches}")
        time.sleep(self.delay)
        return super().embed_with_spans(texts, spans)


def _install_fault_hooks(kind: str, count: str) -> None:
    """Stop inside SQLite's open transaction, or halfway through the FAISS file: the places a
    kill must not corrupt. These are fault injections into the writer, not stand-ins for it."""
    from qa.storage import schema, vectors, writer

    if os.environ.get("QA_TEST_LOCK_WAIT"):
        schema.LOCK_WAIT_SECONDS = float(os.environ["QA_TEST_LOCK_WAIT"])
    if os.environ.get("QA_TEST_SAVE_FROM"):  # save FAISS files at test sizes, as large indexes do
        vectors.SAVE_FROM = int(os.environ["QA_TEST_SAVE_FROM"])
    if kind == "sqlite":
        original_insert, inserted = writer.Writer.insert_article, [0]

        def insert_article(self, *args):
            rowid = original_insert(self, *args)
            inserted[0] += 1
            if inserted[0] == int(count):
                _pause(f"inside the transaction after inserting article {inserted[0]}")
            return rowid

        writer.Writer.insert_article = insert_article
    if kind == "faiss":
        import faiss

        original_write = faiss.write_index

        def write_index(index, path):
            original_write(index, path)
            data = Path(path).read_bytes()
            Path(path).write_bytes(data[: len(data) // 2])  # as far as the write got when killed
            _pause(f"writing {path}")
            Path(path).write_bytes(data)

        faiss.write_index = write_index


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    kind, _, count = os.environ.get("QA_TEST_PAUSE_AT", "").partition(":")
    _install_fault_hooks(kind, count)
    from qa.cli import main

    embedder = FaultyEmbedder(
        float(os.environ.get("QA_TEST_EMBED_DELAY", "0")), int(count) if kind == "embed" else None
    )
    sys.exit(main(sys.argv[1:], embedder=embedder))
