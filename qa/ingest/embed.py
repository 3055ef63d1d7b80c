"""Text -> vectors: the Embedder interface, and the bundled all-MiniLM-L6-v2 behind it (offline);
one forward pass gives chunk and sentence vectors."""

from __future__ import annotations

import os
import threading
import warnings
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Protocol

import numpy as np

from qa.errors import ModelMissing
from qa.ingest.runtimes import (
    DIMENSION,
    MAX_TOKENS,
    MODEL_NAME,
    OnnxModel,
    OpenVinoModel,
    TorchModel,
    installed,
    model_path,
    native_bf16,
    onnx_path,
)

# Texts per forward pass. Small batches keep the activations in the CPU caches: on a 2-core
# machine 8 ran ~25% faster than 32 in ONNX Runtime, and sorting by length keeps padding low.
BATCH_SIZE = 8
BATCH_THREADS = 2
PAD_TO = 16  # token widths are rounded up to a multiple of this
RUNTIMES = ("auto", "openvino", "onnx", "torch")
# A question is embedded on one thread while the caller searches its words on the other core
# (embed_soon): at 10k chunks retrieval took 3.3 ms at the median, against 4.5 ms embedding with
# both threads first (measured 2026-12-02). Two threads beside SQLite fight it for the cores.
QUESTION_THREADS = 1


class Embedder(Protocol):
    """What the index needs of a text embedding model. `name` and `dimension` are stamped into
    an index, which then refuses any other model."""

    name: str
    dimension: int

    def embed(self, texts: Sequence[str], *, threads: int | None = None) -> np.ndarray:
        """Unit-length float32 vectors, one row per text, computed on `threads` threads where the
        model has a choice (else its own setting)."""
        ...

    def embed_with_spans(
        self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]]
    ) -> tuple[np.ndarray, list[np.ndarray | None]]:
        """Text vectors, and a vector (or None) per (start, end) span inside each text."""
        ...


def _normalise(vectors: np.ndarray) -> np.ndarray:
    # Unit vectors make FAISS inner product equal to cosine similarity.
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.maximum(norms, 1e-12)).astype(np.float32)


class MiniLMEmbedder:
    """Mean-pooled, normalised MiniLM vectors for questions, chunks and the sentences inside chunks.

    Sentence vectors are pooled from the token vectors of the chunk that contains the sentence,
    so a chunk is run through the transformer once and yields both (no second fp32 pass).
    The transformer runs from a graph exported once from the bundled weights: in OpenVINO bf16
    where it is installed and the CPU computes bf16 natively, else in ONNX Runtime fp32 (within
    1e-5 cosine of sentence-transformers). Answering a question never imports torch; torch is the
    exporter, and the runtime when neither is available.
    """

    name = MODEL_NAME
    dimension = DIMENSION

    def __init__(self, batch_size: int = BATCH_SIZE, *, runtime: str = "auto", threads: int = BATCH_THREADS) -> None:
        """
        Args:
            batch_size: texts per forward pass.
            runtime: "openvino", "onnx", "torch", or "auto": OpenVINO where it runs bf16
                natively, else ONNX Runtime, else torch.
            threads: intra-op threads, for batches and single questions alike.
        """
        if runtime not in RUNTIMES:
            raise ValueError(f"runtime must be one of {', '.join(RUNTIMES)}, got {runtime!r}")
        if batch_size < 1 or threads < 1:
            raise ValueError(f"batch_size and threads must be at least 1, got {batch_size} and {threads}")
        self.batch_size = batch_size
        self.threads = threads
        self._runtime = runtime
        self._model_lock = threading.Lock()
        self._loaded: OpenVinoModel | OnnxModel | TorchModel | None = None
        self._tokenizer_cache = None

    @property
    def runtime(self) -> str:
        """The runtime in use: "openvino" (bf16 where native), "onnx" or "torch" (loads the model)."""
        model = self._model
        return f"{model.name} bf16" if getattr(model, "bf16", False) else model.name

    @property
    def _tokenizer(self):
        if self._tokenizer_cache is None:
            from tokenizers import Tokenizer

            tokenizer = Tokenizer.from_file(str(model_path() / "tokenizer.json"))
            # The file pads and truncates to 128; the model reads 256 and pads per batch, to a
            # multiple of PAD_TO: OpenVINO keeps buffers for every input shape it has seen, so
            # questions of 36 different lengths grew a serving process by 55 MB (bucketed: 29).
            tokenizer.enable_truncation(MAX_TOKENS)
            tokenizer.enable_padding(pad_id=0, pad_token="[PAD]", pad_to_multiple_of=PAD_TO)
            self._tokenizer_cache = tokenizer
        return self._tokenizer_cache

    @property
    def _model(self) -> OpenVinoModel | OnnxModel | TorchModel:
        with self._model_lock:
            if self._loaded is None:
                self._loaded = self._load()
            return self._loaded

    def _load(self) -> OpenVinoModel | OnnxModel | TorchModel:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        path = model_path()
        if self._runtime == "torch":
            return TorchModel(path)
        try:
            graph = onnx_path(path)
            # OpenVINO only pays off in bf16; in fp32 it matches ONNX Runtime, the lighter import.
            if self._runtime == "openvino" or (self._runtime == "auto" and installed("openvino") and native_bf16()):
                return OpenVinoModel(graph)
            return OnnxModel(graph)
        except (ImportError, ModelMissing, OSError, RuntimeError) as exc:
            if self._runtime != "auto":
                raise ModelMissing(
                    f"the {self._runtime} runtime cannot be used ({exc}); install it with: "
                    f"pip install {'openvino' if self._runtime == 'openvino' else 'onnxruntime'} "
                    "onnx"
                ) from exc
            warnings.warn(
                f"news-qa: ONNX Runtime unavailable ({exc}); embedding with torch, which is slower",
                RuntimeWarning,
                stacklevel=3,
            )
            return TorchModel(path)

    def _token_vectors(self, texts: Sequence[str], threads: int | None = None) -> list[tuple[np.ndarray, np.ndarray]]:
        """For each text: (token vectors, token character offsets) of its unmasked tokens."""
        model, tokenizer = self._model, self._tokenizer
        threads = threads or self.threads
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))  # less padding per batch
        results: list[tuple[np.ndarray, np.ndarray]] = [None] * len(texts)  # type: ignore[list-item]
        for first in range(0, len(order), self.batch_size):
            rows = order[first : first + self.batch_size]
            encodings = tokenizer.encode_batch([texts[i] for i in rows])
            ids = np.array([e.ids for e in encodings], dtype=np.int64)
            mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
            hidden = model(ids, mask, threads)
            for row, (index, encoding) in enumerate(zip(rows, encodings, strict=True)):
                # Padding is on the right. Pooling uses every unmasked token, [CLS] and [SEP]
                # included, as the model was trained.
                length = int(mask[row].sum())
                results[index] = (hidden[row, :length], np.array(encoding.offsets[:length], dtype=np.int64))
        return results

    def embed(self, texts: Sequence[str], *, threads: int | None = None) -> np.ndarray:
        """Normalised float32 vectors, one row per text, on `threads` threads (default: the
        embedder's). OpenVINO compiles the model once per thread count (~55 MB each)."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        pooled = [tokens.mean(axis=0) for tokens, _ in self._token_vectors(texts, threads)]
        return _normalise(np.stack(pooled))

    def embed_with_spans(
        self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]]
    ) -> tuple[np.ndarray, list[np.ndarray | None]]:
        """Vectors for texts and for character spans inside each text, from one forward pass.

        Args:
            texts: the chunks to embed.
            spans: for each text, (start, end) offsets relative to that text.

        Returns:
            (text vectors, per span a vector or None when the span fell past the model's
            token limit and so has no token vectors of its own).
        """
        text_vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        span_vectors: list[np.ndarray | None] = []
        for i, (tokens, offsets) in enumerate(self._token_vectors(texts)):
            text_vectors[i] = tokens.mean(axis=0)
            real = offsets[:, 1] > offsets[:, 0]  # special tokens have empty offsets
            for start, end in spans[i]:
                inside = real & (offsets[:, 0] >= start) & (offsets[:, 1] <= end)
                span_vectors.append(_normalise(tokens[inside].mean(axis=0, keepdims=True))[0] if inside.any() else None)
        return _normalise(text_vectors), span_vectors


_POOLS: dict[int, ThreadPoolExecutor] = {}  # by process id: a forked child cannot use its parent's threads
_POOLS_LOCK = threading.Lock()


def embed_soon(embedder: Embedder, text: str) -> Future[np.ndarray]:
    """Start embedding one text (a question) on a background thread; `.result()` gives its vector.

    The caller searches the question's words meanwhile: the model and SQLite both release the
    GIL, so the two run on the two cores."""
    with _POOLS_LOCK:
        pool = _POOLS.get(os.getpid())
        if pool is None:
            pool = _POOLS[os.getpid()] = ThreadPoolExecutor(max_workers=2, thread_name_prefix="news-qa-question")
    return pool.submit(lambda: embedder.embed([text], threads=QUESTION_THREADS)[0])
