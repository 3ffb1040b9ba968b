"""evaluate() and Leaderboard on small hand-built datasets whose totals are computed by hand."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from evaltools import EvalToolsError, UsageError, evaluate
from evaltools.leaderboard import Leaderboard
from evaltools.rubric import (
    BonusRule,
    Criterion,
    DeductionRule,
    GradeBand,
    Rubric,
    StarRule,
    VetoRule,
)

GRADES = (GradeBand("优秀", 90), GradeBand("良好", 80), GradeBand("合格", 60),
          GradeBand("不合格", 0))


def make_ds(*, scores=None, units=None, ratings=None, deductions=None, rubric=None):
    """A Dataset when evaltools.dataset has landed, else a stand-in with the same attributes."""
    tables = dict(units=units, judges=None, scores=scores, deductions=deductions,
                  ratings=ratings, tickets=None, entries=None, votes=None)
    try:
        from evaltools.dataset import Dataset
        from evaltools.errors import ValidationReport

        fields = {f.name for f in dataclasses.fields(Dataset)}
        extra = {"rubric": rubric, "path": None, "report": ValidationReport(), "rejected": {}}
        return Dataset(**{k: v for k, v in {**tables, **extra}.items() if k in fields})
    except ImportError:
        return SimpleNamespace(**tables, rubric=rubric, path=None)


def long_scores(rows: dict[tuple[str, str], list[float]], rnd: int = 1) -> pl.DataFrame:
    """{(unit, criterion): [judge scores J1, J2, …]} → the long scores table."""
    recs = [(rnd, u, f"J{i + 1}", c, float(s))
            for (u, c), ss in rows.items() for i, s in enumerate(ss)]
    return pl.DataFrame(recs, schema={"round": pl.Int64, "unit_id": pl.String,
                                      "judge_id": pl.String, "criterion": pl.String,
                                      "score": pl.Float64}, orient="row")


def base_rubric(**kw) -> Rubric:
    defaults = dict(judge_aggregate="mean", min_judges=3, grades=GRADES)
    defaults.update(kw)
    return Rubric(name="测试评比", criteria=(
        Criterion("clean", "环境卫生", max_points=60, scale=(0, 10)),
        Criterion("tidy", "楼道整洁", max_points=40, scale=(0, 10))), **defaults)


# Round 1 by hand (mean of 3 judges; points = mean / 10 × max):
#   A clean 9 → 54,  tidy 10 → 40   total 94
#   B clean 8 → 48,  tidy 8  → 32   total 80
#   C clean 6 → 36,  tidy 5  → 20   total 56
#   D clean 10 → 60, tidy 9  → 36   total 96
ROUND1 = {
    ("A", "clean"): [9, 9, 9], ("A", "tidy"): [10, 10, 10],
    ("B", "clean"): [7, 8, 9], ("B", "tidy"): [8, 8, 8],
    ("C", "clean"): [6, 6, 6], ("C", "tidy"): [5, 5, 5],
    ("D", "clean"): [10, 10, 10], ("D", "tidy"): [9, 8, 10],
}
UNITS = pl.DataFrame({
    "unit_id": ["A", "B", "C", "D"], "name": ["三湾街18号楼", "九冶院", "建行家属院", "四方小区"],
    "street": ["济源路街道"] * 2 + ["新安路街道"] * 2, "community": ["三湾街社区"] * 4,
    "courtyard": ["甲", "乙", "丙", "丁"],
})


@pytest.fixture
def board() -> Leaderboard:
    return evaluate(make_ds(scores=long_scores(ROUND1), units=UNITS), base_rubric())


def test_known_totals_rank_grade(board):
    t = board.table
    assert t["unit_id"].to_list() == ["D", "A", "B", "C"]
    assert t["total"].to_list() == [96.0, 94.0, 80.0, 56.0]
    assert t["rank"].to_list() == [1, 2, 3, 4]
    assert t["rank_label"].to_list() == ["第1名", "第2名", "第3名", "第4名"]
    assert t["grade"].to_list() == ["优秀", "优秀", "良好", "不合格"]
    assert t["clean"].to_list() == [60.0, 54.0, 48.0, 36.0]
    assert t["tidy"].to_list() == [36.0, 40.0, 32.0, 20.0]
    assert t["name"].to_list() == ["四方小区", "三湾街18号楼", "九冶院", "建行家属院"]
    assert t["n_judges"].to_list() == [3, 3, 3, 3]
    assert t["movement"].to_list() == [None] * 4  # first round: nothing to compare with
    assert board.round == 1


def test_values_long_form(board):
    v = board.values.filter(pl.col("unit_id") == "B", pl.col("criterion") == "clean").row(
        0, named=True)
    assert v["raw"] == [7.0, 8.0, 9.0]
    assert v["rule"] == "mean"
    assert v["value"] == pytest.approx(8.0)
    assert v["normalized"] == pytest.approx(0.8)
    assert v["weight"] == 60.0
    assert v["points"] == pytest.approx(48.0)
    assert board.values.height == 8


def test_explain_sums_to_total(board):
    for unit in ["A", "B", "C", "D"]:
        ex = board.explain(unit)
        assert ex["项目"][-1] == "总分"
        total = board.table.filter(pl.col("unit_id") == unit)["total_unrounded"].item()
        assert ex["得分"][-1] == pytest.approx(total)
        assert ex["得分"][:-1].sum() == pytest.approx(total)
    ex = board.explain("B")
    assert ex["评委打分"][0] == "7, 8, 9"
    assert ex["汇总方式"][0] == "平均分"


def test_explain_unknown_unit(board):
    with pytest.raises(EvalToolsError) as err:
        board.explain("Z9")
    p = err.value.problems[0]
    assert p.rule == "unknown_unit" and p.value == "Z9"
    assert "榜单中没有" in str(err.value) and "not on the leaderboard" in str(err.value)


def test_trimmed_mean_known_answers():
    # 去掉一个最高分和一个最低分: [9,5,6,8,9] → (6+8+9)/3 = 7.6667 (DOMAIN.md);
    # [100,1,20,30,40] → (20+30+40)/3 = 30. Points: 7.6667/10 × 30 = 23.0; 30/100 × 70 = 21.
    pytest.importorskip("evaltools.judging")
    rubric = Rubric(name="去掉最高最低", criteria=(
        Criterion("a", "甲", max_points=30, scale=(0, 10)),
        Criterion("b", "乙", max_points=70, scale=(0, 100))))
    scores = long_scores({("U1", "a"): [9, 5, 6, 8, 9], ("U1", "b"): [100, 1, 20, 30, 40]})
    lb = evaluate(make_ds(scores=scores), rubric)
    row = lb.table.row(0, named=True)
    assert row["a"] == pytest.approx(23.0)
    assert row["b"] == pytest.approx(21.0)
    assert row["total"] == pytest.approx(44.0)
    v = lb.values.sort("criterion")["value"].to_list()
    assert v == pytest.approx([23 / 3, 30.0])


def test_deductions_caps_floor_bonus_and_total_deduction():
    rubric = base_rubric(
        deductions=(
            DeductionRule("楼道堆物", 2.0, criterion="tidy", cap=5.0),  # 3 × 2 = 6 → cap 5
            DeductionRule("私搭乱建", 3.0),  # from the total, no cap
        ),
        bonuses=(BonusRule("志愿服务", 1.0, cap=2.0),),  # 5 × 1 = 5 → cap 2
    )
    ded = pl.DataFrame({
        "round": [1, 1, 1, 1, 1],
        "unit_id": ["C", "C", "A", "B", "X"],
        "item": ["楼道堆物", "私搭乱建", "志愿服务", "楼道堆物", "楼道堆物"],
        "count": [3, 2, 5, 1, 9],
    })
    # tiny tidy for a floor: E tidy 1 → 4 points, 楼道堆物 × 3 → 5 capped → floor 0 (4 taken)
    rows = {**ROUND1, ("E", "clean"): [5, 5, 5], ("E", "tidy"): [1, 1, 1]}
    ded = pl.concat([ded, pl.DataFrame({"round": [1], "unit_id": ["E"], "item": ["楼道堆物"],
                                        "count": [3]})])
    lb = evaluate(make_ds(scores=long_scores(rows), deductions=ded), rubric)
    t = {r["unit_id"]: r for r in lb.table.iter_rows(named=True)}
    # C: tidy 20 − 5 = 15; clean 36; total 51 − 6 (私搭乱建 2 × 3) = 45
    assert t["C"]["tidy"] == 15.0 and t["C"]["total"] == 45.0 and t["C"]["deductions"] == 11.0
    # A: 94 + 2 (bonus capped) = 96
    assert t["A"]["total"] == 96.0 and t["A"]["bonuses"] == 2.0
    # B: tidy 32 − 2 = 30 → 78
    assert t["B"]["tidy"] == 30.0 and t["B"]["total"] == 78.0
    # E: clean 30, tidy 4 − 5 → floor 0 (4 deducted) → 30
    assert t["E"]["tidy"] == 0.0 and t["E"]["total"] == 30.0 and t["E"]["deductions"] == 4.0
    assert "X" not in t  # deductions for a unit that did not take part are ignored
    for unit in ["A", "B", "C", "E"]:
        ex = lb.explain(unit)
        assert ex["得分"][:-1].sum() == pytest.approx(ex["得分"][-1])
    cap_row = lb.explain("C").filter(pl.col("项目") == "扣分：楼道堆物")
    assert "上限" in cap_row["说明"].item()


def test_total_floor_zero():
    rubric = base_rubric(deductions=(DeductionRule("私搭乱建", 50.0),))
    ded = pl.DataFrame({"round": [1], "unit_id": ["C"], "item": ["私搭乱建"], "count": [2]})
    lb = evaluate(make_ds(scores=long_scores(ROUND1), deductions=ded), rubric)
    c = lb.table.filter(pl.col("unit_id") == "C").row(0, named=True)
    assert c["total"] == 0.0  # 56 − 100 → 0, 扣完为止
    ex = lb.explain("C")
    assert ex["得分"][:-1].sum() == pytest.approx(0.0)


def test_vetoes_disqualify_and_force_grade():
    rubric = base_rubric(vetoes=(VetoRule("违章搭建", "disqualify"),
                                 VetoRule("安全事故", "grade", grade="不合格")))
    ded = pl.DataFrame({"round": [1, 1], "unit_id": ["D", "A"], "item": ["违章搭建", "安全事故"],
                        "count": [1, 1]})
    lb = evaluate(make_ds(scores=long_scores(ROUND1), deductions=ded), rubric)
    t = lb.table
    assert t["unit_id"].to_list() == ["A", "B", "C", "D"]
    d = t.filter(pl.col("unit_id") == "D").row(0, named=True)
    assert d["rank"] is None and d["rank_label"] == "取消资格" and d["disqualified"] is True
    assert d["total"] == 96.0  # kept for reference
    assert t["rank"].to_list()[:3] == [1, 2, 3]  # no gap left by the disqualified unit
    a = t.filter(pl.col("unit_id") == "A").row(0, named=True)
    assert a["grade"] == "不合格" and a["rank"] == 1  # forced grade, rank unchanged
    assert "一票否决：取消资格" in lb.explain("D")["说明"].to_list()


def test_grade_bands_use_published_total():
    # B: clean 8.9999 → 53.9994; tidy 9 → 36 → 89.9994 ≈ 90.00 published → 优秀
    rows = {("B", "clean"): [8.9999] * 3, ("B", "tidy"): [9, 9, 9],
            ("C", "clean"): [8.99] * 3, ("C", "tidy"): [9, 9, 9]}
    lb = evaluate(make_ds(scores=long_scores(rows)), base_rubric())
    t = {r["unit_id"]: r for r in lb.table.iter_rows(named=True)}
    assert t["B"]["total"] == 90.0 and t["B"]["grade"] == "优秀"
    assert t["C"]["total"] == 89.94 and t["C"]["grade"] == "良好"


def test_stars():
    rubric = base_rubric(stars=(
        StarRule("卫生之星", criterion="clean", min_share=0.9),  # clean ≥ 54
        StarRule("整洁之星", criterion="tidy", min_share=0.9),  # tidy ≥ 36
        StarRule("高分", min_total=90),
    ))
    lb = evaluate(make_ds(scores=long_scores(ROUND1)), rubric)
    stars = dict(zip(lb.table["unit_id"], lb.table["stars"], strict=True))
    # A: 54 ✓, 40 ✓, 94 ✓ → 3; B: 0; C: 0; D: 60 ✓, 36 ✓, 96 ✓ → 3
    assert stars == {"A": 3, "B": 0, "C": 0, "D": 3}


def test_stars_at_most_five():
    rubric = base_rubric(stars=tuple(StarRule(f"s{i}", min_total=0) for i in range(7)))
    lb = evaluate(make_ds(scores=long_scores(ROUND1)), rubric)
    assert lb.table["stars"].to_list() == [5] * 4


TIES = {
    # totals: P 90, Q 80 (clean 48 tidy 32), R 80 (clean 54 tidy 26), S 70
    ("P", "clean"): [10, 10, 10], ("P", "tidy"): [7.5, 7.5, 7.5],
    ("Q", "clean"): [8, 8, 8], ("Q", "tidy"): [8, 8, 8],
    ("R", "clean"): [9, 9, 9], ("R", "tidy"): [6.5, 6.5, 6.5],
    ("S", "clean"): [7, 7, 7], ("S", "tidy"): [7, 7, 7],
}


def test_ties_min_and_labels():
    lb = evaluate(make_ds(scores=long_scores(TIES)), base_rubric())
    t = lb.table
    assert t["total"].to_list() == [90.0, 80.0, 80.0, 70.0]
    assert t["rank"].to_list() == [1, 2, 2, 4]
    assert t["rank_label"].to_list() == ["第1名", "并列第2名", "并列第2名", "第4名"]
    assert t["unit_id"].to_list() == ["P", "Q", "R", "S"]  # tied units by unit id


def test_ties_dense_and_tie_breakers():
    lb = evaluate(make_ds(scores=long_scores(TIES)), base_rubric())
    dense = lb.with_ties("dense")
    assert dense.table["rank"].to_list() == [1, 2, 2, 3]
    broken = lb.with_ties("min", tie_breakers=["clean"])  # R has more clean points
    assert broken.table["unit_id"].to_list() == ["P", "R", "Q", "S"]
    assert broken.table["rank_label"].to_list() == ["第1名", "第2名", "第3名", "第4名"]
    assert lb.table["rank"].to_list() == [1, 2, 2, 4]  # original unchanged
    with pytest.raises(UsageError):
        lb.with_ties("olympic")


def test_movement_between_rounds():
    r2 = {  # round 2: C improves to first, D drops
        ("A", "clean"): [9, 9, 9], ("A", "tidy"): [9, 9, 9],  # 90
        ("B", "clean"): [8, 8, 8], ("B", "tidy"): [8, 8, 8],  # 80
        ("C", "clean"): [10, 10, 10], ("C", "tidy"): [10, 10, 10],  # 100
        ("D", "clean"): [7, 7, 7], ("D", "tidy"): [7, 7, 7],  # 70
        ("N", "clean"): [6, 6, 6], ("N", "tidy"): [6, 6, 6],  # 60, new this round
    }
    scores = pl.concat([long_scores(ROUND1, 1), long_scores(r2, 2)])
    ds = make_ds(scores=scores)
    lb = evaluate(ds, base_rubric())
    assert lb.round == 2 and lb.previous_round == 1
    mv = dict(zip(lb.table["unit_id"], lb.table["movement"], strict=True))
    # round 1 ranks D1 A2 B3 C4; round 2 C1 A2 B3 D4 N5
    assert mv == {"C": "▲3", "A": "—", "B": "—", "D": "▼3", "N": "新上榜"}
    first = evaluate(ds, base_rubric(), round=1)
    assert first.table["unit_id"].to_list() == ["D", "A", "B", "C"]
    overall = evaluate(ds, base_rubric(), round="all")
    tot = dict(zip(overall.table["unit_id"], overall.table["total"], strict=True))
    # means over the rounds each unit took part in: A (94+90)/2, C (56+100)/2, N 60
    assert tot == {"A": 92.0, "B": 80.0, "C": 78.0, "D": 83.0, "N": 60.0}
    with pytest.raises(UsageError):
        evaluate(ds, base_rubric(), round=7)


def test_too_few_judges_error_and_fallback():
    rows = {**ROUND1, ("B", "clean"): [7, 9]}
    rubric = base_rubric(judge_aggregate="median")
    with pytest.raises(EvalToolsError) as err:
        evaluate(make_ds(scores=long_scores(rows)), rubric)
    p = err.value.problems[0]
    assert p.rule == "too_few_judges"
    text = str(err.value)
    assert "第1轮" in text and "环境卫生" in text and "B(2人)" in text
    assert "round 1" in text and "clean" in text and "B (2 judges)" in text
    lb = evaluate(make_ds(scores=long_scores(rows)),
                  dataclasses.replace(rubric, judge_fallback="mean"))
    b = lb.table.filter(pl.col("unit_id") == "B").row(0, named=True)
    assert b["clean"] == pytest.approx(48.0)  # mean of 7 and 9 = 8 → 48
    assert any("fallback" in n and "B/clean" in n for n in lb.notes)
    v = lb.values.filter(pl.col("unit_id") == "B", pl.col("criterion") == "clean")
    assert v["rule"].item() == "mean"


def test_missing_values_error_zero_mean():
    rows = {k: v for k, v in ROUND1.items() if k != ("C", "tidy")}
    ds = make_ds(scores=long_scores(rows))
    with pytest.raises(EvalToolsError) as err:
        evaluate(ds, base_rubric())
    p = err.value.problems[0]
    assert p.rule == "missing_value" and p.column == "tidy"
    assert "楼道整洁" in str(err.value) and "C" in p.zh
    zero = evaluate(ds, base_rubric(missing="zero"))
    c = zero.table.filter(pl.col("unit_id") == "C").row(0, named=True)
    assert c["tidy"] == 0.0 and c["total"] == 36.0
    assert any("C/tidy" in n and "0" in n for n in zero.notes)
    mean = evaluate(ds, base_rubric(missing="mean"))
    c = mean.table.filter(pl.col("unit_id") == "C").row(0, named=True)
    # mean tidy of A, B, D = (10 + 8 + 9) / 3 = 9 → 36 points
    assert c["tidy"] == pytest.approx(36.0)
    assert any("mean" in n for n in mean.notes)


def test_methods_switch_weighted_sum_known_answer(board):
    ws = board.with_method("weighted_sum")
    # weights = max_points (60, 40) → (0.6, 0.4); min-max: clean (6..10), tidy (5..10)
    # A .6×.75 + .4×1 = .85; B .6×.5 + .4×.6 = .54; C 0; D .6 + .4×.8 = .92
    tot = dict(zip(ws.table["unit_id"], ws.table["total"], strict=True))
    assert tot == pytest.approx({"A": 85.0, "B": 54.0, "C": 0.0, "D": 92.0})
    assert ws.table["unit_id"].to_list() == ["D", "A", "B", "C"]
    assert any("max_points" in n for n in ws.notes)
    ex = ws.explain("A")
    assert ex["得分"][:-1].sum() == pytest.approx(85.0)
    assert board.rubric.method == "points"  # unchanged


@pytest.mark.parametrize("method", ["weighted_product", "topsis", "vikor"])
def test_other_methods_run(board, method):
    lb = board.with_method(method)
    assert lb.rubric.method == method
    assert lb.table.height == 4
    assert lb.table["total"].is_between(0, 100).all()
    # C is worst on every criterion and D best on clean: C last under every method
    assert lb.table["unit_id"][-1] == "C"


def test_vikor_total_is_one_minus_q(board):
    from evaltools import mcda

    lb = board.with_method("vikor")
    matrix = pl.DataFrame({"unit_id": ["A", "B", "C", "D"], "clean": [9.0, 8, 6, 10],
                           "tidy": [10.0, 8, 5, 9]})
    ref = mcda.vikor(matrix, {"clean": "max", "tidy": "max"}, {"clean": 0.6, "tidy": 0.4})
    expected = dict(zip(ref["unit_id"], (1 - ref["Q"]) * 100, strict=True))
    got = dict(zip(lb.table["unit_id"], lb.table["total_unrounded"], strict=True))
    assert got == pytest.approx(expected)


def test_with_weights_returns_new_object_and_original_unchanged(board):
    before = board.table.clone()
    lb2 = board.with_weights({"clean": 1, "tidy": 1})
    assert lb2 is not board
    assert_frame_equal(board.table, before)
    assert board.rubric.criterion("clean").max_points == 60
    # points: 1:1 re-divides the 100 points 50/50 → A 45 + 50 = 95, D 50 + 45 = 95 (tie)
    t = lb2.table
    assert dict(zip(t["unit_id"], t["total"], strict=True)) == {
        "A": 95.0, "D": 95.0, "B": 80.0, "C": 55.0}
    assert t["rank_label"].to_list()[:2] == ["并列第1名", "并列第1名"]
    ws = board.with_method("weighted_sum").with_weights({"tidy": 0})
    # only clean counts: D 100, A 75, B 50, C 0
    assert ws.table["total"].to_list() == pytest.approx([100.0, 75.0, 50.0, 0.0])
    with pytest.raises(UsageError):
        board.with_weights({"nope": 1})
    with pytest.raises(dataclasses.FrozenInstanceError):
        board.round = 3  # type: ignore[misc]


def test_tickets_criterion_takes_its_value_from_the_kpi_module():
    # before issue 6 this raised "needs_module"; now evaltools.kpi supplies the value
    import datetime as dt

    rubric = Rubric(name="t", criteria=(Criterion("fb", "反馈率", source="tickets",
                                                  measure="feedback_rate", max_points=100),))
    day = dt.datetime(2025, 9, 30, 9)
    tickets = pl.DataFrame({
        "ticket_id": ["T1", "T2"], "unit_id": ["A", "B"], "category": ["停车"] * 2,
        "channel": ["意见箱"] * 2, "received_at": [day, day],
        "responded_at": [dt.datetime(2025, 10, 10, 9), dt.datetime(2025, 10, 11, 9)],
        "resolved_at": [dt.datetime(2025, 10, 10, 9), None], "status": ["已办结", "正在解决"]})
    ds = dataclasses.replace(make_ds(scores=long_scores(ROUND1)), tickets=tickets)
    t = evaluate(ds, rubric).table
    assert dict(zip(t["unit_id"], t["fb"], strict=True)) == {"A": 100.0, "B": 0.0}


def test_units_column_criterion():
    rubric = Rubric(name="u", criteria=(
        Criterion("clean", "环境卫生", max_points=80, scale=(0, 10)),
        Criterion("hh", "户数", source="units", column="households", max_points=20,
                  scale=(0, 100))), judge_aggregate="mean")
    units = UNITS.with_columns(households=pl.Series([50, 100, 20, 0]))
    lb = evaluate(make_ds(scores=long_scores(ROUND1), units=units), rubric)
    hh = dict(zip(lb.table["unit_id"], lb.table["hh"], strict=True))
    assert hh == {"A": 10.0, "B": 20.0, "C": 4.0, "D": 0.0}


def test_no_rubric_is_usage_error():
    with pytest.raises(UsageError):
        evaluate(make_ds(scores=long_scores(ROUND1)))


def test_repr_and_top(board):
    text = repr(board)
    assert text.startswith("Leaderboard('测试评比', method=points, round=1, units=4")
    assert "第1名 四方小区 96.0" in text
    assert board.top(2)["unit_id"].to_list() == ["D", "A"]


def test_half_up_rounding_of_published_total():
    # clean 8.33375 → 49.99... choose mean giving 0.125-like endings: tidy 3.03125 → 12.125
    rows = {("A", "clean"): [0, 0, 0], ("A", "tidy"): [3.03125] * 3}
    lb = evaluate(make_ds(scores=long_scores(rows)), base_rubric(grades=()))
    assert lb.table["total_unrounded"].item() == pytest.approx(12.125)
    assert lb.table["total"].item() == 12.13  # half-up, not 12.12
    even = evaluate(make_ds(scores=long_scores(rows)), base_rubric(grades=(),
                                                                   rounding="half_even"))
    assert even.table["total"].item() == 12.12


def test_zscore_maps_back_to_scale():
    # three judges of different leniency, each ranks A < B < C with equal steps → z = -1, 0, 1
    rows = {("A", "clean"): [6, 8, 5], ("B", "clean"): [7, 9, 7], ("C", "clean"): [8, 10, 9],
            ("A", "tidy"): [5, 5, 5], ("B", "tidy"): [5, 5, 5], ("C", "tidy"): [5, 5, 5]}
    rubric = dataclasses.replace(base_rubric(), criteria=(
        Criterion("clean", "环境卫生", max_points=60, scale=(0, 10), aggregate="zscore"),
        Criterion("tidy", "楼道整洁", max_points=40, scale=(0, 10))))
    lb = evaluate(make_ds(scores=long_scores(rows)), rubric)
    allscores = np.array([6, 8, 5, 7, 9, 7, 8, 10, 9], dtype=float)
    pm, psd = allscores.mean(), allscores.std(ddof=1)
    v = lb.values.filter(pl.col("criterion") == "clean").sort("unit_id")
    assert v["rule"].to_list() == ["zscore"] * 3
    assert v["value"].to_list() == pytest.approx([pm - psd, pm, pm + psd])
    clean = dict(zip(lb.table["unit_id"], lb.table["clean"], strict=True))
    assert clean["B"] == pytest.approx(round(pm * 6, 2))
    # tidy keeps the rubric's plain mean
    assert lb.values.filter(pl.col("criterion") == "tidy")["value"].to_list() == [5.0] * 3


RATINGS_RUBRIC = Rubric(
    name="满意度", judge_aggregate="mean",
    criteria=(Criterion("clean", "环境卫生", max_points=80, scale=(0, 10)),
              Criterion("sat", "群众满意度", source="ratings", max_points=20)),
)


def cards(rows: dict[str, list[str]]) -> pl.DataFrame:
    recs = [(u, f"{u}-{i}", "2024-05-01 10:00:00", "楼道卫生", r)
            for u, rs in rows.items() for i, r in enumerate(rs)]
    return pl.DataFrame(recs, schema=["unit_id", "respondent_id", "submitted_at", "item",
                                      "rating"], orient="row")


def test_ratings_satisfaction_rate_criterion():
    # 满意率 with 满意 + 基本满意: A 3/4 → 15 points, B 1/1 → 20, C 0/2 → 0, D 2/3 → 13.33
    ratings = cards({"A": ["满意", "满意", "基本满意", "不满意"], "B": ["满意"],
                     "C": ["不太满意", "不满意"], "D": ["满意", "基本满意", "不满意"]})
    lb = evaluate(make_ds(scores=long_scores(ROUND1), ratings=ratings), RATINGS_RUBRIC)
    sat = dict(zip(lb.table["unit_id"], lb.table["sat"], strict=True))
    assert sat == {"A": 15.0, "B": 20.0, "C": 0.0, "D": 13.33}
    n_cards = dict(zip(lb.table["unit_id"], lb.table["n_cards"], strict=True))
    assert n_cards == {"A": 4, "B": 1, "C": 2, "D": 3}
    assert any("满意+基本满意" in n for n in lb.notes)
    # A: clean 9 → 72 + 15 = 87
    assert lb.table.filter(pl.col("unit_id") == "A")["total"].item() == 87.0
    only = dataclasses.replace(RATINGS_RUBRIC, ratings=dataclasses.replace(
        RATINGS_RUBRIC.ratings, satisfied=("满意",)))
    lb2 = evaluate(make_ds(scores=long_scores(ROUND1), ratings=ratings), only)
    sat2 = dict(zip(lb2.table["unit_id"], lb2.table["sat"], strict=True))
    assert sat2 == {"A": 10.0, "B": 20.0, "C": 0.0, "D": 6.67}
    assert any("满意率 = (满意)" in n for n in lb2.notes)


def test_ratings_unit_without_cards_is_missing():
    ratings = cards({"A": ["满意"], "B": ["满意"], "C": ["满意"]})
    with pytest.raises(EvalToolsError) as err:
        evaluate(make_ds(scores=long_scores(ROUND1), ratings=ratings), RATINGS_RUBRIC)
    assert err.value.problems[0].rule == "missing_value"
    assert "D" in str(err.value) and "群众满意度" in str(err.value)


@pytest.mark.parametrize("rule,expected_a", [
    ("mean", 3.25 / 4 * 20),  # values 4,4,3,2 (不太满意=2)… see cards below
    ("top2box", 0.75 * 20),
])
def test_ratings_other_aggregates(rule, expected_a):
    ratings = cards({"A": ["满意", "满意", "基本满意", "不太满意"], "B": ["满意"],
                     "C": ["满意"], "D": ["满意"]})
    rubric = dataclasses.replace(RATINGS_RUBRIC, criteria=(
        RATINGS_RUBRIC.criteria[0],
        dataclasses.replace(RATINGS_RUBRIC.criteria[1], aggregate=rule)))
    lb = evaluate(make_ds(scores=long_scores(ROUND1), ratings=ratings), rubric)
    v = lb.values.filter(pl.col("unit_id") == "A", pl.col("criterion") == "sat")
    assert v["points"].item() == pytest.approx(expected_a)


@pytest.mark.parametrize("rule", ["wilson_lower", "bayesian_average"])
def test_ratings_interval_and_shrinkage_come_from_ratings_module(rule):
    from evaltools import ratings as ratings_mod

    cards_ = cards({"A": ["满意", "满意", "基本满意", "不太满意"], "B": ["满意"],
                    "C": ["不满意", "满意"], "D": ["满意"] * 6})
    rubric = dataclasses.replace(RATINGS_RUBRIC, criteria=(
        RATINGS_RUBRIC.criteria[0],
        dataclasses.replace(RATINGS_RUBRIC.criteria[1], aggregate=rule)))
    lb = evaluate(make_ds(scores=long_scores(ROUND1), ratings=cards_), rubric)
    cfg = rubric.ratings
    ref = ratings_mod.summarize(cards_, labels=cfg.labels, satisfied=cfg.satisfied,
                                prior_weight=cfg.prior_weight, confidence=cfg.confidence)
    expected = dict(zip(ref["unit_id"], ref[rule], strict=True))
    got = lb.values.filter(pl.col("criterion") == "sat")
    for unit, value, points in got.select("unit_id", "value", "points").iter_rows():
        assert value == pytest.approx(expected[unit])
        high = 1.0 if rule == "wilson_lower" else cfg.scale[1]
        assert points == pytest.approx(expected[unit] / high * 20)


def test_weights_renormalised_note_and_normalization_switch(board):
    ws = board.with_method("weighted_sum").with_weights({"clean": 3, "tidy": 1})
    assert any("renormalised" in n and "0.75" in n for n in ws.notes)
    mx = board.with_method("weighted_sum", normalization="max")
    # max normalisation: clean x/10, tidy x/10 with weights .6/.4: A .54 + .4 = .94
    assert dict(zip(mx.table["unit_id"], mx.table["total"], strict=True))["A"] == 94.0
    assert any("max" in n for n in mx.notes)


def test_reserved_criterion_id_is_rubric_error():
    from evaltools import RubricError

    rubric = Rubric(name="x", criteria=(Criterion("total", "总分项", max_points=100,
                                                  scale=(0, 10)),), judge_aggregate="mean")
    scores = long_scores({("A", "total"): [5, 5, 5]})
    with pytest.raises(RubricError) as err:
        evaluate(make_ds(scores=scores), rubric)
    assert err.value.problems[0].rule == "reserved_criterion_id"


def test_rule_frames_built_once_per_rubric_not_per_round():
    from evaltools.scoring import points

    rubric = base_rubric(deductions=(DeductionRule("楼道堆物", 2.0, criterion="tidy", cap=5.0),),
                         bonuses=(BonusRule("志愿服务", 1.0),),
                         vetoes=(VetoRule("违章搭建", "disqualify"),))
    ded = pl.DataFrame({"round": [1, 1, 2, 2], "unit_id": ["A", "B", "A", "B"],
                        "item": ["楼道堆物", "违章搭建", "志愿服务", "楼道堆物"],
                        "count": [3, 1, 2, 1]})
    ds = make_ds(scores=long_scores(ROUND1), deductions=ded)
    units = pl.DataFrame({"unit_id": ["A", "B"]})
    points._rule_frames.cache_clear()
    r1 = points.round_adjustments(ds, rubric, 1, units)
    r2 = points.round_adjustments(ds, rubric, 2, units)
    info = points._rule_frames.cache_info()
    assert (info.misses, info.hits) == (1, 1)
    assert r1.select("unit_id", "kind", "item", "applied", "action").rows() == [
        ("A", "扣分", "楼道堆物", 5.0, None), ("B", "否决", "违章搭建", None, "disqualify")]
    assert r2.select("unit_id", "kind", "item", "applied").rows() == [
        ("A", "加分", "志愿服务", 2.0), ("B", "扣分", "楼道堆物", 2.0)]
    assert r2["round"].to_list() == [2, 2]
    # rules held in a list (unhashable): the frames are built for the call, same result
    listed = SimpleNamespace(deductions=list(rubric.deductions), bonuses=list(rubric.bonuses),
                             vetoes=list(rubric.vetoes))
    assert_frame_equal(points.round_adjustments(ds, listed, 2, units), r2)
