"""Reciprocal rank fusion: several rankings of the same kind of item -> one (pure, no I/O)."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import TypeVar

Item = TypeVar("Item", bound=Hashable)

RRF_K = 10  # lower trusts each list's head more (60 is usual; 10 measured better on squad_dev_a and
# realtimeqa_news_a, see docs/QUALITY.md)


def reciprocal_rank_fusion(
    rankings: Sequence[Sequence[Item]], *, limit: int, k: int = RRF_K
) -> list[tuple[Item, float]]:
    """Items scored by the sum over rankings of 1 / (k + rank), rank counted from 1.

    Args:
        rankings: each a list of items, best first; an item may be missing from some.
        limit: how many of the best fused items to return.
        k: the fusion constant.

    Returns:
        (item, fused score), best first; ties keep the order in which items were first met.
    """
    fused: dict[Item, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking):
            fused[item] = fused.get(item, 0.0) + 1.0 / (k + rank + 1)
    return sorted(fused.items(), key=lambda entry: -entry[1])[:limit]
