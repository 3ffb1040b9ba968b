"""Readers: sheets, Parquet, leading empty Excel rows, strict vs lenient, dataset discovery."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
import xlsxwriter

import evaltools as et
from evaltools.errors import ValidationError
from evaltools.rubric import Criterion, Rubric, WjxMapping

ROOT = Path(__file__).resolve().parents[1]


def _xlsx(path: Path, sheets: dict[str, list[tuple[int, list]]]) -> Path:
    wb = xlsxwriter.Workbook(str(path))
    for name, rows in sheets.items():
        ws = wb.add_worksheet(name)
        for r, values in rows:
            ws.write_row(r, 0, values)
    wb.close()
    return path


def test_named_sheet_and_missing_sheet(tmp_path):
    f = _xlsx(tmp_path / "j.xlsx", {"说明": [(0, ["本表说明"])],
                                    "评委": [(3, ["评委编号", "姓名"]), (4, ["J1", "张三"]),
                                             (6, ["J1", "李四"])]})
    data, report = et.read_judges(f, sheet="评委", lenient=True)
    assert data["judge_id"].to_list() == ["J1"]
    (p,) = report.problems
    # header in Excel row 4, data rows 5 and 7 (an empty row 6 in between)
    assert (p.rule, p.row, p.sheet) == ("duplicate_key", 7, "评委")
    res = et.read_judges(f, sheet="不存在", lenient=True)
    assert [p.rule for p in res.report.problems] == ["sheet_not_found"]
    assert "评委" in res.report.problems[0].zh


def test_parquet_typed_columns(tmp_path):
    df = pl.DataFrame({"round": [1, 2], "entry_id": ["E1", "E2"], "voter_id": ["u1", "u2"],
                       "voted_at": pl.Series(["2024-05-01 10:00:00.5", "2024-05-02 11:00:00"])
                       .str.to_datetime()})
    df.write_parquet(tmp_path / "votes.parquet")
    data, report = et.read_votes(tmp_path / "votes.parquet")
    assert report.ok
    assert data.select(df.columns).equals(df.with_columns(pl.col("voted_at").cast(
        pl.Datetime("us"))))
    assert data["ip"].dtype == pl.String and data["ip"].null_count() == 2


def test_strict_raises_with_every_problem(tmp_path):
    f = tmp_path / "s.csv"
    f.write_text("轮次,楼栋编号,评委,指标,得分\n1,B01,J1,a,x\n1,B01,J1,b,NaN\n", encoding="utf-8")
    with pytest.raises(ValidationError) as exc:
        et.read_scores(f)
    assert [p.rule for p in exc.value.report.problems] == ["not_numeric", "nan_inf"]
    assert "发现 2 个问题" in str(exc.value)


def test_read_result_unpacks_and_keeps_rejected(tmp_path):
    f = tmp_path / "s.csv"
    f.write_text("轮次,楼栋编号,评委,指标,得分\n1,B01,J1,a,9\n1,B01,J1,b,九\n", encoding="utf-8")
    res = et.read_scores(f, lenient=True)
    data, report = res
    assert report is res.report
    assert data.height == 1 and res.rejected.columns == ["轮次", "楼栋编号", "评委", "指标", "得分",
                                                          "_row", "_reason"]
    assert res.rejected.row(0)[:6] == ("1", "B01", "J1", "b", "九", 3)


def test_dataset_with_chinese_names_and_wjx(tmp_path):
    (tmp_path / "参评单位.csv").write_text("单位编号,名称,街道,社区,楼院\nB01,九冶院,济源路街道,九冶社区,"
                                        "九冶院\n", encoding="utf-8")
    (tmp_path / "wjx_五月.csv").write_bytes(
        ("序号,提交答卷时间,所用时间,来源,来源详情,来自IP,1、您居住的楼栋,2、您对楼道卫生是否满意\n"
         "1,2024/05/01 10:01:59,35秒,手机提交,直接访问,1.2.3.4,九冶院,满意\n"
         "2,2024/05/01 10:03:00,35秒,手机提交,直接访问,1.2.3.4,四方小区,满意\n").encode("gbk"))
    rubric = Rubric("r", (Criterion("sat", "满意度", source="ratings"),),
                    wjx=WjxMapping("您居住的楼栋", {"您对楼道卫生是否满意": "stairs"},
                                   unit_labels={"九冶院": "B01"}))
    ds = et.read_dataset(tmp_path, rubric=rubric, lenient=True)
    assert ds.tables == ("units", "ratings")
    assert [(p.file, p.rule, p.row, p.column, p.value) for p in ds.report.problems] == [
        ("wjx_五月.csv", "unknown_unit", 3, "1、您居住的楼栋", "四方小区")]
    assert ds.ratings["unit_id"].to_list() == ["B01"]
    with pytest.raises(ValidationError):
        et.read_dataset(tmp_path, rubric=rubric)


def test_sample_dataset_is_clean():
    sample = ROOT / "data" / "sample"
    if not (sample / "units.csv").exists():
        pytest.skip("sample data not generated yet")
    ds = et.read_dataset(sample)
    assert ds.report.ok and ds.units.height > 0
    for c in ds.report.counts:
        assert c.accepted == c.read
