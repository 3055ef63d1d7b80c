"""Near-duplicate families across shards: the merge that stands in for grouping at ingest.

Each shard groups the copies of a story it holds (qa.storage.families). A wire story carried by
outlets whose articles went to different shards is a family in each; an answer would cite it once
per shard. The archive joins those families when two of the articles it reads are near-duplicates
by their MinHash signatures, as one index would have grouped them at ingest.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import combinations

import numpy as np

from qa.ingest.near_duplicates import THRESHOLD, similarity


@dataclass(frozen=True, slots=True)
class Signed:
    """An article as a shard reports it: its shard, its family (archive-wide id) and signature."""

    article_id: str
    shard: int
    family: int
    signature: np.ndarray


def joined(articles: Sequence[Signed]) -> dict[int, int]:
    """For each family among the articles, the family it joins: the least id of the families
    connected by near-duplicate articles in different shards (itself when none)."""
    parent = {article.family: article.family for article in articles}

    def root(family: int) -> int:
        while parent[family] != family:
            family = parent[family]
        return family

    for a, b in combinations(articles, 2):
        if a.shard != b.shard and similarity(a.signature, b.signature) >= THRESHOLD:
            low, high = sorted((root(a.family), root(b.family)))
            parent[high] = low
    return {family: root(family) for family in parent}


@dataclass
class JoinedFamilies:
    """What one question's reads joined across shards: `families` gives each article its joined
    family, and `kin` then tells `family_sources` which other families' outlets to name."""

    _family: dict[str, int] = field(default_factory=dict)  # article -> its shard's family
    _joined: dict[str, int] = field(default_factory=dict)  # article -> the family its family joined
    _members: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))  # joined -> its families

    def families(self, articles: Sequence[Signed]) -> dict[str, int]:
        joins = joined(articles)
        members: dict[int, set[int]] = defaultdict(set)
        for family, root in joins.items():
            members[root].add(family)
        for article in articles:
            self._family[article.article_id] = article.family
            root = joins[article.family]
            if len(members[root]) > 1:
                self._joined[article.article_id] = root
                self._members[root] |= members[root]
        return {article.article_id: joins[article.family] for article in articles}

    def kin(self, article_ids: Sequence[str]) -> dict[str, set[int]]:
        """For each article whose family was joined: the other families joined with it."""
        return {a: self._members[self._joined[a]] - {self._family[a]} for a in article_ids if a in self._joined}
