"""Reciprocal rank fusion, on rankings whose fused scores a person can add up by hand."""

from __future__ import annotations

import pytest

from qa.answer.fuse import reciprocal_rank_fusion


def test_items_in_both_lists_add_their_reciprocal_ranks():
    fused = dict(reciprocal_rank_fusion([["a", "b", "c"], ["c", "a"]], limit=10, k=10))
    assert fused["a"] == pytest.approx(1 / 11 + 1 / 12)
    assert fused["b"] == pytest.approx(1 / 12)
    assert fused["c"] == pytest.approx(1 / 13 + 1 / 11)


def test_best_first_and_cut_at_the_limit():
    fused = reciprocal_rank_fusion([["a", "b", "c"], ["c", "a"]], limit=2, k=10)
    assert [item for item, _ in fused] == ["a", "c"]  # a: 1/11 + 1/12 > c: 1/13 + 1/11 > b: 1/12


def test_ties_keep_the_order_items_were_first_met():
    assert [item for item, _ in reciprocal_rank_fusion([["x", "y"], ["y", "x"]], limit=5)] == ["x", "y"]


def test_a_lower_k_trusts_the_head_of_each_list_more():
    # "a" heads one list; "b" is third in both: 1/(k+1) against 2/(k+3).
    rankings = [["a", "x", "b"], ["c", "y", "b"]]
    assert reciprocal_rank_fusion(rankings, limit=1, k=0)[0][0] == "a"  # 1 > 2/3
    assert reciprocal_rank_fusion(rankings, limit=1, k=60)[0][0] == "b"  # 1/61 < 2/63


def test_empty_rankings_fuse_to_nothing():
    assert reciprocal_rank_fusion([[], []], limit=3) == []
