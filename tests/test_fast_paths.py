"""The speed paths give the same numbers as the straightforward code (issue 4).

* mcda: weighted sum / TOPSIS with min-max and vector normalisation are computed from the affine
  form on the columns, in row blocks; checked against the textbook numpy formulas on awkward
  data (large offsets, constant columns, cost criteria, many rows spanning several blocks).
* judging: the panel kernels (one integer-coded sort, per-size matrices) against
  :func:`evaltools.judging.aggregate` on shuffled panels of varying size.
* ratings: the exact-label fast path of ``summarize`` against the general path (padded labels).
"""

from __future__ import annotations

import warnings

import numpy as np
import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from evaltools import judging, mcda
from evaltools.ratings import summarize


def _textbook(X, cost, w, method):
    if method == "minmax":
        lo, hi = X.min(axis=0), X.max(axis=0)
        rng = hi - lo
        with np.errstate(divide="ignore", invalid="ignore"):
            R = np.where(cost, hi - X, X - lo) / rng
        R[:, rng == 0] = 1.0
    else:
        norm = np.sqrt((X**2).sum(axis=0))
        R = X / norm
        R = np.where(cost, 1.0 - R, R)
    V = R * w
    dp = np.sqrt(((V - V.max(axis=0)) ** 2).sum(axis=1))
    dm = np.sqrt(((V - V.min(axis=0)) ** 2).sum(axis=1))
    with np.errstate(divide="ignore", invalid="ignore"):
        c = np.where(dp + dm == 0, 1.0, dm / (dp + dm))
    return R @ w, c, dp, dm


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 9000), st.integers(1, 6), st.integers(0, 2**31 - 1),
       st.sampled_from(["minmax", "vector"]), st.sampled_from([0.0, 1e6]))
def test_mcda_affine_path_matches_textbook(n, k, seed, method, offset):
    rng = np.random.default_rng(seed)
    X = offset + rng.uniform(0, 100, (n, k))
    if k > 1:
        X[:, 0] = X[0, 0]  # a constant criterion
    cost = rng.random(k) < 0.4
    w = rng.uniform(0.1, 1.0, k)
    w /= w.sum()
    names = [f"c{j}" for j in range(k)]
    df = pl.DataFrame({c: X[:, j] for j, c in enumerate(names)})
    crit = {c: ("min" if cost[j] else "max") for j, c in enumerate(names)}
    weights = dict(zip(names, w.tolist(), strict=True))
    score, c, dp, dm = _textbook(X, cost, w, method)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ws = mcda.weighted_sum(df, crit, weights, normalization=method)["score"].to_numpy()
        tp = mcda.topsis(df, crit, weights, normalization=method)
    np.testing.assert_allclose(ws, score, rtol=1e-12, atol=1e-12)
    # with a large offset the *textbook* loses digits (vector: v − v_max subtracts numbers that
    # agree in their first ~5 digits); the affine path subtracts raw values exactly. Hence the
    # looser tolerance there; without an offset both agree to 1e-12.
    tol = 1e-12 if offset == 0 else 1e-8
    np.testing.assert_allclose(tp["d_plus"].to_numpy(), dp, rtol=tol, atol=1e-12)
    np.testing.assert_allclose(tp["d_minus"].to_numpy(), dm, rtol=tol, atol=1e-12)
    np.testing.assert_allclose(tp["score"].to_numpy(), c, rtol=tol, atol=tol)


def test_mcda_fast_path_still_names_missing_cells():
    df = pl.DataFrame({"unit_id": ["A", "B"], "a": [1.0, None], "b": [2.0, float("nan")]})
    from evaltools.errors import EvalToolsError

    for fn in (mcda.weighted_sum, mcda.topsis):
        try:
            fn(df, ["a", "b"], normalization="minmax")
        except EvalToolsError as e:
            assert len(e.problems) == 2 and "B" in str(e)
        else:  # pragma: no cover
            raise AssertionError("no error")


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(1, 7), min_size=1, max_size=30), st.integers(0, 2**31 - 1))
def test_panel_kernels_match_aggregate(sizes, seed):
    rng = np.random.default_rng(seed)
    rows = []
    for g, size in enumerate(sizes):
        unit, crit = f"U{g // 3:03d}", f"c{g % 3}"
        judges = rng.choice(12, size=size, replace=False)
        rows += [(unit, f"J{j:02d}", crit, float(rng.integers(0, 40)) / 4 + rng.random() * 1e-3)
                 for j in judges]
    df = pl.DataFrame(rows, schema=["unit_id", "judge_id", "criterion", "score"], orient="row")
    df = df.sample(fraction=1.0, shuffle=True, seed=seed)
    (u, units), (c, crits), (j, judges) = (judging.string_codes(df[k])
                                           for k in ("unit_id", "criterion", "judge_id"))
    sc, starts, lens, gid = judging.coded_panels(u, c, j, df["score"].to_numpy(), units.len(),
                                                 crits.len(), judges.len())
    keys = pl.DataFrame({"unit_id": units.gather(gid % units.len()),
                         "criterion": crits.gather(gid // units.len())})
    raw = judging.panel_lists(sc, starts, lens)
    expected_raw = (df.group_by("unit_id", "criterion")
                    .agg(pl.col("score").sort_by("judge_id").alias("raw")))
    got_raw = keys.with_columns(raw).join(expected_raw, on=["unit_id", "criterion"])
    assert got_raw.height == len(sizes)
    assert (got_raw["raw"] == got_raw["raw_right"]).all()
    for method in ("mean", "median", "trimmed_mean"):
        got = keys.with_columns(v=judging.panel_reduce(sc, starts, lens, method))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ref = judging.aggregate(df, method=method, min_judges=1, fallback="mean"
                                    if method == "trimmed_mean" else None)
        if method == "trimmed_mean":
            ref = ref.with_columns(value=pl.when(pl.col("n_judges") >= 3).then("value"))
        both = got.join(ref, on=["unit_id", "criterion"])
        v, r = both["v"].to_numpy(), both["value"].cast(pl.Float64).to_numpy()
        assert np.array_equal(np.isnan(v), np.isnan(r))
        np.testing.assert_allclose(v[~np.isnan(v)], r[~np.isnan(r)], rtol=1e-13)


def test_summarize_fast_path_equals_general_path():
    rng = np.random.default_rng(5)
    labels = np.array(["满意", "基本满意", "不太满意", "不满意"])
    cards = pl.DataFrame({"unit_id": [f"U{i}" for i in rng.integers(0, 30, 3000)],
                          "rating": labels[rng.integers(0, 4, 3000)]})
    padded = cards.with_columns(pl.col("rating") + " ")  # forces the general path
    with_null = cards.with_columns(
        pl.when(pl.int_range(pl.len()) % 7 == 0).then(None).otherwise("rating").alias("rating"))
    a, b = summarize(cards), summarize(padded)
    assert a.equals(b)
    c, d = summarize(with_null), summarize(with_null.with_columns(pl.col("rating") + " "))
    assert c.equals(d)
