"""四舍五入: half-up rounding against the reference case and Decimal."""

from __future__ import annotations

import json
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evaltools.errors import UsageError
from evaltools.rounding import format_score, round_half_even, round_half_up

REF = Path(__file__).parent / "reference" / "ratings_cases.json"
CASE = next(c for c in json.loads(REF.read_text("utf-8"))["cases"] if c["id"] == "rounding_sishewuru")


def test_reference_case():
    df = pl.DataFrame({"x": CASE["values"]})
    assert df.select(round_half_up("x", 2)).to_series().to_list() == CASE[
        "polars_round2_half_away_from_zero"]
    assert df.select(round_half_up("x", 2)).to_series().to_list() == CASE["decimal_repr_half_up_2dp"]
    assert df.select(round_half_up("x", 0)).to_series().to_list() == CASE["polars_round0_half_away"]
    assert df.select(round_half_even("x", 2)).to_series().to_list() == CASE[
        "polars_round2_default_half_to_even"]
    assert [format_score(v) for v in CASE["values"]] == [f"{v:.2f}" for v in CASE[
        "decimal_repr_half_up_2dp"]]


def test_negative_rounds_by_magnitude_and_expr_input():
    df = pl.DataFrame({"x": [-2.5, -0.125, -84.445]})
    assert df.select(round_half_up(pl.col("x"), 0)).to_series().to_list()[0] == -3.0
    assert df.select(round_half_up("x", 2)).to_series().to_list()[1:] == [-0.13, -84.45]
    assert format_score(-0.125) == "-0.13"


def test_format_score_edges():
    assert format_score(None) == "—" and format_score(float("nan")) == "—"
    assert format_score(float("inf")) == "—"
    assert format_score(7.666666, 0) == "8" and format_score(100, 1) == "100.0"
    with pytest.raises(UsageError):
        round_half_up("x", -1)


@settings(max_examples=300, deadline=None)
@given(st.integers(-10**7, 10**7), st.integers(0, 3))
def test_matches_decimal_half_up(cents, digits):
    # values with up to 3 decimals typed by a person: polars and Decimal(str) agree
    x = cents / 1000
    expected = float(Decimal(str(x)).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP))
    got = pl.DataFrame({"x": [x]}).select(round_half_up("x", digits)).item()
    assert got == expected
    assert format_score(x, digits) == str(Decimal(str(x)).quantize(
        Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP))
