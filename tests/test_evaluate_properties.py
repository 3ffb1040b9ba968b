"""Property tests of evaluate(): row order never matters; points totals match a plain reference."""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from evaltools import evaluate
from evaltools.rubric import Criterion, DeductionRule, GradeBand, Rubric
from tests.test_leaderboard import make_ds

RUBRIC = Rubric(
    name="性质测试",
    criteria=(Criterion("clean", "环境卫生", max_points=60, scale=(0, 10)),
              Criterion("tidy", "楼道整洁", max_points=40, scale=(0, 10))),
    judge_aggregate="median", min_judges=3,
    deductions=(DeductionRule("楼道堆物", 1.5, criterion="tidy", cap=4.0),
                DeductionRule("私搭乱建", 2.0)),
    grades=(GradeBand("优秀", 90), GradeBand("合格", 60), GradeBand("不合格", 0)),
)


@st.composite
def panels(draw):
    n_units = draw(st.integers(2, 6))
    n_judges = draw(st.integers(3, 5))
    # half-point scores make ties likely
    scores = draw(st.lists(st.integers(0, 20), min_size=n_units * n_judges * 2,
                           max_size=n_units * n_judges * 2))
    units = [f"U{i:02d}" for i in range(n_units)]
    recs = [
        (1, u, f"J{j}", c, scores[(i * 2 + k) * n_judges + j] / 2)
        for i, u in enumerate(units) for k, c in enumerate(("clean", "tidy"))
        for j in range(n_judges)
    ]
    frame = pl.DataFrame(recs, schema={"round": pl.Int64, "unit_id": pl.String,
                                       "judge_id": pl.String, "criterion": pl.String,
                                       "score": pl.Float64}, orient="row")
    counts = draw(st.lists(st.integers(0, 4), min_size=n_units * 2, max_size=n_units * 2))
    ded = pl.DataFrame({
        "round": [1] * (2 * n_units),
        "unit_id": units * 2,
        "item": ["楼道堆物"] * n_units + ["私搭乱建"] * n_units,
        "count": counts,
    })
    seed = draw(st.integers(0, 2**32 - 1))
    return frame, ded, seed


@settings(max_examples=40, deadline=None)
@given(panels(), st.sampled_from(["mean", "median", "trimmed_mean", "zscore"]),
       st.sampled_from(["points", "weighted_sum", "topsis"]))
def test_row_order_does_not_matter(panel, aggregate, method):
    scores, ded, seed = panel
    rubric = dataclasses.replace(RUBRIC, judge_aggregate=aggregate, method=method)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = evaluate(make_ds(scores=scores, deductions=ded), rubric)
        b = evaluate(make_ds(scores=scores.sample(fraction=1.0, shuffle=True, seed=seed),
                             deductions=ded.sample(fraction=1.0, shuffle=True, seed=seed + 1)),
                     rubric)
    assert_frame_equal(a.table, b.table)
    key = ["unit_id", "criterion"]
    assert_frame_equal(a.values.sort(key), b.values.sort(key))


@settings(max_examples=40, deadline=None)
@given(panels())
def test_points_total_matches_numpy_reference(panel):
    scores, ded, _ = panel
    lb = evaluate(make_ds(scores=scores, deductions=ded), RUBRIC)
    # independent reference: numpy median per unit and criterion, then the rubric by hand
    units = sorted(set(scores["unit_id"]))
    expected = {}
    for u in units:
        med = {c: np.median(scores.filter(pl.col("unit_id") == u, pl.col("criterion") == c)
                            ["score"].to_numpy()) for c in ("clean", "tidy")}
        n_pile = ded.filter(pl.col("unit_id") == u, pl.col("item") == "楼道堆物")["count"].sum()
        n_build = ded.filter(pl.col("unit_id") == u, pl.col("item") == "私搭乱建")["count"].sum()
        clean = med["clean"] / 10 * 60
        tidy = max(med["tidy"] / 10 * 40 - min(1.5 * n_pile, 4.0), 0.0)
        expected[u] = max(clean + tidy - 2.0 * n_build, 0.0)
    got = dict(zip(lb.table["unit_id"], lb.table["total_unrounded"], strict=True))
    assert got.keys() == expected.keys()
    for u in units:
        assert abs(got[u] - expected[u]) < 1e-9
    # ranks: competition ranking of the totals (scipy 'min' on the negated totals)
    from scipy.stats import rankdata

    tot = np.array([expected[u] for u in lb.table["unit_id"]])
    assert lb.table["rank"].to_list() == rankdata(-tot, method="min").astype(int).tolist()
    for u in units:
        ex = lb.explain(u)
        assert abs(ex["得分"][:-1].sum() - ex["得分"][-1]) < 1e-9
