"""The readers' fast paths (issue 17) give what the slow ways they replace give.

Each file is checked with a few queries: the casts in one, then one query of flags that say which
checks can find anything (cast failures, empty required cells, text length, the table's rules,
duplicate keys); only flagged checks look for their rows. Date/times are read in the usual format
first, the column again with every spelling only where that leaves a cell empty. Cells are
trimmed with ``strip_chars`` instead of a regex, and a CSV is read as wide as its header line.
These tests compare each shortcut with the way it replaces, on cases chosen to tell them apart.
"""

from __future__ import annotations

import io as _io
import warnings
from pathlib import Path
from unittest import mock

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evaltools import io as eio
from evaltools import ratings, validate
from evaltools.errors import EvalToolsWarning
from evaltools.io import read_table
from evaltools.rubric import Criterion, Rubric
from evaltools.validate import (
    Where,
    cast_columns,
    check_missing_cells,
    check_rows,
    check_table,
    parse_datetime,
)

# --------------------------------------------------------------------------- trimming


def test_strip_chars_trims_exactly_what_the_edge_regex_trims():
    """Every code point (surrogates aside), alone and around text: strip_chars with the
    White_Space characters and the zero-width ones is the regex ``^[\\s…]+|[\\s…]+$``."""
    cps = [chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
    s = pl.Series(cps + [f"{c}a{c}b{c}" for c in cps[::7]])
    regex = s.str.replace_all(eio._EDGE_SPACE, "")
    assert regex.equals(s.str.strip_chars(eio._WHITE_SPACE + eio._ZW))
    # without zero-width characters in the text, strip_chars() alone is the same
    plain = ~s.str.contains_any(list(eio._ZW))
    assert regex.filter(plain).equals(s.filter(plain).str.strip_chars())


@pytest.mark.parametrize("cell", ["JY001\u200b", "\ufeffJY001", "\u200b JY001 \u2060"])
def test_zero_width_at_a_cell_end_is_trimmed_and_noted(tmp_path, cell):
    p = tmp_path / "units.csv"
    p.write_text(f"单位编号,名称\n{cell},一号楼\nJY002,二号\u200b楼\n", encoding="utf-8")
    with pytest.warns(EvalToolsWarning, match="1 cell"):
        units, _ = read_table(p, "units", lenient=True)
    assert units["unit_id"].to_list() == ["JY001", "JY002"]
    assert units["name"].to_list() == ["一号楼", "二号\u200b楼"]  # inside a cell: kept


def test_zero_width_inside_a_cell_only_is_not_noted(tmp_path):
    p = tmp_path / "units.csv"
    p.write_text("单位编号,名称\nJY001,一号\u200b楼\n", encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("error", EvalToolsWarning)
        units, _ = read_table(p, "units", lenient=True)
    assert units["name"].to_list() == ["一号\u200b楼"]


# --------------------------------------------------------------------------- CSV width


def _grid_by_widest_line(path: Path) -> pl.DataFrame:
    """The grid as csv_grid read it before: as wide as the line with the most separators."""
    text = path.read_text(encoding="utf-8")
    width = max(line.count(",") for line in text.split("\n")) + 1
    cells = pl.read_csv(_io.BytesIO(text.encode()), has_header=False, missing_columns="insert",
                        schema={f"c{i}": pl.String for i in range(width)})
    return cells.with_columns(_row=pl.int_range(1, pl.len() + 1, dtype=pl.Int64))


@pytest.mark.parametrize("body", [
    "a,b,c\n1,2,3\n",                    # as wide as the header
    "a,b,c\n1,2\n",                      # a short row
    "a,b,c\n1,2,3,4\n5,6,7\n",           # a ragged row: wider than the header
    'a,b,c\n"1,5",2,3\n',                # a quoted separator: the line looks wider
    'a,"b,x",c\n1,2,3\n',                # a quoted separator in the header
])
def test_csv_grid_reads_the_same_cells_as_the_widest_line(tmp_path, body):
    p = tmp_path / "t.csv"
    p.write_text(body, encoding="utf-8")
    grid = eio.csv_grid(p, Where(p.name, "units")).cells
    wide = _grid_by_widest_line(p)
    # the same cells; the widest-line grid may have more columns, all of them empty
    assert grid.equals(wide.select(grid.columns))
    extra = [c for c in wide.columns if c not in grid.columns]
    assert all(wide[c].is_null().all() for c in extra)


def test_a_row_wider_than_the_header_is_still_reported(tmp_path):
    p = tmp_path / "units.csv"
    p.write_text("单位编号,名称,街道,社区,楼院\nJY001,一号楼,新安路,甲社区,一号院,多余\n",
                 encoding="utf-8")
    _, report = read_table(p, "units", lenient=True)
    (q,) = report.problems
    assert (q.rule, q.row, q.value) == ("ragged_row", 2, "多余")


def test_utf8_with_bom_and_crlf_read_from_the_bytes(tmp_path):
    p = tmp_path / "units.csv"
    p.write_bytes("\ufeff单位编号,名称\r\nJY001,一号楼\r\n".encode())
    units, _ = read_table(p, "units", lenient=True)
    assert units.select("unit_id", "name").rows() == [("JY001", "一号楼")]


@settings(max_examples=300, deadline=None)
@given(st.one_of(
    st.binary(max_size=40),
    st.text(max_size=20).map(lambda t: t.encode("utf-8")),
    st.text(max_size=20).map(lambda t: b"\xef\xbb\xbf" + t.encode("utf-8")),
    st.text(alphabet="楼栋编号得分,\n", max_size=20).map(lambda t: t.encode("gb18030")),
    st.sampled_from([b"\xed\xa0\x80", b"\xc0\xaf", b"\xf4\x90\x80\x80", b"a\xc3",
                     b"\xff\xfeA\x00", b"\xef\xbb\xbf\xff"]),
))
def test_utf8_checked_without_decoding_is_what_decode_text_reads(data):
    """csv_grid checks UTF-8 in polars instead of decoding it in Python: whenever it says UTF-8,
    decode_text reads the same text with the same encoding name (surrogates, overlong forms and
    code points beyond U+10FFFF are not UTF-8 to either)."""
    known = eio._utf8_body(data)
    try:
        text, encoding = eio.decode_text(data)
    except UnicodeDecodeError:
        assert known is None
        return
    if known is not None:
        assert (known[0].decode("utf-8"), known[1]) == (text, encoding)
    else:  # left to decode_text: not UTF-8, a UTF-16 BOM or a NUL byte
        assert (encoding not in ("utf-8", "utf-8-sig") or b"\x00" in data)


@pytest.mark.parametrize("text", ["楼栋，一号…", "JY001\u200b", "\u2060a", "a\ufeff", "abc", "—\u200d"])
def test_zero_width_found_in_the_bytes_as_in_the_text(text):
    """E2 / EF lead bytes (full-width comma, ellipsis) without a zero-width character: none."""
    expected = any(z in text for z in eio._ZW)
    assert eio._has_zero_width(text.encode("utf-8"), None) is expected
    assert eio._has_zero_width(b"", text) is expected


# --------------------------------------------------------------------------- date/times

DT_CHARS = st.sampled_from([*"0123456789-/: .T年月日Z+", " ", "\u3000", "\t"])


@st.composite
def datetime_texts(draw):
    if draw(st.booleans()):  # near the usual spelling, with a random change
        y, mo, d = draw(st.integers(0, 10000)), draw(st.integers(0, 13)), draw(st.integers(0, 32))
        h, mi, s = draw(st.integers(0, 25)), draw(st.integers(0, 61)), draw(st.integers(0, 61))
        text = f"{y:04d}-{mo:02d}-{d:02d} {h:02d}:{mi:02d}:{s:02d}"
        text += draw(st.sampled_from(["", "", ".000", ".5", ".123456", ".1234567891", "."]))
        if draw(st.booleans()):
            at = draw(st.integers(0, len(text)))
            text = text[:at] + draw(st.text(DT_CHARS, max_size=3)) + text[at:]
        return text
    return draw(st.text(DT_CHARS, max_size=22))


@settings(max_examples=300, deadline=None)
@given(st.lists(datetime_texts(), min_size=1, max_size=20))
def test_usual_format_reads_what_every_spelling_reads(texts):
    """Wherever the usual format reads a date/time, parse_datetime reads the same instant."""
    frame = pl.DataFrame({"t": texts}, schema={"t": pl.String})
    for usual in (validate._DT_USUAL, validate._DT_USUAL_FRACTION):
        out = frame.select(
            quick=pl.col("t").str.strptime(pl.Datetime("us"), usual, strict=False),
            full=parse_datetime(pl.col("t")))
        read = out.filter(pl.col("quick").is_not_null())
        assert read["quick"].equals(read["full"])


def test_a_column_with_other_spellings_is_read_again(tmp_path):
    p = tmp_path / "votes.csv"
    p.write_text("round,entry_id,voter_id,voted_at\n"
                 "1,R1,v1,2024-05-01 10:00:00\n"
                 "1,R1,v2,2024/5/2 9:30\n"
                 "1,R1,v3,2024-05-03 08:00:00.250\n"
                 "1,R1,v4,明天\n", encoding="utf-8")
    votes, report = read_table(p, "votes", lenient=True)
    assert [str(v) for v in votes["voted_at"]] == [
        "2024-05-01 10:00:00", "2024-05-02 09:30:00", "2024-05-03 08:00:00.250000"]
    (q,) = report.problems
    assert (q.rule, q.row, q.value) == ("bad_datetime", 5, "明天")


def test_time_order_is_checked_on_times_read_again(tmp_path):
    """A ticket whose later step is spelt otherwise: its order is checked on the time read."""
    p = tmp_path / "tickets.csv"
    p.write_text("工单编号,楼院编号,类别,渠道,居民点单时间,社区党支部下单时间,办理状态\n"
                 "T1,JY001,卫生,电话,2024-05-02 10:00:00,2024/5/1 9:00,已办结\n"
                 "T2,JY001,卫生,电话,2024-05-02 10:00:00,2024-05-02 11:00:00,已办结\n",
                 encoding="utf-8")
    _, report = read_table(p, "tickets", lenient=True)
    (q,) = report.problems
    assert (q.rule, q.row, q.value) == ("time_order", 2, "2024/5/1 9:00")


# --------------------------------------------------------------------------- flags


RUBRIC = Rubric("t", (Criterion("tidy", "整洁", scale=(0, 10)),
                      Criterion("green", "绿化", max_points=30),
                      Criterion("safe", "安全", scale=(5, 20))), method="points")
CELLS = st.sampled_from(["1", "2", "B01", "B02", "J1", "J2", "tidy", "green", "safe", "整洁",
                         "other", "5", "12", "-1", "25", "九", "1.5", "nan", "inf", "", None,
                         "x" * 201])


@st.composite
def score_works(draw):
    n = draw(st.integers(1, 12))
    cols = {f"{c}__text": draw(st.lists(CELLS, min_size=n, max_size=n))
            for c in ("round", "unit_id", "judge_id", "criterion", "score")}
    return pl.DataFrame({**cols, "_row": list(range(2, n + 2))},
                        schema={**{c: pl.String for c in cols}, "_row": pl.Int64})


@settings(max_examples=200, deadline=None)
@given(score_works(), st.booleans())
def test_check_rows_is_cast_missing_and_table_checks_in_order(work, with_rubric):
    """check_rows (flags first) gives the problems of the three public checks run in turn."""
    where = Where("scores.csv", "scores", headers={"score": "得分", "unit_id": "楼栋编号"})
    rubric = RUBRIC if with_rubric else None
    cast, ps1 = cast_columns(work, where)
    ps2 = check_missing_cells(cast, where)
    table, ps3 = check_table(cast, where, rubric)
    got, ps = check_rows(work, where, rubric)
    assert ps == ps1 + ps2 + ps3
    assert got.equals(table)
    # the flags only skip checks that find nothing: with every flag raised, every check looks
    # for its rows, and finds the same problems
    with mock.patch.object(validate, "_flagged", lambda w, flags: [True] * len(flags)):
        forced, forced_ps = check_rows(work, where, rubric)
    assert forced_ps == ps
    assert forced.equals(got)


def test_a_score_out_of_its_own_range_inside_another_criterions_is_found():
    where = Where("scores.csv", "scores")
    work = pl.DataFrame({"round__text": ["1", "1", "1"], "unit_id__text": ["B01"] * 3,
                         "judge_id__text": ["J1", "J2", "J3"],
                         "criterion__text": ["tidy", "safe", "green"],
                         "score__text": ["12", "4", "30"], "_row": [2, 3, 4]})
    _, ps = check_rows(work, where, RUBRIC)
    assert [(p.rule, p.row, p.value) for p in ps] == [("out_of_scale", 2, "12"),
                                                       ("out_of_scale", 3, "4")]


def test_duplicate_keys_with_a_missing_part_are_not_duplicates():
    where = Where("scores.csv", "scores")
    work = pl.DataFrame({"round__text": ["1", "1", "1", "1"], "unit_id__text": ["B01"] * 4,
                         "judge_id__text": [None, None, "J1", "J1"],
                         "criterion__text": ["tidy"] * 4, "score__text": ["1"] * 4,
                         "_row": [2, 3, 4, 5]})
    _, ps = check_rows(work, where)
    rules = [(p.rule, p.row) for p in ps]
    assert rules == [("missing_value", 2), ("missing_value", 3), ("duplicate_key", 5)]


# --------------------------------------------------------------------------- Wilson


def _wilson_reference(k: pl.Expr, m: pl.Expr, z: float) -> pl.Expr:
    """The interval as wilson_interval wrote it before its batch UDF (same operations)."""
    p = k / m
    centre = p + z * z / (2 * m)
    half = z * (p * (1 - p) / m + z * z / (4 * m * m)).sqrt()
    den = 1 + z * z / m
    ok = m > 0
    lower = pl.when(ok).then(pl.when(k == 0).then(0.0)
                             .otherwise(((centre - half) / den).clip(0.0, 1.0)))
    upper = pl.when(ok).then(pl.when(k == m).then(1.0)
                             .otherwise(((centre + half) / den).clip(0.0, 1.0)))
    return pl.struct(lower.alias("lower"), upper.alias("upper"))


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 500), st.integers(0, 500)), min_size=1, max_size=30),
       st.sampled_from([0.8, 0.9, 0.95, 0.99, 0.5]))
def test_wilson_batch_is_the_expression_it_replaces(pairs, confidence):
    df = pl.DataFrame({"k": [min(a, b) for a, b in pairs], "n": [max(a, b) for a, b in pairs],
                       "g": [i % 3 for i in range(len(pairs))]})
    z = ratings.z_value(confidence)
    ref = _wilson_reference(pl.col("k").cast(pl.Float64), pl.col("n").cast(pl.Float64), z)
    got = df.select(ratings.wilson_interval("k", "n", confidence=confidence))
    assert got.columns == ["lower"]
    assert got.to_series().equals(df.select(ref).to_series())
    # per group (the UDF is called per group there)
    agg = df.group_by("g", maintain_order=True).agg(
        ratings.wilson_interval(pl.col("k").sum(), pl.col("n").sum(), confidence=confidence))
    ref_agg = df.group_by("g", maintain_order=True).agg(
        _wilson_reference(pl.col("k").sum().cast(pl.Float64),
                          pl.col("n").sum().cast(pl.Float64), z))
    assert agg.equals(ref_agg)


def test_wilson_calls_its_batch_once_per_evaluation(monkeypatch):
    calls = []
    real = ratings._wilson_batch

    def counted(counts, z):
        calls.append(counts.len())
        return real(counts, z)

    monkeypatch.setattr(ratings, "_wilson_batch", counted)
    df = pl.DataFrame({"k": [1, 2, 3], "n": [4, 5, 6]})
    df.select(ratings.wilson_interval("k", "n"))
    assert calls == [3]


@st.composite
def ticket_works(draw):
    n = draw(st.integers(1, 10))
    times = st.one_of(datetime_texts(), st.sampled_from(["2024-05-01 10:00:00", None, ""]))
    text = {f"{c}__text": draw(st.lists(times, min_size=n, max_size=n))
            for c in ("received_at", "dispatched_at", "accepted_at", "resolved_at")}
    ids = {"ticket_id__text": draw(st.lists(st.sampled_from(["T1", "T2", "T3", None]),
                                            min_size=n, max_size=n)),
           "unit_id__text": ["B01"] * n, "category__text": ["卫生"] * n,
           "channel__text": ["电话"] * n, "status__text": ["已办结"] * n}
    cols = {**ids, **text}
    return pl.DataFrame({**cols, "_row": list(range(2, n + 2))},
                        schema={**{c: pl.String for c in cols}, "_row": pl.Int64})


@settings(max_examples=150, deadline=None)
@given(ticket_works())
def test_ticket_checks_with_every_flag_raised_find_the_same(work):
    """Date/times read in the usual format first, flags first: the same typed frame and
    problems as reading every column with every spelling and running every check."""
    where = Where("tickets.csv", "tickets")
    got, ps = check_rows(work, where)
    with mock.patch.object(validate, "_flagged", lambda w, flags: [True] * len(flags)):
        forced, forced_ps = check_rows(work, where)
    assert forced_ps == ps
    assert forced.equals(got)
    full = work.select(parse_datetime(pl.col(f"{c}__text")).alias(c)
                       for c in ("received_at", "dispatched_at", "accepted_at", "resolved_at"))
    assert got.select(full.columns).equals(full)


# --------------------------------------------------------------------------- casts + flags


@pytest.mark.parametrize("rows", [
    [],                                                  # no rows: no flag
    [("B01", "J1", "1", "sanitation", "9")],             # clean
    [("B01", "J1", "1", "sanitation", "9"), ("B01", "J1", "1", "sanitation", "x"),
     ("B01", "J1", "1", "sanitation", "9"), (None, "J2", "一", "sanitation", "8")],
])
def test_cast_and_flag_matches_collect_then_flagged(rows):
    """The casts and the flags in one query give the frame and the flags of the two queries."""
    cols = ["unit_id", "judge_id", "round", "criterion", "score"]
    work = pl.DataFrame([{f"{c}__text": v for c, v in zip(cols, r, strict=True)} for r in rows],
                        schema={f"{c}__text": pl.String for c in cols}).with_row_index(
        "_row", offset=2).with_columns(pl.col("_row").cast(pl.Int64))
    cast = work.lazy().with_columns(pl.col("score__text").cast(pl.Float64, strict=False)
                                    .alias("score"),
                                    pl.col("round__text").cast(pl.Int64, strict=False)
                                    .alias("round"))

    def flags_of(w):
        return [validate._cast_failed("score"), validate._cast_failed("round"), None,
                pl.col("unit_id__text").is_null(),
                pl.struct("round__text", "unit_id__text").is_duplicated()]

    expected = cast.collect()
    got, flags = validate._cast_and_flag(cast, flags_of)
    assert got.equals(expected) and got.columns == expected.columns
    assert flags == validate._flagged(expected, flags_of(expected))
    assert flags == ([False, False, True, False, False] if len(rows) < 2
                     else [True, True, True, True, True])


def test_a_column_named_like_a_flag_is_kept(tmp_path):
    """A user's column that happens to carry the name of an internal flag column is read as
    typed, and the problems are the same as without it."""
    body = "楼栋编号,评委,轮次,指标,得分\nB01,J1,1,sanitation,9\nB01,J1,1,sanitation,x\n"
    p, q = tmp_path / "a.csv", tmp_path / "b.csv"
    p.write_text(body, encoding="utf-8")
    q.write_text("\n".join(f"{line},{v}" for line, v in zip(
        body.strip().split("\n"), ["__flag0__", "a", "b"], strict=True)) + "\n", encoding="utf-8")
    a = read_table(p, "scores", lenient=True)
    b = read_table(q, "scores", lenient=True)
    assert [(x.row, x.rule) for x in a.report.problems] == \
        [(x.row, x.rule) for x in b.report.problems] == [(3, "not_numeric"), (3, "duplicate_key")]
    assert b.data["__flag0__"].to_list() == ["a"]


# --------------------------------------------------------------------------- unit ids looked up once


def test_unit_ids_known_after_resolve_units_are_not_looked_up_again(tmp_path):
    """resolve_units marks a file whose unit ids are all the units table's; check_cross then
    skips that lookup. A file with an unknown id is not marked and is still reported."""
    units = pl.DataFrame({"unit_id": ["B01", "B02"], "name": ["一号楼", "二号楼"]})
    where = Where("units.csv", "units")
    for ids, known in ((["B01", "B02", None], True), (["B01", "B09"], False)):
        p = tmp_path / "deductions.csv"
        p.write_text("轮次,楼栋编号,扣分项,次数\n" + "".join(
            f"1,{i or ''},x,1\n" for i in ids), encoding="utf-8")
        state = eio.read_state(p, "deductions")
        eio.resolve_units(state, units, group_unmatched=False)
        assert state.units_known is known
        works = {"units": (units, where), "deductions": (state.work, state.where)}
        found = validate.check_cross(works, only="deductions", units_known=state.units_known)
        assert [(q.rule, q.value) for q in found] == ([] if known else [("unknown_unit", "B09")])


def test_multi_select_answers_pass_the_rating_check_the_quick_flag_leaves_them_to(tmp_path):
    """The ratings check's flag does not look for ┋ (multi-select) in every answer: a file
    holding one runs the exact check, which accepts it and still reports an unknown label."""
    p = tmp_path / "ratings.csv"
    p.write_text("楼栋编号,点评卡编号,提交时间,评价项目,评价\n"
                 "B01,K1,2024-05-01 10:00:00,环境卫生,满意\n"
                 "B01,K2,2024-05-01 10:00:00,环境卫生,环境┋绿化\n"
                 "B01,K3,2024-05-01 10:00:00,环境卫生,很好很好\n", encoding="utf-8")
    _, report = read_table(p, "ratings", lenient=True)
    assert [(q.rule, q.row, q.value) for q in report.problems] == [
        ("unknown_rating_label", 4, "很好很好")]
    p.write_text("楼栋编号,点评卡编号,提交时间,评价项目,评价\n"
                 "B01,K2,2024-05-01 10:00:00,环境卫生,环境┋绿化\n", encoding="utf-8")
    _, report = read_table(p, "ratings", lenient=True)
    assert report.ok and not report.problems
