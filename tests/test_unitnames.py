"""Unit names as people type them: normalisation, matching and grouped problems."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evaltools.unitnames import (
    ZERO_WIDTH,
    match_units,
    normalize_unit_id,
    normalize_unit_name,
    unmatched_name_problems,
)


def key(text: str | None) -> str | None:
    return pl.select(normalize_unit_name(pl.lit(text, dtype=pl.String))).item()


UNITS = pl.DataFrame({
    "unit_id": ["LC013", "LC014", "JY001", "JY006", "X1", "X2"],
    "name": ["铝厂生活区13号楼", "铝厂生活区14号楼", "三湾街18号楼", "九冶院", "东院3栋", "东院3号楼"],
})


@pytest.mark.parametrize("variant", [
    "铝厂生活区13号楼", "铝厂生活区１３号楼", "铝厂生活区 13 号楼", "铝厂生活区13栋", "铝厂生活区13幢",
    "铝厂生活区13号", "铝厂生活区13#楼", "铝厂生活区１３＃", "铝厂生活区十三号楼", "铝厂生活区一十三栋",
    "铝厂生活区第13号楼", "铝厂生活区013号楼", "\u200b铝厂生活区13号楼\ufeff", "铝厂生活区\u300013号楼",
    "铝厂生活区13楼",
])
def test_variants_share_one_key(variant):
    assert key(variant) == "铝厂生活区13号"


@pytest.mark.parametrize(("text", "expected"), [
    ("一百零三栋", "103号"), ("二十号楼", "20号"), ("十号", "10号"), ("九十九幢", "99号"),
    ("三湾街18号楼", "三湾街18号"),      # 三 before 湾 is not a building number: kept
    ("建行家属楼", "建行家属"), ("A座", "a座"), ("2单元", "2单元"), ("", ""),
])
def test_known_keys(text, expected):
    assert key(text) == expected


def test_null_stays_null():
    assert key(None) is None


def test_ids_fold_zero_width_and_full_width():
    ids = pl.DataFrame({"id": ["JY001\u200b", "ＪＹ００１", "jy001", " JY001 "]})
    assert ids.select(normalize_unit_id("id"))["id"].to_list() == ["JY001"] * 4


# -- properties --------------------------------------------------------------------------------

BUILDING_TEXT = st.text(
    alphabet=st.sampled_from(list("0123456789０１２３号栋幢楼单元座第区#＃ 　一二三十百零〇湾街铝厂生活院"
                                  "ABab") + list(ZERO_WIDTH)),
    max_size=16,
)


@settings(max_examples=300, deadline=None)
@given(st.one_of(BUILDING_TEXT, st.text(max_size=12)))
def test_normalisation_is_idempotent(text):
    once = key(text)
    assert key(once) == once


NOISE = st.sampled_from([" ", "\u3000", *ZERO_WIDTH])


def _full_width(ch: str) -> str:
    return chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_own_name_with_noise_matches_its_unit(data):
    row = data.draw(st.integers(0, UNITS.height - 1))
    unit_id, name = UNITS.row(row)
    if unit_id in ("X1", "X2"):      # those two share a key on purpose (ambiguity test below)
        return
    chars = []
    for ch in name:
        if data.draw(st.booleans()):
            ch = _full_width(ch)
        chars.append(ch)
        chars.extend(data.draw(st.lists(NOISE, max_size=2)))
    noisy = data.draw(st.lists(NOISE, max_size=2)) + chars
    noisy_name = "".join(noisy)
    m = match_units(pl.Series([noisy_name]), UNITS)
    assert m.row(0, named=True)["unit_id"] == unit_id, noisy_name


def test_match_by_id_name_and_none():
    values = pl.Series(["铝厂生活区１３号楼", "LC014", "JY001\u200b", None, "铝厂生活区15号楼",
                        "铝厂生活区13号楼", "东院3号楼", "不存在的院"])
    m = match_units(values, UNITS)
    assert m["value"].to_list() == ["铝厂生活区１３号楼", "LC014", "JY001\u200b", "铝厂生活区15号楼",
                                    "铝厂生活区13号楼", "东院3号楼", "不存在的院"]
    assert m["unit_id"].to_list() == ["LC013", "LC014", "JY001", None, "LC013", None, None]
    assert m["matched_by"].to_list() == ["name", "id", "id", "none", "name", "ambiguous", "none"]
    assert m["changed"].to_list() == [False, False, True, False, False, False, False]
    near = m.row(3, named=True)
    assert near["candidate_ids"] == ["LC013", "LC014"]
    assert near["similarity"][0] == pytest.approx(7 / 8, abs=1e-3)  # 2·7/16: 7 of 8 characters shared
    assert m.row(5, named=True)["candidate_ids"] == ["X1", "X2"]
    assert m.row(6, named=True)["candidate_ids"] == []


def test_candidates_use_difflib_ratio():
    import difflib
    m = match_units(pl.Series(["三湾街19号楼"]), UNITS)
    expected = difflib.SequenceMatcher(None, "三湾街19号", "三湾街18号").ratio()
    assert m["candidate_ids"].to_list() == [["JY001"]]
    assert m["similarity"].to_list()[0][0] == pytest.approx(expected, abs=1e-3)


def test_one_grouped_problem_per_name():
    values = pl.Series(["铝厂生活区15号楼"] * 430 + ["铝厂生活区13号楼", "东院3号楼", "东院3号楼"])
    problems = unmatched_name_problems(values, match_units(values, UNITS), file="wjx.csv",
                                       column="1、您居住的楼栋")
    assert [p.rule for p in problems] == ["unknown_unit_name", "ambiguous_unit_name"]
    unknown, ambiguous = problems
    assert unknown.row == 2 and unknown.value == "铝厂生活区15号楼"
    assert "共 430 行（第2、3、4、5、6…行）" in unknown.zh
    assert "LC013 铝厂生活区13号楼" in unknown.zh and "LC014" in unknown.zh
    assert "430 row(s)" in unknown.en
    assert ambiguous.row == 433 and "X1 东院3栋" in ambiguous.zh


def test_problem_rows_are_the_users_rows():
    values = pl.Series(["甲", "铝厂生活区13号楼", "甲"])
    problems = unmatched_name_problems(values, match_units(values, UNITS), file="f.xlsx",
                                       column="楼栋", rows=pl.Series([5, 6, 9]), sheet="Sheet1")
    assert len(problems) == 1 and problems[0].row == 5 and "第5、9行" in problems[0].zh
    assert problems[0].sheet == "Sheet1"


def test_units_without_name_column_is_a_usage_error():
    from evaltools.errors import UsageError
    with pytest.raises(UsageError, match="name"):
        match_units(pl.Series(["a"]), pl.DataFrame({"unit_id": ["a"]}))
