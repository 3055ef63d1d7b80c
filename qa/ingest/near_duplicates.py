"""Near-duplicate articles (wire copy republished with small edits): MinHash over word shingles."""

from __future__ import annotations

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


class NearDuplicates:
    """An in-memory LSH index of article signatures, keyed by the articles' family ids."""

    def __init__(self) -> None:
        from datasketch import MinHashLSH

        self._lsh = MinHashLSH(threshold=THRESHOLD, num_perm=PERMUTATIONS)
        self._signatures: dict[int, tuple[int, np.ndarray]] = {}

    def add(self, key: int, family: int, hashes: np.ndarray) -> None:
        self._lsh.insert(key, _minhash(hashes))
        self._signatures[key] = (family, hashes)

    def remove(self, key: int) -> None:
        if key in self._signatures:
            self._lsh.remove(key)
            del self._signatures[key]

    def family_of(self, hashes: np.ndarray) -> int | None:
        """The family of the most similar indexed article above the threshold, if any."""
        best, best_similarity = None, THRESHOLD
        for key in self._lsh.query(_minhash(hashes)):
            family, other = self._signatures[key]
            similarity = float(np.mean(other == hashes))  # the MinHash estimate of Jaccard similarity
            if similarity >= best_similarity:
                best, best_similarity = family, similarity
        return best
