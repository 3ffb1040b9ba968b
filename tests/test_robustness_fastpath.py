"""SMAA's fast paths against independent references.

* ``_Board.neg_totals_w`` (one matrix product on the ranked units' contributions, for weighted
  sum and points without per-criterion deductions) equals minus the general model's totals.
* ``smaa`` equals a brute-force SMAA-2 that compares every pair of units in every weight sample
  (no sorting): unit i's tie group in sample s starts at the number of units strictly ahead of it
  and has as many members as units equal to it (12 significant digits); i takes each rank of the
  group with probability 1/g.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evaltools import evaluate
from evaltools.robustness import smaa
from evaltools.robustness._model import board_model as _board
from evaltools.robustness.acceptability import _weight_sampler
from evaltools.rubric import BonusRule, Criterion, DeductionRule, Rubric


def board_from(matrix: np.ndarray, *, method: str, deductions=None, criterion_deduction=False):
    """A leaderboard whose criterion values are ``matrix`` (units × criteria, one judge)."""
    m, n = matrix.shape
    ids = [f"c{j}" for j in range(n)]
    if method == "points":
        crit = tuple(Criterion(ids[j], f"指标{j}", max_points=10.0 + 5 * j, scale=(0, 10))
                     for j in range(n))
        rules = (DeductionRule("杂物", 1.5, criterion="c0" if criterion_deduction else None),)
        rubric = Rubric(name="t", criteria=crit, method="points", judge_aggregate="mean",
                        min_judges=1, total_points=float(sum(c.max_points for c in crit)),
                        deductions=rules, bonuses=(BonusRule("志愿服务", 2.0),))
    else:
        crit = tuple(Criterion(ids[j], f"指标{j}", weight=1.0 / n, scale=(0, 10))
                     for j in range(n))
        rubric = Rubric(name="t", criteria=crit, method=method, judge_aggregate="mean",
                        min_judges=1)
    units = [f"U{i:02d}" for i in range(m)]
    scores = pl.DataFrame({
        "round": 1, "unit_id": np.repeat(units, n).tolist(), "judge_id": "J",
        "criterion": ids * m, "score": matrix.ravel().astype(float)})
    ded = None
    if deductions is not None:
        items = np.where(np.arange(m) % 2 == 0, "杂物", "志愿服务")
        ded = pl.DataFrame({"round": 1, "unit_id": units, "item": items.tolist(),
                            "count": [int(c) for c in deductions]})
    ds = SimpleNamespace(scores=scores, units=None, ratings=None, deductions=ded, rubric=rubric)
    return evaluate(ds)


def brute_force_smaa(neg_totals: np.ndarray, W: np.ndarray):
    """b (m, m), central-weight sums (m, n) and first-rank shares (m,) by pairwise comparison."""
    k, m = neg_totals.shape
    T = -neg_totals
    tol = 1e-12 * max(1.0, float(np.abs(T).max(initial=0.0)))
    d = T[:, None, :] - T[:, :, None]  # d[s, i, j] = T_j − T_i
    ahead = (d > tol).sum(axis=2)  # units strictly ahead of i
    g = (np.abs(d) <= tol).sum(axis=2)  # the tie group's size (i included)
    b = np.zeros((m, m))
    for r in range(m):  # a loop over ranks of a handful of units, in a test
        b[:, r] = (((ahead <= r) & (r < ahead + g)) / g).sum(axis=0)
    first = ((ahead == 0) / g)  # (k, m)
    return b / k, first.T @ W, first.sum(axis=0)


@pytest.mark.parametrize(("method", "ded", "crit_ded", "linear"), [
    ("weighted_sum", None, False, True),
    ("points", None, False, True),
    ("points", [2, 1, 0, 3, 1, 0], False, True),  # deductions from the total, bonuses
    ("points", [2, 1, 0, 3, 1, 0], True, False),  # per-criterion deductions: general model
    ("topsis", None, False, False),
    ("weighted_product", None, False, False),
])
def test_neg_totals_equal_the_general_model(method, ded, crit_ded, linear):
    rng = np.random.default_rng(4)
    X = rng.integers(1, 11, (6, 4)).astype(float)
    b = _board(board_from(X, method=method, deductions=ded, criterion_deduction=crit_ded))
    idx = np.flatnonzero(b.eligible)
    W = rng.dirichlet(np.ones(4), size=50)
    got = b.neg_totals_w(idx)(W)
    want = -b.totals_w(W)[:, idx]
    assert got.flags.c_contiguous and got.shape == (50, idx.size)
    np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-12)
    # the linear path is a plain matrix product: it never calls the general model
    b.totals_w = None  # type: ignore[method-assign]
    if linear:
        b.neg_totals_w(idx)(W)
    else:
        with pytest.raises(TypeError):
            b.neg_totals_w(idx)(W)


def test_neg_totals_follow_the_table_order():
    # the leaderboard sorts units by total; the fast path must map round units onto it
    X = np.array([[1.0, 2.0], [9.0, 8.0], [5.0, 5.0], [7.0, 1.0]])
    lb = board_from(X, method="weighted_sum")
    b = _board(lb)
    assert b.units != sorted(b.units)  # the table is not in input order
    idx = np.flatnonzero(b.eligible)
    W = np.array([[0.5, 0.5]])
    np.testing.assert_allclose(-b.neg_totals_w(idx)(W)[0],
                               lb.table["total_unrounded"].to_numpy()[idx], rtol=1e-12)


@settings(max_examples=60, deadline=None)
@given(st.integers(2, 6).flatmap(lambda m: st.lists(
    st.lists(st.integers(0, 4), min_size=3, max_size=3), min_size=m, max_size=m)),
    st.sampled_from(["weighted_sum", "points", "topsis"]), st.integers(0, 2**16),
    st.sampled_from([None, 1, 2]))
def test_smaa_equals_brute_force(rows, method, seed, max_rank):
    X = np.array(rows, dtype=float)  # small integers: ties are frequent
    lb = board_from(X, method=method)
    k = 200
    acc = smaa(lb, samples=k, seed=seed, progress=False, chunk=k, max_rank=max_rank)
    b = _board(lb)
    sample, _ = _weight_sampler(b, None, None, np.random.default_rng(seed))
    W = sample(k)
    idx = np.flatnonzero(b.eligible)
    ref_b, ref_cw, ref_first = brute_force_smaa(-b.totals_w(W)[:, idx], W)
    np.testing.assert_allclose(acc.indices, ref_b[:, :acc.indices.shape[1]], atol=1e-12)
    with np.errstate(invalid="ignore", divide="ignore"):
        central = ref_cw / ref_first[:, None]
    w_cols = acc.table.select(pl.col("^w_.*$")).to_numpy()[idx]
    np.testing.assert_allclose(w_cols, central, atol=1e-12)


def test_smaa_chunking_does_not_change_the_indices():
    rng = np.random.default_rng(8)
    lb = board_from(rng.uniform(0, 10, (40, 5)), method="weighted_sum")
    a = smaa(lb, samples=900, seed=3, progress=False, chunk=100)
    b = smaa(lb, samples=900, seed=3, progress=False, chunk=900)
    # same seed and one sampler: chunks draw the same weights in the same order
    np.testing.assert_allclose(a.indices, b.indices, atol=1e-12)
    np.testing.assert_allclose(a.indices.sum(axis=1), 1.0)
