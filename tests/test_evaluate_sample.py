"""evaluate() on the committed sample (data/sample), checked against an independent recomputation."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from evaltools import evaluate

pytestmark = pytest.mark.filterwarnings("ignore")


@pytest.fixture(scope="module")
def sample():
    from evaltools.datasets import load_sample

    return load_sample()


@pytest.fixture(scope="module")
def board(sample):
    return evaluate(sample)


def _reference_totals(ds, rnd: int) -> dict[str, float]:
    """Plain-Python/numpy recomputation of the points rubric for round ``rnd``."""
    r = ds.rubric
    scores = ds.scores.filter(pl.col("round") == rnd)
    ded = ds.deductions.filter(pl.col("round") == rnd) if ds.deductions is not None else None
    satisfied = set(r.ratings.satisfied)
    out = {}
    for unit in scores["unit_id"].unique().to_list():
        points = {}
        for c in r.criteria:
            if c.source == "judges":
                x = np.sort(scores.filter(pl.col("unit_id") == unit, pl.col("criterion") == c.id)
                            ["score"].to_numpy())
                value = x[1:-1].mean() if x.size >= 3 else x.mean()  # fallback = mean
                points[c.id] = value / c.scale[1] * c.max_points
            else:  # satisfaction_rate over all items
                answers = ds.ratings.filter(pl.col("unit_id") == unit)["rating"].to_list()
                answers = [a for a in answers if a in r.ratings.labels]
                points[c.id] = sum(a in satisfied for a in answers) / len(answers) * c.max_points
        from_total, bonus = 0.0, 0.0
        if ded is not None:
            found = ded.filter(pl.col("unit_id") == unit)
            counts = dict(zip(found["item"], found["count"], strict=True))
            for d in r.deductions:
                taken = min(counts.get(d.item, 0) * d.points, d.cap if d.cap is not None
                            else float("inf"))
                if d.criterion:
                    points[d.criterion] = max(points[d.criterion] - taken, 0.0)
                else:
                    from_total += taken
            for b in r.bonuses:
                bonus += min(counts.get(b.item, 0) * b.points, b.cap if b.cap is not None
                             else float("inf"))
        out[unit] = max(sum(points.values()) - from_total, 0.0) + bonus
    return out


def test_sample_leaderboard_matches_reference(sample, board):
    assert board.round == 6 and board.previous_round == 5
    expected = _reference_totals(sample, 6)
    got = dict(zip(board.table["unit_id"], board.table["total_unrounded"], strict=True))
    assert got.keys() == expected.keys()
    for unit, total in expected.items():
        assert got[unit] == pytest.approx(total, abs=1e-9), unit


def test_sample_table_shape_and_invariants(sample, board):
    t = board.table
    assert t.height == sample.scores.filter(pl.col("round") == 6)["unit_id"].n_unique()
    assert t["unit_id"].is_unique().all()
    ranked = t.filter(pl.col("rank").is_not_null())
    assert ranked["rank"].to_list() == sorted(ranked["rank"].to_list())
    assert ranked["total_unrounded"].is_sorted(descending=True)
    assert (t.filter(pl.col("disqualified"))["rank_label"] == "取消资格").all()
    assert t["name"].null_count() == 0 and t["street"].null_count() == 0
    assert t["n_judges"].min() >= 3
    assert t["stars"].is_between(0, 5).all()
    assert set(t["grade"].drop_nulls()) <= {g.name for g in sample.rubric.grades}
    assert any("满意率" in n for n in board.notes)


def test_sample_explain_adds_up_for_every_unit(board):
    for unit in board.table["unit_id"].to_list():
        ex = board.explain(unit)
        assert ex["得分"][:-1].sum() == pytest.approx(ex["得分"][-1], abs=1e-9), unit


def test_sample_movement_matches_previous_round(sample, board):
    prev = evaluate(sample, round=5)
    ranks5 = dict(zip(prev.table["unit_id"], prev.table["rank"], strict=True))
    for row in board.table.iter_rows(named=True):
        assert row["previous_rank"] == ranks5.get(row["unit_id"])


@pytest.mark.parametrize("method", ["weighted_sum", "weighted_product", "topsis", "vikor"])
def test_sample_other_methods(board, method):
    lb = board.with_method(method)
    assert lb.table.height == board.table.height
    assert lb.table["total"].drop_nulls().is_between(0, 100).all()


def test_sample_all_rounds(sample):
    lb = evaluate(sample, round="all")
    assert lb.round == "all"
    assert lb.table["movement"].null_count() == lb.table.height
    tables = [evaluate(sample, round=r).table for r in range(1, 7)]
    per_round = [dict(zip(t["unit_id"], t["total_unrounded"], strict=True)) for t in tables]
    unit = lb.table["unit_id"][0]
    mean = np.mean([d[unit] for d in per_round if unit in d])
    assert lb.table["total_unrounded"][0] == pytest.approx(mean)


def test_sample_all_rounds_explain_adds_up_without_residual(sample):
    lb = evaluate(sample, round="all")
    for unit in lb.table["unit_id"].to_list():
        ex = lb.explain(unit)
        assert not (ex["项目"] == "总分不低于0分的调整").any(), unit
        assert ex["得分"][:-1].sum() == pytest.approx(ex["得分"][-1], abs=1e-9), unit
