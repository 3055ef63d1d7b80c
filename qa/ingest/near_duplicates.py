"""Near-duplicate articles (wire copy republished with small edits): MinHash over word shingles."""

from __future__ import annotations

import hashlib
import re
from functools import cache

import numpy as np

PERMUTATIONS = 64
SHINGLE_WORDS = 5
# Jaccard similarity of 5-word shingles above which two articles count as the same story:
# light edits (a changed headline, an added paragraph) stay above it, two reports of the same
# event written separately fall far below it.
THRESHOLD = 0.7
SCHEME = "affine32"  # named so signatures stored in the index stay comparable across datasketch versions


def signature(text: str) -> np.ndarray:
    """The MinHash signature of the text's word 5-shingles (casefolded, punctuation ignored)."""
    words = re.findall(r"\w+", text.casefold())
    shingles = {" ".join(words[i : i + SHINGLE_WORDS]).encode() for i in range(max(1, len(words) - SHINGLE_WORDS + 1))}
    minhash = _minhash()
    minhash.update_batch(list(shingles))
    return minhash.hashvalues.astype(np.uint32)


def _minhash(hashes: np.ndarray | None = None):
    """A MinHash of our scheme, empty or holding `hashes`, sharing one set of permutations:
    datasketch would draw them anew for every object (a third of the time of `signature`)."""
    from datasketch import MinHash

    return MinHash(num_perm=PERMUTATIONS, hashvalues=hashes, permutations=_permutations(), scheme=SCHEME)


@cache
def _permutations():
    from datasketch import MinHash

    return MinHash(num_perm=PERMUTATIONS, scheme=SCHEME).permutations


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """The MinHash estimate of two signatures' Jaccard similarity."""
    return float(np.mean(a == b))


def band_keys(hashes: np.ndarray) -> list[int]:
    """The signature's locality-sensitive keys: one per band of its hash values, so that two
    articles above THRESHOLD share a key with high probability and dissimilar ones rarely do.
    datasketch chooses the bands for the threshold; the keys are stored and looked up in SQLite
    (qa.storage.families), so ingest holds no index of every article in memory."""
    keys = []
    for band, (start, end) in enumerate(_band_ranges()):
        digest = hashlib.blake2b(hashes[start:end].astype("<u4").tobytes(), digest_size=4, person=bytes([band]))
        # 32 bits: a million articles' keys of one band collide with a new one's by chance 1 time
        # in 4,000, and a candidate is checked against its signature anyway.
        keys.append(int.from_bytes(digest.digest(), "little"))
    return keys


@cache
def _band_ranges() -> list[tuple[int, int]]:
    from datasketch import MinHashLSH

    return list(MinHashLSH(threshold=THRESHOLD, num_perm=PERMUTATIONS).hashranges)
