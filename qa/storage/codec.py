"""Vectors as stored: 384 int8 codes, 384 bytes instead of float32's 1,536.

Every vector the index keeps is unit length (questions, chunks and sentences alike), so only its
direction needs storing: the components are scaled so the largest magnitude becomes 127 and
rounded, and decoding divides the codes by their own length. The scale cancels out, so none is
stored. MiniLM's components rarely exceed 0.3 in magnitude, which keeps a step under 0.003 and
moves cosines by about 0.001 (docs/BENCHMARKS.md has the effect on `qa eval`).
"""

from __future__ import annotations

import numpy as np

LEVELS = 127


def encode(vector: np.ndarray) -> bytes:
    """A unit vector -> its stored bytes (int8 codes of its direction)."""
    vector = np.asarray(vector, dtype=np.float32)
    largest = float(np.abs(vector).max()) if vector.size else 0.0
    codes = np.rint(vector * (LEVELS / largest)) if largest > 0 else np.zeros_like(vector)
    return codes.astype(np.int8).tobytes()


def decode(blob: bytes) -> np.ndarray:
    """Stored bytes -> the unit-length float32 vector."""
    return decode_many([blob], len(blob))[0]


def decode_many(blobs: list[bytes], dimension: int) -> np.ndarray:
    """Many stored vectors -> one float32 matrix of unit rows, decoded in one numpy pass."""
    if not blobs:
        return np.zeros((0, dimension), dtype=np.float32)
    codes = np.frombuffer(b"".join(blobs), dtype=np.int8).reshape(len(blobs), dimension).astype(np.float32)
    norms = np.linalg.norm(codes, axis=1, keepdims=True)
    return codes / np.where(norms > 0, norms, 1.0)
