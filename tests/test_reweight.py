"""The re-weighting fast path (``scoring.ReweightModel``, ``leaderboard.Reweighting``) and the
weight explorer's use of it: for any weights, the fast path gives exactly what the full path
(``Leaderboard.with_weights`` → ``evaluate``) gives — totals, ranks, 并列, published totals,
grades, stars, movement — and the explorer falls back to the full path when an option changes."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

import evaltools as et
from evaltools import scoring
from evaltools.leaderboard import Reweighting
from evaltools.rubric import (
    BonusRule,
    Criterion,
    DeductionRule,
    GradeBand,
    Rubric,
    StarRule,
    VetoRule,
)
from evaltools.widgets import WeightExplorer

METHODS = ("points", "weighted_sum", "weighted_product", "topsis", "vikor")
TIES = ("min", "dense", "ordinal", "average")
SETTINGS = settings(max_examples=25, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


def _tied_dataset():
    """Eight units, two rounds, three judges. Pairs of units with identical scores (ties under
    every weighting), a cost criterion, a criterion without a scale (values already in points),
    deductions from a criterion and from the total, bonuses, a disqualifying and a grade veto,
    star rules on a criterion share and on the total."""
    rubric = Rubric(
        name="并列测试", judge_aggregate="mean", min_judges=1,
        criteria=(Criterion("clean", "环境卫生", max_points=40, scale=(0, 10)),
                  Criterion("noise", "噪声投诉", max_points=30, scale=(0, 10), direction="min"),
                  Criterion("green", "绿化", max_points=30)),
        deductions=(DeductionRule("堆物", 3.0, criterion="clean", cap=6.0),
                    DeductionRule("乱倒", 4.0, cap=8.0)),
        bonuses=(BonusRule("志愿", 2.0, cap=4.0),),
        vetoes=(VetoRule("违建", "disqualify"), VetoRule("事故", "grade", grade="不合格")),
        grades=(GradeBand("优秀", 80), GradeBand("合格", 50), GradeBand("不合格", 0)),
        stars=(StarRule("卫生星", criterion="clean", min_share=0.8), StarRule("总分星", min_total=70)),
    )
    units = list("ABCDEFGH")
    base = {  # (clean, noise, green) per unit; A=B, C=D, G=H identical
        "A": (9, 2, 25), "B": (9, 2, 25), "C": (7, 1, 28), "D": (7, 1, 28),
        "E": (8, 4, 20), "F": (6, 3, 30), "G": (5, 5, 15), "H": (5, 5, 15)}
    rows = []
    for rnd, shift in ((1, 0.5), (2, 0.0)):
        for u in units:
            for j, judge in enumerate(("J1", "J2", "J3")):
                for c, v in zip(("clean", "noise", "green"), base[u], strict=True):
                    rows.append((rnd, u, judge, c, float(v) + (j - 1) * shift * (u < "E")))
    scores = pl.DataFrame(rows, schema=["round", "unit_id", "judge_id", "criterion", "score"],
                          orient="row")
    deductions = pl.DataFrame({
        "round": [2, 2, 2, 2, 2, 2, 1], "unit_id": ["A", "C", "D", "E", "F", "B", "A"],
        "item": ["堆物", "乱倒", "乱倒", "志愿", "违建", "事故", "乱倒"],
        "count": [1, 1, 1, 2, 1, 1, 3]})
    names = pl.DataFrame({"unit_id": units, "name": [f"{u}楼" for u in units]})
    return SimpleNamespace(scores=scores, units=names, ratings=None, deductions=deductions,
                           rubric=rubric)


@pytest.fixture(scope="module")
def sample():
    from evaltools.datasets import load_sample

    return load_sample()


@pytest.fixture(scope="module")
def tied():
    return _tied_dataset()


class _Boards(dict):
    """(method, ties) → (leaderboard, its Reweighting); a short repr for hypothesis' reports."""

    def __repr__(self) -> str:
        return f"<{len(self)} boards>"


def _bases(ds) -> _Boards:
    lb = et.evaluate(ds)
    out = _Boards()
    for m in METHODS:
        for t in TIES:
            b = (lb if m == "points" else lb.with_method(m)).with_ties(t)
            out[(m, t)] = (b, Reweighting(b))
    return out


@pytest.fixture(scope="module")
def sample_fast(sample):
    return _bases(sample)


@pytest.fixture(scope="module")
def tied_fast(tied):
    return _bases(tied)


def _same_top(base, fast, weights, n):
    full = base.with_weights(weights).top(n)
    quick = fast.top(weights, n)
    # everything exactly: ranks, 并列 labels, published totals, grades, stars, movement, and
    # the unrounded totals bit for bit
    assert_frame_equal(quick, full, check_exact=True)
    return full


@SETTINGS
@given(method=st.sampled_from(METHODS), ties=st.sampled_from(TIES),
       weights=st.lists(st.integers(0, 6), min_size=8, max_size=8).filter(lambda w: sum(w) > 0),
       n=st.integers(1, 60))
def test_fast_top_equals_with_weights_on_the_sample(sample_fast, method, ties, weights, n):
    """The sample: tie-breakers, deductions from criteria, bonuses, vetoes, stars, a previous
    round (movement). Small integer weights make equal totals likely."""
    base, fast = sample_fast[(method, ties)]
    w = dict(zip(base.rubric.criterion_ids, weights, strict=True))
    _same_top(base, fast, w, n)


@SETTINGS
@given(method=st.sampled_from(METHODS), ties=st.sampled_from(TIES),
       weights=st.lists(st.floats(0, 100, allow_nan=False), min_size=3, max_size=3)
       .filter(lambda w: sum(w) > 1e-6),
       n=st.integers(1, 8))
def test_fast_top_equals_with_weights_with_ties_and_deductions(tied_fast, method, ties,
                                                               weights, n):
    base, fast = tied_fast[(method, ties)]
    w = dict(zip(base.rubric.criterion_ids, weights, strict=True))
    _same_top(base, fast, w, n)


def test_tied_dataset_known_answers(tied_fast):
    """Equal weights, points: A and B have identical scores but A lost 3 points (堆物) from 环境卫生;
    C and D both lost 4 from the total: they stay tied (并列); F is disqualified; B's grade is
    forced to 不合格 by the 事故 veto."""
    base, fast = tied_fast[("points", "min")]
    top = fast.top({"clean": 1, "noise": 1, "green": 1}, 8)
    full = base.with_weights({"clean": 1, "noise": 1, "green": 1})
    assert_frame_equal(top, full.top(8), check_exact=True)
    labels = dict(zip(top["unit_id"], top["rank_label"], strict=True))
    assert labels["C"] == labels["D"] and labels["C"].startswith("并列")
    assert labels["G"] == labels["H"] and labels["G"].startswith("并列")
    assert "F" not in labels  # disqualified: no rank, not in the top
    assert full.table.filter(pl.col("unit_id") == "F")["rank_label"].item() == "取消资格"
    assert top.filter(pl.col("unit_id") == "B")["grade"].item() == "不合格"
    assert top["movement"].null_count() == 0  # round 2 against round 1
    # 100/3 max points each; 绿化 has no scale (its value, 28, is points out of its 30): the new
    # weight converts it from that 0–30 scale like the others from 0–10. By hand,
    # C = 0.7 · 100/3 + (1 − 0.1) · 100/3 + 28/30 · 100/3 − 4
    c = top.filter(pl.col("unit_id") == "C")["total_unrounded"].item()
    assert c == pytest.approx((0.7 + 0.9 + 28 / 30) * 100 / 3 - 4, abs=1e-9)


@pytest.mark.parametrize("method", METHODS)
def test_model_units_equal_score_round(tied, sample, method):
    """``ReweightModel.units`` is ``score_round(...).units`` for other weights, bit for bit."""
    rng = np.random.default_rng(7)
    for ds in (tied, sample):
        lb = et.evaluate(ds)
        base = lb if method == "points" else lb.with_method(method)
        model = scoring.reweight_model(ds, base.rubric, base.round, cache=base._cache)
        for _ in range(5):
            w = dict(zip(base.rubric.criterion_ids,
                         rng.uniform(0, 3, len(base.rubric.criterion_ids)), strict=True))
            rubric = base.with_weights(w).rubric
            expected = scoring.score_round(ds, rubric, base.round, cache=base._cache).units
            assert_frame_equal(model.units(rubric), expected, check_exact=True)


def test_model_rejects_another_method(sample):
    lb = et.evaluate(sample)
    model = scoring.reweight_model(sample, lb.rubric, lb.round, cache=lb._cache)
    with pytest.raises(et.UsageError):
        model.units(lb.rubric.with_method("topsis"))


def test_round_all_is_not_supported(sample):
    lb = et.evaluate(sample, round="all")
    assert not Reweighting.supports(lb)
    with pytest.raises(et.UsageError):
        Reweighting(lb)


# ---- the explorer --------------------------------------------------------------------------

@pytest.fixture
def explorer(sample, tmp_path):
    return WeightExplorer(et.evaluate(sample), charts=False, out_dir=tmp_path)


def _expected_table(explorer, base):
    board = base.with_weights(explorer._weights)
    return WeightExplorer.display_table(board, explorer.default, top=explorer.top_n.value)


def test_slider_takes_the_fast_path_and_shows_the_full_paths_table(explorer):
    assert explorer.path == "full"  # the first update
    for cid, value in (("satisfaction", 40), ("sanitation", 5), ("greenery", 33.5)):
        explorer.sliders[cid].value = value
        assert explorer.path == "fast"
        assert explorer._board is None  # the whole leaderboard is not built …
        assert_frame_equal(explorer.table, _expected_table(explorer, explorer.default),
                           check_exact=True)
    # … until read: then it is with_weights' leaderboard
    assert_frame_equal(explorer.board.table,
                       explorer.default.with_weights(explorer._weights).table)
    assert explorer.rubric == explorer.board.rubric
    explorer.top_n.value = 25  # top N only: still fast
    assert explorer.path == "fast"
    assert_frame_equal(explorer.table, _expected_table(explorer, explorer.default),
                       check_exact=True)


@pytest.mark.parametrize(("control", "value"), [
    ("method", "weighted_sum"), ("method", "topsis"), ("aggregate", "median"),
    ("ties", "dense")])
def test_an_option_change_takes_the_full_path(explorer, sample, control, value):
    explorer.sliders["safety"].value = 20
    assert explorer.path == "fast"
    getattr(explorer, control).value = value
    assert explorer.path == "full"
    assert explorer._board is not None
    base = explorer._base_board()
    assert base is not explorer.default
    assert_frame_equal(explorer.board.table, base.with_weights(explorer._weights).table)
    # the next slider change is fast again, on the new options
    explorer.sliders["participation"].value = 12
    assert explorer.path == "fast"
    assert explorer.rubric.method == explorer.method.value
    assert_frame_equal(explorer.table, _expected_table(explorer, base), check_exact=True)


def test_normalisation_change_takes_the_full_path(explorer):
    explorer.method.value = "weighted_sum"
    explorer.sliders["safety"].value = 20
    assert explorer.path == "fast"
    explorer.normalization.value = "vector"
    assert explorer.path == "full"
    assert explorer.board.rubric.normalization == "vector"


def test_round_all_explorer_stays_on_the_full_path(sample):
    ex = WeightExplorer(et.evaluate(sample, round="all"), charts=False)
    ex.sliders["safety"].value = 25
    assert ex.path == "full"
    assert_frame_equal(ex.table, _expected_table(ex, ex.default), check_exact=True)


def test_error_on_the_fast_path_keeps_the_last_table(explorer, monkeypatch):
    explorer.sliders["safety"].value = 20
    table = explorer.table

    def broken(*_a, **_k):
        raise et.EvalToolsError(et.Problem(None, None, None, None, "x", "坏了", "broken"))

    monkeypatch.setattr(Reweighting, "top", broken)
    explorer.sliders["safety"].value = 30
    assert explorer.error and "无法计算" in explorer.status.value
    assert explorer.table is table


def test_charts_after_a_fast_update_equal_the_full_boards():
    """The bar chart drawn from the rows shown (``TopRows``) is the chart of the whole
    leaderboard, also when a shown unit shares its name with a unit outside the top (the chart
    then adds the unit id)."""
    ds = _tied_dataset()
    ds.units = ds.units.with_columns(
        name=pl.when(pl.col("unit_id").is_in(["A", "H"])).then(pl.lit("同名楼"))
        .otherwise(pl.col("name")))
    ex = WeightExplorer(et.evaluate(ds), top=3, charts=False)
    for cid, value in (("clean", 60.0), ("green", 10.0)):
        ex.sliders[cid].value = value
        assert ex.path == "fast"
        fast = ex.charts_for(ex._top_rows).to_dict()
        assert ex._board is None
        full = ex.charts_for(ex.board).to_dict()
        assert fast == full
    shown = [row["单位"] for rows in full["datasets"].values() for row in rows if "单位" in row]
    assert "同名楼（A）" in shown


def test_draw_charts_after_a_fast_update_does_not_build_the_board(sample):
    ex = WeightExplorer(et.evaluate(sample), charts=True)
    ex.defer_charts = False
    ex.sliders["safety"].value = 22
    assert ex.path == "fast" and ex._board is None
    assert ex.chart_out.outputs and "<svg" in ex.chart_out.outputs[0]["data"]["image/svg+xml"]


def test_weights_move_criteria_scored_directly_in_points():
    """Judges who score in points (环境卫生 out of 60, no scale): a new weight converts their
    points from the old 0–60 scale to the new max, so the slider moves the leaderboard."""
    rubric = Rubric(name="直接打分", judge_aggregate="mean", criteria=(
        Criterion("clean", "环境卫生", max_points=60), Criterion("tidy", "楼道整洁", max_points=40)))
    scores = pl.DataFrame({
        "round": 1, "unit_id": ["A"] * 6 + ["B"] * 6, "judge_id": ["J1", "J2", "J3"] * 4,
        "criterion": (["clean"] * 3 + ["tidy"] * 3) * 2,
        "score": [54.0] * 3 + [20.0] * 3 + [30.0] * 3 + [38.0] * 3})
    ds = SimpleNamespace(scores=scores, units=None, ratings=None, deductions=None, rubric=rubric)
    lb = et.evaluate(ds)
    assert lb.table["unit_id"].to_list() == ["A", "B"] and lb.table["total"].to_list() == [74, 68]
    lb2 = lb.with_weights({"clean": 20, "tidy": 80})  # A: 54/60·20 + 20/40·80 = 58; B: 86
    assert lb2.table.select("unit_id", "total", "clean", "tidy").rows() == [
        ("B", 86.0, 10.0, 76.0), ("A", 58.0, 18.0, 40.0)]
    assert_frame_equal(Reweighting(lb).top({"clean": 20, "tidy": 80}, 2), lb2.top(2),
                       check_exact=True)
    assert lb2.rubric.criteria[0].scale == (0.0, 60.0)  # saved rubrics say which scale
    assert lb2.with_weights({"clean": 60, "tidy": 40}).table["total"].to_list() == [74, 68]
