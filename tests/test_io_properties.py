"""Property tests: random tables survive CSV (UTF-8, UTF-8 with BOM, GB18030), XLSX and Parquet
round trips exactly, and row accounting holds under random corruption of cells.

Cell policy (docs/data-format.md): text cells are trimmed and an empty cell is missing, so the
expected frame applies ``strip() or None`` to every text value before comparing.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import polars as pl
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from evaltools.io import read_scores, read_table
from evaltools.rubric import Criterion, Rubric
from evaltools.schema import TABLES

ALPHABET = st.sampled_from([*"abcXYZ019 ,;\"'\n\t-_.#（）、楼栋院号街社区张王李䶮𠀀满意", "\u3000"])
TEXT = st.text(ALPHABET, max_size=12)
SETTINGS = settings(max_examples=25, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


def _policy(s: str | None) -> str | None:
    """What a text cell becomes on reading: trimmed, empty -> missing."""
    if s is None:
        return None
    s = s.strip(" \t\n\r　")
    return s or None


@st.composite
def units_frames(draw):
    n = draw(st.integers(1, 8))
    required = st.text(ALPHABET, min_size=1, max_size=10).filter(lambda s: _policy(s) is not None)
    return pl.DataFrame(
        {
            "unit_id": [f"B{i:02d}{draw(TEXT)}" for i in range(n)],
            "name": [draw(required) for _ in range(n)],
            "street": [draw(required) for _ in range(n)],
            "community": [draw(required) for _ in range(n)],
            "courtyard": [draw(required) for _ in range(n)],
            "households": [draw(st.none() | st.integers(0, 10**12)) for _ in range(n)],
            "buildings": [draw(st.none() | st.integers(-5, 500)) for _ in range(n)],
            "managed": [draw(st.none() | st.booleans()) for _ in range(n)],
        },
        schema={"unit_id": pl.String, "name": pl.String, "street": pl.String,
                "community": pl.String, "courtyard": pl.String, "households": pl.Int64,
                "buildings": pl.Int64, "managed": pl.Boolean},
    )


@st.composite
def votes_frames(draw):
    n = draw(st.integers(1, 8))
    when = st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2099, 12, 31))
    return pl.DataFrame(
        {
            "round": [draw(st.integers(1, 6)) for _ in range(n)],
            "entry_id": [f"E{draw(TEXT)}1" for _ in range(n)],
            "voter_id": [f"u{draw(TEXT)}1" for _ in range(n)],
            "voted_at": [draw(when).replace(microsecond=0) for _ in range(n)],
            "ip": [draw(st.none() | TEXT) for _ in range(n)],
            "device": [draw(st.none() | TEXT) for _ in range(n)],
        },
        schema={"round": pl.Int64, "entry_id": pl.String, "voter_id": pl.String,
                "voted_at": pl.Datetime("us"), "ip": pl.String, "device": pl.String},
    )


@st.composite
def scores_frames(draw):
    n = draw(st.integers(1, 10))
    finite = st.floats(allow_nan=False, allow_infinity=False, width=64)
    return pl.DataFrame(
        {
            "round": list(range(1, n + 1)),
            "unit_id": [f"B{draw(TEXT)}1" for _ in range(n)],
            "judge_id": [f"J{draw(TEXT)}1" for _ in range(n)],
            "criterion": [f"c{draw(TEXT)}1" for _ in range(n)],
            "score": [draw(finite) for _ in range(n)],
        },
        schema={"round": pl.Int64, "unit_id": pl.String, "judge_id": pl.String,
                "criterion": pl.String, "score": pl.Float64},
    )


def _expected(df: pl.DataFrame) -> pl.DataFrame:
    return df.with_columns(
        [pl.col(c).map_elements(_policy, return_dtype=pl.String)
         for c, t in df.schema.items() if t == pl.String]
    )


def _chinese_headers(df: pl.DataFrame, table: str) -> pl.DataFrame:
    spec = TABLES[table]
    return df.rename({c: spec.column(c).label for c in df.columns})


def _write(df: pl.DataFrame, fmt: str, folder: Path, table: str) -> Path:
    if fmt == "parquet":
        path = folder / "t.parquet"
        df.write_parquet(path)
        return path
    if fmt == "xlsx":
        path = folder / "t.xlsx"
        _chinese_headers(df, table).write_excel(path, autofit=False)
        return path
    path = folder / "t.csv"
    if fmt == "utf8":
        df.write_csv(path)
    elif fmt == "bom":
        df.write_csv(path, include_bom=True)
    elif fmt == "gb18030":  # Chinese headers, as Chinese Excel writes them
        path.write_bytes(_chinese_headers(df, table).write_csv().encode("gb18030"))
    return path


FORMATS = st.sampled_from(["utf8", "bom", "gb18030", "xlsx", "parquet"])


def _roundtrip(df: pl.DataFrame, table: str, fmt: str) -> pl.DataFrame:
    with tempfile.TemporaryDirectory() as d:
        path = _write(df, fmt, Path(d), table)
        data, report = read_table(path, table)
        assert report.ok
        (count,) = report.counts
        assert (count.read, count.accepted, count.rejected) == (df.height, df.height, 0)
    return data


@SETTINGS
@given(units_frames(), FORMATS)
def test_units_round_trip_exactly(df, fmt):
    data = _roundtrip(df, "units", fmt)
    assert data.equals(_expected(df)), (fmt, data, _expected(df))


@SETTINGS
@given(votes_frames(), FORMATS)
def test_votes_round_trip_exactly(df, fmt):
    data = _roundtrip(df, "votes", fmt)
    assert data.equals(_expected(df)), (fmt, data, _expected(df))


@SETTINGS
@given(scores_frames(), FORMATS)
def test_scores_round_trip_exactly_including_floats(df, fmt):
    if fmt == "xlsx":  # Excel keeps 15 significant digits and numbers below ~1e308
        assume((df["score"].abs() < 1e300).all())
        df = df.with_columns(score=pl.Series([float(f"{x:.15g}") for x in df["score"]]))
    data = _roundtrip(df, "scores", fmt)
    exp = _expected(df)
    assert data.drop("score").equals(exp.drop("score"))
    # exact: the same float64 bit patterns (−0.0 may come back as 0.0 from Excel)
    assert (data["score"] == exp["score"]).all(), (fmt, data["score"], exp["score"])


CORRUPT = st.sampled_from(["abc", "", "NaN", "inf", "-inf", "11", "-1", "1e999", "五", "7.5", "0"])


@SETTINGS
@given(st.integers(1, 30), st.data())
def test_row_accounting_under_random_corruption(n, data):
    rubric = Rubric("p", (Criterion("sanitation", "环境卫生", scale=(0, 10)),))
    df = pl.DataFrame({"轮次": ["1"] * n, "楼栋编号": [f"B{i}" for i in range(n)],
                       "评委": ["J1"] * n, "指标": ["sanitation"] * n,
                       "得分": [str(i % 11) for i in range(n)]})
    hits = data.draw(st.lists(st.tuples(st.integers(0, n - 1),
                                        st.sampled_from(["轮次", "楼栋编号", "得分"]), CORRUPT),
                              max_size=n))
    cells = {c: df[c].to_list() for c in df.columns}
    for i, col, value in hits:
        cells[col][i] = value
    bad = pl.DataFrame(cells)
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "scores.csv"
        bad.write_csv(path)
        res = read_scores(path, rubric=rubric, lenient=True)
    (count,) = res.report.counts
    assert count.read == n
    assert count.accepted + count.rejected == count.read
    assert res.data.height == count.accepted and res.rejected.height == count.rejected
    problem_rows = {p.row for p in res.report.problems if p.row is not None}
    assert set(res.rejected["_row"].to_list()) == problem_rows
    # untouched rows are accepted with their values; every accepted row is valid
    touched = {i + 2 for i, _, _ in hits}
    accepted_rows = set(range(2, n + 2)) - problem_rows
    assert set(range(2, n + 2)) - touched <= accepted_rows
    assert res.data["score"].is_between(0, 10).all()
    assert res.data["score"].is_not_null().all()
