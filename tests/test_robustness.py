"""Robustness: bootstrap rank intervals, SMAA-2, weight stability, panel reliability."""

from __future__ import annotations

import threading
from types import SimpleNamespace

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evaltools import evaluate
from evaltools.errors import UsageError
from evaltools.examples import three_buildings as _doctest_board
from evaltools.robustness import (
    icc_band,
    kendall_w_band,
    panel_reliability,
    rank_intervals,
    smaa,
    weight_stability,
)
from evaltools.robustness._model import board_model as _board
from evaltools.robustness.acceptability import _weight_sampler
from evaltools.rubric import Criterion, Rubric

METHODS = ("weighted_sum", "weighted_product", "topsis", "vikor")


def wsm_board(matrix: np.ndarray, *, method: str = "weighted_sum", weights=None, judges=1):
    """A board whose criterion values are exactly ``matrix`` (units × criteria), via judges."""
    m, n = matrix.shape
    ids = [f"c{j}" for j in range(n)]
    w = weights if weights is not None else [1.0 / n] * n
    rubric = Rubric(name="t", criteria=tuple(
        Criterion(ids[j], f"指标{j}", weight=float(w[j])) for j in range(n)),
        method=method, judge_aggregate="mean", min_judges=1)
    units = [f"U{i:02d}" for i in range(m)]
    rows = [(u, f"J{k}", ids[j], float(matrix[i, j]))
            for i, u in enumerate(units) for j in range(n) for k in range(judges)]
    scores = pl.DataFrame(rows, schema=["unit_id", "judge_id", "criterion", "score"],
                          orient="row").with_columns(round=pl.lit(1))
    ds = SimpleNamespace(scores=scores, units=None, ratings=None, deductions=None, rubric=rubric)
    return evaluate(ds)


def cards_board(n_cards: int, rates=(0.9, 0.85, 0.8, 0.75, 0.7), seed=0):
    """Ratings-only points rubric: 满意率 of units with true rates ``rates`` from n cards each."""
    rng = np.random.default_rng(seed)
    rubric = Rubric(name="满意度", criteria=(
        Criterion("sat", "满意率", source="ratings", aggregate="satisfaction_rate",
                  max_points=100),), method="points")
    unit, resp, rating = [], [], []
    for i, p in enumerate(rates):
        k = round(p * n_cards)
        labels = ["满意"] * k + ["不满意"] * (n_cards - k)
        rng.shuffle(labels)
        unit += [f"U{i}"] * n_cards
        resp += [f"R{i}-{c}" for c in range(n_cards)]
        rating += labels
    ratings = pl.DataFrame({"unit_id": unit, "respondent_id": resp, "item": "总体",
                            "rating": rating})
    ds = SimpleNamespace(scores=None, units=None, ratings=ratings, deductions=None,
                         rubric=rubric)
    return evaluate(ds)


# ---- the numpy model reproduces evaluate --------------------------------------------------


@pytest.mark.parametrize("method", METHODS)
def test_model_totals_equal_evaluate(method):
    lb = _doctest_board().with_method(method)
    b = _board(lb)
    T = b.combine([r.totals() for r in b.rounds])
    np.testing.assert_allclose(T, lb.table["total_unrounded"].to_numpy(), atol=1e-9)
    # and for any weights: totals_w equals evaluate after with_weights
    lb2 = lb.with_weights({"clean": 0.3, "tidy": 0.7})
    np.testing.assert_allclose(b.totals_w(np.array([[0.3, 0.7]]))[0],
                               lb2.table.sort("unit_id")["total_unrounded"].to_numpy()
                               [np.argsort(np.argsort(b.units))], atol=1e-9)


@pytest.mark.parametrize("rnd", [None, "all"])
def test_model_totals_on_the_sample(rnd):
    # points with trimmed means, deductions, vetoes, a ratings criterion and 6 rounds
    from evaltools.datasets import load_sample

    lb = evaluate(load_sample(), round=rnd)
    b = _board(lb)
    for r in b.rounds:
        np.testing.assert_allclose(r.totals(), r.base_total, atol=1e-9)
    T = b.combine([r.totals() for r in b.rounds])
    np.testing.assert_allclose(T, lb.table["total_unrounded"].to_numpy(), atol=1e-9)


# ---- weight stability ---------------------------------------------------------------------


def test_analytic_swap_point_by_hand():
    # min-max values: P = (1, 0), Q = (0.25, 1), R = (0, 0.5) ; weights 0.5/0.5
    # totals: P 50, Q 62.5, R 25. Q over P swaps where 0.25 t + (1 - t) = t, t = 1/1.75 = 4/7
    X = np.array([[10.0, 0.0], [2.5, 10.0], [0.0, 5.0]])
    lb = wsm_board(X)
    assert lb.table["unit_id"].to_list() == ["U01", "U00", "U02"]
    ws = weight_stability(lb, top_n=2)
    first = ws.pairs.row(0, named=True)
    assert (first["upper"], first["lower"], first["criterion"]) == ("U01", "U00", "c0")
    assert first["new_weight"] == pytest.approx(4 / 7)
    assert first["change"] == pytest.approx(4 / 7 - 0.5)
    assert first["fragile"] is False  # 0.071 > 0.05
    # c1 gives the same pair at t = 3/7 (symmetric), so c0's interval for rank 1 is [0, 4/7]
    c0 = ws.criteria.filter(pl.col("criterion") == "c0").row(0, named=True)
    assert c0["first_low"] == pytest.approx(0.0) and c0["first_high"] == pytest.approx(4 / 7)
    # P over R (second pair): 100t vs 50(1-t) -> t = 1/3
    second = ws.pairs.row(1, named=True)
    assert second["new_weight"] == pytest.approx(1 / 3)
    assert ws.method == "closed_form"
    # check against re-evaluation just either side of the swap point
    for t, leader in ((4 / 7 - 1e-6, "U01"), (4 / 7 + 1e-6, "U00")):
        assert lb.with_weights({"c0": t, "c1": 1 - t}).table["unit_id"][0] == leader


@pytest.mark.parametrize("method", ["weighted_product", "topsis", "vikor"])
def test_grid_swap_points_agree_with_reevaluation(method):
    lb = _doctest_board().with_method(method)
    ws = weight_stability(lb, top_n=2, grid=401)
    assert ws.method == "grid"
    for row in ws.pairs.filter(pl.col("criterion").is_not_null()).iter_rows(named=True):
        other = next(c for c in ("clean", "tidy") if c != row["criterion"])
        t = row["new_weight"]
        order = []
        for dt in (-0.01, 0.01):
            tab = lb.with_weights({row["criterion"]: t + dt, other: 1 - t - dt}).table
            ids = tab["unit_id"].to_list()
            order.append(ids.index(row["upper"]) < ids.index(row["lower"]))
        assert order[0] != order[1], (method, row)


def test_fragile_flag_and_tied_pairs():
    X = np.array([[10.0, 0.0], [0.0, 10.0], [0.0, 0.0]])  # U00 and U01 tied at 50
    ws = weight_stability(wsm_board(X))
    row = ws.pairs.row(0, named=True)
    assert row["change"] == 0.0 and row["fragile"]


# ---- SMAA -----------------------------------------------------------------------------------


def test_smaa_dominated_unit_never_first():
    X = np.array([[9.0, 2.0, 5.0], [3.0, 9.0, 6.0], [2.0, 1.0, 4.0], [5.0, 5.0, 9.0]])
    acc = smaa(wsm_board(X), samples=4000, seed=7, progress=False)
    b = dict(zip(acc.unit_ids, acc.indices[:, 0], strict=True))
    assert b["U02"] == 0.0  # dominated by every other unit
    assert acc.indices[acc.unit_ids.index("U02"), -1] == 1.0  # always last
    np.testing.assert_allclose(acc.indices.sum(axis=0), 1.0)
    np.testing.assert_allclose(acc.indices.sum(axis=1), 1.0)


def test_smaa_identical_units_have_equal_indices():
    X = np.array([[7.0, 3.0], [7.0, 3.0], [2.0, 9.0], [5.0, 5.0]])
    acc = smaa(wsm_board(X), samples=3000, seed=1, progress=False)
    i, j = acc.unit_ids.index("U00"), acc.unit_ids.index("U01")
    np.testing.assert_array_equal(acc.indices[i], acc.indices[j])
    np.testing.assert_allclose(acc.indices.sum(axis=0), 1.0)


def test_smaa_reproducible_and_seed_matters():
    lb = _doctest_board()
    a = smaa(lb, samples=500, seed=11, progress=False)
    b = smaa(lb, samples=500, seed=11, progress=False)
    c = smaa(lb, samples=500, seed=12, progress=False)
    np.testing.assert_array_equal(a.indices, b.indices)
    assert not np.array_equal(a.indices, c.indices)


def test_smaa_central_weights_and_confidence():
    acc = smaa(_doctest_board(), samples=4000, seed=2, progress=False)
    t = acc.table.filter(pl.col("b1") > 0)
    # central weights sum to 1; each unit with b1 > 0 is first at its central weights
    np.testing.assert_allclose(t.select(pl.sum_horizontal("w_clean", "w_tidy"))
                               .to_series().to_numpy(), 1.0)
    assert t["confidence"].to_list() == [1.0, 1.0]
    # A (clean) is first with clean-heavy weights, B with tidy-heavy ones
    a = acc.table.filter(pl.col("unit_id") == "A").row(0, named=True)
    assert a["w_clean"] > 0.5 > a["w_tidy"]


@settings(max_examples=25, deadline=None)
@given(st.integers(2, 7).flatmap(lambda m: st.lists(
    st.lists(st.integers(0, 5), min_size=3, max_size=3), min_size=m, max_size=m)),
    st.sampled_from(METHODS))
def test_acceptability_rows_and_columns_sum_to_one(rows, method):
    X = np.array(rows, dtype=float)
    lb = wsm_board(X, method=method)
    acc = smaa(lb, samples=300, seed=0, progress=False, chunk=70)
    np.testing.assert_allclose(acc.indices.sum(axis=0), 1.0, atol=1e-9)
    np.testing.assert_allclose(acc.indices.sum(axis=1), 1.0, atol=1e-9)


def test_weight_bounds_and_order():
    b = _board(wsm_board(np.eye(3) * 10, weights=[0.5, 0.3, 0.2]))
    rng = np.random.default_rng(0)
    sample, note = _weight_sampler(b, 0.2, None, rng)
    W = sample(2000)
    np.testing.assert_allclose(W.sum(axis=1), 1.0)
    assert np.all(W >= b.w0 * 0.8 - 1e-12) and np.all(W <= b.w0 * 1.2 + 1e-12)
    assert "±20%" in note
    sample, note = _weight_sampler(b, None, ["指标0 ≥ 指标1", ("c1", "c2")], rng)
    W = sample(2000)
    assert np.all(W[:, 0] >= W[:, 1]) and np.all(W[:, 1] >= W[:, 2])
    # a complete chain is sampled by sorting: the mean of the largest of 3 Dirichlet(1) weights
    assert W[:, 0].mean() == pytest.approx(11 / 18, abs=0.02)
    sample, _ = _weight_sampler(b, None, ["c2 >= c0"], rng)
    W = sample(1000)
    assert np.all(W[:, 2] >= W[:, 0])
    with pytest.raises(UsageError):
        _weight_sampler(b, None, ["c0 ~ c1"], rng)
    with pytest.raises(UsageError):
        _weight_sampler(b, {"c0": (0.9, 1.0), "c1": (0.9, 1.0)}, None, rng)


# ---- bootstrap ------------------------------------------------------------------------------


def test_bootstrap_intervals_shrink_as_cards_grow():
    widths = []
    for n in (20, 80, 2000):
        ri = rank_intervals(cards_board(n), replicates=400, seed=5, progress=False)
        widths.append(float((ri.table["rank_upper"] - ri.table["rank_lower"]).mean()))
        assert ri.table["rank_lower"].le(ri.table["rank"]).all()
        assert ri.table["rank_upper"].ge(ri.table["rank"]).all()
    assert widths[0] > widths[1] > widths[2]
    assert widths[2] == 0.0  # 2000 cards each separate 5-point steps in 满意率


def test_bootstrap_replicate_values_are_resampled_rates():
    # with one unit far ahead, P(rank = 1) is 1, P(top 2) of the last is 0
    ri = rank_intervals(cards_board(50, rates=(0.98, 0.6, 0.58, 0.2)), replicates=300, seed=2,
                        progress=False, top_k=2)
    t = ri.table
    assert t["p_first"][0] == 1.0 and t["p_top_k"][-1] == 0.0
    assert t["rank_interval"][0] == "第1名（95%区间 1–1）"
    assert t.filter(pl.col("unit_id").is_in(["U1", "U2"]))["rank_lower"].to_list() == [2, 2]


def test_bootstrap_reproducible_with_seed():
    lb = _doctest_board()
    a = rank_intervals(lb, replicates=150, seed=3, progress=False)
    b = rank_intervals(lb, replicates=150, seed=3, progress=False, chunk=150)
    np.testing.assert_array_equal(a.ranks, b.ranks)  # chunking does not change the result
    assert a.table.equals(b.table)


def test_small_panels_are_not_resampled():
    X = np.array([[10.0, 0.0], [2.5, 10.0], [0.0, 5.0]])
    ri = rank_intervals(wsm_board(X, judges=3), replicates=50, seed=0, progress=False)
    assert (ri.ranks == ri.table["rank"].to_numpy()[None, :]).all()
    assert any("fewer than 5 judges" in n for n in ri.notes)


def test_cancel_returns_partial_results():
    calls = {"n": 0}

    def cancel():
        calls["n"] += 1
        return calls["n"] > 2

    ri = rank_intervals(_doctest_board(), replicates=100, seed=0, chunk=10, progress=False,
                        cancel=cancel)
    assert ri.replicates == 20 and ri.ranks.shape[0] == 20
    assert any("cancelled" in n for n in ri.notes)
    ev = threading.Event()
    ev.set()
    with pytest.raises(Exception, match="cancelled"):
        smaa(_doctest_board(), samples=100, cancel=ev, progress=False)


def test_keyboard_interrupt_between_chunks(monkeypatch):
    from evaltools.robustness import intervals

    real = intervals.competition_ranks
    calls = {"n": 0}

    def flaky(*a):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return real(*a)

    monkeypatch.setattr(intervals, "competition_ranks", flaky)
    ri = rank_intervals(_doctest_board(), replicates=100, seed=0, chunk=10, progress=False)
    assert ri.replicates == 20
    assert any("interrupted" in n for n in ri.notes)


def test_usage_errors():
    lb = _doctest_board()
    with pytest.raises(UsageError):
        rank_intervals(lb, replicates=0)
    with pytest.raises(UsageError):
        smaa(lb, samples=-1)
    with pytest.raises(UsageError):
        weight_stability(lb, top_n=0)
    with pytest.raises(UsageError):
        smaa(lb, order=["nope >= clean"])


# ---- panel reliability ----------------------------------------------------------------------


def test_bands():
    assert icc_band(0.45) == "差 poor" and icc_band(0.5) == "一般 moderate"
    assert icc_band(0.75) == "良好 good" and icc_band(0.95) == "优秀 excellent"
    assert icc_band(float("nan")) is None
    assert kendall_w_band(0.05) == "很弱 very weak" and kendall_w_band(0.3) == "中等 moderate"
    assert kendall_w_band(0.69) == "强 strong"


def test_lenient_judge_is_named_with_evidence():
    rng = np.random.default_rng(0)
    units = [f"U{i}" for i in range(8)]
    quality = np.linspace(5, 9, 8)
    rows = []
    for k in range(6):
        bias = 1.5 if k == 5 else 0.0  # J5 is lenient
        for i, u in enumerate(units):
            rows.append((1, u, f"J{k}", "clean",
                         float(quality[i] + bias + rng.normal(0, 0.2))))
    scores = pl.DataFrame(rows, schema=["round", "unit_id", "judge_id", "criterion", "score"],
                          orient="row")
    rubric = Rubric(name="t", criteria=(Criterion("clean", "环境卫生", max_points=100,
                                                  scale=(0, 10)),), judge_aggregate="mean")
    ds = SimpleNamespace(scores=scores, units=None, ratings=None, deductions=None, rubric=rubric)
    pr = panel_reliability(evaluate(ds))
    row = pr.table.row(0, named=True)
    assert row["n_units"] == 8 and row["n_judges"] == 6
    assert row["icc_band"] is not None and row["kendall_w"] > 0.7
    assert pr.judges["judge_id"].to_list() == ["J5"]
    j = pr.judges.row(0, named=True)
    assert j["tendency"] == "偏宽 lenient" and j["leniency"] > 1.0
    assert "J5" in j["evidence"] and "高" in j["evidence"]


def test_leaderboard_with_uncertainty_is_a_new_board():
    lb = _doctest_board()
    lb2 = lb.with_uncertainty(replicates=100, seed=4, progress=False)
    assert "rank_interval" not in lb.table.columns  # no mutation
    assert lb2.table["unit_id"].to_list() == lb.table["unit_id"].to_list()
    assert lb2.table["rank_interval"][2] == "第3名（95%区间 3–3）"
    labelled = lb2.labelled_table()
    assert {"名次区间下限", "名次区间上限", "第一名概率", "名次（区间）"} <= set(labelled.columns)
    assert any("seed 4" in n for n in lb2.notes)
