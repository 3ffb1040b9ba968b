"""The 问卷星 raw corpus (tests/raw/wjx/, written by make_wjx.py): each export shape is read into
the ratings table, or gives its precise grouped message (issue 14 items 1, 2, 5, 6 and 9)."""

from __future__ import annotations

import dataclasses
import importlib.util
import io
from pathlib import Path

import polars as pl
import pytest

import evaltools as et
from evaltools.io import read_units, read_wjx
from evaltools.ratings import COMMON_SCALES, detect_scale, summarize
from evaltools.rubric import Criterion, RatingsConfig, Rubric, WjxMapping

RAW = Path(__file__).parent / "raw" / "wjx"
_spec = importlib.util.spec_from_file_location("make_wjx", RAW / "make_wjx.py")
make_wjx = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_wjx)

QUESTIONS = make_wjx.QUESTIONS
MAPPING = WjxMapping(make_wjx.UNIT_Q, dict(zip(QUESTIONS, ["楼道卫生", "环境卫生", "绿化美化"],
                                               strict=True)))
HEN, FEICHANG, FOUR, ONE_TO_FIVE, ONE_TO_TEN = (COMMON_SCALES[i] for i in (0, 1, 3, 4, 5))


def rubric(scale=FOUR) -> Rubric:
    return Rubric("问卷", (Criterion("sat", "满意度", source="ratings"),),
                  ratings=RatingsConfig(labels=dict(scale.labels), satisfied=scale.satisfied,
                                        scale=scale.scale))


@pytest.fixture(scope="module")
def units() -> pl.DataFrame:
    return read_units(RAW / "units.csv").data


def raw_csv(name: str, encoding: str = "utf-8") -> pl.DataFrame:
    """The export as plain text cells, read independently of evaltools."""
    text = (RAW / name).read_bytes().decode(encoding)
    return pl.read_csv(io.StringIO(text), infer_schema=False)


def test_generator_is_deterministic(tmp_path, monkeypatch):
    monkeypatch.setattr(make_wjx, "HERE", tmp_path)
    make_wjx.main()
    written = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    assert written, "the generator wrote nothing"
    for rel in written:
        assert (tmp_path / rel).read_bytes() == (RAW / rel).read_bytes(), rel


def test_gbk_text_export_names_buildings_in_many_spellings(units):
    res = read_wjx(RAW / "wjx_text_gbk_names.csv", MAPPING, rubric=rubric(), units=units)
    assert res.report.ok and res.skipped == 4  # the -3 (not shown) answers
    (count,) = res.report.counts
    assert (count.read, count.accepted) == (30, 30)
    # every spelling (１３号楼, 13栋, 十四号楼, 15幢, 1#楼, a trailing space) is its unit
    spelled = {s.strip(): uid for uid, names in make_wjx.SPELLINGS.items() for s in names}
    raw = raw_csv("wjx_text_gbk_names.csv", "gbk")
    expected = dict(zip(raw["序号"], raw[make_wjx.UNIT_Q].str.strip_chars()
                        .replace_strict(spelled), strict=True))
    got = res.data.select("respondent_id", "unit_id").unique().rows()
    assert dict(got) == expected
    # and the file really holds every spelling
    assert {s for names in make_wjx.SPELLINGS.values() for s in names} <= set(raw[make_wjx.UNIT_Q])


def test_xlsx_download_reads_like_the_csv(units):
    csv = read_wjx(RAW / "wjx_text_gbk_names.csv", MAPPING, rubric=rubric(), units=units).data
    xlsx = read_wjx(RAW / "wjx_text_names.xlsx", MAPPING, rubric=rubric(), units=units).data
    cols = ["respondent_id", "unit_id", "item", "rating", "submitted_at"]
    assert xlsx.select(cols).equals(csv.select(cols))


def test_respondents_not_answers_in_the_summary(units):
    data = read_wjx(RAW / "wjx_text_gbk_names.csv", MAPPING, rubric=rubric(), units=units).data
    s = summarize(data, config=rubric().ratings)
    assert s["n"].to_list() == [5] * 6  # 30 residents over 6 buildings
    assert s["n_answers"].sum() == 86  # 90 answers minus the 4 not shown


def test_codes_export_with_ids_and_options(units):
    mapping = dataclasses.replace(MAPPING, options=tuple(HEN.labels))
    res = read_wjx(RAW / "wjx_codes_bom_ids.csv", mapping, rubric=rubric(HEN), units=units)
    assert res.report.ok and res.skipped == 3
    raw = raw_csv("wjx_codes_bom_ids.csv", "utf-8-sig")
    expect = (raw.unpivot(on=QUESTIONS, index=["序号", make_wjx.UNIT_Q])
              .filter(pl.col("value") != "-2")
              .select(pl.col("序号").alias("respondent_id"),
                      pl.col(make_wjx.UNIT_Q).alias("unit_id"),
                      pl.col("variable").replace_strict(MAPPING.items).alias("item"),
                      pl.col("value").cast(pl.Int64).map_elements(
                          lambda c: list(HEN.labels)[c - 1], return_dtype=pl.String)
                      .alias("rating"))
              .sort("respondent_id", "item"))
    got = res.data.select("respondent_id", "unit_id", "item", "rating").sort("respondent_id", "item")
    assert got.equals(expect)


def test_codes_without_options_are_one_problem_not_an_inverted_scale(units):
    res = read_wjx(RAW / "wjx_codes_bom_ids.csv", MAPPING, rubric=rubric(HEN), units=units,
                   lenient=True)
    assert [(p.rule, p.row, p.value) for p in res.report.problems] == [
        ("answer_codes", None, "1、2、3、4、5")]
    p = res.report.problems[0]
    assert 'options = ["很满意", "满意", …]' in p.fix_zh and "按选项文本" in p.fix_zh
    assert res.data.is_empty() and res.report.counts[0].rejected == 20
    # a numeric 1–5 rubric takes the numbers as values: no problem
    assert read_wjx(RAW / "wjx_codes_bom_ids.csv", MAPPING, rubric=rubric(ONE_TO_FIVE),
                    units=units).report.ok


def test_five_level_answers_against_a_four_level_rubric_group_by_label(units):
    res = read_wjx(RAW / "wjx_five_level.csv", MAPPING, rubric=rubric(FOUR), units=units,
                   lenient=True)
    raw = raw_csv("wjx_five_level.csv").unpivot(on=QUESTIONS, index="序号")
    unknown = raw.filter(~pl.col("value").is_in(list(FOUR.labels)))
    n_by_label = dict(unknown.group_by("value").len().rows())
    probs = res.report.problems
    assert sorted(p.value for p in probs) == sorted(n_by_label)  # one problem per label
    for p in probs:
        assert p.rule == "unknown_rating_label"
        n = n_by_label[p.value]
        first = int(unknown.filter(pl.col("value") == p.value)["序号"].cast(pl.Int64).min()) + 1
        assert p.row == first  # Excel row of the export (header = row 1)
        assert f"共 {n} 个答案" in p.zh and f"{n} answers" in p.en
        assert "答案是五级（非常满意…非常不满意）量表" in p.fix_zh
        assert FEICHANG.toml().replace("\n", "；") in p.fix_zh
    rows_with_unknown = unknown["序号"].cast(pl.Int64).n_unique()
    assert res.report.counts[0].rejected == rows_with_unknown
    # with the 5-level rubric the same file is clean
    assert read_wjx(RAW / "wjx_five_level.csv", MAPPING, rubric=rubric(FEICHANG),
                    units=units).report.ok


def test_scales_are_detected_from_the_answers():
    assert detect_scale(raw_csv("wjx_five_level.csv").unpivot(on=QUESTIONS)["value"]) == FEICHANG
    assert detect_scale(raw_csv("wjx_ten_point.csv")["2、您对本楼整体环境打几分"]) == ONE_TO_TEN
    codes = raw_csv("wjx_codes_bom_ids.csv", "utf-8-sig").unpivot(on=QUESTIONS)["value"]
    assert detect_scale(codes) == ONE_TO_FIVE  # -2 ignored
    text = raw_csv("wjx_text_gbk_names.csv", "gbk").unpivot(on=QUESTIONS)["value"]
    assert detect_scale(text) == FOUR
    assert detect_scale(pl.Series(["很满意", "一般"])) == HEN


def test_ten_point_scale(units):
    mapping = WjxMapping(make_wjx.UNIT_Q, {"2、您对本楼整体环境打几分": "整体"})
    res = read_wjx(RAW / "wjx_ten_point.csv", mapping, rubric=rubric(ONE_TO_TEN), units=units)
    assert res.report.ok and res.data.height == 15
    s = summarize(res.data, config=rubric(ONE_TO_TEN).ratings)
    raw = raw_csv("wjx_ten_point.csv")
    score = raw["2、您对本楼整体环境打几分"].cast(pl.Int64)
    assert s["n_satisfied"].sum() == (score >= 8).sum()  # satisfied = 8, 9, 10 by default


def test_matrix_questions_one_item_per_row(units):
    mapping = WjxMapping(make_wjx.UNIT_Q, {"安全管理": "safety"},
                         matrix=("2、您对以下方面的满意程度", "3、您对物业服务的评价"))
    res = read_wjx(RAW / "wjx_matrix.csv", mapping, rubric=rubric(), units=units)
    assert res.report.ok and res.data.height == 12 * 5
    assert sorted(res.data["item"].unique()) == sorted(
        ["楼道卫生", "环境卫生", "绿化美化", "设施维护", "safety"])
    raw = raw_csv("wjx_matrix.csv")
    first = res.data.filter(pl.col("respondent_id") == "1")
    assert dict(first.select("item", "rating").rows()) == {
        "楼道卫生": raw["2、您对以下方面的满意程度—楼道卫生"][0],
        "环境卫生": raw["2、您对以下方面的满意程度—环境卫生"][0],
        "绿化美化": raw["2、您对以下方面的满意程度—绿化美化"][0],
        "设施维护": raw["3(设施维护)"][0], "safety": raw["3(安全管理)"][0]}
    # a matrix row may also be mapped by its full header, in the other form
    by_header = WjxMapping(make_wjx.UNIT_Q, {"2、您对以下方面的满意程度(楼道卫生)": "stairs"})
    res2 = read_wjx(RAW / "wjx_matrix.csv", by_header, rubric=rubric(), units=units)
    assert res2.data["item"].unique().to_list() == ["stairs"] and res2.data.height == 12
    missing = WjxMapping(make_wjx.UNIT_Q, {}, matrix=("您对物业的看法",))
    bad = read_wjx(RAW / "wjx_matrix.csv", missing, rubric=rubric(), units=units, lenient=True)
    assert [p.rule for p in bad.report.problems] == ["unknown_question"]


UNKNOWN_BUILDING = (
    "wjx_unknown_building.csv 第3行 “1、您居住的楼栋”列：值 “铝厂生活区31号楼” 与参评单位表中的楼栋都对不上，"
    "共 12 行（第3、6、9、13、16…行）；最接近的是 LC013 铝厂生活区13号楼、LC014 铝厂生活区14号楼、"
    "LC015 铝厂生活区15号楼。请核对名称，或在参评单位表（units.csv）中补上该楼栋。 | "
    "wjx_unknown_building.csv, row 3, column '1、您居住的楼栋': value '铝厂生活区31号楼' matches no "
    "unit of the units table; 12 row(s) (rows 3, 6, 9, 13, 16, …); closest: LC013 铝厂生活区13号楼, "
    "LC014 铝厂生活区14号楼, LC015 铝厂生活区15号楼. Fix: check the name, or add the unit to the "
    "units table (units.csv).")


def test_unknown_building_is_one_grouped_message(units):
    res = read_wjx(RAW / "wjx_unknown_building.csv", MAPPING, rubric=rubric(), units=units,
                   lenient=True)
    assert [str(p) for p in res.report.problems] == [UNKNOWN_BUILDING]
    (count,) = res.report.counts
    assert (count.read, count.accepted, count.rejected) == (40, 28, 12)
    raw = raw_csv("wjx_unknown_building.csv")
    bad_rows = (raw.with_row_index("r", offset=2)
                .filter(pl.col(make_wjx.UNIT_Q) == "铝厂生活区31号楼")["r"].to_list())
    assert sorted(res.rejected["_row"].to_list()) == bad_rows
    assert res.data["unit_id"].null_count() == 0


def test_mixed_encoding_export_is_refused_naming_row_5(units):
    res = read_wjx(RAW / "wjx_mixed_encoding.csv", MAPPING, rubric=rubric(), units=units,
                   lenient=True)
    assert [(p.rule, p.row) for p in res.report.problems] == [("mixed_encoding", 5)]
    p = res.report.problems[0]
    assert "按 GBK 读作 “4,2024/05/01" in p.zh and "probably pasted from a GBK file" in p.en
    assert res.data.is_empty()


def test_dataset_folder_names_to_leaderboard():
    ds = et.read_dataset(RAW / "ds_names")
    assert ds.report.ok and ds.ratings["unit_id"].null_count() == 0
    lb = et.evaluate(ds)
    assert lb.table["n_cards"].to_list() == [5] * 6
    s = summarize(ds.ratings, config=ds.rubric.ratings)
    expected = dict(zip(s["unit_id"], (s["satisfaction_rate"] * 100).round(2), strict=True))
    assert dict(zip(lb.table["unit_id"], lb.table["total"], strict=True)) == pytest.approx(expected)


def test_validate_cli_is_clean_on_the_dataset(capsys):
    from evaltools.cli import main

    assert main(["validate", str(RAW / "ds_names")]) == 0
    assert "没有发现问题" in capsys.readouterr().out
