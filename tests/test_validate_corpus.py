"""The malformed-file corpus (tests/malformed/, written by make_corpus.py): each file gives its
precise problems — rule code, Excel row, column as typed and value as typed — and row accounting
holds; the files are never written to."""

from __future__ import annotations

import hashlib
from pathlib import Path

import polars as pl
import pytest

from evaltools.dataset import read_dataset
from evaltools.errors import ValidationError
from evaltools.io import read_table, read_wjx
from evaltools.rubric import (
    BonusRule,
    Criterion,
    DeductionRule,
    Rubric,
    VetoRule,
    WjxMapping,
)

CORPUS = Path(__file__).parent / "malformed"

RUBRIC = Rubric(
    "corpus",
    (
        Criterion("sanitation", "环境卫生", scale=(0, 10)),
        Criterion("stairs", "楼道整洁", scale=(0, 10)),
        Criterion("safety", "安全管理", scale=(0, 10)),
        Criterion("satisfaction", "满意度", source="ratings", items=("stairs", "green")),
    ),
    deductions=(DeductionRule("乱堆乱放", 1.0),),
    bonuses=(BonusRule("志愿服务", 1.0),),
    vetoes=(VetoRule("违章建筑"),),
)
MAPPING = WjxMapping(
    "您居住的楼栋",
    {"您对楼道卫生是否满意": "stairs", "3、您对绿化是否满意": "green", "您希望改进哪些方面": "improve"},
    unit_labels={"三湾街18号楼": "B01", "九冶院": "B02"},
)

# file -> (table, [(rule, excel row, column as typed, value as typed)], rows read, rows accepted)
EXPECTED = {
    "gbk_scores.csv": ("scores", [("not_numeric", 3, "得分", "九")], 2, 1),
    "gb18030_units.csv": ("units", [("not_numeric", 2, "户数", "三十")], 1, 0),
    "latin1_units.csv": ("units", [("unreadable_encoding", None, None, None)], 0, 0),
    "utf16_nobom_scores.csv": ("scores", [("unreadable_encoding", None, None, None)], 0, 0),
    "mixed_utf8_gbk.csv": ("units", [("mixed_encoding", 3, None, None)], 0, 0),
    "utf8_latin1_byte.csv": ("scores", [("mixed_encoding", 3, None, None)], 0, 0),
    "utf16_bom_scores.csv": ("scores", [("out_of_scale", 3, "得分", "12")], 2, 1),
    "bom_scores.csv": ("scores", [("out_of_scale", 3, "得分", "-1")], 2, 1),
    "misspelt_score.csv": ("scores", [("missing_column", None, "得分", None)], 1, 0),
    "missing_street.csv": ("units", [("missing_column", None, "街道", None)], 1, 0),
    "duplicate_header.csv": ("scores", [("duplicate_header", None, "得分", None)], 1, 1),
    "alias_twice.csv": ("scores", [("duplicate_header", None, "分数", None)], 1, 1),
    "non_numeric.csv": ("scores", [("not_numeric", 3, "得分", "abc"),
                                   ("not_numeric", 4, "轮次", "一")], 3, 1),
    "nan_inf.csv": ("scores", [("nan_inf", 2, "得分", "NaN"), ("nan_inf", 4, "得分", "inf")], 3, 1),
    "out_of_range.csv": ("scores", [("out_of_scale", 3, "得分", "11"),
                                    ("out_of_scale", 4, "得分", "-0.5")], 3, 1),
    "unknown_criterion.csv": ("scores", [("unknown_criterion", 2, "指标", "safty")], 2, 1),
    "duplicate_rows.csv": ("scores", [("duplicate_key", 4, "指标", "1 / B01 / J1 / sanitation")],
                           3, 2),
    "missing_cells.csv": ("scores", [("missing_value", 2, "楼栋编号", None),
                                     ("missing_value", 3, "得分", None)], 2, 0),
    "ragged.csv": ("scores", [("ragged_row", 3, None, "多余")], 2, 1),
    "multiline_cell.csv": ("units", [("not_numeric", 3, "户数", "四十")], 2, 1),
    "units_types.csv": ("units", [("not_integer", 3, "户数", "12.5"),
                                  ("bad_bool", 3, "有无物业", "也许")], 2, 1),
    "empty.csv": ("scores", [("empty_file", None, None, None)], 0, 0),
    "header_only.csv": ("scores", [("no_rows", None, None, None)], 0, 0),
    "blank_lines.csv": ("scores", [("empty_file", None, None, None)], 0, 0),
    "tickets_time.csv": ("tickets", [("time_order", 3, "下单时间", "2024-05-02 10:00"),
                                     ("time_order", 3, "办结时间", "2024-05-01 09:00"),
                                     ("bad_datetime", 4, "收集时间", "2024-13-01 09:00")], 3, 1),
    "deductions_bad.csv": ("deductions", [("unknown_item", 3, "扣分项", "乱贴广告"),
                                          ("negative_count", 4, "次数", "-1"),
                                          ("not_integer", 5, "次数", "1.5")], 4, 1),
    "ratings_labels.csv": ("ratings", [("unknown_rating_label", 3, "评价", "很满意"),
                                       ("unknown_rating_label", 4, "评价", "7")], 4, 2),
    "broken.xlsx": ("scores", [("unreadable_file", None, None, None)], 0, 0),
    "broken.parquet": ("scores", [("unreadable_file", None, None, None)], 0, 0),
    "empty.xlsx": ("scores", [("empty_file", None, None, None)], 0, 0),
    "empty_sheet.xlsx": ("scores", [("empty_sheet", None, None, None)], 0, 0),
    "wide_scores.xlsx": ("scores", [("out_of_scale", 5, "楼道整洁", "12"),
                                    ("not_numeric", 6, "环境卫生", "好")], 3, 1),
    "wide_misspelt.xlsx": ("scores", [("unknown_criterion", None, "环境卫士", "环境卫士")], 1, 1),
    "unsupported.json": ("scores", [("unsupported_format", None, None, ".json")], 0, 0),
    "wjx_codes.csv": ("wjx", [("bad_datetime", 4, "提交答卷时间", "2024/13/01 10:07:00"),
                              ("unknown_rating_label", 4, "2、您对楼道卫生是否满意", "非常好")],
                      3, 2),
    "wjx_no_unit.csv": ("wjx", [("unknown_question", None, "您居住的楼栋", None)], 1, 0),
}


def _digest(path: Path) -> tuple[int, str]:
    return path.stat().st_mtime_ns, hashlib.sha256(path.read_bytes()).hexdigest()


def _read(name: str, table: str, *, lenient: bool):
    path = CORPUS / name
    if table == "wjx":
        return read_wjx(path, MAPPING, rubric=RUBRIC, lenient=lenient)
    return read_table(path, table, rubric=RUBRIC, lenient=lenient)


def test_corpus_is_large_enough():
    files = [p for p in CORPUS.rglob("*") if p.is_file() and p.suffix != ".py"]
    assert len(files) >= 25
    assert set(EXPECTED) <= {p.name for p in files}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_file_gives_its_precise_problems(name):
    table, expected, read, accepted = EXPECTED[name]
    before = _digest(CORPUS / name)
    res = _read(name, table, lenient=True)
    got = [(p.rule, p.row, p.column, p.value) for p in res.report.problems]
    assert got == expected
    (count,) = res.report.counts
    assert (count.read, count.accepted) == (read, accepted)
    assert count.accepted + count.rejected == count.read
    assert res.rejected.height == count.rejected
    assert set(res.rejected["_row"].to_list()) == {r for _, r, _, _ in expected if r is not None} \
        or count.accepted == 0
    for p in res.report.problems:
        assert p.file == name
        assert p.zh and p.en and p.fix_zh and p.fix_en
    # strict mode raises one error carrying the same report
    with pytest.raises(ValidationError) as exc:
        _read(name, table, lenient=False)
    assert [(p.rule, p.row) for p in exc.value.report.problems] == [(r, w) for r, w, _, _ in expected]
    assert _digest(CORPUS / name) == before


def test_missing_column_suggests_the_closest_header():
    res = _read("misspelt_score.csv", "scores", lenient=True)
    (p,) = res.report.problems
    assert "您是不是想写 得分？" in p.message_zh()
    assert "did you mean 得分?" in p.message_en()


def test_rejected_rows_keep_original_cells_and_reasons():
    res = _read("wide_scores.xlsx", "scores", lenient=True)
    rej = res.rejected
    assert rej["_row"].to_list() == [5, 6]
    assert rej["楼道整洁"].to_list() == ["12", None]
    assert rej["环境卫生"].to_list() == ["7", "好"]
    assert "超出评分范围" in rej["_reason"][0] and "outside the allowed range" in rej["_reason"][0]


def test_wjx_codes_are_missing_not_errors():
    res = _read("wjx_codes.csv", "wjx", lenient=True)
    assert res.skipped == 3  # one -2 and two -3
    assert res.data.sort("respondent_id", "item").select("respondent_id", "unit_id", "item",
                                                         "rating").rows() == [
        ("1", "B01", "improve", "环境┋绿化"),
        ("1", "B01", "stairs", "满意"),
        ("2", "B02", "stairs", "基本满意"),
    ]


def test_dataset_cross_file_ids():
    folder = CORPUS / "ds_unknown_ids"
    before = {p.name: _digest(p) for p in folder.iterdir()}
    ds = read_dataset(folder, lenient=True)
    got = [(p.file, p.rule, p.row, p.column, p.value) for p in ds.report.problems]
    assert got == [
        ("scores.csv", "unknown_unit", 3, "楼栋编号", "B09"),
        ("scores.csv", "unknown_judge", 4, "评委", "J7"),
        ("entries.csv", "unknown_unit", 3, "楼栋编号", "B08"),
        ("votes.csv", "unknown_entry", 3, "作品编号", "2 / E1"),
        ("votes.csv", "unknown_entry", 4, "作品编号", "1 / E3"),
    ]
    counts = {c.file: (c.read, c.accepted, c.rejected) for c in ds.report.counts}
    assert counts == {"units.csv": (2, 2, 0), "judges.csv": (2, 2, 0), "scores.csv": (3, 1, 2),
                      "entries.csv": (2, 1, 1), "votes.csv": (3, 1, 2)}
    assert ds.scores.height == 1 and ds.rejected["votes"]["_row"].to_list() == [3, 4]
    with pytest.raises(ValidationError):
        read_dataset(folder)
    assert {p.name: _digest(p) for p in folder.iterdir()} == before


def test_check_cross_only_checks_the_table_named():
    """read_dataset checks each file's ids in its own call (``only``): the reference tables
    (entries) are not checked again with every other file; all tables without ``only``."""
    from evaltools.validate import Where, check_cross

    units = pl.DataFrame({"unit_id": ["B01"], "_row": [2]})
    entries = pl.DataFrame({"unit_id": ["B08"], "unit_id__text": ["B08"], "_row": [3]})
    ratings = pl.DataFrame({"unit_id": ["B09"], "unit_id__text": ["B09"], "_row": [4]})
    works = {"units": (units, Where("units.csv", "units")),
             "entries": (entries, Where("entries.csv", "entries")),
             "ratings": (ratings, Where("ratings.csv", "ratings"))}

    def found(only=None):
        return [(p.file, p.rule, p.value) for p in check_cross(works, only=only)]

    assert found() == [("ratings.csv", "unknown_unit", "B09"),  # in UNIT_TABLES order
                       ("entries.csv", "unknown_unit", "B08")]
    assert found("ratings") == [("ratings.csv", "unknown_unit", "B09")]
    assert found("entries") == [("entries.csv", "unknown_unit", "B08")]
    assert found("votes") == []


MIXED_MESSAGES = {
    "mixed_utf8_gbk.csv": (
        "mixed_utf8_gbk.csv 第3行：文件是 UTF-8 编码，但有 1 行不是：第3行（第3行的字节 BE C5 D2 B1 D4 BA BC C3 …，"
        "按 GBK 读作 “B02,九冶院,济源路街道,九冶社区,九冶院”），多半是从 GBK 文件粘贴来的；整份文件按 GBK "
        "读会把其余的中文全部读成乱码。在 Excel 或文本编辑器中重新输入这几行，再“另存为 CSV UTF-8（逗号分隔）”。"
        " | mixed_utf8_gbk.csv, row 3: the file is UTF-8 but 1 line(s) are not: rows 3 (bytes of "
        "row 3: BE C5 D2 B1 D4 BA BC C3 …; read as GBK: 'B02,九冶院,济源路街道,九冶社区,九冶院'), "
        "probably pasted from a GBK file; reading the whole file as GBK would garble every other "
        "Chinese character. Fix: retype those lines, then Save As 'CSV UTF-8 (comma delimited)'."),
    "utf8_latin1_byte.csv": (
        "utf8_latin1_byte.csv 第3行：文件是 UTF-8 编码，但有 1 行不是：第3行（第3行的字节 B0，既不是 UTF-8 "
        "也不是 GBK），可能是 Latin-1 等其他编码的字符；整份文件按 GBK 读会把其余的中文全部读成乱码。在 Excel "
        "或文本编辑器中重新输入这几行，再“另存为 CSV UTF-8（逗号分隔）”。 | utf8_latin1_byte.csv, row 3: "
        "the file is UTF-8 but 1 line(s) are not: rows 3 (bytes of row 3: B0, neither UTF-8 nor "
        "GBK), perhaps a character in Latin-1 or another encoding; reading the whole file as GBK "
        "would garble every other Chinese character. Fix: retype those lines, then Save As 'CSV "
        "UTF-8 (comma delimited)'."),
}


@pytest.mark.parametrize("name", sorted(MIXED_MESSAGES))
def test_mixed_encoding_names_rows_and_bytes_never_mojibake(name):
    table = EXPECTED[name][0]
    res = read_table(CORPUS / name, table, lenient=True)
    assert [str(p) for p in res.report.problems] == [MIXED_MESSAGES[name]]
    assert res.data.is_empty()  # nothing published as mojibake


def test_pure_gbk_still_decodes_and_mixed_lines_are_listed():
    from evaltools.io import MixedEncodingError, decode_text

    gbk = "单位编号,名称\nB01,三湾街18号楼\nB02,九冶院\n".encode("gbk")
    assert decode_text(gbk) == ("单位编号,名称\nB01,三湾街18号楼\nB02,九冶院\n", "gb18030")
    data = ("单位编号,名称\n".encode() + "B01,三湾街\n".encode("gbk") + "B02,九冶院\n".encode()
            + "B03,建行\n".encode("gbk"))
    with pytest.raises(MixedEncodingError) as exc:
        decode_text(data)
    assert exc.value.rows == [2, 4] and exc.value.as_gbk[0] == "B01,三湾街"
    assert isinstance(exc.value, UnicodeDecodeError)  # callers that caught it still do


def test_gbk_lines_that_happen_to_be_utf8_are_not_taken_for_a_mixed_file(tmp_path):
    """楼 is C2 A5 in GBK (UTF-8 for ¥) and 院 is D4 BA (UTF-8 for Ժ): a GBK file whose short
    rows hold only such characters is GBK, not a UTF-8 file with GBK lines (hypothesis found it:
    a sheet with the names 楼 and 院)."""
    from evaltools.io import decode_text

    text = "单位编号,名称\nB01,楼\nB02,院\n"
    assert decode_text(text.encode("gbk")) == (text, "gb18030")
    path = tmp_path / "units.csv"
    path.write_bytes(text.encode("gbk"))
    data, report = read_table(path, "units")
    assert report.ok and data["name"].to_list() == ["楼", "院"]


def test_invisible_and_full_width_ids_and_headers_are_the_same_units():
    folder = CORPUS / "ds_invisible_ids"
    from evaltools.errors import EvalToolsWarning

    with pytest.warns(EvalToolsWarning) as notes:
        ds = read_dataset(folder)
    assert ds.report.ok
    assert ds.scores["unit_id"].to_list() == ["B01", "B02", "B01"]
    assert ds.units["unit_id"].to_list() == ["B01", "B02"]  # header ｕｎｉｔ＿ｉｄ
    texts = [str(w.message) for w in notes]
    assert any("scores.csv：2 个单元格首尾有不可见字符" in t for t in texts)  # B01\u200b, 得分\u200b
    assert any("'Ｂ０２'→B02" in t and "'B\\u200b01'→B01" in t for t in texts)
