"""Judges: trimmed mean, aggregate/fallback, z-scores, ICC, Kendall's W, Krippendorff's alpha,
judge report — reference cases and properties against independent implementations."""

from __future__ import annotations

import itertools
import json
import warnings
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from evaltools import judging
from evaltools.errors import EvalToolsError, EvalToolsWarning, UsageError

REF = Path(__file__).parent / "reference" / "ratings_cases.json"
CASES = {c["id"]: c for c in json.loads(REF.read_text(encoding="utf-8"))["cases"]}


def _long(Y, target="unit_id", rater="judge_id", score="score"):
    Y = np.asarray(Y, dtype=float)
    n, k = Y.shape
    return pl.DataFrame({target: np.repeat(np.arange(n), k), rater: np.tile(np.arange(k), n),
                         score: Y.ravel()})


# ------------------------------------------------------------------------- trimmed mean


@pytest.mark.parametrize("case", CASES["trimmed_mean_drop_one_high_one_low"]["cases"])
def test_trimmed_mean_reference(case):
    df = pl.DataFrame({"score": case["scores"]})
    got = df.select(judging.trimmed_mean("score")).item()
    assert got == pytest.approx(case["computed"], abs=1e-9)
    assert round(got + 1e-12, 2) == case["expected"]  # published to 2 dp


def test_trimmed_mean_is_not_scipy_trim_mean():
    gotcha = CASES["trimmed_mean_drop_one_high_one_low"]["gotcha_scipy"]
    x = [9, 5, 6, 8, 9]
    assert stats.trim_mean(x, 0.1) == pytest.approx(gotcha["scipy.stats.trim_mean([9,5,6,8,9], 0.1)"])
    assert pl.DataFrame({"s": x}).select(judging.trimmed_mean("s")).item() != pytest.approx(7.4)


def test_trimmed_mean_short_and_nulls():
    df = pl.DataFrame({"g": [1, 1, 2, 2, 2, 2], "s": [5.0, 6.0, 1.0, None, 2.0, 9.0]})
    out = df.group_by("g", maintain_order=True).agg(judging.trimmed_mean("s"))
    assert out["s"].to_list() == [None, 2.0]  # n=2 -> null; nulls ignored: [1,2,9] -> 2
    with pytest.raises(UsageError):
        judging.trimmed_mean("s", drop=-1)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.integers(0, 100), min_size=0, max_size=15), st.integers(0, 3))
def test_trimmed_mean_matches_sorted_numpy(xs, drop):
    got = pl.DataFrame({"s": xs}, schema={"s": pl.Int64}).select(
        judging.trimmed_mean("s", drop=drop)).item()
    if len(xs) < 2 * drop + 1:
        assert got is None
    else:
        ref = np.sort(np.array(xs, dtype=float))[drop: len(xs) - drop].mean()
        assert got == pytest.approx(ref, rel=1e-12)
        if drop and len(xs) >= 2 * drop + 1:  # also equals scipy.trim_mean(x, drop/n)
            assert got == pytest.approx(stats.trim_mean(xs, drop / len(xs)), rel=1e-9)


# ----------------------------------------------------------------------------- aggregate


def _scores():
    return pl.DataFrame({
        "round": [1] * 7 + [2] * 3,
        "unit_id": ["A"] * 5 + ["B"] * 2 + ["A"] * 3,
        "criterion": ["卫生"] * 10,
        "judge_id": ["j1", "j2", "j3", "j4", "j5", "j1", "j2", "j1", "j2", "j3"],
        "score": [9, 5, 6, 8, 9, 7, 8, 1, 2, 3],
    })


def test_aggregate_error_names_unit_criterion_round():
    with pytest.raises(EvalToolsError) as e:
        judging.aggregate(_scores())
    (p,) = e.value.problems
    assert p.rule == "too_few_judges" and p.value == 2
    for text in (p.zh, p.en):
        assert "B" in text and "卫生" in text and "round" in text
    assert "3" in p.zh


def test_aggregate_fallback_declared_and_recorded():
    with pytest.warns(EvalToolsWarning, match="mean"):
        out = judging.aggregate(_scores(), fallback="mean")
    assert out.columns == ["round", "unit_id", "criterion", "value", "n_judges", "method",
                           "fallback_used"]
    rows = {(r["round"], r["unit_id"]): r for r in out.iter_rows(named=True)}
    assert rows[(1, "A")]["value"] == pytest.approx(23 / 3)
    assert rows[(1, "B")] | {} == rows[(1, "B")] and rows[(1, "B")]["value"] == 7.5
    assert rows[(1, "B")]["method"] == "mean" and rows[(1, "B")]["fallback_used"]
    assert rows[(2, "A")]["value"] == 2.0 and rows[(2, "A")]["method"] == "trimmed_mean"


def test_aggregate_methods_and_min_judges():
    out = judging.aggregate(_scores(), method="median", min_judges=1)
    assert out["value"].to_list() == [8.0, 7.5, 2.0]
    with pytest.raises(EvalToolsError):
        judging.aggregate(_scores(), method="mean", min_judges=3)
    with pytest.raises(UsageError, match="trimmed_mean"):
        judging.aggregate(_scores(), method="max")
    with pytest.raises(UsageError):
        judging.aggregate(_scores(), fallback="trimmed_mean")


# ---------------------------------------------------------------------------- standardize


def test_standardize_per_judge_and_round_with_guard():
    df = pl.DataFrame({"judge_id": ["a"] * 4 + ["b"] * 2, "round": [1, 1, 1, 2, 1, 1],
                       "score": [1.0, 2.0, 3.0, 9.0, 5.0, 5.0]})
    with pytest.warns(EvalToolsWarning, match="zero spread"):
        out = judging.standardize(df)
    assert out["z"].to_list() == [-1.0, 0.0, 1.0, 0.0, 0.0, 0.0]
    assert out["z_guarded"].to_list() == [False, False, False, True, True, True]


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(0, 10, allow_nan=False), min_size=2, max_size=10))
def test_standardize_matches_numpy(xs):
    df = pl.DataFrame({"judge_id": ["j"] * len(xs), "score": xs})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EvalToolsWarning)
        z = judging.standardize(df)["z"].to_numpy()
    sd = np.std(xs, ddof=1)
    if sd > 1e-9 * max(1.0, max(xs)):
        np.testing.assert_allclose(z, (np.array(xs) - np.mean(xs)) / sd, rtol=1e-6, atol=1e-6)


# ------------------------------------------------------------------------------------- ICC


def test_icc_shrout_fleiss_reference():
    case = CASES["icc_shrout_fleiss"]
    Y = case["input"]["rows=6 targets, cols=4 judges"]
    out = judging.icc(_long(Y))
    got = dict(zip(out["form"], out["icc"], strict=True))
    labels = {"ICC(1,1)": "ICC1", "ICC(A,1)": "ICC2", "ICC(C,1)": "ICC3", "ICC(1,k)": "ICC1k",
              "ICC(A,k)": "ICC2k", "ICC(C,k)": "ICC3k"}
    for k, form in labels.items():
        assert got[form] == pytest.approx(case["computed"][k], abs=1e-6)
        assert round(got[form], 2) == case["published_2dp"][form]
    # psych::ICC's printed table for this example (F, df, CI bounds at 2 dp)
    ci = {"ICC1": (-0.13, 0.72), "ICC2": (0.02, 0.76), "ICC3": (0.34, 0.95),
          "ICC1k": (-0.88, 0.91), "ICC2k": (0.07, 0.93), "ICC3k": (0.67, 0.99)}
    for row in out.iter_rows(named=True):
        lo, hi = ci[row["form"]]
        assert row["ci_lower"] == pytest.approx(lo, abs=0.011)
        assert row["ci_upper"] == pytest.approx(hi, abs=0.011)
    f = dict(zip(out["form"], out["F"], strict=True))
    assert f["ICC1"] == pytest.approx(11.241667 / 6.263889, rel=1e-6)
    assert f["ICC3"] == pytest.approx(11.241667 / 1.019444, rel=1e-6)


def _icc_reference(Y):
    """Independent ICC: mean squares from least-squares fits of the ANOVA models."""
    n, k = Y.shape
    y = Y.ravel()
    rows = np.repeat(np.arange(n), k)
    cols = np.tile(np.arange(k), n)
    Xr = np.eye(n)[rows]
    Xrc = np.hstack([Xr, np.eye(k)[cols][:, 1:]])
    rss_r = np.sum((y - Xr @ np.linalg.lstsq(Xr, y, rcond=None)[0]) ** 2)
    rss_rc = np.sum((y - Xrc @ np.linalg.lstsq(Xrc, y, rcond=None)[0]) ** 2)
    sst = np.sum((y - y.mean()) ** 2)
    msr = (sst - rss_r) / (n - 1)
    msw = rss_r / (n * (k - 1))
    mse = rss_rc / ((n - 1) * (k - 1))
    msc = (rss_r - rss_rc) / (k - 1)
    return [
        (msr - msw) / (msr + (k - 1) * msw),
        (msr - mse) / (msr + (k - 1) * mse + k * (msc - mse) / n),
        (msr - mse) / (msr + (k - 1) * mse),
        (msr - msw) / msr,
        (msr - mse) / (msr + (msc - mse) / n),
        (msr - mse) / msr,
    ]


@settings(max_examples=40, deadline=None)
@given(st.integers(2, 9), st.integers(2, 6), st.integers(0, 2**32 - 1))
def test_icc_matches_least_squares_anova(n, k, seed):
    rng = np.random.default_rng(seed)
    Y = rng.normal(size=(n, 1)) * 2 + rng.normal(size=(1, k)) + rng.normal(size=(n, k))
    got = judging.icc(_long(Y))["icc"].to_numpy()
    np.testing.assert_allclose(got, _icc_reference(Y), rtol=1e-7, atol=1e-9)


def test_icc_requires_complete_panel():
    df = _long([[1, 2], [3, 4], [5, 6]]).filter(~((pl.col("unit_id") == 0) & (pl.col("judge_id") == 1)))
    with pytest.raises(EvalToolsError, match="krippendorff"):
        judging.icc(df)
    dup = pl.concat([_long([[1, 2], [3, 4]]), _long([[1, 2], [3, 4]]).head(1)])
    with pytest.raises(EvalToolsError) as e:
        judging.icc(dup)
    assert e.value.problems[0].rule == "duplicate_score"


# -------------------------------------------------------------------------------- Kendall W


def test_kendall_w_reference():
    case = CASES["kendalls_w"]["small_no_ties"]
    res = judging.kendall_w(_long(case["rows=5 buildings, cols=4 judges' ranks"]))
    assert res.w == pytest.approx(case["W"], abs=1e-12)
    assert res.chi2 == pytest.approx(case["chi2"], abs=1e-9)
    assert res.p == pytest.approx(case["p"], abs=1e-6)
    assert (res.dof, res.n_targets, res.n_raters) == (4, 5, 4)


@settings(max_examples=60, deadline=None)
@given(st.integers(3, 8), st.integers(2, 6), st.integers(0, 2**32 - 1), st.booleans())
def test_kendall_w_equals_friedman_over_m_n_minus_1(n, m, seed, ties):
    rng = np.random.default_rng(seed)
    Y = rng.integers(1, 4, size=(n, m)) if ties else rng.normal(size=(n, m))
    if ties and np.any(np.all(Y == Y[0], axis=0)):
        return  # a judge giving one score to everyone: Friedman is undefined for that block
    res = judging.kendall_w(_long(Y))
    chi2_f = stats.friedmanchisquare(*Y).statistic  # groups = units, blocks = judges
    assert res.w == pytest.approx(chi2_f / (m * (n - 1)), rel=1e-9)
    assert res.chi2 == pytest.approx(chi2_f, rel=1e-9)


# ------------------------------------------------------------------------ Krippendorff alpha

K2011 = {"A": [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
         "B": [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
         "C": [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
         "D": [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None]}


def _k_frame(data):
    return pl.DataFrame({"unit_id": list(range(12)) * len(data),
                         "judge_id": [k for k in data for _ in range(12)],
                         "score": [v for vals in data.values() for v in vals]})


@pytest.mark.parametrize(("level", "published"), [("nominal", 0.743), ("ordinal", 0.815),
                                                  ("interval", 0.849), ("ratio", 0.797)])
def test_krippendorff_2011_example(level, published):
    """Krippendorff (2011) 'Computing Krippendorff's alpha-reliability', published to 3 dp."""
    assert judging.krippendorff_alpha(_k_frame(K2011), level=level) == pytest.approx(
        published, abs=5e-4)


def _alpha_pairs(units, level):
    """Independent reference: alpha from all ordered pairs within units (Python loops)."""
    pairs, weights = [], []
    for vals in units:
        vals = [v for v in vals if v is not None]
        if len(vals) < 2:
            continue
        for a, b in itertools.permutations(range(len(vals)), 2):
            pairs.append((vals[a], vals[b]))
            weights.append(1.0 / (len(vals) - 1))
    pooled = [v for u in units for v in u if v is not None and sum(x is not None for x in u) > 1]
    d = {"nominal": lambda a, b: float(a != b), "interval": lambda a, b: (a - b) ** 2,
         "ratio": lambda a, b: 0.0 if a + b == 0 else ((a - b) / (a + b)) ** 2}[level]
    n = len(pooled)
    do = sum(w * d(a, b) for (a, b), w in zip(pairs, weights, strict=True)) / n
    de = sum(d(a, b) for a, b in itertools.permutations(pooled, 2)) / (n * (n - 1))
    return 1 - do / de


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(st.one_of(st.none(), st.integers(0, 5)), min_size=3, max_size=3),
                min_size=3, max_size=8),
       st.sampled_from(["nominal", "interval", "ratio"]))
def test_krippendorff_matches_pairwise_definition(units, level):
    pairable = [v for u in units for v in u if v is not None and sum(x is not None for x in u) > 1]
    if len(set(pairable)) < 2:
        return
    df = pl.DataFrame({"unit_id": np.repeat(np.arange(len(units)), 3),
                       "judge_id": np.tile(np.arange(3), len(units)),
                       "score": [v for u in units for v in u]}, schema_overrides={"score": pl.Int64})
    got = judging.krippendorff_alpha(df, level=level)
    assert got == pytest.approx(_alpha_pairs(units, level), rel=1e-9, abs=1e-12)


def test_krippendorff_degenerate():
    df = pl.DataFrame({"unit_id": [1, 1, 2, 2], "judge_id": ["a", "b", "a", "b"], "score": [3] * 4})
    with pytest.warns(EvalToolsWarning, match="undefined"):
        assert np.isnan(judging.krippendorff_alpha(df))
    one = pl.DataFrame({"unit_id": [1, 2], "judge_id": ["a", "b"], "score": [1, 2]})
    with pytest.raises(EvalToolsError, match="two or more raters"):
        judging.krippendorff_alpha(one)
    txt = pl.DataFrame({"unit_id": [1, 1], "judge_id": ["a", "b"], "score": ["好", "差"]})
    # one unit, two different labels: n = 2, 1 − (n − 1)·Σoδ/Σn_c n_k δ = 1 − 1·2/2 = 0
    assert judging.krippendorff_alpha(txt, level="nominal") == pytest.approx(0.0)
    with pytest.raises(EvalToolsError, match="numeric"):
        judging.krippendorff_alpha(txt, level="interval")
    with pytest.raises(UsageError):
        judging.krippendorff_alpha(one, level="fuzzy")


# ----------------------------------------------------------------------------- judge report


def test_judge_report_flags_a_harsh_judge():
    rng = np.random.default_rng(0)
    truth = rng.uniform(60, 90, size=12)
    Y = truth[:, None] + rng.normal(0, 1, size=(12, 6))
    Y[:, 5] -= 15  # judge 5 is far harsher than the rest
    df = _long(Y).with_columns(pl.lit("卫生").alias("criterion"))
    rep = judging.judge_report(df)
    assert rep["outlier"].to_list() == [False] * 5 + [True]
    assert rep.filter(pl.col("judge_id") == 5)["leniency"].item() == pytest.approx(
        -15 * 5 / 6, abs=1.5)
    assert (rep["loo_corr"] > 0.9).all()
    assert rep["n"].to_list() == [12] * 6


def test_judge_report_leniency_uses_same_units_only():
    # j3 only scores unit A, which is the best unit: its leniency is 0, not positive
    df = pl.DataFrame({"judge_id": ["j1", "j2", "j1", "j2", "j3"],
                       "unit_id": ["A", "A", "B", "B", "A"], "score": [9.0, 9.0, 3.0, 3.0, 9.0]})
    rep = judging.judge_report(df)
    assert rep.filter(pl.col("judge_id") == "j3")["leniency"].item() == 0.0


def test_judge_totals_match_numpy_and_feed_agreement():
    rng = np.random.default_rng(11)
    n_units, n_judges, n_crit = 12, 4, 3
    u, j, c = np.meshgrid(np.arange(n_units), np.arange(n_judges), np.arange(n_crit), indexing="ij")
    s = rng.integers(0, 11, u.size).astype(float)
    scores = pl.DataFrame({"round": 1, "unit_id": [f"U{x:02d}" for x in u.ravel()],
                           "judge_id": [f"J{x}" for x in j.ravel()],
                           "criterion": [f"C{x}" for x in c.ravel()], "score": s})
    units = pl.DataFrame({"unit_id": [f"U{x:02d}" for x in range(n_units)],
                          "street": ["东"] * 6 + ["西"] * 6})
    got = judging.judge_totals(scores, units, panel="street")
    ref = s.reshape(n_units, n_judges, n_crit).sum(axis=2)
    assert got.height == n_units * n_judges
    assert np.array_equal(got["score"].to_numpy().reshape(n_units, n_judges), ref)
    assert got["street"].to_list() == ["东"] * 24 + ["西"] * 24
    panels = judging.agreement(got, by=["round", "street"])
    assert panels["n_units"].to_list() == [6, 6] and panels["n_judges"].to_list() == [4, 4]
    with pytest.raises(EvalToolsError):
        judging.judge_totals(scores, panel="street")


# -- issue 18 item 19: a NaN score is not a score ---------------------------------------------

def test_nan_is_not_the_highest_score():
    df = pl.DataFrame({"unit_id": ["A"] * 4, "criterion": "c", "score": [1.0, np.nan, 4.0, 5.0]})
    assert df.select(judging.trimmed_mean("score")).item() == 4.0
    out = judging.aggregate(df)
    assert out["value"].to_list() == [4.0] and out["n_judges"].to_list() == [3]
    mean = judging.aggregate(df, method="mean")
    assert mean["value"].item() == pytest.approx(10 / 3) and mean["n_judges"].item() == 3
    assert judging.aggregate(df, method="median")["value"].item() == 4.0


def test_nan_scores_count_against_min_judges():
    df = pl.DataFrame({"unit_id": ["A"] * 4, "criterion": "c",
                       "score": [1.0, np.nan, np.nan, 5.0]})
    with pytest.raises(EvalToolsError) as e:
        judging.aggregate(df)  # 2 real scores: the trimmed mean needs 3
    assert e.value.problems[0].rule == "too_few_judges"
    assert e.value.problems[0].value == 2
    with pytest.warns(EvalToolsWarning):
        out = judging.aggregate(df, fallback="mean")
    assert out["value"].item() == 3.0 and out["fallback_used"].item()


def _nan_trimmed_reference(xs):
    real = sorted(x for x in xs if not np.isnan(x))
    return None if len(real) < 3 else float(np.mean(real[1:-1]))


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(st.floats(0, 100, allow_nan=False), st.just(float("nan"))),
                min_size=1, max_size=12))
def test_aggregate_with_nan_matches_numpy(xs):
    df = pl.DataFrame({"unit_id": ["A"] * len(xs), "criterion": "c", "score": xs},
                      schema={"unit_id": pl.String, "criterion": pl.String, "score": pl.Float64})
    real = np.array([x for x in xs if not np.isnan(x)])
    got = df.select(judging.trimmed_mean("score")).item()
    ref = _nan_trimmed_reference(xs)
    assert (got is None) == (ref is None)
    if ref is not None:
        assert got == pytest.approx(ref, rel=1e-12, abs=1e-12)
    if real.size:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            m = judging.aggregate(df, method="mean", min_judges=1)
            md = judging.aggregate(df, method="median", min_judges=1)
        assert m["value"].item() == pytest.approx(np.nanmean(np.array(xs)), rel=1e-12, abs=1e-12)
        assert md["value"].item() == pytest.approx(np.nanmedian(np.array(xs)), rel=1e-12,
                                                   abs=1e-12)
        assert m["n_judges"].item() == real.size


# -- issue 18 item 20: ICC on a constant panel ------------------------------------------------

def test_icc_constant_panel_is_nan_with_a_warning():
    df = _long(np.full((4, 3), 7.0))
    with pytest.warns(EvalToolsWarning, match="every score is the same") as rec:
        out = judging.icc(df)
    assert all(np.isnan(v) for v in out["icc"].to_list())
    assert "所有评分都相同" in str(rec[0].message)


def test_icc_non_constant_panel_does_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error", EvalToolsWarning)
        out = judging.icc(_long([[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6]]))
    assert np.isfinite(out["icc"].to_numpy()).all()
