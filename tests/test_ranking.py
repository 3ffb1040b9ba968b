"""Ranking: reference tie cases, scipy.stats.rankdata property, tie-breakers, labels, movement."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from evaltools import ranking
from evaltools.errors import EvalToolsError, UsageError

REFDIR = Path(__file__).parent / "reference"
MCDA = {c["name"]: c for c in json.loads((REFDIR / "mcda_cases.json").read_text("utf-8"))["cases"]}
RAT = {c["id"]: c for c in json.loads((REFDIR / "ratings_cases.json").read_text("utf-8"))["cases"]}


def test_mcda_tie_ranking_conventions():
    case = MCDA["tie_ranking_conventions"]
    df = pl.DataFrame({"score": case["scores"]})
    exp = case["expected"]
    for key, ties in (("competition_min", "min"), ("average", "average"), ("dense", "dense"),
                      ("ordinal_stable", "ordinal")):
        assert ranking.rank(df, ties=ties)["rank"].to_list() == exp[key]


def test_ratings_tie_ranking_and_polars_doc_example():
    case = RAT["tie_ranking"]
    df = pl.DataFrame({"score": case["scores"]})
    for ties in ("min", "dense", "ordinal", "average"):
        assert ranking.rank(df, ties=ties)["rank"].to_list() == case["polars_rank_descending"][ties]
    doc = case["polars_doc_example"]
    d = pl.DataFrame({"x": doc["input"]})
    assert ranking.rank(d, by="x", descending=False, ties="average")["rank"].to_list() == doc[
        "rank_average"]
    assert ranking.rank(d, by="x", descending=False, ties="ordinal")["rank"].to_list() == doc[
        "rank_ordinal"]


def test_dtypes():
    df = pl.DataFrame({"score": [3.0, 1.0]})
    assert ranking.rank(df, ties="min")["rank"].dtype == pl.UInt32
    assert ranking.rank(df, ties="average")["rank"].dtype == pl.Float64


def test_float_noise_is_a_tie():
    df = pl.DataFrame({"score": [0.1 + 0.2, 0.3, 0.2]})
    assert ranking.rank(df)["rank"].to_list() == [1, 1, 3]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(-5, 5), min_size=1, max_size=30),
       st.sampled_from(["min", "dense", "ordinal", "average"]), st.booleans())
def test_matches_scipy_rankdata(xs, ties, descending):
    df = pl.DataFrame({"score": xs})
    got = ranking.rank(df, ties=ties, descending=descending)["rank"].to_numpy()
    key = -np.array(xs) if descending else np.array(xs)
    np.testing.assert_array_equal(got, stats.rankdata(key, method=ties))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 3), st.integers(0, 3)),
                min_size=1, max_size=25), st.sampled_from(["min", "dense", "ordinal", "average"]))
def test_tie_breakers_rank_on_the_tuple(rows, ties):
    df = pl.DataFrame(rows, schema=["score", "b1", "b2"], orient="row")
    got = ranking.rank(df, ties=ties, tie_breakers=["b1", ("b2", "min")])["rank"].to_numpy()
    # reference: encode the tuple (score desc, b1 desc, b2 asc) as one number
    key = -(np.array([r[0] for r in rows]) * 100 + np.array([r[1] for r in rows]) * 10
            - np.array([r[2] for r in rows]))
    np.testing.assert_array_equal(got, stats.rankdata(key, method=ties))


def test_tie_breaker_errors():
    df = pl.DataFrame({"score": [1, 1]})
    with pytest.raises(EvalToolsError, match="不存在"):
        ranking.rank(df, tie_breakers=["nope"])
    with pytest.raises(UsageError):
        ranking.rank(df.with_columns(b=pl.lit(1)), tie_breakers=[("b", "sideways")])
    with pytest.raises(UsageError, match="dense"):
        ranking.rank(df, ties="first")


def test_nulls_get_null_rank():
    df = pl.DataFrame({"score": [None, 5.0, 7.0, float("nan")]})
    assert ranking.rank(df)["rank"].to_list() == [None, 2, 1, None]


def test_rank_label_and_tied():
    df = ranking.rank(pl.DataFrame({"score": [95, 90, 90, 85, 80, 80, 80, 70]}))
    labels = df.select(ranking.rank_label())["rank_label"].to_list()
    assert labels == ["第1名", "并列第2名", "并列第2名", "第4名", "并列第5名", "并列第5名",
                      "并列第5名", "第8名"]
    explicit = df.with_columns(t=pl.lit(False)).select(ranking.rank_label("rank", "t"))
    assert explicit.to_series()[1] == "第2名"
    assert pl.DataFrame({"rank": [None, 1]}, schema={"rank": pl.UInt32}).select(
        ranking.rank_label()).to_series().to_list() == [None, "第1名"]


def test_movement():
    df = pl.DataFrame({"rank": [1, 5, 3, 2, None], "previous_rank": [4, 2, 3, None, 1]},
                      schema={"rank": pl.UInt32, "previous_rank": pl.UInt32})
    assert df.select(ranking.movement())["movement"].to_list() == ["▲3", "▼3", "—", "新上榜", None]


def test_tie_breakers_on_float_columns():
    # Float keys go through a NaN guard; two of them once gave duplicate struct field names.
    df = pl.DataFrame({"total": [90.0, 80.0, 80.0, 80.0], "a": [1.0, 2.0, 3.0, 3.0],
                       "b": [0.5, 0.1, 0.9, 0.2]})
    # higher is better for tie-breakers too: a decides 3,4 over 2; b decides 3 over 4
    assert ranking.rank(df, by="total", tie_breakers=["a", "b"])["rank"].to_list() == [1, 4, 2, 3]
