"""Limits on what a file may hold (issue 18, items 7 and 17): scores above their criterion's
maximum or absurdly large, and over-long text, are validation errors naming file, Excel row,
column, value and the limit — checked when reading, before any scoring or publishing."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from evaltools import read_table
from evaltools.errors import ValidationError
from evaltools.rubric import parse_rubric
from evaltools.validate import MAX_NAME_CHARS, MAX_TEXT_CHARS

POINTS = parse_rubric({
    "competition": {"name": "测试", "total_points": 100},
    "criteria": [
        {"id": "clean", "name": "环境卫生", "max_points": 60},                 # points, no scale
        {"id": "tidy", "name": "楼道整洁", "max_points": 40, "scale": [0, 10]},  # on a scale
    ],
})
WEIGHTED = parse_rubric({
    "competition": {"name": "测试", "method": "weighted_sum"},
    "criteria": [{"id": "clean", "name": "环境卫生", "weight": 0.5},
                 {"id": "tidy", "name": "楼道整洁", "weight": 0.5}],
})
HEAD = "轮次,楼栋编号,评委,指标,得分\n"


def _scores(tmp_path: Path, rows: str, name: str = "scores.csv") -> Path:
    p = tmp_path / name
    p.write_text(HEAD + rows, encoding="utf-8")
    return p


def _problems(path: Path, table: str = "scores", rubric=POINTS):
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    data, report = read_table(path, table, rubric=rubric, lenient=True)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before  # input unchanged
    (count,) = report.counts
    assert count.accepted + count.rejected == count.read
    return data, report


def test_score_above_max_points_is_an_error_naming_the_maximum(tmp_path):
    p = _scores(tmp_path, "1,B01,J1,clean,60\n1,B01,J2,clean,61\n1,B01,J3,clean,-1\n")
    data, report = _problems(p)
    assert [(q.rule, q.row, q.column, q.value) for q in report.problems] == [
        ("out_of_scale", 3, "得分", "61"), ("out_of_scale", 4, "得分", "-1")]
    q = report.problems[0]
    assert q.file == "scores.csv" and "max_points = 60" in q.en and "满分 max_points = 60" in q.zh
    assert data.height == 1
    with pytest.raises(ValidationError):
        read_table(p, "scores", rubric=POINTS)


def test_score_above_the_top_of_its_scale_names_the_scale(tmp_path):
    p = _scores(tmp_path, "1,B01,J1,tidy,10\n1,B01,J2,tidy,10.5\n")
    _, report = _problems(p)
    (q,) = report.problems
    assert (q.rule, q.row, q.value) == ("out_of_scale", 3, "10.5") and "0 to 10" in q.en


@pytest.mark.parametrize("value", ["1e308", "-1e308", "1e13"])
def test_huge_scores_are_out_of_range_without_scale_or_points(tmp_path, value):
    p = _scores(tmp_path, f"1,B01,J1,clean,5\n1,B01,J2,clean,{value}\n")
    for rubric in (POINTS, WEIGHTED):
        _, report = _problems(p, rubric=rubric)
        (q,) = report.problems
        assert (q.rule, q.row, q.value) == ("out_of_scale", 3, value)


@pytest.mark.parametrize("value", ["inf", "-inf", "nan", "NaN"])
def test_non_finite_scores_are_errors(tmp_path, value):
    p = _scores(tmp_path, f"1,B01,J1,clean,5\n1,B01,J2,clean,{value}\n")
    _, report = _problems(p)
    (q,) = report.problems
    assert (q.rule, q.row, q.value) == ("nan_inf", 3, value)


def test_over_long_name_is_an_error_naming_cell_and_limit(tmp_path):
    p = tmp_path / "units.csv"
    long_name = "一" * 100_000
    p.write_text("单位编号,名称,街道,社区,楼院\n"
                 f"JY001,{long_name},新安路,甲社区,一号院\n"
                 f"{'J' * (MAX_NAME_CHARS + 1)},二号楼,新安路,甲社区,二号院\n"
                 "JY003,三号楼,新安路,甲社区,三号院\n", encoding="utf-8")
    data, report = _problems(p, "units", rubric=None)
    got = sorted((q.rule, q.row, q.column) for q in report.problems)
    assert got == [("text_too_long", 2, "名称"), ("text_too_long", 3, "单位编号")]
    q = next(q for q in report.problems if q.row == 2)
    assert "100000 characters; the limit is 200" in q.en and "上限 200" in q.zh
    assert len(str(q)) < 1000  # the message shows a short excerpt, not the 100,000 characters
    assert data["unit_id"].to_list() == ["JY003"]


def test_free_text_may_be_long_up_to_excels_cell_limit(tmp_path):
    p = tmp_path / "deductions.csv"
    ok, too_long = "说" * MAX_TEXT_CHARS, "说" * (MAX_TEXT_CHARS + 1)
    p.write_text("轮次,楼栋编号,扣分项,次数,备注,其他\n"
                 f"1,B01,堆物,1,{ok},x\n1,B01,乱贴,1,{too_long},x\n1,B02,堆物,1,短,{too_long}\n",
                 encoding="utf-8")
    _, report = _problems(p, "deductions", rubric=None)
    got = sorted((q.rule, q.row, q.column) for q in report.problems)
    assert got == [("text_too_long", 3, "备注"), ("text_too_long", 4, "其他")]
    assert all("32767" in q.en for q in report.problems)
