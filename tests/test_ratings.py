"""Ratings: Wilson, Bayesian average, label values, 满意率 definitions, summary table."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from evaltools import ratings
from evaltools.errors import EvalToolsError, UsageError

REF = Path(__file__).parent / "reference" / "ratings_cases.json"
CASES = {c["id"]: c for c in json.loads(REF.read_text(encoding="utf-8"))["cases"]}


@pytest.mark.parametrize("case", CASES["wilson_lower_bound"]["cases"])
def test_wilson_reference(case):
    df = pl.DataFrame({"k": [case["successes"]], "n": [case["n"]]})
    lo, hi = df.select(ratings.wilson_interval("k", "n", confidence=case["confidence"])
                       .alias("w")).unnest("w").row(0)
    assert lo == pytest.approx(case["lower"], abs=1e-9)
    assert hi == pytest.approx(case["upper"], abs=1e-9)


def test_wilson_uses_exact_quantile_not_196():
    ref = CASES["wilson_lower_bound"]["z_1.96_vs_exact"]["9/10"]
    lo = pl.select(ratings.wilson_interval(pl.lit(9), pl.lit(10)).struct.field("lower")).item()
    assert lo == pytest.approx(ref["z=norm.ppf(0.975)"], abs=1e-9)
    assert abs(lo - ref["z=1.96"]) > 1e-6


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 5000), st.data(), st.sampled_from([0.8, 0.9, 0.95, 0.99]))
def test_wilson_matches_closed_formula_and_scipy(n, data, conf):
    k = data.draw(st.integers(0, n))
    z = stats.norm.ppf(1 - (1 - conf) / 2)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    lo, hi = pl.select(ratings.wilson_interval(pl.lit(k), pl.lit(n), confidence=conf)
                       .alias("w")).unnest("w").row(0)
    assert lo == pytest.approx(max(0.0, centre - half), abs=1e-12)
    assert hi == pytest.approx(min(1.0, centre + half), abs=1e-12)
    ci = stats.binomtest(k, n).proportion_ci(confidence_level=conf, method="wilson")
    assert lo == pytest.approx(ci.low, abs=1e-9) and hi == pytest.approx(ci.high, abs=1e-9)


def test_wilson_bad_confidence():
    with pytest.raises(UsageError):
        ratings.wilson_interval("k", "n", confidence=95)


def test_bayesian_average_imdb_example():
    ex = CASES["bayesian_average_imdb"]["cited_example"]
    a, b = ex["input"]["A_votes"], ex["input"]["B_votes"]
    df = pl.DataFrame({"mean": [np.mean(a), np.mean(b)], "n": [len(a), len(b)]})
    got = df.select(ratings.bayesian_average("mean", "n", prior_mean=ex["input"]["C"],
                                             prior_weight=ex["input"]["m"])).to_series().to_list()
    assert got == pytest.approx([ex["expected"]["A"], ex["expected"]["B"]], abs=1e-6)
    # the hand-checkable case: (5*4.8 + 10*4)/15
    one = pl.select(ratings.bayesian_average(pl.lit(4.8), pl.lit(5), prior_mean=4.0,
                                             prior_weight=10)).item()
    assert one == pytest.approx(4.266667, abs=1e-6)
    # no answers -> the prior
    assert pl.select(ratings.bayesian_average(pl.lit(None), pl.lit(0), prior_mean=3.0,
                                              prior_weight=10)).item() == 3.0
    with pytest.raises(UsageError):
        ratings.bayesian_average("m", "n", prior_mean=3, prior_weight=-1)


def test_to_value_scales():
    df = pl.DataFrame({"r": ["非常满意", "一般", "非常不满意", "5"]})
    assert df.select(ratings.to_value("r", labels=ratings.FIVE_LEVEL)).to_series().to_list() == [
        5.0, 3.0, 1.0, 5.0]
    num = pl.DataFrame({"r": [4, 3]})
    assert num.select(ratings.to_value("r")).to_series().to_list() == [4.0, 3.0]


def test_check_labels_lists_every_unknown_with_excel_row():
    df = pl.DataFrame({"rating": ["满意", "很好", None, "差评"]})
    with pytest.raises(EvalToolsError) as e:
        ratings.check_labels(df, file="cards.csv")
    probs = e.value.problems
    assert [(p.row, p.value, p.file) for p in probs] == [(3, "很好", "cards.csv"),
                                                        (5, "差评", "cards.csv")]
    assert "满意" in probs[0].zh and "label" in probs[0].en


def test_satisfaction_rate_both_definitions_named():
    cards = pl.DataFrame({"unit_id": ["A"] * 4,
                          "rating": ["满意", "基本满意", "不太满意", "满意"]})
    strict = ratings.summarize(cards, satisfied=("满意",))
    broad = ratings.summarize(cards, satisfied=("满意", "基本满意"))
    assert strict["satisfaction_rate"].item() == 0.5
    assert broad["satisfaction_rate"].item() == 0.75
    assert strict["satisfied_definition"].item() == "满意"
    assert broad["satisfied_definition"].item() == "满意+基本满意"
    # numeric answers work with label definitions
    num = pl.DataFrame({"unit_id": ["A"] * 4, "rating": [4, 3, 2, 4]})
    assert ratings.summarize(num, satisfied=("满意",))["satisfaction_rate"].item() == 0.5
    with pytest.raises(UsageError):
        ratings.satisfaction_rate(satisfied=("很好",))


def test_summarize_known_values():
    cards = pl.DataFrame({"unit_id": ["A"] * 10 + ["B"],
                          "rating": ["满意"] * 9 + ["不满意"] + ["满意"]})
    out = ratings.summarize(cards, satisfied=("满意",), prior_weight=10)
    a = out.row(0, named=True)
    assert (a["unit_id"], a["n"], a["n_satisfied"]) == ("A", 10, 9)
    assert a["wilson_lower"] == pytest.approx(0.5958499732, abs=1e-9)
    assert a["wilson_upper"] == pytest.approx(0.9821237869, abs=1e-9)
    C = (9 * 4 + 1 + 4) / 11
    assert a["bayesian_average"] == pytest.approx((10 * 3.7 + 10 * C) / 20)
    assert a["top2box"] == 0.9
    assert out.columns == ["unit_id", "n", "mean", "n_satisfied", "satisfaction_rate",
                           "wilson_lower", "wilson_upper", "bayesian_average", "top2box",
                           "satisfied_definition"]
    with pytest.raises(EvalToolsError):
        ratings.summarize(cards.rename({"rating": "评价"}))


def test_top2box_dirichlet_nps():
    df = pl.DataFrame({"r": ["满意", "基本满意", "不太满意", "不满意"]})
    assert df.select(ratings.top2box("r")).item() == 0.5
    # Dirichlet(1,1,1,1): (sum + 10)/(4 + 4) with sum = 10 -> 2.5
    assert df.select(ratings.dirichlet_expected_score("r")).item() == 2.5
    # no answers -> midpoint of the scale
    empty = pl.DataFrame({"r": []}, schema={"r": pl.String})
    assert empty.select(ratings.dirichlet_expected_score("r")).item() == 2.5
    scores = pl.DataFrame({"r": [10, 10, 9, 8, 7, 3]})
    assert scores.select(ratings.nps("r")).item() == pytest.approx(100 * (3 / 6 - 1 / 6))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(1, 4), min_size=1, max_size=40), st.floats(0.1, 5))
def test_dirichlet_matches_posterior_shares(values, alpha):
    counts = np.bincount(values, minlength=5)[1:]
    shares = (counts + alpha) / (len(values) + 4 * alpha)
    expected = float((shares * np.arange(1, 5)).sum())
    got = pl.DataFrame({"r": values}).select(ratings.dirichlet_expected_score("r", alpha=alpha)).item()
    assert got == pytest.approx(expected, rel=1e-12)


# -- issue 18 item 20: exact Wilson bounds and invalid counts ---------------------------------

def test_wilson_exact_at_zero_and_all():
    df = pl.DataFrame({"k": [0, 0, 0, 3, 7, 50], "n": [1, 7, 50, 3, 7, 50]})
    out = df.with_columns(ci=ratings.wilson_interval("k", "n")).unnest("ci")
    assert out["lower"].to_list()[:3] == [0.0, 0.0, 0.0]
    assert out["upper"].to_list()[3:] == [1.0, 1.0, 1.0]
    # units with no satisfied card tie exactly when ranked by the lower bound
    assert out.head(3)["lower"].rank("min").to_list() == [1, 1, 1]


@pytest.mark.parametrize("k, n", [(6, 5), (-1, 5), (1, -1), (float("inf"), 5)])
def test_wilson_invalid_counts_are_usage_errors(k, n):
    df = pl.DataFrame({"k": [1.0, k], "n": [2.0, n]})
    with pytest.raises(UsageError) as e:
        df.select(ratings.wilson_interval("k", "n"))
    (p,) = e.value.problems
    assert p.rule == "bad_counts"
    assert f"n = {n:g}" in str(p.value) and f"k = {k:g}" in str(p.value)
    assert "0 ≤ k ≤ n" in p.zh and "0 ≤ k ≤ n" in p.en
    assert "This error occurred" not in str(e.value)


def test_wilson_invalid_counts_from_many_threads_keep_their_own_problem():
    """Each thread gets the problem of its own bad counts (the message → problem cache is shared
    by threads and never cleared under another thread's feet)."""
    from concurrent.futures import ThreadPoolExecutor

    def bad(i: int) -> tuple[str, str]:
        df = pl.DataFrame({"k": [float(i + 2)], "n": [1.0]})
        try:
            df.select(ratings.wilson_interval("k", "n"))
        except UsageError as e:
            (p,) = e.problems
            return p.rule, str(p.value)
        return "no error", ""

    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(bad, range(200)))
    assert got == [("bad_counts", f"k = {i + 2:g}, n = 1") for i in range(200)]
    assert len(ratings._RAISED) <= ratings._RAISED_KEEP


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 500), st.data())
def test_wilson_matches_the_closed_form(n, data):
    k = data.draw(st.integers(0, n))
    out = pl.DataFrame({"k": [k], "n": [n]}).select(
        ci=ratings.wilson_interval("k", "n")).unnest("ci")
    z = stats.norm.ppf(0.975)
    p = k / n
    centre, half = p + z * z / (2 * n), z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    lo, hi = (centre - half) / (1 + z * z / n), (centre + half) / (1 + z * z / n)
    assert out["lower"].item() == pytest.approx(max(lo, 0.0), abs=1e-12)
    assert out["upper"].item() == pytest.approx(min(hi, 1.0), abs=1e-12)
    if k == 0:
        assert out["lower"].item() == 0.0
    if k == n:
        assert out["upper"].item() == 1.0


@pytest.mark.parametrize("respondent", [True, False])
@pytest.mark.parametrize("columns", [
    ("unit_id", "n", "satisfaction_rate"),
    ("wilson_upper", "unit_id"),
    ("bayesian_average", "mean", "n"),
    ("top2box",),
])
def test_summarize_columns_are_the_full_table_s(respondent, columns, monkeypatch):
    """``columns`` picks from the full table (same values, asked order) and skips the Wilson
    interval when neither bound is asked for."""
    cards = pl.DataFrame({
        "unit_id": ["A", "A", "B", "B", "C", "A"],
        "respondent_id": ["r1", "r1", "r2", "r3", "r4", "r5"],
        "rating": ["满意", "不满意", "基本满意", "满意", "不太满意", "满意"],
    })
    if not respondent:
        cards = cards.drop("respondent_id")
    full = ratings.summarize(cards, prior_weight=2)
    calls = []
    wilson = ratings._wilson_batch
    monkeypatch.setattr(ratings, "_wilson_batch", lambda *a, **k: calls.append(1) or wilson(*a, **k))
    part = ratings.summarize(cards, prior_weight=2, columns=columns)
    assert part.equals(full.select(columns))
    assert bool(calls) == any(c.startswith("wilson") for c in columns)
