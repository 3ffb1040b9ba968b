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


@settings(max_examples=500, deadline=None)
@given(st.integers(-10**10, 10**10), st.integers(0, 4), st.integers(1, 2), st.booleans())
def test_matches_decimal_half_up(units, digits, extra, exact_half):
    """Values a person types (up to digits + 2 decimals, exact halves forced half the time):
    the polars expression and format_score agree with Decimal(str(x)) ROUND_HALF_UP.
    Found by this test: polars' half_away_from_zero alone gives 138.765 -> 138.76, 1.005 -> 1.0."""
    if exact_half:
        units, extra = units // 10 * 10 + 5, 1
    x = units / 10 ** (digits + extra)
    q = Decimal(1).scaleb(-digits)
    expected = Decimal(str(x)).quantize(q, rounding=ROUND_HALF_UP)
    got = pl.DataFrame({"x": [x]}).select(round_half_up("x", digits)).item()
    assert got == float(expected)
    assert format_score(x, digits) == str(expected)


@pytest.mark.parametrize(("x", "expected"), [(1.005, 1.01), (0.285, 0.29), (138.765, 138.77),
                                             (1.115, 1.12), (8.345, 8.35), (-1.005, -1.01)])
def test_binary_halves_round_up(x, expected):
    assert pl.DataFrame({"x": [x]}).select(round_half_up("x", 2)).item() == expected
