"""The weight explorer's fast path: leaderboards derived with ``with_*`` re-use the aggregated
criterion values cached for their dataset, and give exactly what a fresh ``evaluate`` gives."""

from __future__ import annotations

import dataclasses

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

import evaltools as et
from evaltools import scoring
from evaltools.datasets import load_sample


@pytest.fixture(scope="module")
def sample():
    return load_sample()


@pytest.fixture(scope="module")
def board(sample):
    return et.evaluate(sample)


def _fresh_with_weights(lb, weights):
    """with_weights computed on a new leaderboard with an empty cache (the reference)."""
    fresh = et.evaluate(lb.dataset, lb.rubric, round=lb.round)
    assert fresh._cache is not lb._cache
    return fresh.with_weights(weights)


def test_cache_is_filled_and_shared(board):
    assert any(isinstance(k, tuple) and k and k[0] == 6 for k in board._cache)  # round 6 values
    lb2 = board.with_weights({"sanitation": 40})
    assert lb2._cache is board._cache
    assert board.with_method("topsis")._cache is board._cache
    assert board.with_ties("dense")._cache is board._cache


def test_new_weights_match_a_fresh_evaluation(board):
    w = {"sanitation": 5, "satisfaction": 40, "participation": 20}
    assert_frame_equal(board.with_weights(w).table, _fresh_with_weights(board, w).table)
    assert_frame_equal(board.with_weights(w).values, _fresh_with_weights(board, w).values)


@pytest.mark.parametrize("method", ["weighted_sum", "weighted_product", "topsis", "vikor"])
def test_methods_match_a_fresh_evaluation(board, method):
    cached = board.with_method(method).with_weights({"greenery": 30})
    fresh = et.evaluate(board.dataset, board.rubric.with_method(method)).with_weights(
        {"greenery": 30})
    assert_frame_equal(cached.table, fresh.table)


def test_judge_aggregate_change_is_not_served_from_the_cache(sample, board):
    """A different judge aggregate has another cache key: values really change."""
    median = dataclasses.replace(board.rubric, judge_aggregate="median")
    cached = et.evaluate(sample, median, cache=board._cache)
    fresh = et.evaluate(sample, median)
    assert_frame_equal(cached.table, fresh.table)
    assert scoring.values_key(median, 6) != scoring.values_key(board.rubric, 6)
    assert not cached.table["total_unrounded"].equals(board.table["total_unrounded"])


def test_round_all_uses_the_cache(sample):
    lb = et.evaluate(sample, round="all")
    w = {"stairwell": 1, "safety": 3}
    fresh = et.evaluate(sample, round="all").with_weights(w)
    assert_frame_equal(lb.with_weights(w).table, fresh.table)


def test_notes_survive_the_cache(board):
    """Notes written while aggregating (judge fallback, 满意率 definition) are cached too."""
    again = board.with_weights({"sanitation": 20})
    definition = [n for n in board.notes if "满意率" in n]
    assert definition and all(n in again.notes for n in definition)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.integers(0, 50), min_size=8, max_size=8).filter(lambda w: sum(w) > 0),
       st.sampled_from(["points", "weighted_sum"]))
def test_property_cached_equals_fresh(board, weights, method):
    ids = board.rubric.criterion_ids
    w = dict(zip(ids, weights, strict=True))
    base = board if method == "points" else board.with_method(method)
    cached = base.with_weights(w)
    fresh = et.evaluate(board.dataset, base.rubric).with_weights(w)
    assert_frame_equal(cached.table, fresh.table)
    assert pl.Series(cached.table["rank"]).is_sorted(nulls_last=True)


def test_ratings_are_summarised_once_for_all_rounds(sample, monkeypatch):
    """Cards carry no round: scoring the chosen round and the previous one (for the movement),
    or every round, summarises the ratings once; the board is the one computed without it."""
    from evaltools import ratings

    calls = []
    real = ratings.summarize

    def counted(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(ratings, "summarize", counted)
    lb = et.evaluate(sample)
    n_rated = sum(c.source == "ratings" for c in lb.rubric.criteria)
    assert n_rated and len(calls) == n_rated
    calls.clear()
    et.evaluate(sample, round="all")
    assert len(calls) == n_rated
    shared: dict = {}
    for rnd in (5, 6):  # the second round takes the ratings' values from the cache
        cached = scoring.score_round(sample, lb.rubric, rnd, cache=shared)
        fresh = scoring.score_round(sample, lb.rubric, rnd)
        assert_frame_equal(cached.units, fresh.units)
        assert_frame_equal(cached.values, fresh.values)
        assert cached.notes == fresh.notes
